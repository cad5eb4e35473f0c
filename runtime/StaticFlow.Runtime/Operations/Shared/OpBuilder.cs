// Shared source: compiled into the runtime and linked into the generator and analyzers. Gradient rules and composite
// ops (losses) are written once against OpBuilder; the generator implements it by adding nodes to the graph it
// lowers, the runtime by running each op eagerly, so a gradient in a compiled graph and one taken eagerly come from
// the same rule.
using System;
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>
/// A tensor as an <see cref="OpBuilder"/> sees it: an opaque handle the builder understands (a graph reference in the
/// generator, a tensor in the runtime), its dtype name and static shape (null: unknown rank; -1: unknown dimension).
/// </summary>
internal sealed class BuiltTensor(object handle, string dtype, long[]? shape)
{
    /// <summary>The builder's own handle; equal handles are the same tensor.</summary>
    public object Handle { get; } = handle;

    /// <summary>TensorFlow dtype name (<c>float</c>, <c>int32</c>, ...).</summary>
    public string DType { get; } = dtype;

    /// <summary>Static shape, or null when the rank is unknown.</summary>
    public long[]? Shape { get; } = shape;

    /// <summary>Whether every dimension is known.</summary>
    public bool IsFullyDefined
    {
        get
        {
            if (Shape is null) return false;
            foreach (long d in Shape) if (d < 0) return false;
            return true;
        }
    }

    /// <summary>The number of elements when the shape is fully known, else -1.</summary>
    public long ElementCount
    {
        get
        {
            if (!IsFullyDefined) return -1;
            long count = 1;
            foreach (long d in Shape!) count *= d;
            return count;
        }
    }
}

/// <summary>An attr a builder sets on a node: bool, long, double, string, long[] (list(int)) or a <see cref="TypeName"/>.</summary>
internal readonly struct BuiltAttr(string name, object value)
{
    public string Name { get; } = name;
    public object Value { get; } = value;
}

/// <summary>A dtype attr value (distinguishes <c>type</c> attrs from <c>string</c> ones).</summary>
internal sealed class TypeName(string name)
{
    public string Name { get; } = name;
    public override string ToString() => Name;
}

/// <summary>Raised when a rule or composite needs something its builder cannot give (a static shape, a constant), naming the op.</summary>
internal sealed class OpBuildException(string message) : Exception(message);

/// <summary>
/// Builds ops: <see cref="Emit"/> adds one op (type attrs inferred from the inputs, other attrs completed from the
/// schema's defaults) and returns all its outputs. The helpers below it are the vocabulary gradient rules and composite
/// ops are written in; they fold what static shapes decide and emit <c>Shape</c>-based ops only where shapes are unknown.
/// </summary>
internal abstract class OpBuilder
{
    /// <summary>Adds one op and returns its outputs (list outputs expanded).</summary>
    /// <param name="op">The op name, which must be in the catalogue.</param>
    /// <param name="inputs">For each input argument, its tensors (one, or a list).</param>
    /// <param name="attrs">Attrs other than those the inputs fix.</param>
    /// <param name="outputTypes">For each output argument, its dtype where no input fixes it (Cast's DstT), else null.</param>
    public abstract IReadOnlyList<BuiltTensor> Emit(string op, IReadOnlyList<BuiltTensor[]> inputs, IReadOnlyList<BuiltAttr> attrs, IReadOnlyList<string?>? outputTypes = null);

    /// <summary>A constant tensor of <paramref name="dtype"/> and <paramref name="dims"/> holding <paramref name="values"/>.</summary>
    public abstract BuiltTensor Constant(string dtype, long[] dims, double[] values);

    /// <summary>The values of <paramref name="tensor"/> when it is a small integer constant the builder knows, else null.</summary>
    public abstract long[]? IntValues(BuiltTensor tensor);

    // ---- Vocabulary -------------------------------------------------------------------------------------------

    /// <summary>One op with single-tensor inputs; its first output.</summary>
    public BuiltTensor Op(string op, params BuiltTensor[] inputs) => Op(op, inputs, Array.Empty<BuiltAttr>());

    /// <summary>One op with single-tensor inputs and attrs; its first output.</summary>
    public BuiltTensor Op(string op, BuiltTensor[] inputs, params BuiltAttr[] attrs)
    {
        var arguments = new BuiltTensor[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++) arguments[i] = new[] { inputs[i] };
        return Emit(op, arguments, attrs)[0];
    }

    public static BuiltAttr Attr(string name, object value) => new(name, value);

    public BuiltTensor Scalar(string dtype, double value) => Constant(dtype, Array.Empty<long>(), new[] { value });

    public BuiltTensor Int32s(params long[] values)
    {
        var doubles = new double[values.Length];
        for (int i = 0; i < values.Length; i++) doubles[i] = values[i];
        return Constant("int32", new long[] { values.Length }, doubles);
    }

    public BuiltTensor Add(BuiltTensor x, BuiltTensor y) => Op("AddV2", x, y);
    public BuiltTensor Sub(BuiltTensor x, BuiltTensor y) => Op("Sub", x, y);
    public BuiltTensor Mul(BuiltTensor x, BuiltTensor y) => Op("Mul", x, y);
    public BuiltTensor Div(BuiltTensor x, BuiltTensor y) => Op("RealDiv", x, y);
    public BuiltTensor Neg(BuiltTensor x) => Op("Neg", x);
    public BuiltTensor Mul(BuiltTensor x, double factor) => Mul(x, Scalar(x.DType, factor));

    /// <summary>Casts to <paramref name="dtype"/> (no node when it already is).</summary>
    public BuiltTensor Cast(BuiltTensor x, string dtype) =>
        x.DType == dtype ? x : Emit("Cast", new[] { new[] { x } }, Array.Empty<BuiltAttr>(), new string?[] { dtype })[0];

    /// <summary>A tensor of zeros shaped like <paramref name="x"/>.</summary>
    public BuiltTensor ZerosLike(BuiltTensor x) => Op("ZerosLike", x);

    /// <summary>The shape of <paramref name="x"/> as an int32 vector: a constant when static, else a <c>Shape</c> op.</summary>
    public BuiltTensor ShapeOf(BuiltTensor x) =>
        x.IsFullyDefined ? Int32s(x.Shape!) : Emit("Shape", new[] { new[] { x } }, Array.Empty<BuiltAttr>(), new string?[] { "int32" })[0];

    /// <summary>Sums <paramref name="x"/> over <paramref name="axes"/> (no node when there are none).</summary>
    public BuiltTensor Sum(BuiltTensor x, long[] axes, bool keepDims = false) =>
        axes.Length == 0 && !keepDims ? x : Op("Sum", new[] { x, Int32s(axes) }, Attr("keep_dims", keepDims));

    public BuiltTensor Reshape(BuiltTensor x, BuiltTensor shape) => Op("Reshape", x, shape);

    /// <summary>Reshapes to the static shape of <paramref name="like"/> (one unknown dimension allowed), else to its dynamic shape.</summary>
    public BuiltTensor ReshapeLike(BuiltTensor x, BuiltTensor like)
    {
        if (x.Shape is not null && like.Shape is not null && SameDims(x.Shape, like.Shape) && like.IsFullyDefined) return x;
        if (like.Shape is not null && CountUnknown(like.Shape) <= 1) return Reshape(x, Int32s(like.Shape));
        return Reshape(x, ShapeOf(like));
    }

    /// <summary>
    /// The gradient of a broadcasting binary op reduced to the shape of its operand <paramref name="x"/>: TensorFlow's
    /// <c>BroadcastGradientArgs</c> + <c>Sum</c> + <c>Reshape</c>, folded to nothing or to a static <c>Sum</c> where
    /// the shapes decide it.
    /// </summary>
    public BuiltTensor ReduceToShapeOf(BuiltTensor gradient, BuiltTensor x, BuiltTensor other)
    {
        long[]? g = gradient.Shape, xs = x.Shape, os = other.Shape;
        if (g is not null && xs is not null)
        {
            if (PassesThrough(g, xs, os)) return gradient;
            if (x.IsFullyDefined)
            {
                // Sum over the leading axes x lacks and the axes where x has size 1; summing a size-1 axis is harmless,
                // so an unknown gradient dimension there needs no run-time check.
                var axes = new List<long>();
                int lead = g.Length - xs.Length;
                for (int i = 0; i < g.Length; i++)
                    if (i < lead || (xs[i - lead] == 1 && g[i] != 1)) axes.Add(i);
                return ReshapeLike(Sum(gradient, axes.ToArray()), x);
            }
        }
        var shapes = Emit("BroadcastGradientArgs", new[] { new[] { ShapeOf(x) }, new[] { ShapeOf(other) } }, Array.Empty<BuiltAttr>());
        BuiltTensor summed = Op("Sum", new[] { gradient, shapes[0] }, Attr("keep_dims", false));
        return Reshape(summed, ShapeOf(x));
    }

    // The output equals x's shape dimension for dimension: each x dimension is the output's, or unknown where the
    // other operand cannot broadcast it (it lacks that axis or has size 1 there).
    private static bool PassesThrough(long[] gradient, long[] x, long[]? other)
    {
        if (gradient.Length != x.Length) return false;
        for (int i = 0; i < x.Length; i++)
        {
            if (x[i] >= 0 && x[i] == gradient[i]) continue;
            if (x[i] < 0 && other is not null)
            {
                int j = i - (x.Length - other.Length);
                if (j < 0 || other[j] == 1) continue;
            }
            return false;
        }
        return true;
    }

    private static bool SameDims(long[] a, long[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    private static int CountUnknown(long[] dims)
    {
        int count = 0;
        foreach (long d in dims) if (d < 0) count++;
        return count;
    }

    /// <summary>Normalizes axes against a rank (negative axes count from the end); null when the rank is unknown.</summary>
    public static long[]? NormalizeAxes(long[] axes, long[]? shape)
    {
        if (shape is null) return null;
        var result = new long[axes.Length];
        for (int i = 0; i < axes.Length; i++) result[i] = axes[i] < 0 ? axes[i] + shape.Length : axes[i];
        return result;
    }
}
