using System.Diagnostics;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using StaticFlow.Tests;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// The NuGet package as a user gets it: packed with <c>dotnet pack</c>, referenced from a local folder by a fresh
/// project outside this repository, built by the real SDK (generator and analyzers running from the package).
/// </summary>
public class PackageTests
{
    private static readonly Lazy<(string Feed, string Version)> s_package = new(Pack);

    private static (string Feed, string Version) Pack()
    {
        string feed = TempDirectory.Create();
        // A version of its own per run, so no NuGet cache ever serves an older build of the package.
        string version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var (code, output) = Dotnet(TestData.RepositoryRoot, "pack", "runtime/StaticFlow.Runtime/StaticFlow.Runtime.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Assert.True(code == 0, output);
        return (feed, version);
    }

    private static (int Code, string Output) Dotnet(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    /// <summary>A new project folder that references the packed StaticFlow, with <paramref name="program"/> as its code.</summary>
    private static string CreateProject(string program)
    {
        var (feed, version) = s_package.Value;
        string directory = TempDirectory.Create();
        string packages = Path.Combine(directory, "packages");
        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(directory, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RestorePackagesPath>{packages}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="StaticFlow" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), program);
        return directory;
    }

    private const string Consumer = """
        using StaticFlow;
        using StaticFlow.Layers;
        using StaticFlow.SavedModels;
        using StaticFlow.Tensors;

        var layered = new Layered();
        var z = Tensor<float>.From([0.5f, -1f, 2f, 1f, 0f, -3f], 2, 3);
        Console.WriteLine($"layers eager {string.Join(" ", layered.Predict(z).ToArray())}");
        Console.WriteLine($"layers graph {string.Join(" ", layered.PredictGraph(z).ToArray())}");
        var model = new Scorer();
        model.InitializeVariables(seed: 4);
        var x = Tensor<float>.From([1f, 2f, 3f, -1f, 0f, 4f], 2, 3);
        var eager = model.Score(x);
        var graph = model.ScoreGraph(x);
        string exported = model.ExportSavedModel(args[0]);
        var loaded = SavedModelBundle.Load(exported).GetSignature("serving_default")
            .Run(new Dictionary<string, Tensor> { ["x"] = x.Untyped })["output_0"];
        Console.WriteLine($"eager {string.Join(" ", eager.ToArray())}");
        Console.WriteLine($"graph {string.Join(" ", graph.ToArray())}");
        Console.WriteLine($"loaded {string.Join(" ", loaded.ToArray<float>())}");

        [GraphModule]
        public partial class Scorer
        {
            [Variable(3, 2, Init = Init.GlorotUniform)] Tensor<float> w;

            [GraphFunction(Signature = "serving_default")]
            public Tensor<float> Score([Shape(-1, 3)] Tensor<float> x) => Ops.Sigmoid(Ops.MatMul(x, w));
        }

        // The layer library comes with the package as source (contentFiles) and composes here.
        [GraphModule]
        public partial class Layered
        {
            private readonly Sequential layers = new(new Dense(3, 4, Activation.Relu), new Dense(4, 2, Activation.Softmax));

            [GraphFunction]
            public Tensor<float> Predict([Shape(-1, 3)] Tensor<float> x) => layers.Call(x);
        }
        """;

    [Fact]
    public void AFreshProjectBuildsGraphFunctionsFromThePackageAndRunsThem()
    {
        string project = CreateProject(Consumer);
        string export = Path.Combine(TempDirectory.Create(), "scorer");
        var (code, output) = Dotnet(project, "run", "-c", "Release", "--", export);
        Assert.True(code == 0, output);
        string Line(string label) => output.Split('\n').Single(l => l.StartsWith(label + " ", StringComparison.Ordinal)).Substring(label.Length + 1).Trim();
        Assert.Equal(Line("eager"), Line("graph"));
        Assert.Equal(Line("eager"), Line("loaded"));
        Assert.Equal(Line("layers eager"), Line("layers graph"));

        // The export loads in this process too, and predicts the same.
        var x = Tensor.FromArray<float>([1f, 2f, 3f, -1f, 0f, 4f], 2, 3);
        var prediction = SavedModelBundle.Load(export).GetSignature().Run(new Dictionary<string, Tensor> { ["x"] = x })["output_0"];
        Assert.Equal(Line("eager"), string.Join(" ", prediction.ToArray<float>()));
    }

    [Fact]
    public void TheCliInstallsAsADotnetToolAndRunsAsStaticflow()
    {
        string feed = TempDirectory.Create();
        string version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        var (code, output) = Dotnet(TestData.RepositoryRoot, "pack", "tools/StaticFlow.Cli/StaticFlow.Cli.csproj", "-c", "Release", "-o", feed, $"-p:Version={version}");
        Assert.True(code == 0, output);

        // A fresh folder outside the repository, as a user installs it.
        string folder = TempDirectory.Create();
        string tools = Path.Combine(folder, "tools");
        (code, output) = Dotnet(folder, "tool", "install", "StaticFlow.Cli", "--add-source", feed, "--version", version, "--tool-path", tools);
        Assert.True(code == 0, output);
        string staticflow = Path.Combine(tools, OperatingSystem.IsWindows() ? "staticflow.exe" : "staticflow");
        Assert.True(File.Exists(staticflow), output);

        string model = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        var (runCode, runOutput, _) = Run(staticflow, folder, "run", model, "--input", "x=[[1],[2],[5]]");
        Assert.True(runCode == 0, runOutput);
        var values = System.Text.Json.JsonDocument.Parse(runOutput).RootElement.GetProperty("outputs")[0].GetProperty("values");
        Assert.Equal([2.5, 3.0, 4.5], values.EnumerateArray().Select(row => row[0].GetDouble()));

        // Its errors are one line with the documented exit code.
        var (missingCode, _, missingError) = Run(staticflow, folder, "inspect", Path.Combine(folder, "no-such-checkpoint"));
        Assert.Equal(3, missingCode);
        Assert.StartsWith("error: ", missingError);
        Assert.Single(missingError.TrimEnd('\n').Split('\n'));
    }

    private static (int Code, string Output, string Error) Run(string executable, string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }

    /// <summary>Every diagnostic once, each span marked as in the analyzer tests: <c>{|SF0001:...|}</c>.</summary>
    private const string BrokenProgram = """
        using System;
        using StaticFlow;

        [GraphModule]
        public class {|SF0009:NotPartial|}
        {
        }

        [GraphModule]
        public partial class Broken
        {
            [Variable(5, 10)] Tensor<float> w = null!;
            [Variable(10)] Tensor<float> b = null!;
            [Variable(2)] Tensor<decimal> {|SF0005:d|} = null!;
            [{|SF0010:Variable(0, 3)|}] Tensor<float> empty = null!;
            Tensor<float>? cache;
            bool flag = false;

            [GraphFunction] public Tensor<float> TryIt(Tensor<float> x) { var h = x; {|SF0001:try { h = x * 2f; } finally { }|} return h; }
            [GraphFunction] public Tensor<float> MathIt(Tensor<float> x) { var e = {|SF0002:Math.Exp(2.0)|}; return x; }
            [GraphFunction] public Tensor<float> Unknown(Tensor<float> x) => {|SF0003:Custom.Mystery(x)|};
            [GraphFunction] public Tensor<float> Extra(Tensor<float> x) => Custom.Relu(x, {|SF0004:3|});
            [GraphFunction] public Tensor<float> Shapes([Shape(-1, 5)] Tensor<float> x) => {|SF0006:x + w|};
            [GraphFunction] public Tensor<float> Loop(Tensor<float> x) { var h = x; {|SF0007:while (true) { h = h * 2f; }|} return h; }
            [GraphFunction] public Tensor<float> A(Tensor<float> v) => {|SF0008:B(v)|};
            [GraphFunction] public Tensor<float> B(Tensor<float> v) => {|SF0008:A(v)|};
            [GraphFunction, {|SF0011:Device("GPU0")|}] public Tensor<float> Placed(Tensor<float> v) => v;
            [GraphFunction(Signature = "s")] public Tensor<float> First(Tensor<float> v) => v;
            [{|SF0012:GraphFunction(Signature = "s")|}] public Tensor<float> Second(Tensor<float> v) => v;
            [GraphFunction] public Tensor<float> Write(Tensor<float> x) { {|SF0013:cache|} = x; return x; }
            [GraphFunction] public Tensor<float> Scale(Tensor<float> v, string {|SF0014:label|}) => v;
            [GraphFunction] public Tensor<float> Attr([Shape(-1, 5)] Tensor<float> x) => Ops.MatMul(x, w, transposeA: {|SF0015:flag|});
            [GraphFunction] public Tensor<float> Grad([Shape(-1, 5)] Tensor<float> x) => {|SF0016:Gradients.Of(Ops.Sum(Ops.MatMul(x, w), [0, 1]), b)|};
            public int {|SF0018:TryItGraph|} => 0;
            public {|SF0019:Broken|}() { }
        }

        public class Plain
        {
            [GraphFunction] public Tensor<float> {|SF0017:Lost|}(Tensor<float> x) => x;
        }

        public static class Custom
        {
            [OpMethod("NoSuchOp")] public static Tensor<float> Mystery(Tensor<float> x) => x;
            [OpMethod("Relu")] public static Tensor<float> Relu(Tensor<float> features, int bogus) => features;
        }
        """;

    /// <summary>The source without markup, and each marked diagnostic's id with the 1-based line and column of its span.</summary>
    private static (string Source, List<(string Id, int Line, int Column)> Expected) Unmark(string marked)
    {
        var text = new System.Text.StringBuilder();
        var expected = new List<(string, int, int)>();
        int line = 1, column = 1;
        for (int i = 0; i < marked.Length; i++)
        {
            if (marked[i] == '{' && i + 1 < marked.Length && marked[i + 1] == '|')
            {
                int colon = marked.IndexOf(':', i);
                expected.Add((marked[(i + 2)..colon], line, column));
                i = colon;
                continue;
            }
            if (marked[i] == '|' && i + 1 < marked.Length && marked[i + 1] == '}') { i++; continue; }
            text.Append(marked[i]);
            if (marked[i] == '\n') { line++; column = 1; }
            else column++;
        }
        return (text.ToString(), expected);
    }

    [Fact]
    public void ARealBuildReportsEveryDiagnosticAtItsSpan()
    {
        var (source, expected) = Unmark(BrokenProgram);
        Assert.Equal(20, expected.Count);
        var (code, output) = Dotnet(CreateProject(source), "build", "-c", "Release");
        Assert.NotEqual(0, code);
        foreach (var (id, line, column) in expected)
        {
            string severity = id == "SF0019" ? "warning" : "error";
            Assert.True(output.Contains($"Program.cs({line},{column}): {severity} {id}", StringComparison.Ordinal), $"{id} at {line},{column} missing from:\n{output}");
        }
        // Absolute help links (an IDE opens them; a repository-relative path would be dead there).
        Assert.Contains("(https://", output, StringComparison.Ordinal);
        // Nothing else of ours fires: every StaticFlow diagnostic in the log is one of the marked ones.
        var reported = System.Text.RegularExpressions.Regex.Matches(output, @"Program\.cs\((\d+),(\d+)\): (?:error|warning) (SF\d{4})")
            .Select(m => (m.Groups[3].Value, int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value))).Distinct();
        Assert.All(reported, r => Assert.Contains(r, expected));
    }

    [Fact]
    public void GraphDiagnosticsAppearWhenAnotherDeclarationErrorStopsTheAnalyzers()
    {
        // The compiler runs no analyzer when a declaration has an error (CS8377 here); the generator reports then.
        const string program = """
            using StaticFlow;

            public class Elsewhere { public Tensor<string>? Names; }

            [GraphModule]
            public partial class Scorer
            {
                [Variable(3, 2)] Tensor<float> w = null!;

                [GraphFunction]
                public Tensor<float> Score([Shape(-1, 3)] Tensor<float> x)
                {
                    {|SF0001:try { } finally { }|}
                    return Ops.MatMul(x, w);
                }
            }
            """;
        var (source, expected) = Unmark(program);
        var (code, output) = Dotnet(CreateProject(source), "build", "-c", "Release");
        Assert.NotEqual(0, code);
        Assert.Contains("error CS8377", output, StringComparison.Ordinal);
        var (id, line, column) = Assert.Single(expected);
        Assert.True(output.Contains($"Program.cs({line},{column}): error {id}", StringComparison.Ordinal), output);
    }

    [Fact]
    public void TheQuickStartPublishesWithNativeAotAndRuns()
    {
        string output = TempDirectory.Create();
        var (code, log) = Dotnet(TestData.RepositoryRoot, "publish", "samples/QuickStart/QuickStart.csproj", "-c", "Release", "-r", "linux-x64", "-o", output);
        Assert.True(code == 0, log);
        // No trim or AOT warning from StaticFlow's own code (IL2xxx trimming, IL3xxx AOT).
        Assert.DoesNotMatch(@"warning IL[23]\d{3}", log);

        string files = TempDirectory.Create();
        var run = new ProcessStartInfo(Path.Combine(output, "QuickStart")) { RedirectStandardOutput = true, RedirectStandardError = true };
        run.ArgumentList.Add(files);
        using var process = Process.Start(run)!;
        string printed = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, printed);
        Assert.EndsWith("Done.", printed.TrimEnd());
        // The binary keeps the 256-bit kernels (IlcInstructionSet x86-64-v3) where the CPU has AVX2 and FMA; a
        // NativeAOT build for baseline x64 would run the 128-bit ones.
        var kernels = System.Text.RegularExpressions.Regex.Match(printed, @"Kernels: (\d+)-bit vectors");
        Assert.True(kernels.Success, printed);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
            Assert.Equal(256, int.Parse(kernels.Groups[1].Value));
        // The native executable's export loads in this (JIT) process.
        var signature = SavedModelBundle.Load(Path.Combine(files, "regressor", "1")).GetSignature();
        Assert.Equal("x", Assert.Single(signature.Inputs).Key);
    }
}
