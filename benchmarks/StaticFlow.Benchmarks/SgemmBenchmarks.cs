using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StaticFlow.Kernels;

namespace StaticFlow.Benchmarks;

/// <summary>The GEMM kernel alone (no graph), to separate kernel speed from executor overhead.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class SgemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private PackedMatrix _packed = null!;

    [Params(256, 1024)]
    public int Size { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _a = [.. Enumerable.Range(0, Size * Size).Select(_ => random.NextSingle())];
        _b = [.. Enumerable.Range(0, Size * Size).Select(_ => random.NextSingle())];
        _c = new float[Size * Size];
        _packed = Kernels.Sgemm.Pack(Size, Size, _b, Size, transB: false);
        Kernels.Sgemm.Threads = Threads;
    }

    /// <summary>B packed on every call, as for a product of two computed matrices.</summary>
    [Benchmark]
    public void Sgemm() => Kernels.Sgemm.Multiply(Size, Size, Size, _a, Size, false, _b, Size, false, _c, Size);

    /// <summary>B packed once, as for constant weights.</summary>
    [Benchmark]
    public void SgemmPrepacked() => Kernels.Sgemm.Multiply(Size, _a, Size, false, _packed, _c, Size);
}
