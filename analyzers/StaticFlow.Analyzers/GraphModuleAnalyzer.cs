using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using StaticFlow.Generator.Lowering;

namespace StaticFlow.Analyzers;

/// <summary>
/// Reports, at the exact span, what in a graph module cannot become a graph. It runs the generator's lowering, so a
/// module it accepts is exactly a module the generator emits; it also flags graph attributes outside a module.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GraphModuleAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(GraphDiagnostics.All);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSymbolAction(AnalyzeType, SymbolKind.NamedType);
    }

    private static void AnalyzeType(SymbolAnalysisContext context)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        if (TypeRules.HasAttribute(type, TypeRules.GraphModuleAttribute))
        {
            var result = ModuleLowering.Lower(type, context.Compilation, context.CancellationToken);
            foreach (var info in result.Diagnostics) context.ReportDiagnostic(info.ToDiagnostic(context.Compilation));
            return;
        }
        foreach (var member in type.GetMembers())
        {
            // A static [GraphFunction] is a helper any graph function may call, wherever it is declared.
            string? attribute = TypeRules.HasAttribute(member, TypeRules.GraphFunctionAttribute) && !member.IsStatic ? "[GraphFunction]"
                : TypeRules.HasAttribute(member, TypeRules.VariableAttribute) ? "[Variable]" : null;
            if (attribute is null) continue;
            foreach (var location in member.Locations)
                context.ReportDiagnostic(Diagnostic.Create(GraphDiagnostics.GraphAttributeOutsideModule, location, attribute, member.Name, type.Name));
        }
    }
}
