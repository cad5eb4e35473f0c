using System.Reflection;
using System.Runtime.Loader;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using StaticFlow.Generator;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>
/// A compiled Adam train step against the forward pass of the same module in the same run: the MLP 784-512-512-10
/// (Dense relu, Dense relu, Dense, sparse softmax cross-entropy) and the small CNN (Conv 3x3x32, MaxPool 2,
/// Conv 3x3x64, MaxPool 2, Dense 128, Dense 10 on 28x28x1), both at batch 64. A step does about three times the
/// forward pass's multiply-adds; docs/benchmarks.md turns the times into fractions of the measured FMA peak.
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private const string Source = """
        using StaticFlow;

        [GraphModule]
        public partial class Mlp
        {
            [Variable(784, 512, Init = Init.GlorotUniform)] Tensor<float> w1;
            [Variable(512)] Tensor<float> b1;
            [Variable(512, 512, Init = Init.GlorotUniform)] Tensor<float> w2;
            [Variable(512)] Tensor<float> b2;
            [Variable(512, 10, Init = Init.GlorotUniform)] Tensor<float> w3;
            [Variable(10)] Tensor<float> b3;

            [GraphFunction]
            public Tensor<float> Forward([Shape(-1, 784)] Tensor<float> x)
            {
                var h1 = Ops.Relu(Ops.BiasAdd(Ops.MatMul(x, w1), b1));
                var h2 = Ops.Relu(Ops.BiasAdd(Ops.MatMul(h1, w2), b2));
                return Ops.BiasAdd(Ops.MatMul(h2, w3), b3);
            }

            [GraphFunction]
            public Tensor<float> Loss([Shape(-1, 784)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) =>
                Losses.SparseCategoricalCrossentropy(labels, Forward(x), fromLogits: true);

            [GraphFunction, TrainStep(Optimizer.Adam)]
            public Tensor<float> Train([Shape(-1, 784)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) => Loss(x, labels);
        }

        [GraphModule]
        public partial class SmallCnn
        {
            [Variable(3, 3, 1, 32, Init = Init.GlorotUniform)] Tensor<float> k1;
            [Variable(32)] Tensor<float> c1;
            [Variable(3, 3, 32, 64, Init = Init.GlorotUniform)] Tensor<float> k2;
            [Variable(64)] Tensor<float> c2;
            [Variable(1600, 128, Init = Init.GlorotUniform)] Tensor<float> w1;
            [Variable(128)] Tensor<float> b1;
            [Variable(128, 10, Init = Init.GlorotUniform)] Tensor<float> w2;
            [Variable(10)] Tensor<float> b2;

            [GraphFunction]
            public Tensor<float> Forward([Shape(-1, 28, 28, 1)] Tensor<float> x)
            {
                var a = Ops.MaxPool(Ops.Relu(Ops.BiasAdd(Ops.Conv2D(x, k1, [1, 1, 1, 1], "VALID"), c1)), [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
                var b = Ops.MaxPool(Ops.Relu(Ops.BiasAdd(Ops.Conv2D(a, k2, [1, 1, 1, 1], "VALID"), c2)), [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
                var h = Ops.Relu(Ops.BiasAdd(Ops.MatMul(Ops.Reshape(b, [-1, 1600]), w1), b1));
                return Ops.BiasAdd(Ops.MatMul(h, w2), b2);
            }

            [GraphFunction]
            public Tensor<float> Loss([Shape(-1, 28, 28, 1)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) =>
                Losses.SparseCategoricalCrossentropy(labels, Forward(x), fromLogits: true);

            [GraphFunction, TrainStep(Optimizer.Adam)]
            public Tensor<float> Train([Shape(-1, 28, 28, 1)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) => Loss(x, labels);
        }
        """;

    private static readonly Lazy<Assembly> s_models = new(() =>
    {
        CSharpGeneratorDriver.Create(new GraphModuleGenerator()).RunGeneratorsAndUpdateCompilation(GeneratorCompilations.Create(Source), out var output, out var diagnostics);
        using var stream = new MemoryStream();
        var result = output.Emit(stream);
        if (!result.Success) throw new InvalidOperationException(string.Join("\n", result.Diagnostics.Concat(diagnostics).Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        return new AssemblyLoadContext("training-benchmarks").LoadFromStream(stream);
    });

    private object _module = null!;
    private MethodInfo _forward = null!, _train = null!;
    private Tensor<float> _x = null!;
    private Tensor<int> _labels = null!;

    [Params("Mlp", "SmallCnn")]
    public string Model { get; set; } = "Mlp";

    [GlobalSetup]
    public void Setup()
    {
        _module = Activator.CreateInstance(s_models.Value.GetType(Model)!)!;
        _forward = _module.GetType().GetMethod("ForwardGraph")!;
        _train = _module.GetType().GetMethod("TrainGraph")!;
        var random = new Random(1);
        long[] shape = Model == "Mlp" ? [64, 784] : [64, 28, 28, 1];
        _x = Tensor<float>.From([.. Enumerable.Range(0, 64 * 784).Select(_ => random.NextSingle())], shape);
        _labels = Tensor<int>.From([.. Enumerable.Range(0, 64).Select(i => i % 10)], 64);
    }

    /// <summary>The forward pass at batch 64 (the baseline).</summary>
    [Benchmark(Baseline = true)]
    public object Forward() => _forward.Invoke(_module, [_x, CancellationToken.None])!;

    /// <summary>
    /// Prints where one train step of <paramref name="model"/> spends its time (<c>GraphSession.Profile</c>, the 15
    /// slowest steps): <c>dotnet run -c Release -- --profile-training Mlp</c>.
    /// </summary>
    public static void PrintProfile(string model, TextWriter output)
    {
        var benchmark = new TrainingBenchmarks { Model = model };
        benchmark.Setup();
        benchmark.TrainStep();
        var module = (IGraphModule)benchmark._module;
        var session = ((GraphModuleSession)module.GetType().GetProperty("GraphSession")!.GetValue(module)!).Session;
        var train = module.Definition.Function("Train");
        var feeds = new Dictionary<string, Tensor> { [train.Inputs[0].TensorName] = benchmark._x.Untyped, [train.Inputs[1].TensorName] = benchmark._labels.Untyped };
        string[] fetches = [.. train.Outputs.Select(o => o.TensorName)];
        // The profile's warm-up (half a second at least) comes first, so the means below time optimized code.
        var steps = session.Profile(feeds, fetches, runs: 30);
        var prepared = session.Prepare([.. feeds.Keys], fetches);
        Tensor[] feedValues = [.. feeds.Values];
        double runOnly = MeanMilliseconds(() => { prepared.Run(feedValues).Dispose(); return 0; });
        output.WriteLine($"{model}: the train step's prepared run alone {runOnly:F3} ms per call (mean of 100)");
        double MeanMilliseconds(Func<object> call)
        {
            for (int i = 0; i < 20; i++) call();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < 100; i++) call();
            return clock.Elapsed.TotalMilliseconds / 100;
        }
        double stepTime = MeanMilliseconds(benchmark.TrainStep), forward = MeanMilliseconds(benchmark.Forward);
        output.WriteLine($"{model}: TrainGraph {stepTime:F3} ms, ForwardGraph {forward:F3} ms per call (means of 100), ratio {stepTime / forward:F2}");
        // On one core, the process's CPU time: a shared host's stolen cycles inflate wall times, not CPU times.
        double CpuMilliseconds(Func<object> call)
        {
            for (int i = 0; i < 20; i++) call();
            var process = System.Diagnostics.Process.GetCurrentProcess();
            process.Refresh();
            var before = process.TotalProcessorTime;
            for (int i = 0; i < 100; i++) call();
            process.Refresh();
            return (process.TotalProcessorTime - before).TotalMilliseconds / 100;
        }
        int threads = Kernels.Sgemm.Threads;
        Kernels.Sgemm.Threads = 1;
        try
        {
            double stepCpu = CpuMilliseconds(benchmark.TrainStep), forwardCpu = CpuMilliseconds(benchmark.Forward);
            output.WriteLine($"{model} on one core: TrainGraph {stepCpu:F3} ms, ForwardGraph {forwardCpu:F3} ms of CPU per call (means of 100), ratio {stepCpu / forwardCpu:F2}");
        }
        finally { Kernels.Sgemm.Threads = threads; }
        output.WriteLine($"{model} train step: {steps.Sum(s => s.Median.TotalMilliseconds):F2} ms in kernels, {steps.Sum(s => s.AllocatedBytes)} bytes allocated");
        if (session.Explain([.. feeds.Keys], fetches).Memory is { } memory)
            output.WriteLine($"{model} train step arena: {memory.ArenaBytes} bytes for {memory.Tensors} intermediates, largest live set {memory.LargestLiveSetBytes} bytes ({memory.Overhead:F3}x)");
        foreach (var step in steps.Take(15))
            output.WriteLine($"  {step.Median.TotalMilliseconds,8:F3} ms {step.Share,6:P1} {step.AllocatedBytes,9} B  {step.Op,-28} {step.Node}");
    }

    /// <summary>One Adam train step at batch 64: forward, backward and update.</summary>
    [Benchmark]
    public object TrainStep() => _train.Invoke(_module, [_x, _labels, CancellationToken.None])!;
}
