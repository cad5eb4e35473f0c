// Shared source: compiled into the runtime and linked into the generator and analyzers, so compile-time gradients
// (graph functions) and eager gradients (the tape) walk nodes and accumulate gradients the same way.
using System;
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>One op of the forward computation: its schema, attrs, inputs and outputs (list arguments flattened).</summary>
internal abstract class ForwardNode
{
    public abstract OpSchema Schema { get; }
    public abstract IReadOnlyList<BuiltTensor> Inputs { get; }
    public abstract IReadOnlyList<BuiltTensor> Outputs { get; }

    /// <summary>An attr: bool, long, double, string, long[] or <see cref="TypeName"/>; null when unset.</summary>
    public abstract object? Attr(string name);

    /// <summary>A name for messages (the node name in a graph, the op in eager mode).</summary>
    public abstract string Name { get; }

    /// <summary>The node's gradient rule: its op's, unless the node brings its own (a while loop's backward loop).</summary>
    public virtual GradientFunction? Gradient => Schema.Gradient;
}

/// <summary>What a gradient rule sees: the forward node, the gradients flowing into its outputs, and a builder.</summary>
internal sealed class GradientContext(ForwardNode node, BuiltTensor?[] outputGradients, OpBuilder builder)
{
    public ForwardNode Node { get; } = node;
    public OpBuilder B { get; } = builder;

    public BuiltTensor X(int input) => Node.Inputs[input];
    public BuiltTensor Y(int output = 0) => Node.Outputs[output];

    /// <summary>The gradient of the loss with respect to output <paramref name="output"/>: zeros when none reaches it.</summary>
    public BuiltTensor Dy(int output = 0) => outputGradients[output] ?? B.ZerosLike(Node.Outputs[output]);

    /// <summary>Whether any gradient reaches output <paramref name="output"/>.</summary>
    public bool HasDy(int output) => outputGradients[output] is not null;

    public bool Flag(string name) => Node.Attr(name) is true;
    public long Int(string name, long fallback = 0) => Node.Attr(name) is long value ? value : fallback;
    public double Float(string name, double fallback = 0) => Node.Attr(name) is double value ? value : fallback;
    public string? Text(string name) => Node.Attr(name) as string;
    public long[]? Ints(string name) => Node.Attr(name) as long[];

    /// <summary>The integer constant feeding input <paramref name="input"/>, or a build error naming the node.</summary>
    public long[] ConstantInput(int input, string what) =>
        B.IntValues(X(input)) ?? throw new OpBuildException($"the gradient of {Node.Schema.Name} node '{Node.Name}' needs {what} to be a constant");

    /// <summary>The static shape of <paramref name="tensor"/>, or a build error naming the node.</summary>
    public long[] StaticShape(BuiltTensor tensor, string what) =>
        tensor.Shape ?? throw new OpBuildException($"the gradient of {Node.Schema.Name} node '{Node.Name}' needs the rank of {what}");
}

/// <summary>
/// An op's gradient rule (TensorFlow's <c>RegisterGradient</c>): the gradient for each input, null where none flows
/// (integer inputs, indices, shapes).
/// </summary>
internal delegate BuiltTensor?[] GradientFunction(GradientContext context);

/// <summary>
/// Reverse-mode differentiation over a list of forward nodes in execution order, as TensorFlow's
/// <c>gradients_util</c> does: find the nodes between the sources and the target, visit them in reverse, call each
/// op's rule and sum the gradients reaching one tensor with <c>AddN</c>.
/// </summary>
internal static class Backpropagation
{
    /// <summary>
    /// The gradients of <paramref name="target"/> (summed over its elements, as <c>tf.gradients</c>) with respect to
    /// each of <paramref name="sources"/>; null where the target does not depend on a source.
    /// </summary>
    /// <param name="nodes">The forward ops in the order they ran (or were added).</param>
    /// <param name="target">The tensor differentiated.</param>
    /// <param name="sources">The tensors differentiated with respect to.</param>
    /// <param name="builder">Where the gradient ops go.</param>
    /// <param name="stoppedAt">When given, receives "op (node)" for each op TensorFlow does not differentiate at which a gradient stopped.</param>
    /// <exception cref="OpBuildException">An op on the path has no gradient rule, named with its node.</exception>
    public static BuiltTensor?[] Gradients(IReadOnlyList<ForwardNode> nodes, BuiltTensor target, IReadOnlyList<BuiltTensor> sources, OpBuilder builder,
        List<string>? stoppedAt = null) =>
        Gradients(nodes, new[] { (target, OnesLike(builder, target)) }, sources, builder, stoppedAt);

    /// <summary>
    /// The vector-Jacobian product: the gradient with respect to each of <paramref name="sources"/> of the sum over
    /// <paramref name="seeds"/> of each target times its seed (<c>tf.gradients(ys, xs, grad_ys)</c>); null where no
    /// target depends on a source. A source that is itself a target gets its seed too.
    /// </summary>
    public static BuiltTensor?[] Gradients(IReadOnlyList<ForwardNode> nodes, IReadOnlyList<(BuiltTensor Target, BuiltTensor Seed)> seeds, IReadOnlyList<BuiltTensor> sources,
        OpBuilder builder, List<string>? stoppedAt = null)
    {
        // Nodes reachable from the sources that the targets depend on.
        var fromSources = new HashSet<object>();
        foreach (var source in sources) fromSources.Add(source.Handle);
        var forward = new bool[nodes.Count];
        for (int n = 0; n < nodes.Count; n++)
        {
            foreach (var input in nodes[n].Inputs)
            {
                if (!fromSources.Contains(input.Handle)) continue;
                forward[n] = true;
                foreach (var output in nodes[n].Outputs) fromSources.Add(output.Handle);
                break;
            }
        }
        var needed = new HashSet<object>();
        foreach (var (target, _) in seeds) needed.Add(target.Handle);
        var onPath = new bool[nodes.Count];
        for (int n = nodes.Count - 1; n >= 0; n--)
        {
            if (!forward[n]) continue;
            foreach (var output in nodes[n].Outputs)
            {
                if (!needed.Contains(output.Handle)) continue;
                onPath[n] = true;
                break;
            }
            if (!onPath[n]) continue;
            foreach (var input in nodes[n].Inputs) needed.Add(input.Handle);
        }

        var pending = new Dictionary<object, List<BuiltTensor>>();
        foreach (var (target, seed) in seeds)
        {
            if (!pending.TryGetValue(target.Handle, out var list)) pending[target.Handle] = list = new List<BuiltTensor>();
            list.Add(seed);
        }
        for (int n = nodes.Count - 1; n >= 0; n--)
        {
            if (!onPath[n]) continue;
            var node = nodes[n];
            var outputGradients = new BuiltTensor?[node.Outputs.Count];
            bool any = false;
            for (int o = 0; o < outputGradients.Length; o++)
            {
                if (!pending.TryGetValue(node.Outputs[o].Handle, out var parts)) continue;
                outputGradients[o] = Sum(builder, parts);
                pending.Remove(node.Outputs[o].Handle);
                any = true;
            }
            if (!any) continue;
            if (!node.Schema.IsDifferentiable)
            {
                // TensorFlow returns None through ops registered NotDifferentiable (comparisons, integer results).
                stoppedAt?.Add($"{node.Schema.Name} ('{node.Name}')");
                continue;
            }
            GradientFunction rule = node.Gradient
                ?? throw new OpBuildException($"op {node.Schema.Name} (node '{node.Name}') has no gradient rule in StaticFlow yet; see docs/ops.md for the ops that have one");
            BuiltTensor?[] inputGradients = rule(new GradientContext(node, outputGradients, builder));
            for (int i = 0; i < node.Inputs.Count && i < inputGradients.Length; i++)
            {
                if (!IsFloating(node.Inputs[i].DType) && needed.Contains(node.Inputs[i].Handle) && fromSources.Contains(node.Inputs[i].Handle))
                    stoppedAt?.Add($"the {node.Inputs[i].DType} input of {node.Schema.Name} ('{node.Name}')");
                if (inputGradients[i] is not { } gradient || !IsFloating(node.Inputs[i].DType)) continue;
                object key = node.Inputs[i].Handle;
                if (!pending.TryGetValue(key, out var list)) pending[key] = list = new List<BuiltTensor>();
                list.Add(gradient);
            }
        }

        var result = new BuiltTensor?[sources.Count];
        for (int s = 0; s < sources.Count; s++)
            if (pending.TryGetValue(sources[s].Handle, out var parts)) result[s] = Sum(builder, parts);
        return result;
    }

    /// <summary>Float dtypes carry gradients; TensorFlow stops them at integer tensors.</summary>
    public static bool IsFloating(string dtype) => dtype is "float" or "double" or "half" or "bfloat16";

    private static BuiltTensor OnesLike(OpBuilder builder, BuiltTensor target) =>
        target.Shape is { Length: 0 } ? builder.Scalar(target.DType, 1) : builder.Op("OnesLike", target);

    private static BuiltTensor Sum(OpBuilder builder, List<BuiltTensor> parts)
    {
        if (parts.Count == 1) return parts[0];
        return builder.Emit("AddN", new[] { parts.ToArray() }, Array.Empty<BuiltAttr>())[0];
    }
}
