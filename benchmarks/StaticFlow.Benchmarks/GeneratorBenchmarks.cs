using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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

internal static class GeneratorCompilations
{
    private static readonly MetadataReference[] References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(Ops).Assembly.Location),
    ];

    public static CSharpCompilation Create(string source) =>
        CSharpCompilation.Create("Bench", [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))], References,
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
