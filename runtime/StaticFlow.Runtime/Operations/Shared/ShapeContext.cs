// Shared source: compiled into the runtime and linked into the generator and analyzers, so an op's shape rule is
// written once and the IDE, the build and graph import apply the same one.
using System;
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>
/// What a shape function sees of one node: its input arguments' static shapes (null for unknown rank, -1 for an
/// unknown dimension), the values of small integer constants among them, and its attrs. The runtime implements it
/// over an imported graph node, the generator over the values a graph function is lowering.
/// </summary>
internal abstract class ShapeContext
{
    /// <summary>The number of input arguments (a list argument counts once).</summary>
    public abstract int ArgumentCount { get; }

    /// <summary>How many tensors list argument <paramref name="argument"/> holds (1 for a plain argument).</summary>
    public abstract int ListLength(int argument);

    /// <summary>The static shape of tensor <paramref name="item"/> of argument <paramref name="argument"/>, or null.</summary>
    public abstract long[]? Shape(int argument, int item = 0);

    /// <summary>The values of argument <paramref name="argument"/> when it is a small int32/int64 constant, or null.</summary>
    public abstract long[]? Constant(int argument);

    /// <summary>A bool attr (false when unset).</summary>
    public abstract bool Flag(string name);

    /// <summary>An int attr, or <paramref name="fallback"/> when unset.</summary>
    public abstract long Int(string name, long fallback = 0);

    /// <summary>A list(int) attr, or null when unset.</summary>
    public abstract long[]? Ints(string name);

    /// <summary>A string attr, or null when unset.</summary>
    public abstract string? Text(string name);

    /// <summary>A shape attr (<c>shape</c> of Placeholder, VarHandleOp), or null when unset or of unknown rank.</summary>
    public virtual long[]? ShapeAttr(string name) => null;

    /// <summary>The shape of a tensor attr's value (Const's <c>value</c>), or null.</summary>
    public virtual long[]? TensorAttrShape(string name) => null;

    /// <summary>The number of outputs the node has (list outputs expanded).</summary>
    public abstract int OutputCount { get; }

    /// <summary>Stops inference: the inputs can never fit. The message names both shapes where it can.</summary>
    public ShapeMismatchException Fail(string problem) => new(problem);
}

/// <summary>A shape rule's verdict that a node's inputs can never fit; the runtime and the generator attach the node.</summary>
internal sealed class ShapeMismatchException(string problem) : Exception(problem);

/// <summary>
/// An op's shape function: the static shape of each output (null where unknown), or a thrown
/// <see cref="ShapeMismatchException"/>. Returning fewer shapes than outputs leaves the rest unknown.
/// </summary>
internal delegate IReadOnlyList<long[]?> ShapeFunction(ShapeContext context);
