using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.IO;
using StaticFlow.Operations;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.SavedModels;

/// <summary>An input or output of a signature: its key, the graph tensor behind it, dtype and (partial) shape.</summary>
public sealed record TensorSpec(string Key, string TensorName, DataType DataType, TensorShape Shape)
{
    /// <summary>TensorFlow's name of the dtype (<c>DT_FLOAT</c>).</summary>
    public string DTypeName => GraphImporter.DTypeName(DataType);
}

/// <summary>
/// A loaded SavedModel, ready to run (like TensorFlow's C++ <c>SavedModelBundle</c>): the meta graph's graph in
/// a session, variables restored through its saver, init ops run, and each signature callable by input name.
/// TF1 and TF2 SavedModels load the same way, as TensorFlow Serving loads them.
/// </summary>
public sealed class SavedModelBundle
{
    private SavedModelBundle(SavedModelDirectory directory, MetaGraphDef metaGraph, Graph graph, GraphSession session)
    {
        Directory = directory;
        MetaGraph = metaGraph;
        Graph = graph;
        Session = session;
        Signatures = metaGraph.SignatureDef
            .Where(s => s.Key != InitOpSignatureKey)
            .ToDictionary(s => s.Key, s => new Signature(this, s.Key, s.Value), StringComparer.Ordinal);
    }

    /// <summary>TF2's signature key holding the init op (<c>__saved_model_init_op</c>).</summary>
    public const string InitOpSignatureKey = "__saved_model_init_op";

    /// <summary>The files.</summary>
    public SavedModelDirectory Directory { get; }

    /// <summary>The loaded meta graph.</summary>
    public MetaGraphDef MetaGraph { get; }

    /// <summary>The imported graph.</summary>
    public Graph Graph { get; }

    /// <summary>The session holding the restored variables.</summary>
    public GraphSession Session { get; }

    /// <summary>The callable signatures by key (<c>serving_default</c>, ...).</summary>
    public IReadOnlyDictionary<string, Signature> Signatures { get; }

    /// <summary>TensorFlow 2's object graph of the model (module tree, variables, functions), or null for a TF1-style SavedModel.</summary>
    public SavedObjectGraph? ObjectGraph => MetaGraph.ObjectGraphDef is { Nodes.Count: > 0 } graph ? graph : null;

    /// <summary>
    /// Calls the function at <paramref name="objectPath"/> in the object graph (<c>"Predict"</c>, <c>"encoder/Call"</c>,
    /// <c>"__call__"</c>), as <c>tf.saved_model.load(dir).Predict(x)</c> does: its concrete function runs with
    /// <paramref name="inputs"/> in order and the model's variables bound to its captured inputs.
    /// </summary>
    /// <exception cref="FeedException">The model has no object graph, the path names no function, or the inputs do not fit.</exception>
    public IReadOnlyList<Tensor> Call(string objectPath, params Tensor[] inputs) => Call(objectPath, CancellationToken.None, inputs);

    /// <summary>As <see cref="Call(string, Tensor[])"/>; <paramref name="cancellation"/> is checked before every node.</summary>
    public IReadOnlyList<Tensor> Call(string objectPath, CancellationToken cancellation, params Tensor[] inputs)
    {
        var graph = ObjectGraph ?? throw new FeedException($"{Directory.Path} has no TF2 object graph; call its signatures (GetSignature).");
        int node = 0;
        foreach (string part in objectPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var child = graph.Nodes[node].Children.FirstOrDefault(c => c.LocalName == part)
                ?? throw new FeedException($"{Directory.Path}: the object graph has no '{part}' under '{objectPath}'; children there: {string.Join(", ", graph.Nodes[node].Children.Select(c => c.LocalName))}.");
            if (child.NodeId < 0 || child.NodeId >= graph.Nodes.Count) throw new StaticFlowFormatException(Directory.Path, $"object graph child '{part}' names node {child.NodeId}, which does not exist");
            node = child.NodeId;
        }
        string? concreteName = graph.Nodes[node].KindCase switch
        {
            SavedObject.KindOneofCase.Function => graph.Nodes[node].Function.ConcreteFunctions.FirstOrDefault(),
            SavedObject.KindOneofCase.BareConcreteFunction => graph.Nodes[node].BareConcreteFunction.ConcreteFunctionName,
            _ => null,
        };
        if (concreteName is null) throw new FeedException($"{Directory.Path}: '{objectPath}' is a {graph.Nodes[node].KindCase}, not a function.");
        if (!graph.ConcreteFunctions.TryGetValue(concreteName, out var concrete))
            throw new StaticFlowFormatException(Directory.Path, $"the object graph names concrete function '{concreteName}' but does not describe it");
        // The inputs TensorFlow canonicalized: ((specs...), {kwargs}); checked here, where the names are the user's.
        if (concrete.CanonicalizedInputSignature is { TupleValue.Values: [{ TupleValue.Values: var specs }, ..] })
        {
            if (specs.Count != inputs.Length) throw new FeedException($"'{objectPath}' takes {specs.Count} inputs, got {inputs.Length}.");
            for (int i = 0; i < specs.Count; i++)
            {
                if (specs[i].TensorSpecValue is not { } spec || inputs[i] is null) continue;
                if (inputs[i].DType.ToProto() != spec.Dtype)
                    throw new FeedException($"'{objectPath}': input '{spec.Name}' must be {GraphImporter.DTypeName(spec.Dtype)}, got {GraphImporter.DTypeName(inputs[i].DType.ToProto())}.");
                if (spec.Shape is { } shape && !TensorShape.FromProto(shape).IsCompatibleWith(inputs[i].Shape))
                    throw new FeedException($"'{objectPath}': input '{spec.Name}' must have shape {TensorShape.FromProto(shape)}, got {inputs[i].Shape}.");
            }
        }
        var arguments = new List<Execution.Value>(inputs.Length + concrete.BoundInputs.Count);
        foreach (var input in inputs) arguments.Add(new Execution.Value(input ?? throw new FeedException($"{objectPath}: an input is null."), null));
        foreach (int bound in concrete.BoundInputs)
        {
            if (bound < 0 || bound >= graph.Nodes.Count || graph.Nodes[bound].KindCase != SavedObject.KindOneofCase.Variable)
                throw new StaticFlowFormatException(Directory.Path, $"concrete function '{concreteName}' binds node {bound}, which is not a variable");
            arguments.Add(new Execution.Value(null, Session.Resources.GetOrCreate("", graph.Nodes[bound].Variable.Name)));
        }
        return [.. Session.CallFunction(concreteName, [.. arguments], cancellation).Select(v => v.Tensor!)];
    }

    /// <summary>A signature by key.</summary>
    /// <exception cref="KeyNotFoundException">No such signature; the message lists those present.</exception>
    public Signature GetSignature(string key = SavedModelDirectory.DefaultSignatureKey) =>
        Signatures.TryGetValue(key, out var signature) ? signature
            : throw new KeyNotFoundException($"{Directory.Path}: no signature '{key}'; the model has: {string.Join(", ", Signatures.Keys.Order(StringComparer.Ordinal))}");

    /// <summary>
    /// Loads the meta graph with <paramref name="tags"/> (default <c>serve</c>) from <paramref name="path"/>: imports
    /// its graph, runs its restore op on the model's variables and its init op. Those ops are the model's own code;
    /// for a model you do not trust, pass <see cref="SessionOptions.FileAccess"/> =
    /// <see cref="FileAccessPolicy.Confined"/> (the model's folder becomes readable, nothing else) and a
    /// <paramref name="cancellation"/> with a deadline.
    /// </summary>
    /// <exception cref="IO.StaticFlowFormatException">The files are missing or corrupt.</exception>
    /// <exception cref="ModelAccessException">An op of the model asked for a file its policy does not admit.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while restoring or initializing.</exception>
    /// <exception cref="GraphException">The graph is invalid, needs an op StaticFlow lacks, or restoring failed.</exception>
    public static SavedModelBundle Load(string path, string[]? tags = null, SessionOptions? options = null, CancellationToken cancellation = default) =>
        Load(SavedModelDirectory.Open(path), tags, options, cancellation);

    /// <summary>Loads a SavedModel already opened (e.g. with fingerprint verification off); see <see cref="Load(string, string[], SessionOptions, CancellationToken)"/>.</summary>
    public static SavedModelBundle Load(SavedModelDirectory directory, string[]? tags = null, SessionOptions? options = null, CancellationToken cancellation = default)
    {
        MetaGraphDef metaGraph = directory.GetMetaGraph(tags ?? [SavedModelDirectory.ServeTag]);
        var catalog = OpCatalog.Standard.With(metaGraph.MetaInfoDef?.StrippedOpList?.Op ?? []);
        Graph graph = GraphImporter.Import(metaGraph.GraphDef ?? new GraphDef(), catalog);
        options ??= new SessionOptions();
        // A confined model may read its own folder (its variables and assets) and write nowhere it was not given.
        if (options.FileAccess.IsConfined) options = options with { FileAccess = options.FileAccess.WithReadableFolder(directory.Path) };
        var session = new GraphSession(graph, options);
        var bundle = new SavedModelBundle(directory, metaGraph, graph, session);
        bundle.Restore(cancellation);
        bundle.RunInitOp(cancellation);
        return bundle;
    }

    private void Restore(CancellationToken cancellation)
    {
        if (!Directory.HasVariables) return;
        SaverDef? saver = MetaGraph.SaverDef;
        if (saver is null || saver.RestoreOpName.Length == 0)
            throw new GraphException(null, null, $"{Directory.Path}: the model has variables but no saver_def to restore them with");
        // As TensorFlow's loader does: feed the variables prefix to the saver's filename tensor, run its restore op.
        Session.Run(new Dictionary<string, Tensor> { [saver.FilenameTensorName] = Tensor.Scalar(Directory.VariablesPrefix) }, [], [saver.RestoreOpName], cancellation);
    }

    private void RunInitOp(CancellationToken cancellation)
    {
        string? initOp = null;
        if (MetaGraph.SignatureDef.TryGetValue(InitOpSignatureKey, out var init) && init.Outputs.Count > 0)
            initOp = init.Outputs.Values.First().Name;
        else
            foreach (string key in new[] { "saved_model_main_op", "legacy_init_op" })
                if (MetaGraph.CollectionDef.TryGetValue(key, out var collection) && collection.NodeList?.Value.Count > 0)
                {
                    initOp = collection.NodeList.Value[0];
                    break;
                }
        if (initOp is null) return;
        // Asset tensors are fed with the absolute paths of their files, as TensorFlow does for the init op.
        var feeds = new Dictionary<string, Tensor>();
        foreach (var asset in MetaGraph.AssetFileDef)
        {
            if (asset.TensorInfo?.Name is not { Length: > 0 } tensor) continue;
            TensorName name;
            try { name = TensorName.Parse(tensor); }
            catch (FormatException e) { throw new GraphException(null, null, $"{Directory.Path}: asset '{asset.Filename}' names tensor '{tensor}': {e.Message}", e); }
            if (!IsPlainFileName(asset.Filename))
                throw new StaticFlowFormatException(Directory.Path, $"asset file name '{asset.Filename}' is not a plain name inside assets/ (absolute, '..' or a folder)");
            if (Graph.Find(name.Node) is not null) feeds[tensor] = Tensor.Scalar(Path.Combine(Directory.AssetsDirectory, asset.Filename));
        }
        Session.Run(feeds, [], [initOp.Split(':')[0]], cancellation);
    }

    // TensorFlow writes assets as bare names in assets/ (AssetFileDef.filename); anything else could point outside.
    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0 && !Path.IsPathRooted(name);
}

/// <summary>One signature of a loaded SavedModel, callable with tensors by input key.</summary>
public sealed class Signature
{
    private readonly SavedModelBundle _bundle;

    internal Signature(SavedModelBundle bundle, string key, SignatureDef def)
    {
        _bundle = bundle;
        Key = key;
        MethodName = def.MethodName;
        Inputs = def.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => Spec(key, i.Key, i.Value)).ToArray();
        Outputs = def.Outputs.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => Spec(key, i.Key, i.Value)).ToArray();
    }

    /// <summary>The signature key.</summary>
    public string Key { get; }

    /// <summary>E.g. <c>tensorflow/serving/predict</c>.</summary>
    public string MethodName { get; }

    /// <summary>The inputs, by key order.</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>The outputs, by key order.</summary>
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>Runs the signature.</summary>
    /// <param name="inputs">One tensor per input key.</param>
    /// <param name="cancellation">Checked between nodes and in every loop iteration; cancelling ends the run with
    /// an <see cref="OperationCanceledException"/>. Pass a token from a <see cref="CancellationTokenSource"/> with a
    /// timeout for a deadline.</param>
    /// <exception cref="FeedException">An input is unknown, missing, or of the wrong dtype or shape; the message names the signature and input.</exception>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, CancellationToken cancellation = default)
    {
        foreach (string name in inputs.Keys)
            if (!Inputs.Any(i => i.Key == name))
                throw new FeedException($"signature '{Key}' has no input '{name}'; its inputs are: {string.Join(", ", Inputs.Select(i => i.Key))}");
        var feeds = new Dictionary<string, Tensor>();
        foreach (var spec in Inputs)
        {
            if (!inputs.TryGetValue(spec.Key, out var tensor))
                throw new FeedException($"signature '{Key}' needs input '{spec.Key}' ({spec.DTypeName} {spec.Shape})");
            if (tensor.DType.ToProto() != spec.DataType)
                throw new FeedException($"signature '{Key}' input '{spec.Key}' is {spec.DTypeName}, got {tensor.DType.Name()}");
            if (!spec.Shape.IsCompatibleWith(tensor.Shape))
                throw new FeedException($"signature '{Key}' input '{spec.Key}' has shape {spec.Shape}, got {tensor.Shape}");
            feeds[spec.TensorName] = tensor;
        }
        var results = _bundle.Session.Run(feeds, [.. Outputs.Select(o => o.TensorName)], cancellation: cancellation);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < Outputs.Count; i++) outputs[Outputs[i].Key] = results[i];
        return outputs;
    }

    private static TensorSpec Spec(string signature, string key, TensorInfo info)
    {
        try
        {
            return new(key, info.Name, info.Dtype, TensorShape.FromProto(info.TensorShape ?? new TensorShapeProto { UnknownRank = true }));
        }
        catch (FormatException e)
        {
            throw new GraphException(null, null, $"signature '{signature}', tensor '{key}': {e.Message}", e);
        }
    }
}
