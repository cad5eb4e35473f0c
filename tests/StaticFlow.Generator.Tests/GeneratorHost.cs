extern alias analyzers;

using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using analyzers::StaticFlow.Analyzers;

namespace StaticFlow.Generator.Tests;

/// <summary>Compiles sources with the real C# compiler and the real generator, and loads what they build.</summary>
internal static class GeneratorHost
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        paths.Add(typeof(Ops).Assembly.Location);
        paths.Add(typeof(Google.Protobuf.ByteString).Assembly.Location);
        return [.. paths.Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    public static ImmutableArray<MetadataReference> References => s_references.Value;

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>The layer library's sources (runtime/StaticFlow.Layers), as the package adds them to a consumer's project.</summary>
    public static string[] LayerSources { get; } =
        [.. Directory.GetFiles(Path.Combine(StaticFlow.Tests.TestData.RepositoryRoot, "runtime", "StaticFlow.Layers"), "*.cs").Order(StringComparer.Ordinal).Select(File.ReadAllText)];

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create("GraphModels",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Runs the generator; returns the driver (for step tracking), the output compilation and the generated sources.</summary>
    public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<GeneratedSourceResult> Generated) Run(CSharpCompilation compilation, GeneratorDriver? driver = null)
    {
        driver ??= CSharpGeneratorDriver.Create([new GraphModuleGenerator().AsSourceGenerator()], parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        return (driver, output, driver.GetRunResult().Results.Single().GeneratedSources);
    }

    /// <summary>The analyzer's diagnostics for <paramref name="compilation"/>.</summary>
    public static ImmutableArray<Diagnostic> Analyze(Compilation compilation) =>
        compilation.WithAnalyzers([new GraphModuleAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();

    /// <summary>Generates, compiles and loads <paramref name="sources"/>; fails the test on any compiler error.</summary>
    /// <summary>Calls a generated module's method by name (omitted optional parameters take their defaults), rethrowing what it throws.</summary>
    public static object Invoke(object module, string method, params object[] arguments)
    {
        var info = module.GetType().GetMethod(method) ?? throw new MissingMethodException(module.GetType().Name, method);
        object?[] all = [.. arguments, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - arguments.Length)];
        try { return info.Invoke(module, all)!; }
        catch (TargetInvocationException e) when (e.InnerException is not null) { throw e.InnerException; }
    }

    public static Assembly Build(params string[] sources)
    {
        var (_, output, generated) = Run(Compile(sources));
        using var stream = new MemoryStream();
        var result = output.Emit(stream);
        // A module with an SF error is left without its generated half, which can still compile (reflection-only
        // use): every module must have been generated.
        int modules = output.SyntaxTrees.Where(t => !t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal))
            .SelectMany(t => t.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>())
            .Count(c => c.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "GraphModule" or "GraphModuleAttribute"));
        if (!result.Success || generated.Length < modules)
        {
            // The generator emits nothing for a module with SF diagnostics: show them, not just the missing members.
            var graphDiagnostics = Analyze(Compile(sources)).Where(d => d.Id.StartsWith("SF", StringComparison.Ordinal));
            Assert.Fail(string.Join(Environment.NewLine, graphDiagnostics.Concat(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))));
        }
        stream.Position = 0;
        return new AssemblyLoadContext("graph-models", isCollectible: true).LoadFromStream(stream);
    }
}
