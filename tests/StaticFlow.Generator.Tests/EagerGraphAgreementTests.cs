using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>A graph function called directly (eager kernels) and through its compiled graph gives the same results.</summary>
public class EagerGraphAgreementTests
{
    private static readonly Lazy<Assembly> s_everything = new(() => GeneratorHost.Build(Sources.Everything));

    private static IGraphModule Create(int seed)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_everything.Value.GetType("Models.Everything")!)!;
        module.GetType().GetMethod("InitializeVariables")!.Invoke(module, [seed]);
        return module;
    }

    // Optional parameters (the graph methods' cancellation token) take their defaults.
    private static Tensor<float> Call(IGraphModule module, string method, params object[] arguments)
    {
        var info = module.GetType().GetMethod(method)!;
        object?[] all = [.. arguments, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - arguments.Length)];
        return (Tensor<float>)info.Invoke(module, all)!;
    }

    [Fact]
    public void AGraphMethodStopsWhenItsTokenIsCancelled()
    {
        var module = Create(0);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var a = Tensor<float>.From([0.5f], 1);
        var b = Tensor<float>.From([1000f], 1);
        var error = Assert.Throws<System.Reflection.TargetInvocationException>(() => Call(module, "DoublingGraph", a, b, cancelled.Token));
        Assert.IsAssignableFrom<OperationCanceledException>(error.InnerException);
        Assert.Equal(Call(module, "Doubling", a, b).ToArray(), Call(module, "DoublingGraph", a, b, CancellationToken.None).ToArray());
    }

    [Fact]
    public void ForwardAgreesOnRandomInputs()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 12; trial++)
        {
            var module = Create(trial);
            int rows = 1 + random.Next(5);
            float scale = trial % 3 == 0 ? 10f : 1f;
            var input = Tensor<float>.From([.. Enumerable.Range(0, rows * 4).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)], rows, 4);
            var eager = Call(module, "Forward", input);
            var graph = Call(module, "ForwardGraph", input);
            Assert.Equal(eager.Shape, graph.Shape);
            Assert.Equal(new TensorShape(rows, 3), graph.Shape);
            float[] e = eager.ToArray(), g = graph.ToArray();
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-5f * Math.Max(1f, Math.Abs(e[i])), $"trial {trial}, element {i}: eager {e[i]}, graph {g[i]}");
        }
    }

    [Theory]
    [InlineData(1f, 10f)]
    [InlineData(3f, 3f)]
    [InlineData(0.5f, 1000f)]
    [InlineData(7f, 7.5f)]
    public void WhileLoopsAgree(float start, float limit)
    {
        var module = Create(0);
        var a = Tensor<float>.From([start], 1);
        var b = Tensor<float>.From([limit], 1);
        Assert.Equal(Call(module, "Doubling", a, b).ToArray(), Call(module, "DoublingGraph", a, b).ToArray());
    }

    [Fact]
    public void WhileLoopsBecomeStatelessWhileWithLibraryFunctions()
    {
        var graph = Create(0).Definition.ToGraphDef();
        var loop = Assert.Single(graph.Node, n => n.Op == "StatelessWhile");
        Assert.Equal("Everything_Doubling_while_cond", loop.Attr["cond"].Func.Name);
        Assert.Equal("Everything_Doubling_while_body", loop.Attr["body"].Func.Name);
        // The state: every tensor the loop mentions, in order of first mention: value (still the start
        // placeholder's tensor when the loop begins), limit, and steps (the constant 0).
        Assert.Equal(["Doubling/start", "Doubling/limit", "Doubling/Const"], loop.Input);
        var body = graph.Library.Function.Single(f => f.Signature.Name == "Everything_Doubling_while_body");
        Assert.Contains(body.NodeDef, n => n.Op == "SelectV2");
    }

    [Fact]
    public void VariableWritesAgreeAndReachTheModule()
    {
        var eager = Create(1);
        var graph = Create(1);
        foreach (float amount in new[] { 1f, 0.5f, -3f })
        {
            var delta = Tensor<float>.From([amount], 1);
            Assert.Equal(Call(eager, "Accumulate", delta).ToArray(), Call(graph, "AccumulateGraph", delta).ToArray());
        }
        Assert.Equal(new[] { -4.5f }, eager.GetVariables()["total"].ToArray<float>());
        Assert.Equal(new[] { -4.5f }, graph.GetVariables()["total"].ToArray<float>());
    }

    [Fact]
    public void CalledGraphFunctionsBecomeLibraryFunctions()
    {
        var definition = Create(0).Definition;
        var graph = definition.ToGraphDef();
        var stats = Assert.Single(graph.Library.Function, f => f.Signature.Name == "Everything_Stats");
        Assert.Equal("Everything_Stats", stats.Signature.Name);
        Assert.Equal(["v", "b_handle"], stats.Signature.InputArg.Select(a => a.Name));
        Assert.Contains(graph.Node, n => n.Op == "StatefulPartitionedCall" && n.Attr["f"].Func.Name == "Everything_Stats" && n.Name.StartsWith("Forward/layer/", StringComparison.Ordinal));
        // The for loop is unrolled: its three multiplications plus the sigmoid's scaling.
        Assert.Equal(4, graph.Node.Count(n => n.Op == "Mul" && n.Name.StartsWith("Forward/layer/", StringComparison.Ordinal)));
        Assert.DoesNotContain(graph.Node, n => n.Op is "While" or "StatelessWhile" && n.Name.StartsWith("Forward/", StringComparison.Ordinal));
        Assert.Contains(graph.Node, n => n.Op == "SelectV2" && n.Name.StartsWith("Forward/", StringComparison.Ordinal));
        Assert.All(graph.Node.Where(n => n.Op == "AssignVariableOp"), n => Assert.StartsWith("Accumulate/", n.Name));
    }

    [Fact]
    public void ExportedModuleWithLibraryFunctionsAndLoopsLoadsAndAgrees()
    {
        var module = Create(4);
        string directory = module.ExportSavedModel(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "everything"));
        var signature = StaticFlow.SavedModels.SavedModelBundle.Load(directory).GetSignature();
        var input = Tensor<float>.From([0.5f, -1f, 2f, 0.25f, 3f, -0.5f, 1f, 1f], 2, 4);
        var loaded = signature.Run(new Dictionary<string, Tensor> { ["x"] = input.Untyped })["output_0"];
        float[] eager = Call(module, "Forward", input).ToArray(), graph = loaded.ToArray<float>();
        for (int i = 0; i < eager.Length; i++) Assert.True(Math.Abs(eager[i] - graph[i]) <= 1e-5f * Math.Max(1f, Math.Abs(eager[i])), $"element {i}: {eager[i]} vs {graph[i]}");
        var library = StaticFlow.SavedModels.SavedModelDirectory.Open(directory).GetMetaGraph("serve").GraphDef.Library.Function.Select(f => f.Signature.Name);
        // The functions calls and loops use, and each graph function's own concrete function (with the loops it holds).
        Assert.Superset(new HashSet<string> { "Everything_Doubling_while_body", "Everything_Doubling_while_cond", "Everything_Stats" }, library.ToHashSet());
        Assert.All(module.Definition.Functions.Where(f => f.Name != "Train"), f => Assert.Contains(f.ConcreteFunction!, library));
    }

    [Fact]
    public void WrongInputsGiveTypedErrorsNamingTheFunction()
    {
        var module = Create(0);
        var wrongShape = Tensor<float>.From([1f, 2f, 3f], 1, 3);
        var error = Assert.Throws<TargetInvocationException>(() => Call(module, "ForwardGraph", wrongShape));
        var feed = Assert.IsType<StaticFlow.Graphs.FeedException>(error.InnerException);
        Assert.Contains("Everything.Forward", feed.Message);
        Assert.Contains("[?,4]", feed.Message);
    }
}
