using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace StaticFlow.Generator.Lowering;

/// <summary>
/// Every diagnostic of StaticFlow graph code. The lowering raises them; the analyzers report them in the IDE and
/// build; the generator, seeing any error, emits nothing for that module. Each has a page at <c>docs/diagnostics/ID.md</c>,
/// linked absolutely (<see cref="HelpLink"/>).
/// </summary>
internal static class GraphDiagnostics
{
    private const string Category = "StaticFlow.Graph";

    // Declared before the descriptors: static fields initialize in textual order.
    private static readonly string HelpBase = ReadHelpBase();

    /// <summary>
    /// The address of the diagnostics' pages: the build property <c>StaticFlowDiagnosticsUrl</c> (by default the
    /// package's <c>RepositoryUrl</c> + <c>/blob/main/docs/diagnostics/</c>), kept as assembly metadata.
    /// </summary>
    private static string ReadHelpBase()
    {
        foreach (var attribute in typeof(GraphDiagnostics).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false))
            if (attribute is System.Reflection.AssemblyMetadataAttribute { Key: "StaticFlowDiagnosticsUrl", Value: { Length: > 0 } url })
                return url.EndsWith("/", StringComparison.Ordinal) ? url : url + "/";
        return "https://github.com/staticflow/staticflow/blob/main/docs/diagnostics/";
    }

    /// <summary>The help page of diagnostic <paramref name="id"/>.</summary>
    public static string HelpLink(string id) => HelpBase + id + ".md";

    private static DiagnosticDescriptor Error(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description, HelpLink(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpLink(id));

    public static readonly DiagnosticDescriptor UnsupportedConstruct = Error("SF0001",
        "C# construct cannot be part of a graph",
        "{0} cannot be part of a graph function: {1}",
        "A graph function is lowered to a static TensorFlow graph at compile time. Tensors, Ops calls, operators, constants, unrolled loops, tensor conditions and calls of other graph functions lower; exceptions, objects, strings, LINQ and other run-time C# have no graph form.");

    public static readonly DiagnosticDescriptor NotAnOp = Error("SF0002",
        "Call is neither an op nor a graph function",
        "'{0}' is neither a TensorFlow op nor a graph function of this module{1}",
        "Inside a graph function a call must be an Ops method (or another [OpMethod]), a [Composite] such as a loss, or a graph function of the module: only those have a graph form.");

    public static readonly DiagnosticDescriptor UnknownOp = Error("SF0003",
        "Unknown op",
        "Op '{0}' (named by '{1}') is not in StaticFlow's op catalogue",
        "An [OpMethod] names a TensorFlow op the runtime has no definition of (signature, shape rule, kernels), so its graph could not run. docs/ops.md lists the catalogue.");

    public static readonly DiagnosticDescriptor UnknownAttr = Error("SF0004",
        "Argument is neither an input nor an attr of the op",
        "Parameter '{0}' of '{1}' is neither an input nor an attr of op '{2}'{3}",
        "Each parameter of an [OpMethod] is an input of the op in order, or the attr whose name is its snake_case name; one that is neither cannot be lowered.");

    public static readonly DiagnosticDescriptor UnsupportedDType = Error("SF0005",
        "Element type has no TensorFlow dtype",
        "{0}: element type '{1}' {2}",
        "Graph tensors hold TensorFlow dtypes: float, double, Half, BFloat16, the signed and unsigned integers and bool.");

    public static readonly DiagnosticDescriptor ShapeMismatch = Error("SF0006",
        "Static shapes do not fit",
        "{0}: {1}",
        "The generator runs each op's shape function on the static shapes it knows; shapes that can never fit would fail at run time, so they are reported where the op is written.");

    public static readonly DiagnosticDescriptor LoopNotLowerable = Error("SF0007",
        "Loop can be neither unrolled nor lowered",
        "This loop can be neither unrolled nor lowered: {0}",
        "for loops with constant bounds and foreach over arrays known at compile time are unrolled; while loops on a Tensor<bool> condition become StatelessWhile. Other loops have no static graph form.");

    public static readonly DiagnosticDescriptor Recursion = Error("SF0008",
        "Graph function is recursive",
        "Graph function '{0}' calls itself ({1}); a graph cannot recurse",
        "TensorFlow function libraries cannot call themselves; write the recursion as a while loop on a tensor condition.");

    public static readonly DiagnosticDescriptor ModuleNotPartial = Error("SF0009",
        "Graph module is not partial",
        "Graph module '{0}' must be declared partial so that the generator can add its graph members",
        "The generator adds the compiled graph, the <Name>Graph methods and variable access to the module's class, which it can do only to a partial class.");

    public static readonly DiagnosticDescriptor VariableWithoutShape = Error("SF0010",
        "Variable has no valid shape",
        "Variable '{0}' {1}",
        "A [Variable] is a writable instance Tensor<T> field with a fixed shape: every dimension known and positive, or none for a scalar.");

    public static readonly DiagnosticDescriptor InvalidDevice = Error("SF0011",
        "Invalid device string",
        "'{0}' is not a valid device string: {1}",
        "Device strings follow TensorFlow's form: /job:J/replica:R/task:T/device:TYPE:N, or the short /CPU:0, /GPU:1.");

    public static readonly DiagnosticDescriptor DuplicateSignature = Error("SF0012",
        "Duplicate signature name",
        "Signature '{0}' is already used by graph function '{1}'",
        "A SavedModel's signature keys are unique; two graph functions cannot be exported under one key.");

    public static readonly DiagnosticDescriptor WriteToNonVariable = Error("SF0013",
        "Write to state that is not a variable",
        "'{0}' is not a [Variable] of this module; a graph function can write only module variables and its own locals",
        "A graph's state is its variables: a write to any other field would happen eagerly but never in the compiled graph.");

    public static readonly DiagnosticDescriptor InvalidGraphFunction = Error("SF0014",
        "Graph function signature cannot be lowered",
        "Graph function '{0}': {1}",
        "A graph function is an instance method of its [GraphModule], not generic, with Tensor<T> parameters passed by value, returning a Tensor<T> or a tuple of them.");

    public static readonly DiagnosticDescriptor AttrNotConstant = Error("SF0015",
        "Attr argument is not a constant",
        "Argument '{0}' sets attr '{1}' of op '{2}' and must be a compile-time constant",
        "Attrs are fixed in the graph, so the arguments that set them (axes, strides, flags) must be known at compile time: constants or unrolled loop counters.");

    public static readonly DiagnosticDescriptor GradientNotBuilt = Error("SF0016",
        "Gradient cannot be built",
        "Gradient of '{0}': {1}",
        "Gradients are built at compile time from each op's gradient rule; an op without one, or a path through integers or non-differentiable ops, stops the gradient.");

    public static readonly DiagnosticDescriptor GraphAttributeOutsideModule = Error("SF0017",
        "Graph attribute outside a graph module",
        "{0} on '{1}' needs its class '{2}' to be a [GraphModule]",
        "Graph functions and variables belong to a [GraphModule] class, whose generated half compiles them; elsewhere they would silently stay plain C#.");

    public static readonly DiagnosticDescriptor GeneratedNameTaken = Error("SF0018",
        "Member name is taken by a generated member",
        "'{0}' is a member the generator adds to graph module '{1}' ({2}); rename this one",
        "The generator adds GraphDefinition, GraphSession, GetVariables, SetVariables, InitializeVariables and a <Name>Graph method per graph function to each module; a user member of the same name would break the generated code.");

    public static readonly DiagnosticDescriptor VariablesNotInitialized = Warning("SF0019",
        "Constructor leaves the variables uninitialized",
        "Constructor of '{0}' does not initialize the module's variables; call InitializeVariables() (or SetVariables) in it",
        "A module without a constructor gets one that initializes its variables; a module with its own must call InitializeVariables() or SetVariables(...), or its variables stay null until the first use throws.");

    public static readonly DiagnosticDescriptor[] All =
    [
        UnsupportedConstruct, NotAnOp, UnknownOp, UnknownAttr, UnsupportedDType, ShapeMismatch, LoopNotLowerable,
        Recursion, ModuleNotPartial, VariableWithoutShape, InvalidDevice, DuplicateSignature, WriteToNonVariable,
        InvalidGraphFunction, AttrNotConstant, GradientNotBuilt, GraphAttributeOutsideModule, GeneratedNameTaken, VariablesNotInitialized,
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

    /// <summary>The diagnostic at its file, line and column, for the generator (which reports without the compilation at hand).</summary>
    public Diagnostic ToExternalDiagnostic()
    {
        DiagnosticDescriptor descriptor = Array.Find(GraphDiagnostics.All, d => d.Id == Id)!;
        var location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
        return Diagnostic.Create(descriptor, location, args);
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
