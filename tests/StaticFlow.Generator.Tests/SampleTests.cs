using System.Diagnostics;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using StaticFlow.Tests;

namespace StaticFlow.Generator.Tests;

/// <summary>The composition sample (samples/Composition) runs as a user runs it and its export loads here.</summary>
public class SampleTests
{
    [Fact]
    public async Task TheCompositionSampleRunsAndItsExportLoads()
    {
        string work = TempDirectory.Create();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = TestData.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "run", "--project", "samples/Composition", "-c", "Release", "--", work }) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, output + await error);
        Assert.EndsWith("Done.", output.TrimEnd());
        Assert.Contains("blocks/1/conv/kernel/.ATTRIBUTES/VARIABLE_VALUE", output, StringComparison.Ordinal);
        Assert.Contains("restored model agrees: True", output, StringComparison.Ordinal);

        var signature = SavedModelBundle.Load(Path.Combine(work, "encoder")).GetSignature();
        var images = Tensor.FromArray(new float[28 * 28], 1, 28, 28, 1);
        var probabilities = signature.Run(new Dictionary<string, Tensor> { ["images"] = images })["output_0"].ToArray<float>();
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1f, probabilities.Sum(), 4);
    }
}
