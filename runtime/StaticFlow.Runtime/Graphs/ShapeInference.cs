using StaticFlow.Operations;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Graphs;

/// <summary>
/// Static shape inference at import: each output's shape as far as the graph determines it (-1 for unknown
/// dimensions, unknown rank where nothing is known). Shapes that can never fit (MatMul inner dimensions,
/// broadcasting, reshape sizes) fail here, naming the node and both shapes, before anything runs.
/// </summary>
internal static class ShapeInference
{
    private static readonly HashSet<string> SameShape = new(StringComparer.Ordinal)
    {
        "Identity", "StopGradient", "Neg", "Abs", "Exp", "Log", "Sqrt", "Rsqrt", "Square", "Tanh", "Sigmoid", "Erf", "IsNan",
        "Relu", "Relu6", "Elu", "Selu", "Softplus", "LeakyRelu", "Softmax", "LogSoftmax", "Cast", "ZerosLike", "OnesLike",
        "LogicalNot", "BiasAdd", "PlaceholderWithDefault",
    };

    private static readonly HashSet<string> Broadcasting = new(StringComparer.Ordinal)
    {
        "Add", "AddV2", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "Maximum", "Minimum", "Pow", "SquaredDifference",
        "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
    };

    /// <summary>Infers every node's output shapes in topological order.</summary>
    public static TensorShape[][] Infer(IReadOnlyList<GraphNode> nodes, IReadOnlyList<int> order)
    {
        var shapes = new TensorShape[nodes.Count][];
        foreach (int n in order)
        {
            var node = nodes[n];
            TensorShape In(int i) => shapes[node.Inputs[i].Node][node.Inputs[i].Output];
            Tensor? ConstInput(int i) => ConstantOf(nodes[node.Inputs[i].Node]);
            var result = new TensorShape[node.OutputTypes.Count];
            Array.Fill(result, TensorShape.UnknownRank);
            if (result.Length > 0)
                result[0] = (node.Op == "ReadVariableOp" && node.Inputs.Count == 1 ? VariableShape(nodes[node.Inputs[0].Node]) : null)
                    ?? Infer(node, In, ConstInput) ?? TensorShape.UnknownRank;
            // TF1 graphs often carry TensorFlow's own inference in _output_shapes: use it where ours knows nothing.
            if (node.Attrs.TryGetValue("_output_shapes", out var recorded) && recorded.List?.Shape.Count == result.Length)
                for (int i = 0; i < result.Length; i++)
                    if (result[i].IsUnknownRank) result[i] = SafeShape(recorded.List.Shape[i]) ?? TensorShape.UnknownRank;
            shapes[n] = result;
        }
        return shapes;
    }

    /// <summary>The declared shape of the variable a resource handle refers to (what TensorFlow keeps as handle data).</summary>
    private static TensorShape? VariableShape(GraphNode handle) =>
        handle.Op == "VarHandleOp" && handle.Attrs.TryGetValue("shape", out var shape) && shape.Shape is { } s ? SafeShape(s) : null;

    private static TensorShape? Infer(GraphNode node, Func<int, TensorShape> input, Func<int, Tensor?> constant)
    {
        switch (node.Op)
        {
            case "Const":
                return node.Attr("value").Tensor?.TensorShape is { } proto ? SafeShape(proto) : null;
            case "Placeholder" or "VariableV2":
                return node.Attrs.TryGetValue("shape", out var shape) && shape.Shape is { } s ? SafeShape(s) : null;
            case var op when SameShape.Contains(op):
                return input(0);
            case var op when Broadcasting.Contains(op):
                return BroadcastPartial(node, input(0), input(1));
            case "MatMul":
                return MatMul(node, input(0), input(1));
            case "Reshape":
                return Reshape(node, input(0), constant(1));
            case "Shape":
                return input(0).IsUnknownRank ? new TensorShape(-1) : new TensorShape(input(0).Rank);
            case "Size" or "Rank":
                return TensorShape.Scalar;
            case "Transpose" when constant(1) is { } perm && !input(0).IsUnknownRank:
                long[] p = perm.Cast(DType.Int64).ToArray<long>();
                if (p.Length != input(0).Rank || p.Any(d => d < 0 || d >= p.Length))
                    throw new GraphException(node.Name, node.Op, $"perm [{string.Join(",", p)}] does not fit input of shape {input(0)}");
                return new TensorShape([.. p.Select(d => input(0)[(int)d])]);
            default:
                return null;
        }
    }

    private static TensorShape? SafeShape(TensorShapeProto proto)
    {
        try { return TensorShape.FromProto(proto); }
        catch (FormatException) { return null; }
    }

    /// <summary>Broadcasting with unknown dimensions: a known 1 takes the other side; two different known sizes (neither 1) fail.</summary>
    internal static TensorShape BroadcastPartial(GraphNode node, TensorShape a, TensorShape b) =>
        ShapeRules.TryBroadcast(Dims(a), Dims(b), out long[]? dims)
            ? FromDims(dims)
            : throw new GraphException(node.Name, node.Op, $"shapes {a} and {b} are incompatible for broadcasting");

    private static TensorShape? MatMul(GraphNode node, TensorShape a, TensorShape b) =>
        ShapeRules.TryMatMul(Dims(a), Dims(b), node.Attr("transpose_a").B, node.Attr("transpose_b").B, out long[]? dims, out string? problem)
            ? FromDims(dims)
            : throw new GraphException(node.Name, node.Op, problem!);

    private static long[]? Dims(TensorShape shape) => shape.IsUnknownRank ? null : shape.Dims.ToArray();

    private static TensorShape FromDims(long[]? dims) => dims is null ? TensorShape.UnknownRank : new TensorShape(dims);

    private static TensorShape? Reshape(GraphNode node, TensorShape input, Tensor? shape)
    {
        if (shape is null || shape.DType is not (DType.Int32 or DType.Int64)) return null;
        long[] dims = shape.Cast(DType.Int64).ToArray<long>();
        if (dims.Count(d => d == -1) > 1 || dims.Any(d => d < -1))
            throw new GraphException(node.Name, node.Op, $"shape [{string.Join(",", dims)}] is not a valid target shape");
        if (input.IsFullyDefined)
        {
            long known = dims.Where(d => d >= 0).Aggregate(1L, (x, y) => x * y);
            long count = input.ElementCount;
            int unknown = Array.IndexOf(dims, -1L);
            if (unknown >= 0 && known > 0 && count % known == 0) dims[unknown] = count / known;
            else if (unknown < 0 && known != count || unknown >= 0 && (known == 0 || count % known != 0))
                throw new GraphException(node.Name, node.Op, $"cannot reshape {input} ({count} elements) to [{string.Join(",", dims)}]");
        }
        return new TensorShape(dims);
    }

    /// <summary>The value of a small Const node (shape and axis arguments), or null.</summary>
    private static Tensor? ConstantOf(GraphNode node)
    {
        if (node.Op != "Const" || node.Attr("value").Tensor is not { } proto) return null;
        if (proto.Dtype is not (DataType.DtInt32 or DataType.DtInt64)) return null;
        try
        {
            var tensor = TensorProtos.FromProto(proto);
            return tensor.ElementCount <= 64 ? tensor : null;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException) { return null; }
    }
}
