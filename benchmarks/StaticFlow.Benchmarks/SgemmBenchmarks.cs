using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StaticFlow.Kernels;

namespace StaticFlow.Benchmarks;

/// <summary>The GEMM kernel alone (no graph), to separate kernel speed from executor overhead.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class SgemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];

    [Params(256, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _a = [.. Enumerable.Range(0, Size * Size).Select(_ => random.NextSingle())];
        _b = [.. Enumerable.Range(0, Size * Size).Select(_ => random.NextSingle())];
        _c = new float[Size * Size];
    }

    [Benchmark]
    public void Sgemm() => Kernels.Sgemm.Multiply(Size, Size, Size, _a, Size, false, _b, Size, false, _c, Size);
}
