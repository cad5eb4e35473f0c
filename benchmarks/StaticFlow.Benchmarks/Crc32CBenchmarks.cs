using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using StaticFlow.Formats.Hashing;

namespace StaticFlow.Benchmarks;

/// <summary>CRC32C throughput on 1 MiB (cache-resident) against copying the same bytes.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class Crc32CBenchmarks
{
    private readonly byte[] _data = new byte[1 << 20];
    private readonly byte[] _copy = new byte[1 << 20];

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_data);

    [Benchmark(Baseline = true)]
    public void Copy() => _data.AsSpan().CopyTo(_copy);

    [Benchmark]
    public uint Crc32C_() => Crc32C.Compute(_data);
}
