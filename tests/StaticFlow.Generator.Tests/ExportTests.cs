using System.Reflection;
using StaticFlow.Checkpoints;
using StaticFlow.Cli;
using StaticFlow.IO;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using StaticFlow.Tests;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// What generated modules save and export: checkpoints both ways, and SavedModels that follow TensorFlow's own
/// conventions (compared with the real TensorFlow 1.14 model) and load and predict through the runtime and the tool.
/// </summary>
public class ExportTests
{
    private static readonly Lazy<Assembly> s_regressor = new(() => GeneratorHost.Build(Sources.Regressor));

    private static IGraphModule CreateRegressor(int seed)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_regressor.Value.GetType("Models.Regressor")!)!;
        module.GetType().GetMethod("InitializeVariables")!.Invoke(module, [seed]);
        return module;
    }

    private static Tensor<float> Predict(IGraphModule module, Tensor<float> x) =>
        (Tensor<float>)module.GetType().GetMethod("Predict")!.Invoke(module, [x])!;

    private static readonly Tensor<float> Batch = Tensor<float>.From([1f, 2f, 3f, 4f, 5f, -1f, 0.5f, 0f, 2f, 1f, 0f, 0f, 0f, 0f, 0f], 3, 5);

    [Fact]
    public void ExportedModelLoadsAndPredictsLikeTheModule()
    {
        var module = CreateRegressor(seed: 3);
        string directory = module.ExportSavedModel(TempDirectory.Create(), new SavedModelExportOptions { Versioned = true });
        Assert.Equal("1", Path.GetFileName(directory));

        var signature = SavedModelBundle.Load(directory).GetSignature();
        var input = Assert.Single(signature.Inputs);
        Assert.Equal(("x", "Predict/x:0", "[?,5]"), (input.Key, input.TensorName, input.Shape.ToString()));
        var output = signature.Run(new Dictionary<string, Tensor> { ["x"] = Batch.Untyped })["output_0"];
        Assert.Equal(Predict(module, Batch).ToArray(), output.ToArray<float>());

        string second = module.ExportSavedModel(Path.GetDirectoryName(directory)!, new SavedModelExportOptions { Versioned = true });
        Assert.Equal("2", Path.GetFileName(second));
    }

    [Fact]
    public void ExportFollowsTheConventionsOfTensorFlowsOwnModels()
    {
        string ours = CreateRegressor(seed: 1).ExportSavedModel(Path.Combine(TempDirectory.Create(), "model"));
        var tf = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1)).GetMetaGraph("serve");
        var mine = SavedModelDirectory.Open(ours);
        var meta = mine.GetMetaGraph("serve");

        Assert.Equal(tf.MetaInfoDef.Tags, meta.MetaInfoDef.Tags);
        Assert.Equal(tf.SignatureDef["serving_default"].MethodName, meta.SignatureDef["serving_default"].MethodName);
        Assert.Equal(tf.SaverDef.FilenameTensorName, meta.SaverDef.FilenameTensorName);
        Assert.Equal(tf.SaverDef.RestoreOpName, meta.SaverDef.RestoreOpName);
        Assert.Equal((tf.SaverDef.Version, tf.SaverDef.MaxToKeep, tf.SaverDef.KeepCheckpointEveryNHours),
            (meta.SaverDef.Version, meta.SaverDef.MaxToKeep, meta.SaverDef.KeepCheckpointEveryNHours));
        // A conservative producer: no newer than the TensorFlow 1.14 that wrote the shared model.
        Assert.True(meta.GraphDef.Versions.Producer <= tf.GraphDef.Versions.Producer);
        // Every op the graph uses is described in stripped_op_list. Nodes carry every attr, defaults included, except
        // attrs TensorFlow added in 2.x while at their default: TF 1.15 rejects attrs it does not know.
        var used = meta.GraphDef.Node.Select(n => n.Op).Distinct().Order();
        Assert.Equal(used, meta.MetaInfoDef.StrippedOpList.Op.Select(o => o.Name).Order());
        string[] addedInTf2 = ["grad_a", "grad_b", "debug_name", "allowed_devices", "validate_shape"];
        Assert.All(meta.GraphDef.Node, node =>
        {
            var op = meta.MetaInfoDef.StrippedOpList.Op.Single(o => o.Name == node.Op);
            Assert.All(op.Attr, attr => Assert.True(node.Attr.ContainsKey(attr.Name) != addedInTf2.Contains(attr.Name), $"{node.Name}: attr {attr.Name}"));
        });
        Assert.Contains(meta.GraphDef.Node, n => n.Op == "MatMul" && n.Attr.ContainsKey("transpose_a"));
        // Variables are name-keyed, as TensorFlow 1.x's saver reads them, and fingerprinted.
        using var reader = CheckpointReader.Open(mine.VariablesPrefix);
        Assert.Equal(["b1", "b2", "w1", "w2"], reader.ListVariables().Select(v => v.Name).Order());
        Assert.NotNull(mine.Fingerprint);
        Assert.NotEqual(0UL, mine.Fingerprint!.SavedModelChecksum);
    }

    [Fact]
    public void DevicesStayUnlessClearedAndBothLoadOnThisMachine()
    {
        var module = CreateRegressor(seed: 2);
        string placed = module.ExportSavedModel(Path.Combine(TempDirectory.Create(), "placed"));
        string portable = module.ExportSavedModel(Path.Combine(TempDirectory.Create(), "portable"), new SavedModelExportOptions { ClearDevices = true });
        Assert.Contains(SavedModelDirectory.Open(placed).GetMetaGraph("serve").GraphDef.Node, n => n.Device == "/device:GPU:0");
        Assert.All(SavedModelDirectory.Open(portable).GetMetaGraph("serve").GraphDef.Node, n => Assert.Equal("", n.Device));

        var x = new Dictionary<string, Tensor> { ["x"] = Batch.Untyped };
        var fromPlaced = SavedModelBundle.Load(placed).GetSignature().Run(x)["output_0"];
        var fromPortable = SavedModelBundle.Load(portable).GetSignature().Run(x)["output_0"];
        Assert.Equal(fromPlaced.ToArray<float>(), fromPortable.ToArray<float>());
    }

    [Fact]
    public void ToolShowsAndRunsTheExport()
    {
        var module = CreateRegressor(seed: 5);
        string directory = module.ExportSavedModel(Path.Combine(TempDirectory.Create(), "model"));
        var show = new StringWriter();
        Assert.Equal(0, CommandLineApp.Run(["show", directory, "--all"], show, new StringWriter()));
        Assert.Contains("signature_def['serving_default']", show.ToString());
        Assert.Contains("shape: (-1, 5)", show.ToString());

        var run = new StringWriter();
        Assert.Equal(0, CommandLineApp.Run(["run", directory, "--signature_def", "serving_default", "--input", "x=[[1,2,3,4,5],[-1,0.5,0,2,1],[0,0,0,0,0]]"], run, new StringWriter()));
        float[] expected = Predict(module, Batch).ToArray();
        var json = System.Text.Json.JsonDocument.Parse(run.ToString());
        var output = json.RootElement.GetProperty("outputs").EnumerateArray().Single();
        Assert.Equal("output_0", output.GetProperty("name").GetString());
        var values = output.GetProperty("values").EnumerateArray().Select(row => (float)row[0].GetDouble()).ToArray();
        Assert.Equal(expected, values);
    }

    [Fact]
    public void CheckpointsRoundTripInBothKeyStyles()
    {
        var source = CreateRegressor(seed: 11);
        foreach (var style in new[] { CheckpointKeyStyle.ObjectBased, CheckpointKeyStyle.NameBased })
        {
            string prefix = source.SaveCheckpoint(Path.Combine(TempDirectory.Create(), "ckpt-1"), style);
            var target = CreateRegressor(seed: 99);
            Assert.NotEqual(Predict(source, Batch).ToArray(), Predict(target, Batch).ToArray());
            target.RestoreCheckpoint(prefix);
            Assert.Equal(Predict(source, Batch).ToArray(), Predict(target, Batch).ToArray());
        }
    }

    [Fact]
    public void RestoringAMismatchedCheckpointNamesTheVariable()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "other");
        Checkpoint.Save(prefix, new Dictionary<string, Tensor>
        {
            ["w1"] = Tensor.Zeros(DType.Float32, new TensorShape(5, 11)),
            ["b1"] = Tensor.Zeros(DType.Float32, new TensorShape(10)),
            ["w2"] = Tensor.Zeros(DType.Float32, new TensorShape(10, 1)),
            ["b2"] = Tensor.Zeros(DType.Float32, new TensorShape(1)),
        }, CheckpointKeyStyle.NameBased);
        var module = CreateRegressor(seed: 0);
        var error = Assert.Throws<StaticFlowFormatException>(() => module.RestoreCheckpoint(prefix));
        Assert.Contains("variable 'w1' is float32[5,11] in the checkpoint but float32[5,10] in module Regressor", error.Message);
    }

    [Fact]
    public void WriteGraphProducesAnEventFileWithTheModuleGraph()
    {
        var module = CreateRegressor(seed: 0);
        string file = module.WriteGraph(TempDirectory.Create());
        var events = StaticFlow.Summaries.EventFileReader.Read(file).ToList();
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var graph = StaticFlow.Protos.GraphDef.Parser.ParseFrom(events[1].GraphDef);
        Assert.Contains(graph.Node, n => n.Name == "Predict/dense1/MatMul");
    }
}
