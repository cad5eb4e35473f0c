using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using Microsoft.Win32.SafeHandles;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>
/// Saving and restoring a 256 MB checkpoint (16 float32 variables of 16 MB) against writing and reading the
/// same bytes raw in the same run. Both sides flush to disk on write and allocate fresh buffers on read, so
/// the ratio is the cost of the format: CRC32C of every byte, the index, the renames.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 20)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[MemoryDiagnoser]
public class CheckpointIoBenchmarks
{
    private const int VariableCount = 16;
    private const int ElementsPerVariable = 4 * 1024 * 1024; // 16 MB of float32 each, 256 MB in all

    private readonly Dictionary<string, Tensor> _variables = [];
    private string _directory = "";
    private string _rawPath = "";
    private string _readPrefix = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < VariableCount; i++)
        {
            var values = new float[ElementsPerVariable];
            for (int j = 0; j < values.Length; j++) values[j] = random.NextSingle();
            _variables[$"layer{i:D2}/kernel"] = Tensor.FromArray<float>(values, 2048, 2048);
        }
        _directory = Path.Combine(Path.GetTempPath(), "staticflow-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _rawPath = Path.Combine(_directory, "raw.bin");
        _readPrefix = Path.Combine(_directory, "read");
        WriteRaw(_rawPath);
        Checkpoint.Save(_readPrefix, _variables, CheckpointKeyStyle.NameBased);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true), BenchmarkCategory("Write")]
    public void RawWrite() => WriteRaw(Path.Combine(_directory, "raw-write.bin"));

    [Benchmark, BenchmarkCategory("Write")]
    public void CheckpointWrite() => Checkpoint.Save(Path.Combine(_directory, "write"), _variables, CheckpointKeyStyle.NameBased);

    [Benchmark(Baseline = true), BenchmarkCategory("Read")]
    public long RawRead()
    {
        using SafeFileHandle file = File.OpenHandle(_rawPath);
        long offset = 0;
        for (int i = 0; i < VariableCount; i++)
        {
            byte[] buffer = GC.AllocateUninitializedArray<byte>(ElementsPerVariable * sizeof(float));
            Span<byte> rest = buffer;
            while (!rest.IsEmpty)
            {
                int read = RandomAccess.Read(file, rest, offset);
                rest = rest[read..];
                offset += read;
            }
        }
        return offset;
    }

    [Benchmark, BenchmarkCategory("Read")]
    public long CheckpointRead()
    {
        using var reader = TensorBundleReader.Open(_readPrefix);
        long bytes = 0;
        foreach (string name in reader.Names) bytes += reader.Read(name).ByteCount;
        return bytes;
    }

    private void WriteRaw(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        foreach (Tensor tensor in _variables.Values) stream.Write(tensor.AsBytes());
        stream.Flush(flushToDisk: true);
    }
}
