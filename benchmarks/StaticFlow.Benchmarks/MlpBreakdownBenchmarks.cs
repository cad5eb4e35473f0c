using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StaticFlow.Kernels;

namespace StaticFlow.Benchmarks;

/// <summary>
/// Where the MLP's time goes: the three products alone (weights packed once, as the plan does) against the whole
/// graph run (products plus bias, relu, allocation and the executor), at batch 1 and 64, on one or two cores, with
/// the products split by the worker team or by the .NET thread pool.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class MlpBreakdownBenchmarks
{
    private static readonly int[] Widths = [784, 512, 512, 10];
    /// <summary>Rows per run.</summary>
    [Params(1, 64)]
    public int Batch { get; set; }
    private ModelPair _models = null!;
    private PackedMatrix[] _weights = null!;
    private float[][] _activations = null!;
    private Dictionary<string, Tensors.Tensor> _feeds = null!;

    /// <summary>Cores the products may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Spinning worker team (true) or the .NET thread pool (false) for the split products.</summary>
    [Params(false, true)]
    public bool Team { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Sgemm.Threads = Threads;
        Sgemm.UseWorkerTeam = Team;
        _models = ModelPair.Dense(Widths, biasAndRelu: true);
        var random = new Random(3);
        _weights = [.. Enumerable.Range(0, Widths.Length - 1).Select(l =>
            Sgemm.Pack(Widths[l], Widths[l + 1], [.. Enumerable.Range(0, Widths[l] * Widths[l + 1]).Select(_ => random.NextSingle())], Widths[l + 1], transB: false))];
        _activations = [.. Widths.Select(w => new float[Batch * w])];
        random.NextBytes(new byte[1]);
        for (int i = 0; i < _activations[0].Length; i++) _activations[0][i] = random.NextSingle();
        _feeds = new() { ["x"] = Tensors.Tensor.FromArray<float>(_activations[0], Batch, Widths[0]) };
    }

    /// <summary>The three products only.</summary>
    [Benchmark(Baseline = true)]
    public float Products()
    {
        for (int l = 0; l < _weights.Length; l++)
            Sgemm.Multiply(Batch, _activations[l], Widths[l], transA: false, _weights[l], _activations[l + 1], Widths[l + 1]);
        return _activations[^1][0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Sgemm.Threads = Environment.ProcessorCount;
        Sgemm.UseWorkerTeam = true;
    }

    /// <summary>The graph, through the session.</summary>
    [Benchmark]
    public float Graph()
    {
        using var results = _models.Session.Run(_feeds, [_models.OutputName]);
        return results[0].AsSpan<float>()[0];
    }
}
