using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Operations;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// Runs one op at a time for eager calls of graph functions (<see cref="Ops"/>): the op becomes a one-node graph
/// fed by placeholders, imported, placed and planned like any graph, so eager and graph results come from the same
/// kernels and checks. Plans are cached by op, attrs and input dtypes.
/// </summary>
internal static class EagerExecutor
{
    private sealed record CachedOp(GraphSession Session, string[] Feeds, string[] Fetches, OpSchema Schema, NodeDef Node);

    private static readonly ConcurrentDictionary<string, CachedOp> s_cache = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="op"/> and returns its outputs.</summary>
    /// <param name="op">The op name.</param>
    /// <param name="inputs">For each input argument of the op, the tensors given to it (one, or a list).</param>
    /// <param name="attrs">Attrs other than the type and count attrs, which are inferred from the inputs.</param>
    /// <param name="outputTypes">Output dtypes that no input fixes (Cast's DstT), or null.</param>
    public static Tensor[] Execute(string op, Tensor[][] inputs, (string Name, AttrValue Value)[] attrs, DType?[]? outputTypes = null)
    {
        var schema = OpCatalog.StandardSchemas.GetValueOrDefault(op) ?? throw new KernelNotFoundException(op, op, "the op is not in StaticFlow's catalogue");
        var key = new StringBuilder(op);
        foreach (Tensor[] argument in inputs)
        {
            key.Append('|');
            foreach (Tensor tensor in argument) key.Append((int)tensor.DType).Append(',');
        }
        foreach (var (name, value) in attrs) key.Append('|').Append(name).Append('=').Append(value.ToByteString().ToBase64());
        if (outputTypes is not null) foreach (DType? type in outputTypes) key.Append("|o").Append((int?)type);

        CachedOp cached = s_cache.GetOrAdd(key.ToString(), _ => Build(schema, inputs, attrs, outputTypes));
        var feeds = new Dictionary<string, Tensor>(cached.Feeds.Length, StringComparer.Ordinal);
        int index = 0;
        foreach (Tensor[] argument in inputs)
            foreach (Tensor tensor in argument)
                feeds[cached.Feeds[index++]] = tensor;
        Tensor[] outputs = [.. cached.Session.Run(feeds, cached.Fetches)];
        GradientTape.Record(cached.Schema, cached.Node, inputs, outputs);
        return outputs;
    }

    private static CachedOp Build(OpSchema schema, Tensor[][] inputs, (string Name, AttrValue Value)[] attrs, DType?[]? outputTypes)
    {
        var graph = new GraphDef { Versions = new VersionDef { Producer = GraphVersions.Producer } };
        var node = new NodeDef { Name = "op", Op = schema.Name };
        var feeds = new List<string>();
        foreach (Tensor[] argument in inputs)
        {
            foreach (Tensor tensor in argument)
            {
                string name = $"input{feeds.Count}";
                graph.Node.Add(new NodeDef { Name = name, Op = "Placeholder", Attr = { ["dtype"] = new AttrValue { Type = tensor.DType.ToProto() } } });
                node.Input.Add(name);
                feeds.Add(name + ":0");
            }
        }
        var inferred = schema.InferAttrs(
            [.. inputs.Select(a => (IReadOnlyList<string>)[.. a.Select(t => DTypeNames.Name((int)t.DType)!)])],
            outputTypes?.Select(t => t is { } d ? DTypeNames.Name((int)d) : null).ToArray());
        foreach (var (name, value) in inferred) node.Attr[name] = AttrValues.FromInferred(value);
        foreach (var (name, value) in attrs) node.Attr[name] = value;
        graph.Node.Add(node);
        var session = new GraphSession(GraphImporter.Import(graph));
        int outputs = session.Graph.Find("op")!.OutputTypes.Count;
        return new CachedOp(session, [.. feeds], [.. Enumerable.Range(0, outputs).Select(i => $"op:{i}")], schema, node);
    }
}

/// <summary>Builders of <see cref="AttrValue"/>s for eager attrs and inferred attrs.</summary>
internal static class AttrValues
{
    public static AttrValue Of(bool value) => new() { B = value };
    public static AttrValue Of(long value) => new() { I = value };
    public static AttrValue Of(float value) => new() { F = value };
    public static AttrValue Of(string value) => new() { S = ByteString.CopyFromUtf8(value) };
    public static AttrValue Of(DType value) => new() { Type = value.ToProto() };
    public static AttrValue Of(ReadOnlySpan<int> values)
    {
        var list = new AttrValue.Types.ListValue();
        foreach (int v in values) list.I.Add(v);
        return new AttrValue { List = list };
    }

    /// <summary>Converts a value of <see cref="OpSchema.InferAttrs"/>.</summary>
    public static AttrValue FromInferred(object value) => value switch
    {
        string dtype => new AttrValue { Type = (DataType)DTypeNames.EnumValue(dtype) },
        string[] dtypes => new AttrValue { List = new AttrValue.Types.ListValue { Type = { dtypes.Select(d => (DataType)DTypeNames.EnumValue(d)) } } },
        long count => new AttrValue { I = count },
        _ => throw new ArgumentException($"unexpected inferred attr value {value}"),
    };
}

/// <summary>The GraphDef versions StaticFlow writes.</summary>
public static class GraphVersions
{
    /// <summary>
    /// <c>versions.producer</c> of the graphs StaticFlow builds: 149, the GraphDef version TensorFlow 1.14 wrote into
    /// the shared half_plus_two model. TensorFlow only refuses producers below its minimum (0 up to today), so a
    /// conservative producer asks for no newer graph semantics while every 1.x and 2.x still loads the graph.
    /// </summary>
    public const int Producer = 149;
}
