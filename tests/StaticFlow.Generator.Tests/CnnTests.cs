using System.Reflection;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using StaticFlow.Tests;

namespace StaticFlow.Generator.Tests;

/// <summary>A CNN written as a graph function runs eagerly and as a graph with equal results, exports, and reloads.</summary>
public class CnnTests
{
    private static readonly Lazy<Assembly> s_cnn = new(() => GeneratorHost.Build(Sources.Cnn));

    private static IGraphModule Create(int seed)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_cnn.Value.GetType("Models.Cnn")!)!;
        module.GetType().GetMethod("InitializeVariables")!.Invoke(module, [seed]);
        return module;
    }

    private static Tensor<float> Call(IGraphModule module, string method, Tensor<float> images)
    {
        var info = module.GetType().GetMethod(method)!;
        object?[] arguments = [images, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - 1)];
        return (Tensor<float>)info.Invoke(module, arguments)!;
    }

    private static Tensor<float> Images(int batch, int seed)
    {
        var random = new Random(seed);
        return Tensor<float>.From([.. Enumerable.Range(0, batch * 64).Select(_ => random.NextSingle())], batch, 8, 8, 1);
    }

    [Fact]
    public void EagerAndGraphAgreeAndTheExportReloads()
    {
        var module = Create(seed: 5);
        var images = Images(batch: 3, seed: 11);
        float[] eager = Call(module, "Classify", images).ToArray(), graph = Call(module, "ClassifyGraph", images).ToArray();
        Assert.Equal(9, graph.Length);
        for (int i = 0; i < eager.Length; i++) Assert.True(Math.Abs(eager[i] - graph[i]) <= 1e-6f, $"element {i}: eager {eager[i]}, graph {graph[i]}");
        for (int row = 0; row < 3; row++) Assert.Equal(1f, graph.Skip(row * 3).Take(3).Sum(), 5);

        string directory = module.ExportSavedModel(Path.Combine(TempDirectory.Create(), "cnn"));
        var signature = SavedModelBundle.Load(directory).GetSignature();
        var exported = Assert.Single(signature.Run(new Dictionary<string, Tensor> { ["images"] = images.Untyped }).Values).ToArray<float>();
        Assert.Equal(graph, exported);
        var graphDef = SavedModelDirectory.Open(directory).GetMetaGraph("serve").GraphDef;
        var ops = graphDef.Node.Concat(graphDef.Library?.Function.SelectMany(f => f.NodeDef) ?? []).Select(n => n.Op).ToHashSet();
        Assert.All(new[] { "Conv2D", "MaxPool", "FusedBatchNormV3", "AvgPool", "MatMul", "Softmax" }, op => Assert.Contains(op, ops));
    }

    [Fact]
    public void TheCnnTrainsThroughConvolutionPoolingAndBatchNormGradients()
    {
        var module = Create(seed: 7);
        // Class = which third of the image (top, middle, bottom rows) is bright.
        var random = new Random(21);
        const int batch = 48;
        var pixels = new float[batch * 64];
        var labels = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            labels[b] = b % 3;
            for (int p = 0; p < 64; p++)
                pixels[b * 64 + p] = 0.2f * random.NextSingle() + (p / 8 * 3 / 8 == labels[b] ? 1f : 0f);
        }
        var images = Tensor<float>.From(pixels, batch, 8, 8, 1);
        var classes = Tensor<int>.From(labels, batch);
        var train = module.GetType().GetMethod("TrainGraph")!;
        float Step() => ((Tensor<float>)train.Invoke(module, [images, classes, CancellationToken.None])!).ToArray()[0];
        float first = Step(), last = first;
        for (int i = 0; i < 60; i++) last = Step();
        Assert.True(last < first * 0.3f, $"loss {first} -> {last}");
        var ops = module.Definition.ToGraphDef().Node.Select(n => n.Op).ToHashSet();
        Assert.All(new[] { "Conv2DBackpropFilter", "MaxPoolGrad", "AvgPoolGrad", "FusedBatchNormGradV3", "ReluGrad", "BiasAddGrad" }, op => Assert.Contains(op, ops));
    }

    [Fact]
    public void NewOpsAgreeEagerAndAsAGraph()
    {
        var module = Create(seed: 2);
        var x = Tensor<float>.From([0.5f, -1.2f, 2.25f, 0.1f, -0.4f, 3f, -2.5f, 1.5f], 2, 4);
        var labels = Tensor<int>.From([2, 0], 2);
        var method = module.GetType().GetMethod("Mixed")!;
        var graphMethod = module.GetType().GetMethod("MixedGraph")!;
        var eager = (Tensor<float>)method.Invoke(module, [x, labels])!;
        var graph = (Tensor<float>)graphMethod.Invoke(module, [x, labels, .. Enumerable.Repeat(Type.Missing, graphMethod.GetParameters().Length - 2)])!;
        Assert.Equal(new TensorShape(2, 4), graph.Shape);
        Assert.Equal(eager.ToArray(), graph.ToArray());
    }

    [Fact]
    public void TransposedConvolutionResizeAndEinsumAgreeEagerAndAsAGraph()
    {
        var module = Create(seed: 4);
        var images = Images(batch: 1, seed: 3);
        var small = Tensor<float>.From([.. images.ToArray().Take(16)], 1, 4, 4, 1);
        var eager = (Tensor<float>)module.GetType().GetMethod("Upsample")!.Invoke(module, [small])!;
        var graphMethod = module.GetType().GetMethod("UpsampleGraph")!;
        var graph = (Tensor<float>)graphMethod.Invoke(module, [small, Type.Missing])!;
        Assert.Equal(new TensorShape(8, 8), graph.Shape);
        float[] e = eager.ToArray(), g = graph.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-5f * Math.Max(1f, Math.Abs(e[i])), $"element {i}: eager {e[i]}, graph {g[i]}");
    }

    [Fact]
    public void AConditionOfUnknownShapeIsOneBoolInBothModesOrFailsInBoth()
    {
        var module = Create(seed: 1);
        var gate = module.GetType().GetMethod("Gate")!;
        var gateGraph = module.GetType().GetMethod("GateGraph")!;
        Tensor<float> Eager(Tensor<float> x) => (Tensor<float>)gate.Invoke(module, [x])!;
        Tensor<float> Graph(Tensor<float> x) => (Tensor<float>)gateGraph.Invoke(module, [x, Type.Missing])!;
        var vector = Tensor<float>.From([1f, -3f, 1f], 3);
        Assert.Equal([-1f, 3f, -1f], Eager(vector).ToArray());
        Assert.Equal(Eager(vector).ToArray(), Graph(vector).ToArray());
        // Summing a matrix over one axis leaves two values: eager code cannot read them as one bool, and neither can the graph.
        var matrix = Tensor<float>.From([1f, 2f, 3f, 4f], 2, 2);
        Assert.IsType<InvalidOperationException>(Assert.Throws<TargetInvocationException>(() => Eager(matrix)).InnerException);
        Assert.IsAssignableFrom<StaticFlow.Graphs.GraphException>(Assert.Throws<TargetInvocationException>(() => Graph(matrix)).InnerException);
    }

    [Fact]
    public void AShapeThatCannotFitTheFilterIsACompileTimeError()
    {
        string source = Sources.Cnn.Replace("[Variable(3, 3, 1, 4,", "[Variable(3, 3, 2, 4,");
        var diagnostics = GeneratorHost.Analyze(GeneratorHost.Compile(source));
        Assert.Contains(diagnostics, d => d.Id == "SF0006" && d.GetMessage().Contains("input channels 1 do not match the filter's 2"));
    }
}
