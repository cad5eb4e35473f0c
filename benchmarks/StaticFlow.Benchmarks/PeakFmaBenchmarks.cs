using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using System.Runtime.Intrinsics;

namespace StaticFlow.Benchmarks;

/// <summary>
/// This machine's single-core FMA peak, measured rather than assumed: 12 independent Vector512 (or Vector256)
/// fused multiply-add chains, enough to cover the FMA latency on every port. GEMM efficiency is reported as a
/// fraction of (this rate × cores).
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class PeakFmaBenchmarks
{
    /// <summary>Iterations per call; each does 12 FMAs of Vector512 (384 flops) or Vector256 (192 flops).</summary>
    public const int Iterations = 1_000_000;

    [Benchmark]
    public float FmaChains() => Chains(Iterations);

    internal static float Chains(int iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (int i = 0; i < iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a); c2 = Vector512.FusedMultiplyAdd(c2, m, a);
                c3 = Vector512.FusedMultiplyAdd(c3, m, a); c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a); c8 = Vector512.FusedMultiplyAdd(c8, m, a);
                c9 = Vector512.FusedMultiplyAdd(c9, m, a); c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }
        var m2 = Vector256.Create(0.999999f);
        var a2 = Vector256.Create(1e-7f);
        Vector256<float> d0 = Vector256.Create(1f), d1 = d0, d2 = d0, d3 = d0, d4 = d0, d5 = d0, d6 = d0, d7 = d0, d8 = d0, d9 = d0, d10 = d0, d11 = d0;
        for (int i = 0; i < iterations; i++)
        {
            d0 = Vector256.FusedMultiplyAdd(d0, m2, a2); d1 = Vector256.FusedMultiplyAdd(d1, m2, a2); d2 = Vector256.FusedMultiplyAdd(d2, m2, a2);
            d3 = Vector256.FusedMultiplyAdd(d3, m2, a2); d4 = Vector256.FusedMultiplyAdd(d4, m2, a2); d5 = Vector256.FusedMultiplyAdd(d5, m2, a2);
            d6 = Vector256.FusedMultiplyAdd(d6, m2, a2); d7 = Vector256.FusedMultiplyAdd(d7, m2, a2); d8 = Vector256.FusedMultiplyAdd(d8, m2, a2);
            d9 = Vector256.FusedMultiplyAdd(d9, m2, a2); d10 = Vector256.FusedMultiplyAdd(d10, m2, a2); d11 = Vector256.FusedMultiplyAdd(d11, m2, a2);
        }
        return Vector256.Sum(d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11);
    }
}

/// <summary>
/// How much a second core adds to pure FMA work on this machine: the same chains on one thread, and split in
/// half over two (Parallel.For), in the same run. Explains the GEMM's thread scaling in docs/benchmarks.md.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ThreadScalingBenchmarks
{
    [Params(100_000, 1_000_000)]
    public int Iterations { get; set; }

    [Benchmark(Baseline = true)]
    public float OneThread() => PeakFmaBenchmarks.Chains(Iterations);

    [Benchmark]
    public float TwoThreads()
    {
        var results = new float[2];
        Parallel.For(0, 2, t => results[t] = PeakFmaBenchmarks.Chains(Iterations / 2));
        return results[0] + results[1];
    }
}
