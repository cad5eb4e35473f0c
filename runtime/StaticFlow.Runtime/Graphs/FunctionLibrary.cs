using System.Collections.Concurrent;
using System.Globalization;
using StaticFlow.Operations;
using StaticFlow.Protos;

namespace StaticFlow.Graphs;

/// <summary>A library function turned into a graph: <c>_Arg</c> nodes for its inputs, <c>_Retval</c> nodes for its outputs.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="Graph">Its body.</param>
/// <param name="Signature">Its signature.</param>
/// <param name="ArgNodes">Node index of each input.</param>
/// <param name="RetvalNodes">Node index of each output.</param>
/// <param name="ControlOutputs">Nodes that must run whenever the function runs (side effects).</param>
public sealed record FunctionGraph(string Name, Graph Graph, OpDef Signature, IReadOnlyList<int> ArgNodes, IReadOnlyList<int> RetvalNodes, IReadOnlyList<int> ControlOutputs);

/// <summary>
/// The functions of a graph's <c>library</c>, instantiated as graphs on first use. Body inputs in TensorFlow's
/// function format (<c>node:output_arg:index</c>) are rewritten to plain output indices.
/// </summary>
public sealed class FunctionLibrary
{
    private readonly Dictionary<string, FunctionDef> _functions;
    private readonly ConcurrentDictionary<string, Lazy<FunctionGraph>> _instances = new(StringComparer.Ordinal);

    internal FunctionLibrary(FunctionDefLibrary library, OpCatalog catalog)
    {
        _functions = new Dictionary<string, FunctionDef>(StringComparer.Ordinal);
        foreach (var function in library.Function)
            if (function.Signature is null || function.Signature.Name.Length == 0)
                throw new GraphException(null, null, "the function library holds a function without a signature or name");
            else if (!_functions.TryAdd(function.Signature.Name, function))
                throw new GraphException(null, null, $"the function library defines '{function.Signature.Name}' twice");
        Catalog = catalog.With(_functions.Values.Select(f => f.Signature));
    }

    /// <summary>Op schemas plus the signature of every library function (a node may call a function by name).</summary>
    public OpCatalog Catalog { get; }

    /// <summary>Names of the library's functions.</summary>
    public IEnumerable<string> Names => _functions.Keys;

    /// <summary>True when <paramref name="name"/> is a library function.</summary>
    public bool Contains(string name) => _functions.ContainsKey(name);

    internal OpDef? FindOp(string name) => Catalog.Find(name);

    /// <summary>
    /// The function <paramref name="name"/> as a validated graph, or, when it is one implementation of an interface
    /// meant for another device (see <see cref="ImplementationFor"/>), its CPU implementation.
    /// </summary>
    /// <exception cref="GraphException">No such function, or its body is invalid.</exception>
    public FunctionGraph Instantiate(string name) =>
        _instances.GetOrAdd(name, n => new Lazy<FunctionGraph>(() => Build(ImplementationFor(n)))).Value;

    /// <summary>
    /// The function a call of <paramref name="name"/> runs on this CPU runtime, as TensorFlow's implementation selector
    /// chooses (grappler's implementation_selector.cc): a function carrying <c>api_implements</c> with an
    /// <c>api_preferred_device</c> other than CPU (Keras' CuDNN LSTM and GRU) is replaced by the library function that
    /// implements the same interface for the CPU with the same signature (Keras' <c>standard_lstm</c>); otherwise it is
    /// <paramref name="name"/> itself.
    /// </summary>
    public string ImplementationFor(string name)
    {
        if (!_functions.TryGetValue(name, out var function) || Text(function, "api_implements") is not { Length: > 0 } api) return name;
        if (Text(function, "api_preferred_device") is not { Length: > 0 } device || device.Equals("CPU", StringComparison.OrdinalIgnoreCase)) return name;
        foreach (var (candidate, other) in _functions)
            if (Text(other, "api_implements") == api && string.Equals(Text(other, "api_preferred_device"), "CPU", StringComparison.OrdinalIgnoreCase)
                && SameSignature(function.Signature, other.Signature))
                return candidate;
        return name;
    }

    private static string? Text(FunctionDef function, string attr) =>
        function.Attr.TryGetValue(attr, out var value) && value.ValueCase == AttrValue.ValueOneofCase.S ? value.S.ToStringUtf8() : null;

    private static bool SameSignature(OpDef a, OpDef b) =>
        a.InputArg.Select(x => x.Type).SequenceEqual(b.InputArg.Select(x => x.Type)) && a.OutputArg.Select(x => x.Type).SequenceEqual(b.OutputArg.Select(x => x.Type));

    private FunctionGraph Build(string name)
    {
        if (!_functions.TryGetValue(name, out var function))
            throw new GraphException(null, null, $"the graph calls function '{name}', which its library does not define");
        try
        {
            return Lower(function);
        }
        catch (GraphException e)
        {
            throw new GraphException(e.NodeName, e.Op, $"{e.Reason} (in function '{name}')", e);
        }
    }

    private FunctionGraph Lower(FunctionDef function)
    {
        OpDef signature = function.Signature;
        var graphDef = new GraphDef { Library = new FunctionDefLibrary() };
        var argNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < signature.InputArg.Count; i++)
        {
            var arg = signature.InputArg[i];
            if (arg.NumberAttr.Length > 0 || arg.TypeListAttr.Length > 0 || arg.TypeAttr.Length > 0)
                throw new GraphException(arg.Name, "_Arg", "function arguments with attr-dependent types need instantiation, which StaticFlow does not do yet");
            argNames.Add(arg.Name);
            graphDef.Node.Add(new NodeDef
            {
                Name = arg.Name,
                Op = "_Arg",
                Attr = { ["T"] = new AttrValue { Type = arg.Type }, ["index"] = new AttrValue { I = i } },
            });
        }

        var bodyByName = new Dictionary<string, NodeDef>(StringComparer.Ordinal);
        foreach (var node in function.NodeDef)
            if (!bodyByName.TryAdd(node.Name, node) || argNames.Contains(node.Name))
                throw new GraphException(node.Name, node.Op, "duplicate node name");
        foreach (var node in function.NodeDef)
        {
            var copy = node.Clone();
            copy.Input.Clear();
            foreach (string input in node.Input) copy.Input.Add(RewriteInput(input, bodyByName, argNames, node.Name));
            graphDef.Node.Add(copy);
        }

        for (int i = 0; i < signature.OutputArg.Count; i++)
        {
            var arg = signature.OutputArg[i];
            if (!function.Ret.TryGetValue(arg.Name, out string? source))
                throw new GraphException(arg.Name, "_Retval", $"output '{arg.Name}' has no entry in the function's ret map");
            graphDef.Node.Add(new NodeDef
            {
                Name = "_retval_" + arg.Name,
                Op = "_Retval",
                Input = { RewriteInput(source, bodyByName, argNames, arg.Name) },
                Attr = { ["T"] = new AttrValue { Type = arg.Type }, ["index"] = new AttrValue { I = i } },
            });
        }

        Graph graph = GraphImporter.Build(graphDef, this);
        var controlOutputs = function.ControlRet.Values.Select(n => graph.Find(n)?.Index
            ?? throw new GraphException(n, null, "named in control_ret but not in the function body")).ToList();
        return new FunctionGraph(signature.Name, graph, signature,
            [.. signature.InputArg.Select(a => graph.Find(a.Name)!.Index)],
            [.. signature.OutputArg.Select(a => graph.Find("_retval_" + a.Name)!.Index)],
            controlOutputs);
    }

    /// <summary>Rewrites <c>arg</c>, <c>node:out_arg:i</c> and <c>^node</c> into graph form.</summary>
    private string RewriteInput(string input, Dictionary<string, NodeDef> body, HashSet<string> args, string consumer)
    {
        if (input.StartsWith('^')) return input;
        string[] parts = input.Split(':');
        if (parts.Length == 1)
        {
            if (args.Contains(input)) return input;
            throw new GraphException(consumer, null, $"input '{input}' is neither a function argument nor node:output_arg:index");
        }
        if (parts.Length == 2 && args.Contains(parts[0])) return input;
        if (parts.Length != 3 || !body.TryGetValue(parts[0], out var producer) ||
            !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int element))
            throw new GraphException(consumer, null, $"input '{input}' is not of the form node:output_arg:index");
        OpDef op = FindOp(producer.Op) ?? throw new KernelNotFoundException(producer.Name, producer.Op, $"unknown op '{producer.Op}'");
        var attrs = new Dictionary<string, AttrValue>(producer.Attr, StringComparer.Ordinal);
        foreach (var attrDef in op.Attr)
            if (!attrs.ContainsKey(attrDef.Name) && attrDef.DefaultValue is not null) attrs[attrDef.Name] = attrDef.DefaultValue;
        (int Start, int Count)? range;
        try { range = ArgTypes.OutputRange(op, parts[1], attrs); }
        catch (FormatException e) { throw new GraphException(producer.Name, producer.Op, e.Message, e); }
        if (range is not { } r || element >= r.Count)
            throw new GraphException(consumer, null, $"input '{input}': {producer.Op} has no output '{parts[1]}' with index {element}");
        return string.Create(CultureInfo.InvariantCulture, $"{parts[0]}:{r.Start + element}");
    }
}
