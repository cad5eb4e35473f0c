using StaticFlow.Checkpoints;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>SavedModels written to attack their loader: ops that touch files elsewhere, loops that never end, huge tensors.</summary>
internal static class HostileModels
{
    /// <summary>
    /// Writes a SavedModel of <paramref name="graph"/> with one variable, a saver whose restore op is
    /// <paramref name="restoreOp"/> (fed the variables prefix through <c>filename:0</c>), an optional main op, and a
    /// <c>serving_default</c> signature from <c>x:0</c> to <paramref name="output"/>.
    /// </summary>
    public static string Write(GraphDef graph, string restoreOp = "restore", string? mainOp = null, string output = "y:0")
    {
        string dir = Path.Combine(TempDirectory.Create(), "model");
        var metaGraph = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { Tags = { "serve" } },
            GraphDef = graph,
            SaverDef = new SaverDef { FilenameTensorName = "filename:0", RestoreOpName = restoreOp, SaveTensorName = "filename:0" },
        };
        metaGraph.SignatureDef["serving_default"] = new SignatureDef
        {
            MethodName = "tensorflow/serving/predict",
            Inputs = { ["x"] = new TensorInfo { Name = "x:0", Dtype = DataType.DtFloat } },
            Outputs = { ["y"] = new TensorInfo { Name = output, Dtype = DataType.DtFloat } },
        };
        if (mainOp is not null)
            metaGraph.CollectionDef["saved_model_main_op"] = new CollectionDef { NodeList = new CollectionDef.Types.NodeList { Value = { mainOp } } };
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(metaGraph);
        SavedModelWriter.Write(dir, model, new Dictionary<string, Tensor> { ["v"] = Tensor.Scalar(1f) }, CheckpointKeyStyle.NameBased);
        return dir;
    }

    /// <summary>The nodes every model here has: the input, the restore prefix, and a harmless restore of <c>v</c>.</summary>
    public static NodeDef[] Basics(bool harmlessRestore = true) =>
    [
        Placeholder("x", DType.Float32),
        Placeholder("filename", DType.String),
        Node("y", "Identity", ["x"], ("T", Type(DType.Float32))),
        .. harmlessRestore
            ? new[]
            {
                Const("names", Tensor.FromStrings([.. new[] { "v"u8.ToArray() }], 1)),
                Const("slices", Tensor.FromStrings([.. new[] { Array.Empty<byte>() }], 1)),
                Node("restore", "RestoreV2", ["filename", "names", "slices"], ("dtypes", Types(DType.Float32))),
            }
            : [],
    ];

    /// <summary>A SaveV2 node that writes tensor <c>x</c> at <paramref name="prefix"/> (inputs from <paramref name="source"/>).</summary>
    public static NodeDef[] SaveTo(string name, string prefix, string source) =>
    [
        Const($"{name}/prefix", Tensor.Scalar(prefix)),
        Const($"{name}/names", Tensor.FromStrings([.. new[] { "stolen"u8.ToArray() }], 1)),
        Const($"{name}/slices", Tensor.FromStrings([.. new[] { Array.Empty<byte>() }], 1)),
        Node(name, "SaveV2", [$"{name}/prefix", $"{name}/names", $"{name}/slices", source], ("dtypes", Types(DType.Float32))),
    ];
}
