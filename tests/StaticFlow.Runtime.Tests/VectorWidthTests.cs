using System.Diagnostics;
using System.Runtime.InteropServices;

namespace StaticFlow.Tests;

/// <summary>
/// The kernels have a path per vector width (AVX-512, AVX2, 128-bit as on ARM64, scalar) and a host runs only its
/// widest. Each narrower path runs here in a child process with the wider instruction sets switched off
/// (tests/StaticFlow.VectorPaths) and must give what this process's path gives on the same cases; the cases
/// themselves are checked against double-precision references by the kernels' own tests.
/// </summary>
public class VectorWidthTests
{
    public static TheoryData<string, string, int> NarrowerPaths => new()
    {
        { "DOTNET_EnableAVX512", "Vector512=False", 256 }, // .NET 10 ignores the older DOTNET_EnableAVX512F
        { "DOTNET_EnableAVX2", "Vector256=False", 128 },
        { "DOTNET_EnableHWIntrinsic", "Vector128=False", 0 },
    };

    [Theory]
    [MemberData(nameof(NarrowerPaths))]
    public async Task ANarrowerVectorPathGivesTheSameResults(string switchedOff, string expectedWidths, int widestKernelBits)
    {
        string helper = Path.Combine(TestData.RepositoryRoot, "tests", "StaticFlow.VectorPaths", "bin",
            new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name, "net10.0", "StaticFlow.VectorPaths.dll");
        Assert.True(File.Exists(helper), $"vector-path helper not built at {helper}");
        string dir = TempDirectory.Create();
        var start = new ProcessStartInfo("dotnet", [helper, dir]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment[switchedOff] = "0";
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        string widths = await child.StandardOutput.ReadLineAsync() ?? "";
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            await child.WaitForExitAsync(timeout.Token);
        Assert.True(child.ExitCode == 0, $"the helper failed: {await stderr}");

        // The switch took effect, so the narrower path is what ran (on a host without the instruction set, the
        // child runs the same path as this process, which is still a valid comparison).
        Assert.Contains(expectedWidths, widths);
        if (switchedOff != "DOTNET_EnableHWIntrinsic") Assert.Contains("Vector128=True", widths);
        int kernelBits = int.Parse(widths[(widths.IndexOf("KernelBits=", StringComparison.Ordinal) + "KernelBits=".Length)..]);
        Assert.InRange(kernelBits, Math.Min(widestKernelBits, 128), widestKernelBits);

        var cases = KernelCases.All().ToList();
        Assert.Equal(cases.Count, Directory.GetFiles(dir, "*.bin").Length);
        foreach (var kernelCase in cases)
        {
            float[] expected = kernelCase.Run();
            float[] actual = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, kernelCase.Name + ".bin"))).ToArray();
            Assert.True(expected.Length == actual.Length, $"{kernelCase.Name}: {actual.Length} values, expected {expected.Length}");
            for (int i = 0; i < expected.Length; i++)
                // Sums run in the same order on every width; only a multiply and an add where there is no FMA differ.
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4f * Math.Max(1, Math.Abs(expected[i])),
                    $"{kernelCase.Name} [{i}] with {switchedOff}=0: {actual[i]}, the widest path gives {expected[i]}");
        }
    }
}
