using System.Reflection;
using System.Text.Json.Nodes;
using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using StaticFlow.Tests;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// Keras-written weights restore into the matching C# modules built from the layer library, and the modules then
/// give Keras' outputs. The Keras models are written by TensorFlow.js's Keras implementation (tfjs-layers 4.22,
/// <c>tests/oracle/keras-models.js</c>) with its prediction on a fixed input; the TF2 checkpoint form is the same
/// weights under the object graph Keras writes for a Sequential model (<c>layer_with_weights-N</c>, an RNN's
/// <c>cell</c>), since no Python Keras runs here.
/// </summary>
public class KerasWeightsTests
{
    private const string Models = """
        using StaticFlow;
        using StaticFlow.Layers;

        namespace Models;

        [GraphModule]
        public partial class KerasCnn
        {
            private readonly Sequential model = new(
                new Conv2D(2, 4, 3, padding: Padding.Same, activation: Activation.Relu),
                new BatchNormalization(4),
                new DepthwiseConv2D(4, 3, padding: Padding.Same, depthMultiplier: 2),
                new MaxPool2D(2),
                new Conv2DTranspose(8, 3, 2, stride: 2, padding: Padding.Same, activation: Activation.Tanh),
                new AvgPool2D(2),
                new Flatten(),
                new Dense(27, 5, Activation.Tanh),
                new LayerNormalization(5),
                new Dense(5, 3, Activation.Softmax));

            [GraphFunction]
            public Tensor<float> Predict([Shape(-1, 6, 6, 2)] Tensor<float> x) => model.Call(x);
        }

        // The functional form: one field per layer, in Keras' layer order.
        [GraphModule]
        public partial class KerasLstm
        {
            private readonly LSTM lstm = new(3, 32);
            private readonly Dense dense = new(32, 1);

            [GraphFunction]
            public Tensor<float> Predict([Shape(-1, 5, 3)] Tensor<float> x) => dense.Call(lstm.Call(x));
        }

        [GraphModule]
        public partial class KerasStacked
        {
            private readonly Sequential model = new(new LSTM(3, 8, returnSequences: true), new LSTM(8, 5), new Dense(5, 2, Activation.Softmax));

            [GraphFunction]
            public Tensor<float> Predict([Shape(-1, 6, 3)] Tensor<float> x) => model.Call(x);
        }

        // The same layers declared in the other order: Keras' first layer with weights is the LSTM.
        [GraphModule]
        public partial class Reordered
        {
            private readonly Dense dense = new(32, 1);
            private readonly LSTM lstm = new(3, 32);

            [GraphFunction]
            public Tensor<float> Predict([Shape(-1, 5, 3)] Tensor<float> x) => dense.Call(lstm.Call(x));
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build([Models, .. GeneratorHost.LayerSources]));

    private static readonly Lazy<string> s_kerasModels = new(() =>
    {
        string directory = TempDirectory.Create();
        TensorFlowJs.RunScript("keras-models.js", directory);
        return directory;
    });

    private static IGraphModule Create(string type) => (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models." + type)!)!;

    private static string KerasModel(string name)
    {
        // A copy per test: some tests damage their files.
        string copy = Path.Combine(TempDirectory.Create(), name);
        TestData.CopyDirectory(Path.Combine(s_kerasModels.Value, name), copy);
        return copy;
    }

    private static void AssertKerasOutputs(IGraphModule module, string model)
    {
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "expected.json")))!;
        long[] shape = [.. expected["inputShape"]!.AsArray().Select(d => d!.GetValue<long>())];
        var input = Tensor<float>.From([.. expected["input"]!.AsArray().Select(v => v!.GetValue<float>())], shape);
        float[] keras = [.. expected["output"]!.AsArray().Select(v => v!.GetValue<float>())];
        foreach (string method in new[] { "PredictGraph", "Predict" })
        {
            var info = module.GetType().GetMethod(method)!;
            object?[] arguments = [input, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - 1)];
            float[] ours = ((Tensor<float>)info.Invoke(module, arguments)!).ToArray();
            Assert.Equal(keras.Length, ours.Length);
            for (int i = 0; i < keras.Length; i++)
                Assert.True(Math.Abs(keras[i] - ours[i]) <= 2e-5f * Math.Max(1f, Math.Abs(keras[i])), $"{method} output {i}: Keras {keras[i]}, StaticFlow {ours[i]}");
        }
    }

    [Theory]
    [InlineData("KerasCnn", "cnn")]
    [InlineData("KerasLstm", "lstm")]
    [InlineData("KerasStacked", "stacked")]
    public void AKerasLayersModelRestoresIntoTheMatchingModuleWithKerasOutputs(string type, string model)
    {
        var module = Create(type);
        module.RestoreKerasWeights(KerasModel(model));
        AssertKerasOutputs(module, KerasModel(model));
    }

    [Theory]
    [InlineData("KerasCnn", "cnn")]
    [InlineData("KerasLstm", "lstm")]
    public void AKerasTf2CheckpointRestoresIntoTheMatchingModule(string type, string model)
    {
        var source = Create(type);
        source.RestoreKerasWeights(KerasModel(model));
        string prefix = Path.Combine(TempDirectory.Create(), "ckpt");
        WriteAsKerasCheckpoint(source, prefix);

        var module = Create(type);
        module.RestoreKerasWeights(prefix);
        AssertKerasOutputs(module, KerasModel(model));

        // A Keras SavedModel keeps the same keys in variables/variables; its directory is enough.
        string savedModel = TempDirectory.Create();
        Directory.CreateDirectory(Path.Combine(savedModel, "variables"));
        WriteAsKerasCheckpoint(source, Path.Combine(savedModel, "variables", "variables"));
        var fromSavedModel = Create(type);
        fromSavedModel.RestoreKerasWeights(savedModel);
        AssertKerasOutputs(fromSavedModel, KerasModel(model));

        // Restoring by object path cannot find Keras' layer_with_weights-N names, and says what to call instead.
        var error = Assert.Throws<StaticFlowFormatException>(() => Create(type).RestoreCheckpoint(prefix));
        Assert.Contains("RestoreKerasWeights", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LayersInAnotherOrderThanKerasAreAnErrorNamingTheLayerAndWeight()
    {
        var module = Create("Reordered");
        var before = module.GetVariables()["dense/kernel"].ToArray<float>();
        var error = Assert.Throws<StaticFlowFormatException>(() => module.RestoreKerasWeights(KerasModel("lstm")));
        Assert.Contains("Keras layer 'lstm_LSTM1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("variable 'dense/", error.Message, StringComparison.Ordinal);
        // Nothing was restored.
        Assert.Equal(before, module.GetVariables()["dense/kernel"].ToArray<float>());
    }

    [Fact]
    public void AModelOfOtherLayersIsAnErrorCountingThem()
    {
        var error = Assert.Throws<StaticFlowFormatException>(() => Create("KerasLstm").RestoreKerasWeights(KerasModel("cnn")));
        Assert.Contains("has 7 layers with weights", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 2 at that level (lstm, dense)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DamagedLayersModelFilesAreFormatErrorsNamingTheFile()
    {
        string model = KerasModel("lstm");
        string weights = Path.Combine(model, "weights.bin");
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..100]);
        var truncated = Assert.Throws<StaticFlowFormatException>(() => Create("KerasLstm").RestoreKerasWeights(model));
        Assert.Equal(Path.Combine(model, "model.json"), truncated.FilePath);
        Assert.Contains("the shards hold 100 bytes", truncated.Reason, StringComparison.Ordinal);

        string escaping = KerasModel("lstm");
        string json = Path.Combine(escaping, "model.json");
        File.WriteAllText(json, File.ReadAllText(json).Replace("\"weights.bin\"", "\"../../etc/passwd\"", StringComparison.Ordinal));
        Assert.Contains("outside the model's folder", Assert.Throws<StaticFlowFormatException>(() => Create("KerasLstm").RestoreKerasWeights(escaping)).Reason, StringComparison.Ordinal);

        string notJson = KerasModel("lstm");
        File.WriteAllText(Path.Combine(notJson, "model.json"), "{\"modelTopology\": ");
        Assert.Contains("not JSON", Assert.Throws<StaticFlowFormatException>(() => Create("KerasLstm").RestoreKerasWeights(notJson)).Reason, StringComparison.Ordinal);

        string huge = KerasModel("lstm");
        using (var stream = File.OpenWrite(Path.Combine(huge, "model.json"))) stream.SetLength(65L << 20);
        Assert.Contains("at most", Assert.Throws<StaticFlowFormatException>(() => Create("KerasLstm").RestoreKerasWeights(huge)).Reason, StringComparison.Ordinal);

        string h5 = Path.Combine(TempDirectory.Create(), "model.h5");
        File.WriteAllBytes(h5, [0x89, (byte)'H', (byte)'D', (byte)'F']);
        Assert.Throws<WrongFileKindException>(() => Create("KerasLstm").RestoreKerasWeights(h5));
    }

    [Fact]
    public void AnObjectGraphWhoseLayersLoopBackIsAFormatErrorNotAHang()
    {
        // Root -> layer_with_weights-0 -> layer_with_weights-0 -> the root again.
        var graph = new TrackableObjectGraph();
        graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
        graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
        graph.Nodes[0].Children.Add(new TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference { NodeId = 1, LocalName = "layer_with_weights-0" });
        graph.Nodes[1].Children.Add(new TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference { NodeId = 0, LocalName = "layer_with_weights-0" });
        string prefix = Path.Combine(TempDirectory.Create(), "loop");
        using (var writer = new TensorBundleWriter(prefix))
        {
            writer.Add(ObjectGraph.ObjectGraphKey, Tensor.FromStrings([graph.ToByteArray()]));
            writer.Finish();
        }
        var error = Assert.Throws<StaticFlowFormatException>(() => Create("KerasLstm").RestoreKerasWeights(prefix));
        Assert.Contains("cycle", error.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes <paramref name="module"/>'s variables as Keras 2 writes a Sequential model's checkpoint: the root's children
    /// <c>layer_with_weights-k</c> and <c>layer-i</c> name the same layer objects, an RNN layer holds its weights in its
    /// <c>cell</c>, the keys follow the first path (<c>layer_with_weights-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE</c>),
    /// and the root also tracks <c>optimizer</c> and <c>save_counter</c>.
    /// </summary>
    private static void WriteAsKerasCheckpoint(IGraphModule module, string prefix)
    {
        // The module's layers in order: a Sequential's items (model/layers/i) or the fields.
        var layers = module.GetVariables()
            .GroupBy(v => v.Key.StartsWith("model/layers/", StringComparison.Ordinal) ? string.Join('/', v.Key.Split('/')[..3]) : v.Key.Split('/')[0])
            .ToList();
        var graph = new TrackableObjectGraph();
        var root = new TrackableObjectGraph.Types.TrackableObject();
        graph.Nodes.Add(root);
        var tensors = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        int Add(TrackableObjectGraph.Types.TrackableObject parent, string name)
        {
            graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
            parent.Children.Add(new TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference { NodeId = graph.Nodes.Count - 1, LocalName = name });
            return graph.Nodes.Count - 1;
        }
        void Variable(TrackableObjectGraph.Types.TrackableObject parent, string[] path, Tensor value)
        {
            int id = Add(parent, path[^1]);
            string key = ObjectGraph.CheckpointKey(path);
            graph.Nodes[id].Attributes.Add(new TrackableObjectGraph.Types.TrackableObject.Types.SerializedTensor { Name = ObjectGraph.VariableValue, FullName = string.Join('/', path), CheckpointKey = key });
            tensors[key] = value;
        }
        for (int k = 0; k < layers.Count; k++)
        {
            string name = $"layer_with_weights-{k}";
            int layer = Add(root, name);
            // A weightless layer before it would shift layer-i; the alias points at the same object either way.
            root.Children.Add(new TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference { NodeId = layer, LocalName = $"layer-{k}" });
            bool recurrent = layers[k].Any(v => v.Key.EndsWith("/recurrent_kernel", StringComparison.Ordinal));
            var owner = recurrent ? graph.Nodes[Add(graph.Nodes[layer], "cell")] : graph.Nodes[layer];
            foreach (var (variable, value) in layers[k])
            {
                string weight = variable.Split('/')[^1];
                Variable(owner, recurrent ? [name, "cell", weight] : [name, weight], value);
            }
        }
        Variable(graph.Nodes[Add(root, "optimizer")], ["optimizer", "iter"], Tensor.Scalar(7L));
        Variable(root, ["save_counter"], Tensor.Scalar(1L));

        using var writer = new TensorBundleWriter(prefix);
        writer.Add(ObjectGraph.ObjectGraphKey, Tensor.FromStrings([graph.ToByteArray()]));
        foreach (var (key, value) in tensors) writer.Add(key, value);
        writer.Finish();
    }
}
