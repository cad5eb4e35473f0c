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
        var modules = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TypeRules.GraphModuleAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (syntax, cancellation) => ModuleLowering.Lower((INamedTypeSymbol)syntax.TargetSymbol, syntax.SemanticModel.Compilation, cancellation).Model)
            .WithTrackingName(Steps.Lower)
            .Where(static model => model is not null);

        context.RegisterSourceOutput(modules, static (output, model) => output.AddSource(ModuleEmitter.HintName(model!), ModuleEmitter.Emit(model!)));
    }
}
