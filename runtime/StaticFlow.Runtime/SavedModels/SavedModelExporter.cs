using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Graphs;
using StaticFlow.Operations;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.SavedModels;

/// <summary>One signature of an exported SavedModel: named inputs and outputs bound to graph tensors.</summary>
/// <param name="Key">The signature key, such as <c>serving_default</c>.</param>
/// <param name="Inputs">Input specs; <see cref="TensorSpec.Key"/> is the name callers feed.</param>
/// <param name="Outputs">Output specs.</param>
/// <param name="MethodName">TensorFlow Serving's method name.</param>
public sealed record SignatureSpec(string Key, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs, string MethodName = SavedModelExporter.PredictMethodName);

/// <summary>How <see cref="SavedModelExporter"/> writes a SavedModel.</summary>
public sealed record SavedModelExportOptions
{
    /// <summary>Remove every node's device (TensorFlow's <c>clear_devices</c>), so the model loads anywhere unchanged.</summary>
    public bool ClearDevices { get; init; }

    /// <summary>Write into the next numbered version below the directory (<c>dir/1</c>, <c>dir/2</c>, ...) as TensorFlow Serving expects.</summary>
    public bool Versioned { get; init; }

    /// <summary>Replace an existing SavedModel at the path.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Write <c>saved_model.pbtxt</c> instead of the binary file.</summary>
    public bool AsText { get; init; }

    /// <summary>
    /// Leave out attrs that TensorFlow added in 2.x releases while they hold their default value (MatMul's
    /// <c>grad_a</c>, VarHandleOp's <c>debug_name</c>, ...), so TensorFlow 1.15 and early 2.x binaries, which reject
    /// attrs they do not know, load the model; newer ones fill the defaults back in. Every other attr is written,
    /// defaults included. On by default.
    /// </summary>
    public bool PortableAttrs { get; init; } = true;

    /// <summary>
    /// A node that loaders run once after restoring the variables (TensorFlow 1.x's <c>main_op</c>, written to the
    /// <c>saved_model_main_op</c> collection): typically it initializes what the checkpoint does not hold, such as
    /// lookup tables or local variables. Null for none.
    /// </summary>
    public string? MainOp { get; init; }

    /// <summary>
    /// Also writes TensorFlow 2's <c>object_graph_def</c> for a graph module (<see cref="GraphModules.ExportSavedModel"/>):
    /// the module tree, its variables and each graph function's concrete function, so a loader can call
    /// <c>Predict</c> by its object path (<see cref="SavedModelBundle.Call(string, Tensor[])"/>); the variables are then saved under
    /// object-based keys with <c>_CHECKPOINTABLE_OBJECT_GRAPH</c>, whose node ids are those of the object graph.
    /// Off by default: the layout follows <c>saved_object_graph.proto</c> and is checked for consistency here, but
    /// has not yet been loaded by Python TensorFlow's <c>tf.saved_model.load</c>.
    /// </summary>
    public bool ObjectGraph { get; init; }
}

/// <summary>
/// Writes a graph of resource variables as a SavedModel the way TensorFlow 1.x's <c>SavedModelBuilder</c> does with
/// <c>use_resource=True</c>: one MetaGraphDef tagged <c>serve</c>, a saver subgraph (<c>save/Const</c>,
/// <c>save/SaveV2</c>, <c>save/restore_all</c>) with its <c>saver_def</c>, a <c>signature_def</c> per signature, the
/// ops it uses in <c>stripped_op_list</c>, name-keyed variables in the tensor bundle and <c>fingerprint.pb</c>. Both
/// TensorFlow's loaders (C++ <c>LoadSavedModel</c>, Python's v1 loader) and TensorFlow Serving accept this layout.
/// </summary>
public static class SavedModelExporter
{
    /// <summary>TensorFlow Serving's predict method name.</summary>
    public const string PredictMethodName = "tensorflow/serving/predict";

    /// <summary>Exports and returns the directory written.</summary>
    /// <param name="directory">The SavedModel directory, or with <see cref="SavedModelExportOptions.Versioned"/> its base.</param>
    /// <param name="graph">The graph; each variable is a <c>VarHandleOp</c> whose <c>shared_name</c> is its name.</param>
    /// <param name="variables">The variables' values by name.</param>
    /// <param name="signatures">The signatures.</param>
    /// <param name="options">Options.</param>
    public static string Export(string directory, GraphDef graph, IReadOnlyDictionary<string, Tensor> variables,
        IReadOnlyList<SignatureSpec> signatures, SavedModelExportOptions? options = null) => Export(directory, graph, variables, signatures, options, objectGraph: null);

    /// <summary>As the other overload, adding TF2's <paramref name="objectGraph"/> (variables then under object-based keys).</summary>
    internal static string Export(string directory, GraphDef graph, IReadOnlyDictionary<string, Tensor> variables,
        IReadOnlyList<SignatureSpec> signatures, SavedModelExportOptions? options, SavedObjectGraph? objectGraph)
    {
        options ??= new SavedModelExportOptions();
        string target = options.Versioned ? ServingVersions.Next(directory) : directory;
        GraphDef exported = graph.Clone();
        if (options.ClearDevices) ClearDevices(exported);
        SaverDef saver = AddSaver(exported, variables, objectBasedKeys: objectGraph is not null);
        if (options.PortableAttrs) RemoveNewDefaultAttrs(exported);
        exported.Versions ??= new VersionDef { Producer = GraphVersions.Producer };

        var metaGraph = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { Tags = { SavedModelDirectory.ServeTag }, StrippedOpList = UsedOps(exported) },
            GraphDef = exported,
            SaverDef = saver,
        };
        if (objectGraph is not null) metaGraph.ObjectGraphDef = objectGraph;
        if (options.MainOp is { } mainOp)
        {
            if (!exported.Node.Any(n => n.Name == mainOp)) throw new ArgumentException($"The main op '{mainOp}' is not a node of the graph.", nameof(options));
            metaGraph.CollectionDef["saved_model_main_op"] = new CollectionDef { NodeList = new CollectionDef.Types.NodeList { Value = { mainOp } } };
        }
        foreach (var signature in signatures)
        {
            if (metaGraph.SignatureDef.ContainsKey(signature.Key))
                throw new ArgumentException($"Signature '{signature.Key}' is given twice.", nameof(signatures));
            var def = new SignatureDef { MethodName = signature.MethodName };
            foreach (var input in signature.Inputs) def.Inputs[input.Key] = TensorInfoOf(input);
            foreach (var output in signature.Outputs) def.Outputs[output.Key] = TensorInfoOf(output);
            metaGraph.SignatureDef[signature.Key] = def;
        }
        var model = new SavedModel { SavedModelSchemaVersion = 1, MetaGraphs = { metaGraph } };
        SavedModelWriter.Write(target, model, variables, objectGraph is null ? CheckpointKeyStyle.NameBased : CheckpointKeyStyle.ObjectBased,
            new SavedModelWriteOptions { Overwrite = options.Overwrite, AsText = options.AsText });
        return target;
    }

    private static TensorInfo TensorInfoOf(TensorSpec spec) =>
        new() { Name = spec.TensorName, Dtype = spec.DataType, TensorShape = spec.Shape.ToProto() };

    private static void ClearDevices(GraphDef graph)
    {
        foreach (var node in graph.Node) node.Device = "";
        foreach (var function in graph.Library?.Function ?? [])
            foreach (var node in function.NodeDef) node.Device = "";
    }

    private static void RemoveNewDefaultAttrs(GraphDef graph)
    {
        foreach (var node in graph.Node.Concat(graph.Library?.Function.SelectMany(f => f.NodeDef) ?? []))
        {
            if (!OpCatalog.StandardSchemas.TryGetValue(node.Op, out var schema) || OpCatalog.Standard.Find(node.Op) is not { } op) continue;
            foreach (var attr in schema.Attrs)
            {
                if (!attr.AddedInTf2 || !node.Attr.TryGetValue(attr.Name, out var value)) continue;
                if (op.Attr.First(a => a.Name == attr.Name).DefaultValue is { } defaultValue && defaultValue.Equals(value)) node.Attr.Remove(attr.Name);
            }
        }
    }

    private static OpList UsedOps(GraphDef graph)
    {
        var names = new SortedSet<string>(graph.Node.Select(n => n.Op), StringComparer.Ordinal);
        foreach (var function in graph.Library?.Function ?? []) names.UnionWith(function.NodeDef.Select(n => n.Op));
        var list = new OpList();
        foreach (string name in names)
            if (OpCatalog.Standard.Find(name) is { } op) list.Op.Add(op);
        return list;
    }

    /// <summary>Adds TensorFlow 1.x's saver subgraph for the resource variables and returns its <c>saver_def</c>.</summary>
    private static SaverDef AddSaver(GraphDef graph, IReadOnlyDictionary<string, Tensor> values, bool objectBasedKeys)
    {
        var handles = graph.Node.Where(n => n.Op == "VarHandleOp")
            .Select(n => (Node: n, Name: n.Attr.TryGetValue("shared_name", out var s) && s.S.Length > 0 ? s.S.ToStringUtf8() : n.Name))
            .OrderBy(v => v.Name, StringComparer.Ordinal)
            .ToList();
        foreach (var (node, name) in handles)
            if (!values.ContainsKey(name)) throw new ArgumentException($"No value is given for variable '{name}' (node '{node.Name}').", nameof(values));
        if (graph.Node.Any(n => n.Name.StartsWith("save/", StringComparison.Ordinal)))
            throw new ArgumentException("The graph already has a 'save/' scope; a saver cannot be added.", nameof(graph));

        static AttrValue Type(DataType t) => new() { Type = t };
        static AttrValue Strings(IEnumerable<string> items) =>
            new() { Tensor = Tensor.FromStrings([.. items.Select(System.Text.Encoding.UTF8.GetBytes)], items.LongCount()).ToProto() };
        NodeDef Node(string name, string op, IEnumerable<string> inputs, params (string Key, AttrValue Value)[] attrs)
        {
            var node = new NodeDef { Name = name, Op = op, Input = { inputs } };
            foreach (var (key, value) in attrs) node.Attr[key] = value;
            graph.Node.Add(node);
            return node;
        }

        var dtypes = handles.Select(h => h.Node.Attr["dtype"].Type).ToList();
        var typeList = new AttrValue { List = new AttrValue.Types.ListValue { Type = { dtypes } } };
        // The keys the bundle holds: variable names (TF1), or object paths' attribute keys (a/.ATTRIBUTES/VARIABLE_VALUE).
        string[] names = [.. handles.Select(h => objectBasedKeys ? ObjectGraph.CheckpointKey(h.Name.Split('/')) : h.Name)];
        Node("save/filename/input", "Const", [], ("dtype", Type(DataType.DtString)), ("value", new AttrValue { Tensor = Tensor.Scalar("model").ToProto() }));
        Node("save/filename", "PlaceholderWithDefault", ["save/filename/input"], ("dtype", Type(DataType.DtString)), ("shape", new AttrValue { Shape = new TensorShapeProto() }));
        Node("save/Const", "PlaceholderWithDefault", ["save/filename"], ("dtype", Type(DataType.DtString)), ("shape", new AttrValue { Shape = new TensorShapeProto() }));
        Node("save/SaveV2/tensor_names", "Const", [], ("dtype", Type(DataType.DtString)), ("value", Strings(names)));
        Node("save/SaveV2/shape_and_slices", "Const", [], ("dtype", Type(DataType.DtString)), ("value", Strings(names.Select(_ => ""))));
        var reads = new List<string>();
        for (int i = 0; i < handles.Count; i++)
        {
            string read = $"save/ReadVariableOp_{i}";
            Node(read, "ReadVariableOp", [handles[i].Node.Name], ("dtype", Type(dtypes[i])));
            reads.Add(read);
        }
        Node("save/SaveV2", "SaveV2", ["save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", .. reads], ("dtypes", typeList));
        Node("save/control_dependency", "Identity", ["save/Const", "^save/SaveV2"], ("T", Type(DataType.DtString)));
        Node("save/RestoreV2/tensor_names", "Const", [], ("dtype", Type(DataType.DtString)), ("value", Strings(names)));
        Node("save/RestoreV2/shape_and_slices", "Const", [], ("dtype", Type(DataType.DtString)), ("value", Strings(names.Select(_ => ""))));
        Node("save/RestoreV2", "RestoreV2", ["save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"], ("dtypes", typeList));
        var assigns = new List<string>();
        for (int i = 0; i < handles.Count; i++)
        {
            Node($"save/Identity_{i}", "Identity", [$"save/RestoreV2:{i}"], ("T", Type(dtypes[i])));
            Node($"save/AssignVariableOp_{i}", "AssignVariableOp", [handles[i].Node.Name, $"save/Identity_{i}"], ("dtype", Type(dtypes[i])), ("validate_shape", new AttrValue { B = false }));
            assigns.Add($"^save/AssignVariableOp_{i}");
        }
        Node("save/restore_all", "NoOp", assigns);
        return new SaverDef
        {
            FilenameTensorName = "save/Const:0",
            SaveTensorName = "save/control_dependency:0",
            RestoreOpName = "save/restore_all",
            MaxToKeep = 5,
            KeepCheckpointEveryNHours = 10000,
            Version = SaverDef.Types.CheckpointFormatVersion.V2,
        };
    }
}
