using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>Plan-time optimizations (prepacked constant weights, MatMul+BiasAdd+Relu fusion) change nothing but speed.</summary>
public class PlanOptimizationTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));

    [Theory]
    [InlineData(1, 37, 45, false)]
    [InlineData(9, 64, 100, true)]
    [InlineData(130, 300, 33, false)]
    public void FusedDenseLayerEqualsTheUnfusedOps(int batch, int inputs, int outputs, bool transposeWeights)
    {
        var random = new Random(batch + inputs);
        float[] w = [.. Enumerable.Range(0, inputs * outputs).Select(_ => random.NextSingle() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, outputs).Select(_ => random.NextSingle() - 0.5f)];
        float[] x = [.. Enumerable.Range(0, batch * inputs).Select(_ => random.NextSingle() - 0.5f)];
        Tensor weights = transposeWeights ? Tensor.FromArray<float>(w, outputs, inputs) : Tensor.FromArray<float>(w, inputs, outputs);
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("w", weights), Const("b", Tensor.Vector(b)),
            Node("mm", "MatMul", ["x", "w"], F32, ("transpose_b", Bool(transposeWeights))),
            Node("bias", "BiasAdd", ["mm", "b"], F32),
            Node("relu", "Relu", ["bias"], F32))));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x, batch, inputs) };

        float[] fused = session.Run(feeds, ["relu"])[0].ToArray<float>();
        // The two constants fold; MatMul and BiasAdd are absorbed into the Relu's step, the only one left.
        Assert.Equal(new PlanStatistics(Steps: 1, FoldedNodes: 2, FusedNodes: 2, CrossDeviceEdges: 0), session.Explain(["x"], ["relu"]));
        // Fetching the intermediate tensors keeps them, so this run is not fused.
        var unfused = session.Run(feeds, ["relu", "mm"]);
        Assert.Equal(unfused[0].ToArray<float>(), fused);

        for (int i = 0; i < batch; i++)
            for (int j = 0; j < outputs; j++)
            {
                double sum = b[j];
                for (int p = 0; p < inputs; p++) sum += (double)x[i * inputs + p] * (transposeWeights ? w[j * inputs + p] : w[p * outputs + j]);
                Assert.True(Math.Abs(Math.Max(0, sum) - fused[i * outputs + j]) < 1e-4, $"[{i},{j}] {fused[i * outputs + j]} vs {Math.Max(0, sum)}");
            }
    }

    [Theory]
    [InlineData(1, true, 10, false, false)]
    [InlineData(5, false, 10, false, false)]
    [InlineData(1, true, 11, true, true)] // 9x9 convolved, pooled to 4x4: the last row and column are dropped
    [InlineData(16, true, 28, true, true)] // blocks of pooled rows split across cores
    [InlineData(3, false, 12, true, false)] // Conv → BiasAdd → MaxPool, no Relu
    public void FusedConvolutionEqualsTheUnfusedOps(int batch, bool constantFilter, int size, bool pool, bool relu)
    {
        const int channels = 3, outputs = 20;
        var random = new Random(batch + size);
        float[] f = [.. Enumerable.Range(0, 3 * 3 * channels * outputs).Select(_ => random.NextSingle() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, outputs).Select(_ => random.NextSingle() - 0.5f)];
        float[] x = [.. Enumerable.Range(0, batch * size * size * channels).Select(_ => random.NextSingle() - 0.5f)];
        var filter = Tensor.FromArray<float>(f, 3, 3, channels, outputs);
        string last = "bias";
        var nodes = new List<Protos.NodeDef>
        {
            Placeholder("x", DType.Float32), constantFilter ? Const("f", filter) : Placeholder("f", DType.Float32), Const("b", Tensor.Vector(b)),
            Node("conv", "Conv2D", ["x", "f"], F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str(pool ? "VALID" : "SAME"))),
            Node("bias", "BiasAdd", ["conv", "b"], F32),
        };
        if (relu) nodes.Add(Node("relu", "Relu", [last], F32));
        if (relu) last = "relu";
        if (pool) nodes.Add(Node("pool", "MaxPool", [last], F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))));
        if (pool) last = "pool";
        var session = new GraphSession(GraphImporter.Import(Graph([.. nodes])));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x, batch, size, size, channels) };
        if (!constantFilter) feeds["f"] = filter;

        float[] fused = session.Run(feeds, [last])[0].ToArray<float>();
        Assert.Equal(nodes.Count - 4, session.Explain([.. feeds.Keys], [last]).FusedNodes);
        // Fetching the convolution keeps every step of the chain separate.
        var unfused = session.Run(feeds, [last, "conv"]);
        Assert.Equal(unfused[0].ToArray<float>(), fused);
        if (pool) return;
        float[] conv = unfused[1].ToArray<float>();
        for (int i = 0; i < fused.Length; i++)
            Assert.Equal(Math.Max(relu ? 0 : float.NegativeInfinity, conv[i] + b[i % outputs]), fused[i], 5);
    }

    [Fact]
    public void AChainWhoseInputsAreAllConstantsIsFoldedBeforeFusionsAreSought()
    {
        // Folding is a rewrite that runs before fusion: MatMul → BiasAdd → Relu over constants is one constant,
        // computed when the plan is built, not a fused step run every time.
        var x = Tensor.FromArray<float>([1, -2, 3, 4, 0.5f, -1], 2, 3);
        var w = Tensor.FromArray<float>([0.5f, -1, 2, 1, -0.5f, 0.25f], 3, 2);
        var session = new GraphSession(GraphImporter.Import(Graph(
            Const("x", x), Const("w", w), Const("b", Tensor.Vector(0.1f, -3f)),
            Node("mm", "MatMul", ["x", "w"], F32), Node("bias", "BiasAdd", ["mm", "b"], F32), Node("relu", "Relu", ["bias"], F32))));
        Assert.Equal(new PlanStatistics(Steps: 0, FoldedNodes: 6, FusedNodes: 0, CrossDeviceEdges: 0), session.Explain(null, ["relu"]));
        // x·w = [[-5, -2.25], [3.5, -3.75]]; + b, then Relu.
        Assert.Equal([0f, 0f, 3.6f, 0f], session.Run(new Dictionary<string, Tensor>(), ["relu"])[0].ToArray<float>());
    }

    [Fact]
    public void FusedLayerWithWeightsFedAtRunTimeAddsTheBiasInTheProduct()
    {
        const int batch = 7, inputs = 300, outputs = 41;
        var random = new Random(11);
        float[] w = [.. Enumerable.Range(0, inputs * outputs).Select(_ => random.NextSingle() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, outputs).Select(_ => random.NextSingle() - 0.5f)];
        float[] x = [.. Enumerable.Range(0, batch * inputs).Select(_ => random.NextSingle() - 0.5f)];
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Placeholder("w", DType.Float32), Const("b", Tensor.Vector(b)),
            Node("mm", "MatMul", ["x", "w"], F32), Node("bias", "BiasAdd", ["mm", "b"], F32), Node("relu", "Relu", ["bias"], F32))));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x, batch, inputs), ["w"] = Tensor.FromArray<float>(w, inputs, outputs) };
        float[] fused = session.Run(feeds, ["relu"])[0].ToArray<float>();
        Assert.Equal(2, session.Explain(["x", "w"], ["relu"]).FusedNodes);
        for (int i = 0; i < batch; i++)
            for (int j = 0; j < outputs; j++)
            {
                double sum = b[j];
                for (int p = 0; p < inputs; p++) sum += (double)x[i * inputs + p] * w[p * outputs + j];
                Assert.True(Math.Abs(Math.Max(0, sum) - fused[i * outputs + j]) < 1e-4, $"[{i},{j}] {fused[i * outputs + j]} vs {Math.Max(0, sum)}");
            }
        // A bias that does not fit the product is reported by the BiasAdd node.
        var badSession = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Placeholder("w", DType.Float32), Const("b", Tensor.Vector(1f, 2f)),
            Node("mm", "MatMul", ["x", "w"], F32), Node("bias", "BiasAdd", ["mm", "b"], F32), Node("relu", "Relu", ["bias"], F32))));
        Assert.Equal("bias", Assert.Throws<GraphException>(() => badSession.Run(feeds, ["relu"])).NodeName);
    }

    [Fact]
    public void ABiasFedAtRunTimeIsNotFoldedIntoThePlan()
    {
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("w", Tensor.FromArray<float>([1, 0, 0, 1], 2, 2)), Placeholder("b", DType.Float32),
            Node("mm", "MatMul", ["x", "w"], F32), Node("bias", "BiasAdd", ["mm", "b"], F32))));
        var r1 = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1, 2], 1, 2), ["b"] = Tensor.Vector(10f, 20f) }, ["bias"]);
        var r2 = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1, 2], 1, 2), ["b"] = Tensor.Vector(-1f, -2f) }, ["bias"]);
        Assert.Equal([11f, 22f], r1[0].ToArray<float>());
        Assert.Equal([0f, 0f], r2[0].ToArray<float>());
        var bad = Assert.Throws<GraphException>(() => session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1, 2], 1, 2), ["b"] = Tensor.Vector(1f) }, ["bias"]));
        Assert.Equal("bias", bad.NodeName);
    }

    [Fact]
    public void ProfileTimesEachStepOfThePlanAndNamesFusedChains()
    {
        var random = new Random(3);
        Tensor Random(params long[] dims) => Tensor.FromArray<float>([.. Enumerable.Range(0, (int)dims.Aggregate((a, b) => a * b)).Select(_ => random.NextSingle() - 0.5f)], dims);
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("w", Random(64, 32)), Const("b", Random(32)),
            Node("mm", "MatMul", ["x", "w"], F32),
            Node("bias", "BiasAdd", ["mm", "b"], F32),
            Node("relu", "Relu", ["bias"], F32),
            Node("probabilities", "Softmax", ["relu"], F32))));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(8, 64) };

        var profile = session.Profile(feeds, ["probabilities"], runs: 5);

        Assert.Equal(session.Explain(["x"], ["probabilities"]).Steps, profile.Count);
        Assert.Contains(profile, p => p.Node == "relu" && p.Op == "MatMul+BiasAdd+Relu");
        Assert.Contains(profile, p => p.Node == "probabilities" && p.Op == "Softmax");
        Assert.Equal(1.0, profile.Sum(p => p.Share), 6);
        Assert.True(profile.Zip(profile.Skip(1)).All(pair => pair.First.Median >= pair.Second.Median), "slowest first");
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Profile(feeds, ["probabilities"], runs: 0));
    }

    [Theory]
    [InlineData(true, false, true, false, true)] // Keras' Conv2D(use_bias=False) → BatchNormalization → ReLU
    [InlineData(true, true, false, false, true)] // with the convolution's bias, no activation
    [InlineData(true, true, true, true, true)] // and a max pooling after the activation
    [InlineData(false, false, true, false, true)] // a fed filter: folded on every run
    [InlineData(true, false, false, false, false)] // training mode uses batch statistics: not folded
    public void ABatchNormalizationAfterAConvolutionFoldsIntoItsFilter(bool constantFilter, bool biasAdd, bool relu, bool pool, bool inference)
    {
        const int batch = 2, size = 10, channels = 3, outputs = 16;
        var random = new Random(outputs + (biasAdd ? 1 : 0) + (relu ? 2 : 0));
        Tensor Random(float low, float high, params long[] dims) =>
            Tensor.FromArray<float>([.. Enumerable.Range(0, (int)dims.Aggregate((a, b) => a * b)).Select(_ => low + (high - low) * random.NextSingle())], dims);
        var filter = Random(-0.5f, 0.5f, 3, 3, channels, outputs);
        var nodes = new List<Protos.NodeDef>
        {
            Placeholder("x", DType.Float32), constantFilter ? Const("f", filter) : Placeholder("f", DType.Float32),
            Const("b", Random(-0.5f, 0.5f, outputs)), Const("scale", Random(0.5f, 2, outputs)), Const("offset", Random(-1, 1, outputs)),
            Const("mean", Random(-0.5f, 0.5f, outputs)), Const("variance", Random(0.1f, 2, outputs)),
            Node("conv", "Conv2D", ["x", "f"], F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str(pool ? "VALID" : "SAME"))),
        };
        string last = "conv";
        if (biasAdd) nodes.Add(Node("bias", "BiasAdd", ["conv", "b"], F32));
        if (biasAdd) last = "bias";
        nodes.Add(Node("bn", "FusedBatchNormV3", [last, "scale", "offset", "mean", "variance"], F32, ("U", Type(DType.Float32)),
            ("epsilon", Float(0.001f)), ("is_training", Bool(!inference)), ("data_format", Str("NHWC"))));
        last = "bn";
        if (relu) nodes.Add(Node("relu", "Relu", [last], F32));
        if (relu) last = "relu";
        if (pool) nodes.Add(Node("pool", "MaxPool", [last], F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))));
        if (pool) last = "pool";
        var session = new GraphSession(GraphImporter.Import(Graph([.. nodes])));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(-1, 1, batch, size, size, channels) };
        if (!constantFilter) feeds["f"] = filter;

        float[] fused = session.Run(feeds, [last])[0].ToArray<float>();
        int chain = 1 + (biasAdd ? 1 : 0) + (relu ? 1 : 0) + (pool ? 1 : 0); // the nodes before the last one
        int expectedFused = inference ? chain : biasAdd ? 1 : 0;
        Assert.Equal(expectedFused, session.Explain([.. feeds.Keys], [last]).FusedNodes);
        // Fetching the convolution keeps every node of the chain separate: FusedBatchNormV3's own kernel runs.
        float[] unfused = session.Run(feeds, [last, "conv"])[0].ToArray<float>();
        Assert.Equal(unfused.Length, fused.Length);
        for (int i = 0; i < fused.Length; i++)
            Assert.True(Math.Abs(fused[i] - unfused[i]) <= 1e-4f * Math.Max(1, Math.Abs(unfused[i])), $"[{i}] folded {fused[i]}, unfolded {unfused[i]}");
    }

    [Fact]
    public void ABatchNormalizationWhoseStatisticsAreFetchedIsNotFolded()
    {
        var random = new Random(4);
        Tensor Random(params long[] dims) => Tensor.FromArray<float>([.. Enumerable.Range(0, (int)dims.Aggregate((a, b) => a * b)).Select(_ => 0.5f + random.NextSingle())], dims);
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("f", Random(3, 3, 2, 4)),
            Const("scale", Random(4)), Const("offset", Random(4)), Const("mean", Random(4)), Const("variance", Random(4)),
            Node("conv", "Conv2D", ["x", "f"], F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str("SAME"))),
            Node("bn", "FusedBatchNormV3", ["conv", "scale", "offset", "mean", "variance"], F32, ("U", Type(DType.Float32)), ("is_training", Bool(false))))));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(1, 5, 5, 2) };
        Assert.Equal(1, session.Explain(["x"], ["bn"]).FusedNodes);
        Assert.Equal(0, session.Explain(["x"], ["bn", "bn:1"]).FusedNodes);
        var both = session.Run(feeds, ["bn", "bn:1"]);
        Assert.Equal(session.Run(feeds, ["bn"])[0].ToArray<float>().Length, both[0].ToArray<float>().Length);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void WeightsReadFromAVariableArePackedOnceAndFollowTheVariable(bool transposeWeights, bool tf1Variable)
    {
        const int Batch = 7, Inputs = 40, Outputs = 36;
        var random = new Random(5);
        Tensor Weights() => transposeWeights
            ? Tensor.FromArray<float>([.. Enumerable.Range(0, Inputs * Outputs).Select(_ => random.NextSingle() - 0.5f)], Outputs, Inputs)
            : Tensor.FromArray<float>([.. Enumerable.Range(0, Inputs * Outputs).Select(_ => random.NextSingle() - 0.5f)], Inputs, Outputs);
        var variable = tf1Variable
            ? new[] { Node("w", "VariableV2", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(transposeWeights ? [Outputs, Inputs] : [Inputs, Outputs]))),
                      Node("w/read", "Identity", ["w"], F32) }
            : [Node("w", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(transposeWeights ? [Outputs, Inputs] : [Inputs, Outputs])), ("shared_name", Str("w"))),
               Node("w/read", "ReadVariableOp", ["w"], ("dtype", Type(DType.Float32)))];
        var session = new GraphSession(GraphImporter.Import(Graph([
            Placeholder("x", DType.Float32), .. variable, Const("b", Tensor.Vector(new float[Outputs])),
            Node("mm", "MatMul", ["x", "w/read"], F32, ("transpose_b", Bool(transposeWeights))),
            Node("bias", "BiasAdd", ["mm", "b"], F32)])));
        var x = Tensor.FromArray<float>([.. Enumerable.Range(0, Batch * Inputs).Select(_ => random.NextSingle() - 0.5f)], Batch, Inputs);
        var feeds = new Dictionary<string, Tensor> { ["x"] = x };

        float[] Expected(Tensor w)
        {
            float[] values = w.ToArray<float>(), xs = x.ToArray<float>(), result = new float[Batch * Outputs];
            for (int i = 0; i < Batch; i++)
                for (int j = 0; j < Outputs; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < Inputs; p++) sum += xs[i * Inputs + p] * values[transposeWeights ? j * Inputs + p : p * Outputs + j];
                    result[i * Outputs + j] = (float)sum;
                }
            return result;
        }
        void Check(Tensor w)
        {
            float[] actual = session.Run(feeds, ["bias"])[0].ToArray<float>(), expected = Expected(w);
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5f, $"[{i}]: {actual[i]}, expected {expected[i]}");
        }

        // Three runs on one value (scratch, then packed for keeps, then from the cache), then a new value.
        var first = Weights();
        session.Resources.GetOrCreate("", "w").Assign(first);
        for (int run = 0; run < 3; run++) Check(first);
        var second = Weights();
        session.Resources.GetOrCreate("", "w").Assign(second);
        for (int run = 0; run < 3; run++) Check(second);
        session.Resources.GetOrCreate("", "w").Assign(first);
        Check(first);
    }
}
