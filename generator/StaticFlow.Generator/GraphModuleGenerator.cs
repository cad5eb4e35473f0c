using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Generator.Emit;
using StaticFlow.Generator.Lowering;

namespace StaticFlow.Generator;

/// <summary>
/// Lowers every <c>[GraphModule]</c> class into a static TensorFlow graph at compile time. The pipeline: find the
/// classes (ForAttributeWithMetadataName), lower each to an equatable <see cref="ModuleModel"/> (null when the code
/// has errors, which the analyzers report), emit. Unchanged models are not emitted again.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class GraphModuleGenerator : IIncrementalGenerator
{
    /// <summary>Names of the pipeline's steps, for incremental-caching tests.</summary>
    public static class Steps
    {
        /// <summary>The lowering of each module.</summary>
        public const string Lower = "Lower";
    }

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var lowered = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TypeRules.GraphModuleAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (syntax, cancellation) => LowerForBuild((INamedTypeSymbol)syntax.TargetSymbol, syntax.SemanticModel.Compilation, cancellation))
            .WithTrackingName(Steps.Lower);

        var modules = lowered.Select(static (result, _) => result.Model).Where(static model => model is not null);
        context.RegisterSourceOutput(modules, static (output, model) => output.AddSource(ModuleEmitter.HintName(model!), ModuleEmitter.Emit(model!)));

        // A user's static partial [OpMethod] declared without a body gets the body that runs the op eagerly.
        var opMethods = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TypeRules.OpMethodAttribute,
                static (node, _) => node is MethodDeclarationSyntax { Body: null, ExpressionBody: null } method
                    && method.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.PartialKeyword),
                static (syntax, _) => OpMethodEmitter.Emit((IMethodSymbol)syntax.TargetSymbol))
            .Where(static source => source is not null);
        context.RegisterSourceOutput(opMethods, static (output, source) => output.AddSource(source!.HintName, source.Source));

        var unreported = lowered.Where(static result => result.UnreportedDiagnostics.Count > 0);
        context.RegisterSourceOutput(unreported, static (output, result) =>
        {
            foreach (var diagnostic in result.UnreportedDiagnostics) output.ReportDiagnostic(diagnostic.ToExternalDiagnostic());
        });
    }

    /// <summary>
    /// Lowers a module for the build. The command-line compiler does not run analyzers when the compilation has
    /// parse or declaration errors (a <c>Tensor&lt;string&gt;</c> field anywhere is CS8377), so then the generator
    /// reports the module's SF diagnostics itself; otherwise the analyzer reports them, in the IDE and the build,
    /// and the generator stays silent (no duplicates). The check runs only for modules that have diagnostics.
    /// </summary>
    private static GeneratorResult LowerForBuild(INamedTypeSymbol type, Compilation compilation, System.Threading.CancellationToken cancellation)
    {
        var result = ModuleLowering.Lower(type, compilation, cancellation);
        if (result.Diagnostics.Count == 0 || !AnalyzersAreSkipped(compilation, cancellation)) return new GeneratorResult(result.Model, EquatableArray<DiagnosticInfo>.Empty);
        return new GeneratorResult(result.Model, result.Diagnostics);
    }

    private static bool AnalyzersAreSkipped(Compilation compilation, System.Threading.CancellationToken cancellation)
    {
        foreach (var diagnostic in compilation.GetParseDiagnostics(cancellation))
            if (diagnostic.Severity == DiagnosticSeverity.Error) return true;
        foreach (var diagnostic in compilation.GetDeclarationDiagnostics(cancellation))
            if (diagnostic.Severity == DiagnosticSeverity.Error) return true;
        return false;
    }

    /// <summary>What the pipeline keeps of a lowering: the model to emit, and diagnostics only the generator can report.</summary>
    private sealed record GeneratorResult(ModuleModel? Model, EquatableArray<DiagnosticInfo> UnreportedDiagnostics);
}
