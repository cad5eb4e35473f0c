using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace StaticFlow.Generator.Lowering;

/// <summary>
/// Every diagnostic of StaticFlow graph code. The lowering raises them; the analyzers report them in the IDE and
/// build; the generator, seeing any, emits nothing for that module. Each has a page at <c>docs/diagnostics/ID.md</c>.
/// </summary>
internal static class GraphDiagnostics
{
    private const string Category = "StaticFlow.Graph";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: $"docs/diagnostics/{id}.md");

    public static readonly DiagnosticDescriptor UnsupportedConstruct = Error("SF0001",
        "C# construct cannot be part of a graph",
        "{0} cannot be part of a graph function: {1}");

    public static readonly DiagnosticDescriptor NotAnOp = Error("SF0002",
        "Call is neither an op nor a graph function",
        "'{0}' is neither a TensorFlow op nor a graph function of this module{1}");

    public static readonly DiagnosticDescriptor UnknownOp = Error("SF0003",
        "Unknown op",
        "Op '{0}' (named by '{1}') is not in StaticFlow's op catalogue");

    public static readonly DiagnosticDescriptor UnknownAttr = Error("SF0004",
        "Argument is neither an input nor an attr of the op",
        "Parameter '{0}' of '{1}' is neither an input nor an attr of op '{2}'{3}");

    public static readonly DiagnosticDescriptor UnsupportedDType = Error("SF0005",
        "Element type has no TensorFlow dtype",
        "{0}: element type '{1}' {2}");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error("SF0006",
        "Static shapes do not fit",
        "{0}: {1}");

    public static readonly DiagnosticDescriptor LoopNotLowerable = Error("SF0007",
        "Loop can be neither unrolled nor lowered",
        "This loop can be neither unrolled nor lowered: {0}");

    public static readonly DiagnosticDescriptor Recursion = Error("SF0008",
        "Graph function is recursive",
        "Graph function '{0}' calls itself ({1}); a graph cannot recurse");

    public static readonly DiagnosticDescriptor ModuleNotPartial = Error("SF0009",
        "Graph module is not partial",
        "Graph module '{0}' must be declared partial so that the generator can add its graph members");

    public static readonly DiagnosticDescriptor VariableWithoutShape = Error("SF0010",
        "Variable has no shape",
        "Variable '{0}' {1}");

    public static readonly DiagnosticDescriptor InvalidDevice = Error("SF0011",
        "Invalid device string",
        "'{0}' is not a valid device string: {1}");

    public static readonly DiagnosticDescriptor DuplicateSignature = Error("SF0012",
        "Duplicate signature name",
        "Signature '{0}' is already used by graph function '{1}'");

    public static readonly DiagnosticDescriptor WriteToNonVariable = Error("SF0013",
        "Write to state that is not a variable",
        "'{0}' is not a [Variable] of this module; a graph function can write only module variables and its own locals");

    public static readonly DiagnosticDescriptor InvalidGraphFunction = Error("SF0014",
        "Graph function signature cannot be lowered",
        "Graph function '{0}': {1}");

    public static readonly DiagnosticDescriptor AttrNotConstant = Error("SF0015",
        "Attr argument is not a constant",
        "Argument '{0}' sets attr '{1}' of op '{2}' and must be a compile-time constant");

    public static readonly DiagnosticDescriptor GradientNotBuilt = Error("SF0016",
        "Gradient cannot be built",
        "Gradient of '{0}': {1}");

    public static readonly DiagnosticDescriptor[] All =
    [
        UnsupportedConstruct, NotAnOp, UnknownOp, UnknownAttr, UnsupportedDType, ShapeMismatch, LoopNotLowerable,
        Recursion, ModuleNotPartial, VariableWithoutShape, InvalidDevice, DuplicateSignature, WriteToNonVariable,
        InvalidGraphFunction, AttrNotConstant, GradientNotBuilt,
    ];

    /// <summary>Property of SF0002 naming the <c>Ops</c> method that replaces a <c>Math</c>/<c>MathF</c> call, for the code fix.</summary>
    public const string OpsReplacementProperty = "OpsReplacement";
}

/// <summary>A diagnostic found by the lowering, kept as plain values (the analyzer turns it into a Diagnostic).</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments, string? OpsReplacement)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, string? opsReplacement, params string[] arguments)
    {
        var lineSpan = location?.GetLineSpan() ?? default;
        return new DiagnosticInfo(descriptor.Id, lineSpan.Path ?? "", location?.SourceSpan ?? default, lineSpan.Span, arguments.ToEquatable(), opsReplacement);
    }

    public Diagnostic ToDiagnostic(Compilation compilation)
    {
        DiagnosticDescriptor descriptor = Array.Find(GraphDiagnostics.All, d => d.Id == Id)!;
        Location location = Location.None;
        foreach (var tree in compilation.SyntaxTrees)
            if (tree.FilePath == FilePath) { location = Location.Create(tree, Span); break; }
        var properties = OpsReplacement is null
            ? null
            : System.Collections.Immutable.ImmutableDictionary<string, string?>.Empty.Add(GraphDiagnostics.OpsReplacementProperty, OpsReplacement);
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
        return Diagnostic.Create(descriptor, location, properties, args);
    }
}
