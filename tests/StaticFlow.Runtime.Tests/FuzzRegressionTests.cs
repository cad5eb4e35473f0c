using StaticFlow.Fuzz;

namespace StaticFlow.Tests;

/// <summary>
/// The fuzz targets (tests/StaticFlow.Fuzz) run in-process: on every input that once escaped them (kept under
/// FuzzCrashers/TARGET/), on the seed corpus and on random mutations of it. Only the readers' typed errors may come out.
/// </summary>
public class FuzzRegressionTests
{
    private static readonly string Crashers = Path.Combine(TestData.RepositoryRoot, "tests", "StaticFlow.Runtime.Tests", "FuzzCrashers");

    public static TheoryData<string, string> KeptCrashers()
    {
        var data = new TheoryData<string, string>();
        foreach (string folder in Directory.GetDirectories(Crashers).Order(StringComparer.Ordinal))
            foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(folder), Path.GetFileName(file));
        return data;
    }

    /// <summary>Every input a fuzzer once made a reader fail with, kept under FuzzCrashers/TARGET/.</summary>
    [Theory]
    [MemberData(nameof(KeptCrashers))]
    public void AnInputThatOnceEscapedAReaderNowEndsInATypedError(string target, string file) =>
        FuzzTargets.Run(target, File.ReadAllBytes(Path.Combine(Crashers, target, file)));

    [Fact]
    public void EveryTargetAcceptsItsSeeds()
    {
        foreach (var (target, seeds) in SeedCorpus.Make(TestData.SharedRoot))
        {
            Assert.NotEmpty(seeds);
            foreach (var (_, bytes) in seeds) FuzzTargets.Run(target, bytes);
        }
    }

    /// <summary>
    /// A short in-process hunt (STATICFLOW_FUZZ_ITERATIONS mutations per target, default 150; STATICFLOW_FUZZ_SEED
    /// picks another sequence). A failure names the target and writes the input to a file to keep as a crasher.
    /// </summary>
    [Fact]
    public void RandomMutationsOfTheSeedsEndInTypedErrors()
    {
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("STATICFLOW_FUZZ_ITERATIONS"), out int n) ? n : 150;
        int seed = int.TryParse(Environment.GetEnvironmentVariable("STATICFLOW_FUZZ_SEED"), out int s) ? s : 20261202;
        var random = new Random(seed);
        var findings = new List<string>();
        foreach (var (target, seeds) in SeedCorpus.Make(TestData.SharedRoot))
            for (int i = 0; i < iterations; i++)
            {
                byte[] input = Mutate(seeds[random.Next(seeds.Count)].Bytes, random);
                try { FuzzTargets.Run(target, input); }
                catch (Exception e)
                {
                    // Outside the tests' temporary folders, which go when the run ends: keep it under FuzzCrashers/TARGET/.
                    string saved = Path.Combine(Path.GetTempPath(), "staticflow-fuzz-findings", $"{target}-seed{seed}-{i}");
                    Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
                    File.WriteAllBytes(saved, input);
                    findings.Add($"{target} #{i} ({saved}): {e.GetType().Name}: {e.Message}");
                }
            }
        Assert.True(findings.Count == 0, string.Join("\n", findings));
    }

    // AFL's havoc stage in small: bit flips, interesting bytes, deleted, duplicated and truncated ranges.
    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        int edits = 1 + random.Next(8);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)new[] { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0x3A, 0x2F }[random.Next(7)]; break;
                case 2: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16))); break;
                case 3:
                    int length = Math.Min(bytes.Count - at, 1 + random.Next(32));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                    break;
                case 4: bytes.RemoveRange(at, bytes.Count - at); break;
                default: bytes[at] = (byte)random.Next(256); break;
            }
        }
        return [.. bytes];
    }
}
