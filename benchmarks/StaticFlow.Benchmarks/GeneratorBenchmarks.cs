using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using StaticFlow.Generator;

namespace StaticFlow.Benchmarks;

/// <summary>
/// The generator's cost inside the compiler: a full generator run (find, lower, emit) on one graph function of
/// 10, 100 and 1,000 ops, beside the compiler's own binding of the same source (the baseline every build pays).
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private CSharpCompilation _compilation = null!;

    /// <summary>Ops in the graph function.</summary>
    [Params(10, 100, 1000)]
    public int Ops { get; set; }

    [GlobalSetup]
    public void Setup() => _compilation = GeneratorCompilations.Create(ChainModule(Ops));

    // Each invocation works on a clone: a compilation caches its binding, and a build binds afresh.

    /// <summary>The compiler binds the module (semantic diagnostics), without the generator.</summary>
    [Benchmark(Baseline = true)]
    public int CompilerBinding() => _compilation.Clone().GetDiagnostics().Length;

    /// <summary>A full, uncached generator run (its own binding included).</summary>
    [Benchmark]
    public int GeneratorRun() => GeneratorCompilations.RunGenerator(_compilation.Clone()).Results[0].GeneratedSources.Length;

    /// <summary>A module whose one graph function is a chain of <paramref name="ops"/> ops.</summary>
    public static string ChainModule(int ops)
    {
        var body = new StringBuilder();
        for (int i = 0; i < ops / 2; i++) body.AppendLine("        h = Ops.Tanh(h) * 0.5f;");
        return $$"""
            using StaticFlow;
            [GraphModule]
            public partial class Chain
            {
                [GraphFunction]
                public Tensor<float> Run([Shape(-1, 8)] Tensor<float> x)
                {
                    var h = x;
            {{body}}
                    return h;
                }
            }
            """;
    }
}

/// <summary>
/// Build-time overhead on the QuickStart's graph modules: compiling and emitting them with the generator against
/// the same compilation without it (the generated members are then absent, so the source is compiled as a library).
/// </summary>
[MemoryDiagnoser]
public class SampleBuildBenchmarks
{
    private CSharpCompilation _compilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        using var stream = typeof(SampleBuildBenchmarks).Assembly.GetManifestResourceStream("QuickStart.Models.cs")!;
        _compilation = GeneratorCompilations.Create(new StreamReader(stream).ReadToEnd());
    }

    /// <summary>Compile and emit without the generator.</summary>
    [Benchmark(Baseline = true)]
    public long BuildWithoutGenerator() => GeneratorCompilations.Emit(_compilation.Clone());

    /// <summary>Run the generator, then compile and emit its output too.</summary>
    [Benchmark]
    public long BuildWithGenerator()
    {
        CSharpGeneratorDriver.Create(new GraphModuleGenerator()).RunGeneratorsAndUpdateCompilation(_compilation.Clone(), out var output, out _);
        return GeneratorCompilations.Emit(output);
    }
}

/// <summary>
/// What one keystroke inside a graph function costs in an IDE, for the composition sample's modules (nested layers,
/// the layer library as source): the generator's incremental rerun after the edit (it lowers the edited module
/// again) and the analyzer's run (it lowers it once more), against the compiler binding the edited compilation.
/// </summary>
[MemoryDiagnoser]
public class KeystrokeBenchmarks
{
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _primed = null!;

    [GlobalSetup]
    public void Setup()
    {
        var assembly = typeof(KeystrokeBenchmarks).Assembly;
        string Read(string name) => new StreamReader(assembly.GetManifestResourceStream(name)!).ReadToEnd();
        string model = Read("Composition.Models.cs");
        string[] layers = [.. assembly.GetManifestResourceNames().Where(n => n.StartsWith("Layers.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(Read)];
        var before = GeneratorCompilations.Create([model, .. layers]);
        _primed = CSharpGeneratorDriver.Create(new GraphModuleGenerator()).RunGenerators(before);
        string edited = model.Replace("h = pool.Call(blocks[i].Call(h));", "h = pool.Call(blocks[i].Call(h)) * 1f;", StringComparison.Ordinal);
        if (edited == model) throw new InvalidOperationException("The sample changed: the edit no longer applies.");
        _edited = before.ReplaceSyntaxTree(before.SyntaxTrees.First(), CSharpSyntaxTree.ParseText(edited, new CSharpParseOptions(LanguageVersion.Latest)));
    }

    /// <summary>The compiler binds the edited compilation (semantic diagnostics): what every keystroke pays.</summary>
    [Benchmark(Baseline = true)]
    public int CompilerBinding() => _edited.Clone().GetDiagnostics().Length;

    /// <summary>The generator's incremental rerun after the edit (bindings of the clone included).</summary>
    [Benchmark]
    public int GeneratorAfterEdit() => _primed.RunGenerators(_edited.Clone()).GetRunResult().Results[0].GeneratedSources.Length;

    /// <summary>The analyzer on the edited compilation (bindings of the clone included).</summary>
    [Benchmark]
    public int AnalyzerAfterEdit() =>
        _edited.Clone().WithAnalyzers([new StaticFlow.Analyzers.GraphModuleAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult().Length;
}

internal static class GeneratorCompilations
{
    private static readonly MetadataReference[] References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(Ops).Assembly.Location),
    ];

    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create("Bench", sources.Select(source => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))), References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    public static GeneratorDriverRunResult RunGenerator(Compilation compilation) =>
        CSharpGeneratorDriver.Create(new GraphModuleGenerator()).RunGenerators(compilation).GetRunResult();

    public static long Emit(Compilation compilation)
    {
        using var stream = new MemoryStream();
        compilation.Emit(stream);
        return stream.Length;
    }
}
