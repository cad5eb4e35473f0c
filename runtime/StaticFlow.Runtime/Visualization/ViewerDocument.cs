using System.Globalization;
using System.Text;
using System.Text.Json;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Records;
using StaticFlow.Graphs;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;
using StaticFlow.Tensors;

namespace StaticFlow.Visualization;

/// <summary>What the viewer shows of one source: its graph, its signatures and, where known, its variables' values.</summary>
/// <param name="Label">A short name for the pane.</param>
/// <param name="Graph">The graph (with its function library).</param>
/// <param name="Signatures">The SavedModel's signatures, or none.</param>
/// <param name="Variables">A reader of the variables' values, or null.</param>
public sealed record ViewerSource(string Label, GraphDef Graph, IReadOnlyDictionary<string, SignatureDef> Signatures, CheckpointReader? Variables)
{
    /// <summary>
    /// Reads <paramref name="path"/>: a SavedModel directory (or a TensorFlow Serving base directory), a GraphDef
    /// file (binary or text), a TensorBoard log directory (the newest graph in its event files), or a checkpoint
    /// (a prefix, its <c>.index</c> or data file, or a directory with a <c>checkpoint</c> file: its variables as nodes).
    /// </summary>
    /// <exception cref="StaticFlowFormatException">The path is none of these, or is damaged.</exception>
    public static ViewerSource Load(string path, string[]? tags = null)
    {
        string full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        string label = System.IO.Path.GetFileName(full);
        // A TensorFlow Serving version folder ("model/1") is named by its model.
        if (label.All(char.IsAsciiDigit) && System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(full)) is { Length: > 0 } parent) label = parent + "/" + label;
        if (Directory.Exists(path))
        {
            string? model = File.Exists(System.IO.Path.Combine(path, SavedModelDirectory.ProtoFileName)) || File.Exists(System.IO.Path.Combine(path, SavedModelDirectory.TextProtoFileName))
                ? path
                : ServingVersions.Latest(path);
            if (model is not null)
            {
                var directory = SavedModelDirectory.Open(model);
                var meta = directory.GetMetaGraph(tags ?? [SavedModelDirectory.ServeTag]);
                var reader = directory.HasVariables ? CheckpointReader.Open(directory.VariablesPrefix) : null;
                return new ViewerSource(label, meta.GraphDef, meta.SignatureDef, reader);
            }
            if (EventFileReader.Files(path) is { Count: > 0 } files)
            {
                var cutShort = new List<RecordTruncation>();
                foreach (string file in files.Reverse())
                {
                    GraphDef? graph = null;
                    foreach (var e in EventFileReader.Read(file, cutShort.Add))
                    {
                        if (e.GraphDef.Length > 0) graph = GraphDef.Parser.ParseFrom(e.GraphDef);
                        else if (e.MetaGraphDef.Length > 0) graph = MetaGraphDef.Parser.ParseFrom(e.MetaGraphDef).GraphDef;
                    }
                    if (graph is not null) return new ViewerSource(label, graph, new Dictionary<string, SignatureDef>(), null);
                }
                throw new StaticFlowFormatException(path, cutShort.Count == 0
                    ? "no event file in this log directory holds a graph"
                    : $"no event file in this log directory holds a complete graph, and {string.Join("; ", cutShort)} (the writer was stopped, or is still writing)");
            }
        }
        // Any other file is a GraphDef (binary or text), unless it is part of a checkpoint bundle.
        string name = System.IO.Path.GetFileName(path);
        if (File.Exists(path) && !name.EndsWith(".index", StringComparison.Ordinal) && !name.Contains(".data-", StringComparison.Ordinal))
            return new ViewerSource(label, GraphDefFile.Read(path), new Dictionary<string, SignatureDef>(), null);
        if (!File.Exists(path) && !Directory.Exists(path) && !File.Exists(path + ".index"))
            throw new StaticFlowFormatException(path, "not a SavedModel, GraphDef file, log directory or checkpoint (nothing is there)");
        CheckpointReader checkpoint;
        try { checkpoint = CheckpointReader.Open(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StaticFlowFormatException(path, "not a SavedModel, GraphDef file, log directory or checkpoint", e);
        }
        return new ViewerSource(label, CheckpointGraph(checkpoint), new Dictionary<string, SignatureDef>(), checkpoint);
    }

    /// <summary>A checkpoint's variables as a graph of variable nodes (object paths for TF2 checkpoints), so scopes group them.</summary>
    private static GraphDef CheckpointGraph(CheckpointReader checkpoint)
    {
        var graph = new GraphDef();
        var names = checkpoint.IsObjectBased
            ? checkpoint.ObjectValues.Where(v => v.Attribute == ObjectGraph.VariableValue).Select(v => (Name: v.ObjectPath, Key: v.CheckpointKey))
            : checkpoint.ListVariables().Select(v => (Name: v.Name, Key: v.Name));
        foreach (var (name, key) in names.OrderBy(n => n.Name, StringComparer.Ordinal))
        {
            var info = checkpoint.Bundle.List().First(v => v.Name == key);
            graph.Node.Add(new NodeDef
            {
                Name = name, Op = "VariableV2",
                Attr = { ["dtype"] = new AttrValue { Type = info.DataType }, ["shape"] = new AttrValue { Shape = info.Shape.ToProto() }, ["shared_name"] = new AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8(name) } },
            });
        }
        return graph;
    }
}

/// <summary>
/// The JSON document the viewer page reads: for each graph its nodes (op, device, inputs, attrs as text, output
/// dtypes and shapes from shape inference, variable value summaries), its library functions and its signatures.
/// </summary>
public static class ViewerDocument
{
    private const int MaxAttrText = 240;

    /// <summary>The document for one graph, or two (a diff: the first is the old side).</summary>
    public static string ToJson(string title, IReadOnlyList<ViewerSource> sources)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("title", title);
            json.WriteStartArray("graphs");
            foreach (var source in sources) WriteGraph(json, source);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteGraph(Utf8JsonWriter json, ViewerSource source)
    {
        var functions = new Dictionary<string, FunctionDef>(StringComparer.Ordinal);
        foreach (var function in source.Graph.Library?.Function ?? [])
        {
            // TensorFlow refuses both when it builds its function library.
            if (function.Signature is not { Name.Length: > 0 } signature)
                throw new StaticFlowFormatException(source.Label, $"function {functions.Count} of the library has no signature name");
            if (!functions.TryAdd(signature.Name, function))
                throw new StaticFlowFormatException(source.Label, $"the function library defines '{signature.Name}' twice");
        }
        IReadOnlyDictionary<string, GraphNode>? inferred = null;
        try { inferred = GraphImporter.Import(source.Graph).Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal); }
        catch (Exception e) when (e is GraphException or StaticFlowFormatException or FormatException) { }

        json.WriteStartObject();
        json.WriteString("label", source.Label);
        json.WriteStartArray("nodes");
        foreach (var node in source.Graph.Node)
        {
            json.WriteStartObject();
            WriteNodeCore(json, node);
            WriteCalledFunctions(json, node, functions);
            if (inferred?.GetValueOrDefault(node.Name) is { } graphNode)
            {
                json.WriteStartArray("outputs");
                for (int i = 0; i < graphNode.OutputTypes.Count; i++)
                {
                    json.WriteStartObject();
                    json.WriteString("dtype", DTypes.ProtoName(graphNode.OutputTypes[i]));
                    json.WriteString("shape", i < graphNode.OutputShapes.Count ? graphNode.OutputShapes[i].ToString() : "<unknown>");
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            if (node.Op is "VarHandleOp" or "VariableV2" or "Variable" && source.Variables is { } reader) WriteVariable(json, node, reader);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("functions");
        foreach (var (name, function) in functions)
        {
            json.WriteStartObject(name);
            json.WriteStartArray("nodes");
            foreach (var arg in function.Signature.InputArg)
            {
                json.WriteStartObject();
                json.WriteString("name", arg.Name);
                json.WriteString("op", "_Arg");
                json.WriteStartArray("inputs");
                json.WriteEndArray();
                json.WriteStartObject("attrs");
                json.WriteString("T", arg.Type != DataType.DtInvalid ? DTypes.ProtoName(arg.Type) : arg.TypeAttr);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            foreach (var node in function.NodeDef)
            {
                json.WriteStartObject();
                WriteNodeCore(json, node);
                WriteCalledFunctions(json, node, functions);
                json.WriteEndObject();
            }
            foreach (var (key, value) in function.Ret.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("name", "return:" + key);
                json.WriteString("op", "_Retval");
                json.WriteStartArray("inputs");
                json.WriteStringValue(value);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndObject();

        json.WriteStartArray("signatures");
        foreach (var (key, signature) in source.Signatures.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WriteString("method", signature.MethodName);
            WriteTensorInfos(json, "inputs", signature.Inputs);
            WriteTensorInfos(json, "outputs", signature.Outputs);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteNodeCore(Utf8JsonWriter json, NodeDef node)
    {
        json.WriteString("name", node.Name);
        json.WriteString("op", node.Op);
        if (node.Device.Length > 0) json.WriteString("device", node.Device);
        json.WriteStartArray("inputs");
        foreach (string input in node.Input) json.WriteStringValue(input);
        json.WriteEndArray();
        json.WriteStartObject("attrs");
        foreach (var (name, value) in node.Attr.OrderBy(a => a.Key, StringComparer.Ordinal))
            if (!name.StartsWith("_output_shapes", StringComparison.Ordinal)) json.WriteString(name, AttrText(value));
        json.WriteEndObject();
    }

    private static void WriteCalledFunctions(Utf8JsonWriter json, NodeDef node, IReadOnlyDictionary<string, FunctionDef> functions)
    {
        if (CalledFunctions(node, functions) is not { Count: > 0 } called) return;
        json.WriteString("function", called[0]);
        json.WriteStartArray("functions");
        foreach (string name in called) json.WriteStringValue(name);
        json.WriteEndArray();
    }

    /// <summary>
    /// The library functions a node runs: an op named after a function, a call's <c>f</c>, both branches of an
    /// If, the condition and body of a While.
    /// </summary>
    private static List<string> CalledFunctions(NodeDef node, IReadOnlyDictionary<string, FunctionDef> functions)
    {
        var called = new List<string>();
        if (functions.ContainsKey(node.Op)) called.Add(node.Op);
        foreach (string attr in new[] { "f", "then_branch", "else_branch", "cond", "body" })
            if (node.Attr.TryGetValue(attr, out var value) && value.Func is { } func && functions.ContainsKey(func.Name) && !called.Contains(func.Name))
                called.Add(func.Name);
        return called;
    }

    private static void WriteVariable(Utf8JsonWriter json, NodeDef node, CheckpointReader reader)
    {
        string key = node.Attr.TryGetValue("shared_name", out var shared) && shared.S.Length > 0 ? shared.S.ToStringUtf8() : node.Name;
        if (!reader.Contains(key)) key = node.Name;
        if (!reader.Contains(key)) return;
        Tensor value;
        try { value = reader.Read(key); }
        catch (Exception e) when (e is StaticFlowFormatException or FormatException or ArgumentException)
        {
            // A value that fails its checksum or does not decode is shown as corrupt, with the reason, never dropped.
            json.WriteStartObject("variable");
            var entry = reader.Bundle.Contains(key) ? reader.Bundle.GetEntry(key) : null;
            json.WriteString("dtype", entry is null ? "?" : DTypes.DisplayName(entry.Dtype));
            json.WriteString("shape", entry?.Shape is null ? "?" : TensorShapeText(entry.Shape));
            json.WriteString("summary", $"corrupt: {e.Message}");
            json.WriteBoolean("corrupt", true);
            json.WriteEndObject();
            return;
        }
        json.WriteStartObject("variable");
        json.WriteString("dtype", value.DType.Name());
        json.WriteString("shape", value.Shape.ToString());
        json.WriteString("summary", Summarize(value));
        json.WriteEndObject();
    }

    /// <summary>min, max and mean of a numeric tensor and its first values, as the details panel prints them.</summary>
    internal static string Summarize(Tensor value)
    {
        if (value.DType == DType.String) return $"{value.ElementCount} strings";
        if (value.ElementCount == 0) return "empty";
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
        for (long i = 0; i < value.ElementCount; i++)
        {
            double v = value.GetDouble(i);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
        }
        var first = Enumerable.Range(0, (int)Math.Min(6, value.ElementCount)).Select(i => value.GetDouble(i).ToString("G6", CultureInfo.InvariantCulture));
        return string.Create(CultureInfo.InvariantCulture,
            $"min {min:G6}, max {max:G6}, mean {sum / value.ElementCount:G6}; first [{string.Join(", ", first)}{(value.ElementCount > 6 ? ", ..." : "")}]");
    }

    private static void WriteTensorInfos(Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, TensorInfo>> infos)
    {
        json.WriteStartArray(name);
        foreach (var (key, info) in infos.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("key", key);
            json.WriteString("tensor", info.Name);
            json.WriteString("dtype", DTypes.ProtoName(info.Dtype));
            json.WriteString("shape", info.TensorShape is null ? "<unknown>" : TensorShapeText(info.TensorShape));
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static string TensorShapeText(TensorShapeProto shape)
    {
        try { return TensorShape.FromProto(shape).ToString(); }
        catch (FormatException) { return "<invalid>"; }
    }

    /// <summary>An attr value as one short line: <c>float</c>, <c>[?,5]</c>, <c>"NHWC"</c>, <c>float32[3] {1, 2, 3}</c>.</summary>
    internal static string AttrText(AttrValue value)
    {
        string text = value.ValueCase switch
        {
            AttrValue.ValueOneofCase.S => BytesText(value.S.Span),
            AttrValue.ValueOneofCase.I => value.I.ToString(CultureInfo.InvariantCulture),
            AttrValue.ValueOneofCase.F => value.F.ToString("G7", CultureInfo.InvariantCulture),
            AttrValue.ValueOneofCase.B => value.B ? "true" : "false",
            AttrValue.ValueOneofCase.Type => DTypes.ProtoName(value.Type),
            AttrValue.ValueOneofCase.Shape => TensorShapeText(value.Shape),
            AttrValue.ValueOneofCase.Tensor => TensorText(value.Tensor),
            AttrValue.ValueOneofCase.Func => value.Func.Name,
            AttrValue.ValueOneofCase.Placeholder => "$" + value.Placeholder,
            AttrValue.ValueOneofCase.List => "[" + string.Join(", ",
                value.List.S.Select(s => BytesText(s.Span))
                    .Concat(value.List.I.Select(i => i.ToString(CultureInfo.InvariantCulture)))
                    .Concat(value.List.F.Select(f => f.ToString("G7", CultureInfo.InvariantCulture)))
                    .Concat(value.List.B.Select(b => b ? "true" : "false"))
                    .Concat(value.List.Type.Select(DTypes.ProtoName))
                    .Concat(value.List.Shape.Select(TensorShapeText))
                    .Concat(value.List.Func.Select(f => f.Name))) + "]",
            _ => "",
        };
        return text.Length > MaxAttrText ? text[..MaxAttrText] + "..." : text;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A string attr as quoted text, or its size when it is binary (a serialized ConfigProto, for example).</summary>
    private static string BytesText(ReadOnlySpan<byte> bytes)
    {
        try
        {
            string text = StrictUtf8.GetString(bytes);
            if (!text.Any(c => char.IsControl(c) && c is not ('\n' or '\t'))) return "\"" + text + "\"";
        }
        catch (DecoderFallbackException) { }
        return $"<{bytes.Length} bytes>";
    }

    // Attr tensors larger than this are described, not decoded: a few bytes of proto can declare a splat of gigabytes.
    private const long MaxDecodedAttrElements = 1 << 20;

    private static string TensorText(TensorProto proto)
    {
        try
        {
            if (proto.TensorShape is { } protoShape && TensorShape.FromProto(protoShape) is var shape
                && (!shape.TryGetElementCount(out long count) || count > MaxDecodedAttrElements))
                return $"{DTypes.DisplayName(proto.Dtype)}{shape} {{not shown: over {MaxDecodedAttrElements} elements}}";
            var tensor = TensorProtos.FromProto(proto, "attr");
            string head = $"{tensor.DType.Name()}{tensor.Shape}";
            if (tensor.DType == DType.String)
                return head + " {" + string.Join(", ", tensor.Strings.ToArray().Take(4).Select(s => "\"" + Encoding.UTF8.GetString(s) + "\"")) + (tensor.ElementCount > 4 ? ", ...}" : "}");
            var values = Enumerable.Range(0, (int)Math.Min(8, tensor.ElementCount)).Select(i => tensor.GetDouble(i).ToString("G6", CultureInfo.InvariantCulture));
            return head + " {" + string.Join(", ", values) + (tensor.ElementCount > 8 ? ", ...}" : "}");
        }
        catch (Exception e) when (e is StaticFlowFormatException or FormatException or ArgumentException)
        {
            return $"<invalid tensor: {e.Message}>";
        }
    }
}

/// <summary>The viewer as one self-contained HTML page: our script and dagre (bundled from npm), styles and the data inline.</summary>
public static class ViewerPage
{
    /// <summary>The page for <paramref name="sources"/> (two make a side-by-side diff).</summary>
    public static string Render(string title, IReadOnlyList<ViewerSource> sources)
    {
        string data = ViewerDocument.ToJson(title, sources).Replace("</", "<\\/", StringComparison.Ordinal);
        string graphCss = Resource("graph.css");
        return $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="StaticFlow">
            <title>StaticFlow · {System.Net.WebUtility.HtmlEncode(title)}</title>
            <style>{Resource("viewer.css")}
            {graphCss}</style>
            <script type="text/plain" id="staticflow-svg-style">{graphCss}</script>
            </head>
            <body>
            <div id="app"></div>
            <script type="application/json" id="staticflow-data">{data}</script>
            <script>{Resource("viewer.js")}</script>
            </body>
            </html>
            """;
    }

    private static string Resource(string name)
    {
        using var stream = typeof(ViewerPage).Assembly.GetManifestResourceStream("StaticFlow.Viewer." + name)
            ?? throw new InvalidOperationException($"The viewer resource {name} is missing from the assembly.");
        return new StreamReader(stream).ReadToEnd();
    }
}
