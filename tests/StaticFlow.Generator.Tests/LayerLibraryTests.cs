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
}
