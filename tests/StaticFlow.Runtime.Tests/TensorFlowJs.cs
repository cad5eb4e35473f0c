using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace StaticFlow.Tests;

/// <summary>
/// TensorFlow.js (<c>@tensorflow/tfjs</c> 4.22.0, its pure-JavaScript CPU backend) under Debian's <c>node</c>: an
/// independent implementation of TensorFlow's gradients and optimizers. <c>tests/oracle</c> holds the script and the
/// lock file; the modules are installed with <c>npm ci</c> on first use (and by <c>.ci/run</c>).
/// </summary>
internal static class TensorFlowJs
{
    private static readonly Lazy<string> s_oracle = new(Install);

    /// <summary>Runs <paramref name="cases"/> through <c>oracle.js</c>; one result per case (an array of flat arrays, or an error).</summary>
    public static List<(double[][]? Values, string? Error)> Run(JsonArray cases)
    {
        string directory = TempDirectory.Create();
        string input = Path.Combine(directory, "cases.json"), output = Path.Combine(directory, "results.json");
        File.WriteAllText(input, cases.ToJsonString());
        var (code, log) = Execute("node", [Path.Combine(s_oracle.Value, "oracle.js"), input, output], s_oracle.Value, TimeSpan.FromMinutes(3));
        if (code != 0 || !File.Exists(output)) throw new InvalidOperationException($"node oracle.js failed ({code}): {log}");
        var results = new List<(double[][]?, string?)>();
        foreach (var result in JsonNode.Parse(File.ReadAllText(output))!.AsArray())
        {
            if (result!["ok"]!.GetValue<bool>())
                results.Add(([.. result["values"]!.AsArray().Select(a => a!.AsArray().Select(v => v!.GetValue<double>()).ToArray())], null));
            else results.Add((null, result["error"]!.GetValue<string>()));
        }
        return results;
    }

    /// <summary>Runs another script of <c>tests/oracle</c> (such as <c>keras-models.js</c>) with <paramref name="arguments"/>.</summary>
    public static void RunScript(string script, params string[] arguments)
    {
        var (code, log) = Execute("node", [Path.Combine(s_oracle.Value, script), .. arguments], s_oracle.Value, TimeSpan.FromMinutes(3));
        if (code != 0) throw new InvalidOperationException($"node {script} failed ({code}): {log}");
    }

    public static JsonObject Spec(string dtype, long[] shape, IEnumerable<double> values) => new()
    {
        ["dtype"] = dtype,
        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
        ["values"] = new JsonArray([.. values.Select(v => (JsonNode)(dtype == "bool" ? v != 0 : v))]),
    };

    private static string Install()
    {
        string oracle = Path.Combine(TestData.RepositoryRoot, "tests", "oracle");
        if (!Directory.Exists(Path.Combine(oracle, "node_modules", "@tensorflow", "tfjs")))
        {
            var (code, log) = Execute("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], oracle, TimeSpan.FromMinutes(5));
            if (code != 0) throw new InvalidOperationException($"The TensorFlow.js oracle needs `npm ci` in {oracle} (node and npm from Debian); it failed ({code}): {log}");
        }
        return oracle;
    }

    private static (int Code, string Log) Execute(string program, string[] arguments, string directory, TimeSpan limit)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran past {limit}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
