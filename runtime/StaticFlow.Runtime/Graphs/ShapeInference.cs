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
            var inferred = Infer(node, In, ConstInput) ?? [];
            for (int i = 0; i < result.Length && i < inferred.Length; i++) result[i] = inferred[i];
            if (result.Length > 0 && node.Op == "ReadVariableOp" && node.Inputs.Count == 1 && VariableShape(nodes[node.Inputs[0].Node]) is { } variable)
                result[0] = variable;
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

    /// <summary>The op's shape function (from its single definition) applied to the node; null shapes where unknown.</summary>
    private static TensorShape[]? Infer(GraphNode node, Func<int, TensorShape> input, Func<int, Tensor?> constant)
    {
        if (OpCatalog.StandardSchemas.GetValueOrDefault(node.Op) is not { Shape: { } shapeFunction } schema) return null;
        try
        {
            var shapes = shapeFunction(new NodeShapeContext(node, schema, input, constant));
            return [.. shapes.Select(dims => dims is null ? TensorShape.UnknownRank : SafeDims(dims))];
        }
        catch (ShapeMismatchException e)
        {
            throw new GraphException(node.Name, node.Op, e.Message);
        }
    }

    private static TensorShape SafeDims(long[] dims) =>
        dims.Length <= TensorShape.MaxRank && dims.All(d => d >= -1) ? new TensorShape(dims) : TensorShape.UnknownRank;

    private static TensorShape? SafeShape(TensorShapeProto proto)
    {
        try { return TensorShape.FromProto(proto); }
        catch (FormatException) { return null; }
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

    /// <summary>A node seen by its op's shape function: arguments mapped onto the node's flat inputs by the schema.</summary>
    private sealed class NodeShapeContext : ShapeContext
    {
        private readonly GraphNode _node;
        private readonly Func<int, TensorShape> _input;
        private readonly Func<int, Tensor?> _constant;
        private readonly int[] _argumentStart;
        private readonly int[] _argumentLength;

        public NodeShapeContext(GraphNode node, OpSchema schema, Func<int, TensorShape> input, Func<int, Tensor?> constant)
        {
            _node = node;
            _input = input;
            _constant = constant;
            _argumentStart = new int[schema.Inputs.Count];
            _argumentLength = new int[schema.Inputs.Count];
            int next = 0;
            for (int i = 0; i < schema.Inputs.Count; i++)
            {
                ArgSchema arg = schema.Inputs[i];
                long length = arg.NumberAttr is { } count ? Attr(count)?.I ?? 0 : arg.TypeListAttr is { } list ? Attr(list)?.List?.Type.Count ?? 0 : 1;
                _argumentStart[i] = next;
                _argumentLength[i] = (int)Math.Clamp(length, 0, Math.Max(0, node.Inputs.Count - next));
                next += _argumentLength[i];
            }
        }

        public override int ArgumentCount => _argumentStart.Length;

        public override int OutputCount => _node.OutputTypes.Count;

        public override int ListLength(int argument) => argument < _argumentLength.Length ? _argumentLength[argument] : 0;

        public override long[]? Shape(int argument, int item = 0)
        {
            if (argument >= _argumentStart.Length || item >= _argumentLength[argument]) return null;
            TensorShape shape = _input(_argumentStart[argument] + item);
            return shape.IsUnknownRank ? null : shape.Dims.ToArray();
        }

        public override long[]? Constant(int argument) =>
            argument < _argumentStart.Length && _argumentLength[argument] > 0 && _constant(_argumentStart[argument]) is { } tensor
                ? tensor.Cast(DType.Int64).ToArray<long>()
                : null;

        public override bool Flag(string name) => Attr(name)?.B ?? false;

        public override long Int(string name, long fallback = 0) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.I } value ? value.I : fallback;

        public override long[]? Ints(string name) => Attr(name)?.List is { } list ? [.. list.I] : null;

        public override string? Text(string name) => Attr(name) is { ValueCase: AttrValue.ValueOneofCase.S } value ? value.S.ToStringUtf8() : null;

        public override long[]? ShapeAttr(string name) =>
            Attr(name)?.Shape is { } proto && SafeShape(proto) is { IsUnknownRank: false } shape ? shape.Dims.ToArray() : null;

        public override long[]? TensorAttrShape(string name) =>
            Attr(name)?.Tensor?.TensorShape is { } proto && SafeShape(proto) is { IsUnknownRank: false } shape ? shape.Dims.ToArray() : null;

        private AttrValue? Attr(string name) => _node.Attrs.TryGetValue(name, out var value) ? value : null;
    }
}
