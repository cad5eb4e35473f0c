using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// The layer library (runtime/StaticFlow.Layers, shipped as source) composes into user modules: a small CNN built
/// from Sequential, Conv2D, BatchNormalization, pooling, Flatten and Dense runs eagerly and as its graph alike,
/// with Keras' variable names under each layer's path.
/// </summary>
public class LayerLibraryTests
{
    private const string Model = """
        using StaticFlow;
        using StaticFlow.Layers;

        namespace Models;

        [GraphModule]
        public partial class SmallCnn
        {
            private readonly Sequential features = new(
                new Conv2D(1, 4, 3, padding: Padding.Same, activation: Activation.Relu),
                new BatchNormalization(4),
                new MaxPool2D(2),
                new Conv2D(4, 6, 3, stride: 2),
                new AvgPool2D(2, stride: 1, padding: Padding.Same),
                new Flatten());
            private readonly Dropout dropout = new(0.5);
            private readonly Dense hidden = new(6, 8, Activation.Tanh);
            private readonly LayerNormalization norm = new(8);
            private readonly Dense classes = new(8, 3, Activation.Softmax);
            private readonly Sequential pooled = new(new Conv2D(1, 5, 1), new GlobalAveragePooling2D());
            private readonly Embedding embedding = new(10, 3);
            private readonly LSTM lstm = new(3, 4);
            private readonly GRU gru = new(3, 5);

            private readonly Sequential upsampling = new(
                new DepthwiseConv2D(1, 3, padding: Padding.Same, depthMultiplier: 2, activation: Activation.Relu),
                new Conv2DTranspose(2, 3, 3, stride: 2, padding: Padding.Same),
                new Conv2DTranspose(3, 1, 2, stride: 1));

            [GraphFunction]
            public Tensor<float> Upsample([Shape(-1, 8, 8, 1)] Tensor<float> images) => upsampling.Call(images);

            private readonly Sequential trainable = new(new Conv2D(1, 3, 3), new BatchNormalization(3, momentum: 0.9), new Flatten(), new Dropout(0.25));

            [GraphFunction]
            public Tensor<float> Infer([Shape(-1, 8, 8, 1)] Tensor<float> images) => trainable.Call(images);

            [GraphFunction]
            public Tensor<float> Train([Shape(-1, 8, 8, 1)] Tensor<float> images) => trainable.Call(images, training: true);

            private readonly MultiHeadAttention attention = new(4, 2, 3);

            [GraphFunction]
            public Tensor<float> Attend([Shape(-1, 5, 4)] Tensor<float> sequence) => attention.Call(sequence);

            [GraphFunction]
            public Tensor<float> Remember([Shape(-1, 6, 3)] Tensor<float> sequence) => lstm.Call(sequence);

            [GraphFunction]
            public Tensor<float> Gate([Shape(-1, 6, 3)] Tensor<float> sequence) => gru.Call(sequence);

            private readonly GRU gruAll = new(3, 5, returnSequences: true);

            [GraphFunction]
            public Tensor<float> GateAll([Shape(-1, 6, 3)] Tensor<float> sequence) => gruAll.Call(sequence);

            [GraphFunction(Signature = "serving_default")]
            public Tensor<float> Predict([Shape(-1, 8, 8, 1)] Tensor<float> images)
            {
                var h = hidden.Call(dropout.Call(features.Call(images)));
                return classes.Call(norm.Call(h));
            }

            [GraphFunction]
            public Tensor<float> Pooled([Shape(-1, 8, 8, 1)] Tensor<float> images) => pooled.Call(images);

            [GraphFunction]
            public Tensor<float> Embed([Shape(-1, 4)] Tensor<int> ids) => embedding.Call(ids);
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build([Model, .. GeneratorHost.LayerSources]));

    private static IGraphModule Create(int seed)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models.SmallCnn")!)!;
        module.InitializeVariables(seed);
        return module;
    }

    private static T Invoke<T>(object module, string method, params object[] arguments)
    {
        var info = module.GetType().GetMethod(method)!;
        object?[] all = [.. arguments, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - arguments.Length)];
        try { return (T)info.Invoke(module, all)!; }
        catch (TargetInvocationException error) when (error.InnerException is not null) { throw error.InnerException; }
    }

    private static void AssertAgree<T>(object module, string function, Tensor<T> input) where T : unmanaged
    {
        var eager = Invoke<Tensor<float>>(module, function, input);
        var graph = Invoke<Tensor<float>>(module, function + "Graph", input);
        Assert.Equal(eager.Shape, graph.Shape);
        float[] e = eager.ToArray(), g = graph.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-4f * Math.Max(1f, Math.Abs(e[i])), $"{function} element {i}: eager {e[i]}, graph {g[i]}");
    }

    [Fact]
    public void ACnnOfLibraryLayersRunsEagerlyAndAsItsGraphAlike()
    {
        var random = new Random(3);
        for (int seed = 0; seed < 3; seed++)
        {
            var module = Create(seed);
            // Moving statistics other than 0 and 1, so that the batch normalization is not the identity.
            var values = new Dictionary<string, Tensor>(module.GetVariables(), StringComparer.Ordinal)
            {
                ["features/layers/1/moving_mean"] = Tensor.FromArray<float>([0.1f, -0.2f, 0.3f, 0.05f], 4),
                ["features/layers/1/moving_variance"] = Tensor.FromArray<float>([0.5f, 2f, 1.5f, 0.8f], 4),
            };
            module.SetVariables(values);
            int batch = 1 + seed;
            var images = Tensor<float>.From([.. Enumerable.Range(0, batch * 64).Select(_ => (float)random.NextDouble())], batch, 8, 8, 1);
            AssertAgree(module, "Predict", images);
            AssertAgree(module, "Pooled", images);
            var probabilities = Invoke<Tensor<float>>(module, "PredictGraph", images).ToArray();
            for (int row = 0; row < batch; row++) Assert.Equal(1f, probabilities.Skip(row * 3).Take(3).Sum(), 4);
        }
        AssertAgree(Create(0), "Embed", Tensor<int>.From([0, 9, 3, 3, 1, 2, 7, 5], 2, 4));
        var upsampled = Invoke<Tensor<float>>(Create(1), "UpsampleGraph", Tensor<float>.From([.. Enumerable.Range(0, 64).Select(i => i / 64f)], 1, 8, 8, 1));
        // 8 -> 16 (same, stride 2) -> 17 (valid, kernel 2, stride 1).
        Assert.Equal(new TensorShape(1, 17, 17, 1), upsampled.Shape);
        AssertAgree(Create(1), "Upsample", Tensor<float>.From([.. Enumerable.Range(0, 128).Select(i => (i % 13) / 13f)], 2, 8, 8, 1));
    }

    [Fact]
    public void LayersKeepKerasVariableNamesUnderTheirPaths()
    {
        var variables = Create(0).GetVariables();
        Assert.Equal(new TensorShape(3, 3, 1, 4), variables["features/layers/0/kernel"].Shape);
        Assert.Equal(new TensorShape(4), variables["features/layers/1/gamma"].Shape);
        Assert.Equal([1f, 1f, 1f, 1f], variables["features/layers/1/moving_variance"].ToArray<float>());
        Assert.Equal(new TensorShape(3, 3, 4, 6), variables["features/layers/3/kernel"].Shape);
        Assert.Equal(new TensorShape(6, 8), variables["hidden/kernel"].Shape);
        // Static shapes flow through every layer: the output is known to be [?, 3].
        Assert.Equal([-1L, 3L], Create(0).Definition.Function("Predict").Outputs[0].Shape!);
        Assert.Equal(new TensorShape(8), variables["norm/beta"].Shape);
        Assert.Equal(new TensorShape(10, 3), variables["embedding/embeddings"].Shape);
        Assert.Equal(new TensorShape(3, 3, 1, 2), variables["upsampling/layers/0/depthwise_kernel"].Shape);
        Assert.Equal(new TensorShape(3, 3, 3, 2), variables["upsampling/layers/1/kernel"].Shape);
        var definition = Create(0).Definition;
        Assert.False(definition.Variables.Single(v => v.Name == "features/layers/1/moving_mean").Trainable);
        // The graph holds the fused batch norm the runtime folds into the convolution before it.
        Assert.Contains(definition.ToGraphDef().Node, n => n.Op == "FusedBatchNormV3" && n.Name.StartsWith("Predict/features/layers/1/", StringComparison.Ordinal));
    }

    [Fact]
    public void AMismatchBetweenLayersIsReportedAtTheParentsCall()
    {
        // 8x8 SAME conv then 2x2 pooling flattens to 64 features, not the 24 the Dense layer was built for.
        const string model = """
            using StaticFlow;
            using StaticFlow.Layers;
            namespace Models;
            [GraphModule]
            public partial class Mismatched
            {
                private readonly Sequential features = new(new Conv2D(1, 4, 3, padding: Padding.Same), new MaxPool2D(2), new Flatten());
                private readonly Dense hidden = new(24, 8);
                [GraphFunction]
                public Tensor<float> Predict([Shape(-1, 8, 8, 1)] Tensor<float> images) => hidden.Call(features.Call(images));
            }
            """;
        var compilation = GeneratorHost.Compile([model, .. GeneratorHost.LayerSources]);
        var diagnostic = Assert.Single(GeneratorHost.Analyze(compilation));
        Assert.Equal("SF0006", diagnostic.Id);
        Assert.Equal("hidden.Call(features.Call(images))", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Contains("in Dense.Call: MatMul: inner dimensions differ: a [?,64] and b [24,8]", diagnostic.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void AGruReturningSequencesEndsWithTheLastOutput()
    {
        var module = Create(4);
        // gruAll with gru's weights: its last step is gru's output.
        var values = new Dictionary<string, Tensor>(module.GetVariables(), StringComparer.Ordinal);
        foreach (string name in new[] { "kernel", "recurrent_kernel", "bias" }) values["gruAll/" + name] = values["gru/" + name];
        module.SetVariables(values);
        var random = new Random(8);
        var sequence = Tensor<float>.From([.. Enumerable.Range(0, 2 * 6 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1))], 2, 6, 3);
        AssertAgree(module, "GateAll", sequence);
        var all = Invoke<Tensor<float>>(module, "GateAllGraph", sequence);
        Assert.Equal(new TensorShape(2, 6, 5), all.Shape);
        float[] last = Invoke<Tensor<float>>(module, "GateGraph", sequence).ToArray(), steps = all.ToArray();
        for (int b = 0; b < 2; b++)
            for (int u = 0; u < 5; u++) Assert.Equal(last[b * 5 + u], steps[(b * 6 + 5) * 5 + u], 6);
    }

    [Fact]
    public void RecurrentLayersFollowKerasEquationsAndGateOrder()
    {
        var module = Create(2);
        var random = new Random(12);
        var sequence = Tensor<float>.From([.. Enumerable.Range(0, 2 * 6 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1))], 2, 6, 3);
        // Non-zero biases, so that each gate's slice matters.
        var values = new Dictionary<string, Tensor>(module.GetVariables(), StringComparer.Ordinal)
        {
            ["lstm/bias"] = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => 0.1f * (i % 5) - 0.2f)], 16),
            ["gru/bias"] = Tensor.FromArray([.. Enumerable.Range(0, 30).Select(i => 0.05f * (i % 7) - 0.15f)], 2, 15),
        };
        module.SetVariables(values);
        AssertAgree(module, "Remember", sequence);
        AssertAgree(module, "Gate", sequence);
        var variables = module.GetVariables();
        double[] x = [.. sequence.ToArray().Select(v => (double)v)];
        double[] Values(string name) => [.. variables[name].ToArray<float>().Select(v => (double)v)];
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

        // LSTM: z = x·W + h·U + b, gates i, f, c, o in that order.
        double[] w = Values("lstm/kernel"), u = Values("lstm/recurrent_kernel"), b = Values("lstm/bias");
        var lstm = Invoke<Tensor<float>>(module, "RememberGraph", sequence).ToArray();
        for (int n = 0; n < 2; n++)
        {
            var h = new double[4];
            var c = new double[4];
            for (int t = 0; t < 6; t++)
            {
                var z = new double[16];
                for (int g = 0; g < 16; g++)
                {
                    z[g] = b[g];
                    for (int k = 0; k < 3; k++) z[g] += x[(n * 6 + t) * 3 + k] * w[k * 16 + g];
                    for (int k = 0; k < 4; k++) z[g] += h[k] * u[k * 16 + g];
                }
                for (int j = 0; j < 4; j++)
                {
                    c[j] = Sigmoid(z[4 + j]) * c[j] + Sigmoid(z[j]) * Math.Tanh(z[8 + j]);
                    h[j] = Sigmoid(z[12 + j]) * Math.Tanh(c[j]);
                }
            }
            for (int j = 0; j < 4; j++) Assert.Equal(h[j], lstm[n * 4 + j], 5);
        }

        // GRU (reset_after): gates z, r, h; bias row 0 for the input, row 1 for the state.
        w = Values("gru/kernel"); u = Values("gru/recurrent_kernel"); b = Values("gru/bias");
        var gru = Invoke<Tensor<float>>(module, "GateGraph", sequence).ToArray();
        for (int n = 0; n < 2; n++)
        {
            var h = new double[5];
            for (int t = 0; t < 6; t++)
            {
                var fromInput = new double[15];
                var fromState = new double[15];
                for (int g = 0; g < 15; g++)
                {
                    fromInput[g] = b[g];
                    fromState[g] = b[15 + g];
                    for (int k = 0; k < 3; k++) fromInput[g] += x[(n * 6 + t) * 3 + k] * w[k * 15 + g];
                    for (int k = 0; k < 5; k++) fromState[g] += h[k] * u[k * 15 + g];
                }
                var next = new double[5];
                for (int j = 0; j < 5; j++)
                {
                    double update = Sigmoid(fromInput[j] + fromState[j]), reset = Sigmoid(fromInput[5 + j] + fromState[5 + j]);
                    double candidate = Math.Tanh(fromInput[10 + j] + reset * fromState[10 + j]);
                    next[j] = update * h[j] + (1 - update) * candidate;
                }
                h = next;
            }
            for (int j = 0; j < 5; j++) Assert.Equal(h[j], gru[n * 5 + j], 5);
        }
        Assert.Equal(new TensorShape(3, 16), variables["lstm/kernel"].Shape);
        Assert.Equal(new TensorShape(5, 15), variables["gru/recurrent_kernel"].Shape);
        Assert.Equal(new TensorShape(2, 15), variables["gru/bias"].Shape);
    }

    [Fact]
    public void TheTrainingFlagIsAConstantEachCallerPassesAndMakesItsOwnGraph()
    {
        var module = Create(3);
        var random = new Random(21);
        var images = Tensor<float>.From([.. Enumerable.Range(0, 4 * 64).Select(_ => (float)random.NextDouble())], 4, 8, 8, 1);
        var graph = module.Definition.ToGraphDef();
        // Inference reads the moving statistics (the fused op); training computes batch statistics and assigns the
        // moving ones, and draws a dropout mask. Train writes the two statistics; Infer writes nothing.
        Assert.Contains(graph.Node, n => n.Name.StartsWith("Infer/trainable/layers/1/", StringComparison.Ordinal) && n.Op == "FusedBatchNormV3");
        Assert.DoesNotContain(graph.Node, n => n.Name.StartsWith("Train/", StringComparison.Ordinal) && n.Op == "FusedBatchNormV3");
        Assert.Contains(graph.Node, n => n.Name.StartsWith("Train/trainable/layers/3/", StringComparison.Ordinal) && n.Op == "RandomUniform");
        Assert.Equal(["trainable/layers/1/moving_mean", "trainable/layers/1/moving_variance"], module.Definition.Function("Train").WrittenVariables.Order(StringComparer.Ordinal));
        Assert.Empty(module.Definition.Function("Infer").WrittenVariables);
        AssertAgree(module, "Infer", images);

        // One training step moves the statistics by 1 - momentum towards the batch's, eagerly and as the graph alike.
        var eagerModule = Create(3);
        var before = eagerModule.GetVariables()["trainable/layers/1/moving_mean"].ToArray<float>();
        Invoke<Tensor<float>>(eagerModule, "Train", images);
        Invoke<Tensor<float>>(module, "TrainGraph", images);
        float[] eagerMean = eagerModule.GetVariables()["trainable/layers/1/moving_mean"].ToArray<float>();
        float[] graphMean = module.GetVariables()["trainable/layers/1/moving_mean"].ToArray<float>();
        Assert.NotEqual(before, graphMean);
        for (int i = 0; i < 3; i++) Assert.Equal(eagerMean[i], graphMean[i], 5);
        float[] eagerVariance = eagerModule.GetVariables()["trainable/layers/1/moving_variance"].ToArray<float>();
        float[] graphVariance = module.GetVariables()["trainable/layers/1/moving_variance"].ToArray<float>();
        for (int i = 0; i < 3; i++) Assert.Equal(eagerVariance[i], graphVariance[i], 5);

        // Dropout in training keeps about 3/4 of the elements and scales them by 4/3; the batch-normalized output
        // it drops from has mean 0 and variance 1 per channel.
        var trained = Invoke<Tensor<float>>(module, "TrainGraph", images).ToArray();
        double zeros = trained.Count(v => v == 0f) / (double)trained.Length;
        Assert.InRange(zeros, 0.15, 0.35);
    }

    [Fact]
    public void MultiHeadAttentionFollowsKerasSubscriptsAndNames()
    {
        var module = Create(4);
        var random = new Random(30);
        var sequence = Tensor<float>.From([.. Enumerable.Range(0, 2 * 5 * 4).Select(_ => (float)(random.NextDouble() * 2 - 1))], 2, 5, 4);
        var values = new Dictionary<string, Tensor>(module.GetVariables(), StringComparer.Ordinal);
        foreach (string name in new[] { "attention/query/bias", "attention/key/bias", "attention/value/bias" })
            values[name] = Tensor.FromArray([.. Enumerable.Range(0, 6).Select(i => 0.1f * i - 0.2f)], 2, 3);
        module.SetVariables(values);
        AssertAgree(module, "Attend", sequence);
        var variables = module.GetVariables();
        Assert.Equal(new TensorShape(4, 2, 3), variables["attention/query/kernel"].Shape);
        Assert.Equal(new TensorShape(2, 3, 4), variables["attention/attention_output/kernel"].Shape);

        // softmax(q·kᵀ / sqrt(3))·v per head, then the heads merged, in double precision.
        double[] x = [.. sequence.ToArray().Select(v => (double)v)];
        double[] V(string name) => [.. variables[name].ToArray<float>().Select(v => (double)v)];
        double[,,,] Project(string layer)
        {
            double[] w = V($"attention/{layer}/kernel"), b = V($"attention/{layer}/bias");
            var result = new double[2, 5, 2, 3];
            for (int n = 0; n < 2; n++)
                for (int t = 0; t < 5; t++)
                    for (int h = 0; h < 2; h++)
                        for (int d = 0; d < 3; d++)
                        {
                            double sum = b[h * 3 + d];
                            for (int f = 0; f < 4; f++) sum += x[(n * 5 + t) * 4 + f] * w[(f * 2 + h) * 3 + d];
                            result[n, t, h, d] = sum;
                        }
            return result;
        }
        var q = Project("query");
        var k = Project("key");
        var v = Project("value");
        double[] wo = V("attention/attention_output/kernel"), bo = V("attention/attention_output/bias");
        var actual = Invoke<Tensor<float>>(module, "AttendGraph", sequence).ToArray();
        for (int n = 0; n < 2; n++)
            for (int t = 0; t < 5; t++)
            {
                var context = new double[2, 3];
                for (int h = 0; h < 2; h++)
                {
                    var scores = new double[5];
                    for (int s = 0; s < 5; s++)
                        for (int d = 0; d < 3; d++) scores[s] += q[n, t, h, d] / Math.Sqrt(3) * k[n, s, h, d];
                    double max = scores.Max(), total = scores.Sum(sc => Math.Exp(sc - max));
                    for (int s = 0; s < 5; s++)
                        for (int d = 0; d < 3; d++) context[h, d] += Math.Exp(scores[s] - max) / total * v[n, s, h, d];
                }
                for (int f = 0; f < 4; f++)
                {
                    double expected = bo[f];
                    for (int h = 0; h < 2; h++)
                        for (int d = 0; d < 3; d++) expected += context[h, d] * wo[(h * 3 + d) * 4 + f];
                    Assert.Equal(expected, actual[(n * 5 + t) * 4 + f], 5);
                }
            }
    }
}
