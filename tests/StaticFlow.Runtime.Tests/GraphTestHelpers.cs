using Google.Protobuf;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>Builds small GraphDefs and runs single ops through the real importer, registry and session.</summary>
internal static class G
{
    public static AttrValue Type(DType t) => new() { Type = t.ToProto() };
    public static AttrValue Int(long i) => new() { I = i };
    public static AttrValue Bool(bool b) => new() { B = b };
    public static AttrValue Float(float f) => new() { F = f };
    public static AttrValue Str(string s) => new() { S = ByteString.CopyFromUtf8(s) };
    public static AttrValue Ints(params long[] values) => new() { List = new AttrValue.Types.ListValue { I = { values } } };
    public static AttrValue Types(params DType[] types) => new() { List = new AttrValue.Types.ListValue { Type = { types.Select(t => t.ToProto()) } } };
    public static AttrValue Shape(params long[] dims) => new() { Shape = new TensorShape(dims).ToProto() };
    public static AttrValue Func(string name) => new() { Func = new NameAttrList { Name = name } };
    public static AttrValue TypeList(params DataType[] types) => new() { List = new AttrValue.Types.ListValue { Type = { types } } };

    /// <summary>A library function: its signature's arguments, its results by output name, and its body.</summary>
    public static FunctionDef Function(string name, (string Name, DataType Type)[] inputs, (string Name, DataType Type)[] outputs, Dictionary<string, string> returns,
        params NodeDef[] body)
    {
        var signature = new OpDef { Name = name };
        signature.InputArg.Add(inputs.Select(i => new OpDef.Types.ArgDef { Name = i.Name, Type = i.Type }));
        signature.OutputArg.Add(outputs.Select(o => new OpDef.Types.ArgDef { Name = o.Name, Type = o.Type }));
        var function = new FunctionDef { Signature = signature };
        function.NodeDef.Add(body);
        foreach (var (key, value) in returns) function.Ret[key] = value;
        return function;
    }

    public static NodeDef Node(string name, string op, string[]? inputs = null, params (string Key, AttrValue Value)[] attrs)
    {
        var node = new NodeDef { Name = name, Op = op };
        node.Input.Add(inputs ?? []);
        foreach (var (key, value) in attrs) node.Attr[key] = value;
        return node;
    }

    public static NodeDef Const(string name, Tensor value) =>
        Node(name, "Const", null, ("dtype", Type(value.DType)), ("value", new AttrValue { Tensor = value.ToProto() }));

    /// <summary>A 1-D string tensor of the UTF-8 bytes of <paramref name="values"/>.</summary>
    public static Tensor Strings(params string[] values) => Tensor.FromStrings([.. values.Select(System.Text.Encoding.UTF8.GetBytes)], values.Length);

    public static NodeDef Placeholder(string name, DType dtype) => Node(name, "Placeholder", null, ("dtype", Type(dtype)));

    public static GraphDef Graph(params NodeDef[] nodes)
    {
        var graph = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        graph.Node.Add(nodes);
        return graph;
    }

    /// <summary>Runs one op on the given inputs (fed through placeholders) and returns all its outputs.</summary>
    public static Tensor[] RunOp(string op, Tensor[] inputs, params (string Key, AttrValue Value)[] attrs) => RunOp(op, inputs, outputs: 1, attrs);

    public static Tensor[] RunOp(string op, Tensor[] inputs, int outputs, params (string Key, AttrValue Value)[] attrs)
    {
        var nodes = inputs.Select((t, i) => Placeholder($"in{i}", t.DType)).ToList();
        nodes.Add(Node("op", op, [.. inputs.Select((_, i) => $"in{i}")], attrs));
        var session = new GraphSession(GraphImporter.Import(Graph([.. nodes])));
        var feeds = inputs.Select((t, i) => ($"in{i}:0", t)).ToDictionary(p => p.Item1, p => p.t);
        return [.. session.Run(feeds, [.. Enumerable.Range(0, outputs).Select(i => $"op:{i}")])];
    }

    public static Tensor RunOne(string op, Tensor[] inputs, params (string Key, AttrValue Value)[] attrs) => RunOp(op, inputs, attrs)[0];
}
