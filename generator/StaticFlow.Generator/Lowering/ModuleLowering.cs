using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

/// <summary>The result of lowering one module: the model (null when there is any error) and every diagnostic found.</summary>
internal sealed record LoweringResult(ModuleModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Lowers a <c>[GraphModule]</c> class: checks its declaration, variables and graph functions, lowers every
/// function body into the module graph (under the function's name scope) and every function another one calls into
/// a library function. The generator and the analyzers both call this, so they cannot disagree.
/// </summary>
internal sealed class ModuleLowering
{
    private readonly INamedTypeSymbol _type;
    private readonly Compilation _compilation;
    private readonly CancellationToken _cancellation;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private readonly Dictionary<string, VariableModel> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<IMethodSymbol, FunctionInfo> _functions = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IMethodSymbol, FunctionDefModel?> _library = new(SymbolEqualityComparer.Default);
    private readonly List<FunctionDefModel> _libraryOrder = new();
    private readonly Stack<IMethodSymbol> _libraryStack = new();
    private readonly Dictionary<string, (string Function, TrainStepModel Settings)> _optimizers = new(StringComparer.Ordinal);

    internal static readonly IReadOnlyDictionary<string, OpSchema> Schemas = BuildSchemas();

    private ModuleLowering(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellation)
    {
        _type = type;
        _compilation = compilation;
        _cancellation = cancellation;
    }

    /// <summary>A graph function's checked signature.</summary>
    internal sealed class FunctionInfo(IMethodSymbol method, MethodDeclarationSyntax syntax, string device, List<(string Name, ITypeSymbol Element, string DType, long[]? Shape)> parameters,
        List<(string Name, ITypeSymbol Element, string DType)> outputs, bool returnsTuple, TrainStepModel? trainStep = null)
    {
        /// <summary>The optimizer settings of a <c>[TrainStep]</c> function, else null.</summary>
        public TrainStepModel? TrainStep { get; } = trainStep;
        public IMethodSymbol Method { get; } = method;
        public MethodDeclarationSyntax Syntax { get; } = syntax;
        public string Device { get; } = device;
        public List<(string Name, ITypeSymbol Element, string DType, long[]? Shape)> Parameters { get; } = parameters;
        public List<(string Name, ITypeSymbol Element, string DType)> Outputs { get; } = outputs;
        public bool ReturnsTuple { get; } = returnsTuple;
    }

    public static LoweringResult Lower(INamedTypeSymbol type, Compilation compilation, CancellationToken cancellation)
    {
        var lowering = new ModuleLowering(type, compilation, cancellation);
        ModuleModel? model = lowering.Run();
        return new LoweringResult(lowering.HasErrors ? null : model, lowering._diagnostics.ToEquatable());
    }

    /// <summary>Whether an error (not a warning) was reported: only errors keep the generator from emitting.</summary>
    private bool HasErrors => _diagnostics.Any(d => Array.Find(GraphDiagnostics.All, descriptor => descriptor.Id == d.Id)?.DefaultSeverity == DiagnosticSeverity.Error);

    internal void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, null, arguments));

    internal void ReportNotAnOp(Location location, string call, string? opsReplacement) =>
        _diagnostics.Add(DiagnosticInfo.Create(GraphDiagnostics.NotAnOp, location, opsReplacement, call,
            opsReplacement is null ? "" : $"; use Ops.{opsReplacement}"));

    internal Compilation Compilation => _compilation;

    internal CancellationToken Cancellation => _cancellation;

    internal IReadOnlyDictionary<string, VariableModel> Variables => _variables;

    internal FunctionInfo? FindFunction(IMethodSymbol method) =>
        _functions.TryGetValue(method.OriginalDefinition, out var info) ? info : null;

    private ModuleModel? Run()
    {
        var declarations = _type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellation)).OfType<ClassDeclarationSyntax>().ToList();
        if (declarations.Count == 0) return null;
        if (declarations.Any(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            var declaration = declarations.First(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword));
            Report(GraphDiagnostics.ModuleNotPartial, declaration.Identifier.GetLocation(), _type.Name);
        }
        if (_type.ContainingType is not null)
            Report(GraphDiagnostics.UnsupportedConstruct, declarations[0].Identifier.GetLocation(), $"Nested class '{_type.Name}'", "a graph module must be a top-level class");
        if (_type.IsGenericType)
            Report(GraphDiagnostics.UnsupportedConstruct, declarations[0].Identifier.GetLocation(), $"Generic class '{_type.Name}'", "a graph module has one graph, so it cannot be generic");

        string moduleDevice = ReadDevice(_type) ?? "";
        foreach (var member in _type.GetMembers())
        {
            if (member is IFieldSymbol field && TypeRules.FindAttribute(field, TypeRules.VariableAttribute) is { } variable)
                LowerVariable(field, variable);
        }

        var signatureOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in _type.GetMembers())
        {
            if (member is not IMethodSymbol method || TypeRules.FindAttribute(method, TypeRules.GraphFunctionAttribute) is not { } attribute) continue;
            var info = CheckFunction(method, moduleDevice);
            if (info is null) continue;
            _functions[method.OriginalDefinition] = info;
            foreach (var argument in attribute.NamedArguments)
            {
                if (argument.Key != "Signature" || argument.Value.Value is not string signature) continue;
                if (signatureOwners.TryGetValue(signature, out string? owner))
                    Report(GraphDiagnostics.DuplicateSignature, AttributeLocation(attribute, info.Syntax), signature, owner);
                else signatureOwners[signature] = method.Name;
            }
        }

        var graph = new GraphBuilder(isFunctionBody: false);
        _moduleGraph = graph;
        foreach (var variable in _variables.Values) AddVariableHandle(graph, variable, moduleDevice);

        var functions = new List<FunctionModel>();
        foreach (var info in _functions.Values.OrderBy(f => f.Syntax.SpanStart).ThenBy(f => f.Method.Name, StringComparer.Ordinal))
        {
            _cancellation.ThrowIfCancellationRequested();
            var lowered = FunctionLowering.LowerInModuleGraph(this, info, graph);
            if (lowered is not null) functions.Add(lowered);
        }
        CheckGeneratedNames();
        CheckConstructors();
        if (HasErrors) return null;

        string accessibility = _type.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        bool hasConstructor = _type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared);
        return new ModuleModel(
            _type.ContainingNamespace.IsGlobalNamespace ? null : _type.ContainingNamespace.ToDisplayString(),
            _type.Name, accessibility, hasConstructor,
            _variables.Values.ToEquatable(), functions.ToEquatable(), graph.Nodes.ToEquatable(), _libraryOrder.ToEquatable());
    }

    /// <summary>SF0018 for a user member named like one the generator adds (it would break the generated code).</summary>
    private void CheckGeneratedNames()
    {
        var generated = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["GraphDefinition"] = "the compiled module graph", ["GraphSession"] = "the session its graph methods run on",
            ["GetVariables"] = "variable access", ["SetVariables"] = "variable access", ["InitializeVariables"] = "variable initialization",
            ["StaticFlowGraphDefBase64"] = "the serialized graph", ["_staticFlowSession"] = "the session field",
        };
        foreach (var function in _functions.Values) generated[function.Method.Name + "Graph"] = $"the compiled form of graph function '{function.Method.Name}'";
        foreach (var member in _type.GetMembers())
        {
            if (member.IsImplicitlyDeclared || !generated.TryGetValue(member.Name, out string? role)) continue;
            // The generator's own half declares these names; only a declaration in the user's code collides.
            var userDeclaration = member.DeclaringSyntaxReferences.FirstOrDefault(r => !IsGeneratedTree(r.SyntaxTree));
            if (userDeclaration is null) continue;
            var location = member.Locations.FirstOrDefault(l => l.SourceTree == userDeclaration.SyntaxTree) ?? userDeclaration.GetSyntax(_cancellation).GetLocation();
            Report(GraphDiagnostics.GeneratedNameTaken, location, member.Name, _type.Name, role);
        }
    }

    /// <summary>Files the generator writes end in <c>.StaticFlow.g.cs</c> (<see cref="Emit.ModuleEmitter.HintName"/>).</summary>
    private static bool IsGeneratedTree(SyntaxTree tree) => tree.FilePath.EndsWith(".StaticFlow.g.cs", StringComparison.Ordinal);

    /// <summary>
    /// SF0019 for a user constructor that neither initializes nor sets the variables (nor chains to a constructor
    /// that may): the generator adds its initializing constructor only when the class declares none.
    /// </summary>
    private void CheckConstructors()
    {
        if (_variables.Count == 0) return;
        foreach (var constructor in _type.InstanceConstructors)
        {
            if (constructor.IsImplicitlyDeclared) continue;
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (IsGeneratedTree(reference.SyntaxTree) || reference.GetSyntax(_cancellation) is not ConstructorDeclarationSyntax syntax) continue;
                if (syntax.Initializer is { } initializer && initializer.IsKind(SyntaxKind.ThisConstructorInitializer)) continue;
                bool initializes = syntax.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(call =>
                    (call.Expression as IdentifierNameSyntax)?.Identifier.ValueText is "InitializeVariables" or "SetVariables"
                    || (call.Expression as MemberAccessExpressionSyntax) is { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: "InitializeVariables" or "SetVariables" });
                if (!initializes) Report(GraphDiagnostics.VariablesNotInitialized, syntax.Identifier.GetLocation(), _type.Name);
            }
        }
    }

    /// <summary>The library function of <paramref name="callee"/>, lowering it on first use; null (with SF0008) on recursion.</summary>
    internal FunctionDefModel? LibraryFunction(FunctionInfo callee, Location callSite)
    {
        if (_libraryStack.Contains(callee.Method, SymbolEqualityComparer.Default))
        {
            string path = string.Join(" -> ", _libraryStack.Reverse().Select(m => m.Name).Concat(new[] { callee.Method.Name }));
            Report(GraphDiagnostics.Recursion, callSite, callee.Method.Name, path);
            return null;
        }
        if (_library.TryGetValue(callee.Method, out var existing)) return existing;
        _libraryStack.Push(callee.Method);
        FunctionDefModel? function = FunctionLowering.LowerAsLibraryFunction(this, callee);
        _libraryStack.Pop();
        _library[callee.Method] = function;
        if (function is not null) _libraryOrder.Add(function);
        return function;
    }

    private readonly HashSet<string> _libraryNames = new(StringComparer.Ordinal);

    /// <summary>Adds a function made by the lowering itself (a while loop's condition or body) to the library.</summary>
    internal void AddLibraryFunction(FunctionDefModel function) => _libraryOrder.Add(function);

    /// <summary>A library function name not used yet: <paramref name="baseName"/>, then <c>_1</c>, <c>_2</c>, ...</summary>
    internal string UniqueLibraryName(string baseName)
    {
        string name = baseName;
        for (int i = 1; !_libraryNames.Add(name); i++) name = baseName + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return name;
    }

    /// <summary>Entries count as being lowered too, so recursion through an entry function is caught.</summary>
    internal void PushEntry(IMethodSymbol method) => _libraryStack.Push(method);

    internal void PopEntry() => _libraryStack.Pop();

    /// <summary>Whether <paramref name="method"/> is being lowered now (an entry or library function up the call chain).</summary>
    internal bool IsBeingLowered(IMethodSymbol method) => _libraryStack.Contains(method, SymbolEqualityComparer.Default);

    /// <summary>Reports SF0008 for a call of <paramref name="callee"/> that recurses.</summary>
    internal void ReportRecursion(IMethodSymbol callee, Location callSite)
    {
        string path = string.Join(" -> ", _libraryStack.Reverse().Select(m => m.Name).Concat(new[] { callee.Name }));
        Report(GraphDiagnostics.Recursion, callSite, callee.Name, path);
    }

    private GraphBuilder? _moduleGraph;

    /// <summary>
    /// Adds a variable the lowering itself needs (an optimizer's slot, step count or learning rate) to the module, with
    /// its VarHandleOp in the module graph, and returns it; an existing one of that name is returned as is.
    /// </summary>
    internal VariableModel AddOptimizerVariable(string name, string dtype, long[] shape, double fill)
    {
        if (_variables.TryGetValue(name, out var existing)) return existing;
        string field = "__sf_" + new string(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
        var variable = new VariableModel(name, TypeRules.CSharpNameOfDType(dtype), dtype, shape.ToEquatable(), "Zeros", false, field, fill, IsOptimizerState: true);
        _variables[name] = variable;
        AddVariableHandle(_moduleGraph!, variable, "");
        return variable;
    }

    private static void AddVariableHandle(GraphBuilder graph, VariableModel variable, string device)
    {
        graph.Reserve(variable.Name);
        graph.Add(new NodeModel(variable.Name, "VarHandleOp", EquatableArray<string>.Empty, device, Attrs.Complete(Schemas["VarHandleOp"], new[]
        {
            Attrs.Type("dtype", variable.DType), Attrs.Shape("shape", true, variable.Shape), Attrs.String("shared_name", variable.Name),
        })), Schemas["VarHandleOp"]);
    }

    private void LowerVariable(IFieldSymbol field, AttributeData attribute)
    {
        var location = field.Locations.FirstOrDefault();
        var element = TypeRules.TensorElement(field.Type);
        if (element is null)
        {
            Report(GraphDiagnostics.VariableWithoutShape, location, field.Name, $"must be a Tensor<T> field, not {field.Type.ToDisplayString()}");
            return;
        }
        string? dtype = TypeRules.DTypeOf(element);
        if (dtype is null)
        {
            Report(GraphDiagnostics.UnsupportedDType, location, $"Variable '{field.Name}'", element.ToDisplayString(), "has no TensorFlow dtype");
            return;
        }
        if (field.IsStatic || field.IsReadOnly)
        {
            Report(GraphDiagnostics.UnsupportedConstruct, location, $"Variable '{field.Name}'", "a variable must be a writable instance field");
            return;
        }
        var shape = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? attribute.ConstructorArguments[0].Values.Select(v => Convert.ToInt64(v.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : Array.Empty<long>();
        // No dimensions is a scalar variable, as tf.Variable(0.5).
        if (shape.Any(d => d <= 0))
        {
            Report(GraphDiagnostics.VariableWithoutShape, AttributeLocation(attribute, null) ?? location, field.Name, $"has the shape {ShapeRules.Format(shape)}; every dimension of a variable must be known and positive");
            return;
        }
        string init = "Zeros";
        bool trainable = true;
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Init" && argument.Value.Value is int initValue)
                init = initValue switch { 1 => "Ones", 2 => "GlorotUniform", 3 => "RandomNormal", _ => "Zeros" };
            if (argument.Key == "Trainable" && argument.Value.Value is bool flag) trainable = flag;
        }
        _variables[field.Name] = new VariableModel(field.Name, TypeRules.CSharpName(element), dtype, shape.ToEquatable(), init, trainable, field.Name);
    }

    private FunctionInfo? CheckFunction(IMethodSymbol method, string moduleDevice)
    {
        var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellation)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (syntax is null) return null;
        var location = syntax.Identifier.GetLocation();
        bool ok = true;
        if (method.IsStatic) { Report(GraphDiagnostics.InvalidGraphFunction, location, method.Name, "a graph function must be an instance method of its module"); ok = false; }
        if (method.IsGenericMethod) { Report(GraphDiagnostics.InvalidGraphFunction, location, method.Name, "a graph function cannot be generic: its graph has fixed dtypes"); ok = false; }
        if (method.IsAsync) { Report(GraphDiagnostics.UnsupportedConstruct, syntax.Modifiers.First(m => m.IsKind(SyntaxKind.AsyncKeyword)).GetLocation(), "'async'", "a graph runs synchronously"); ok = false; }
        if (method.IsPartialDefinition || (syntax.Body is null && syntax.ExpressionBody is null)) { Report(GraphDiagnostics.InvalidGraphFunction, location, method.Name, "a graph function needs a body"); ok = false; }

        string device = moduleDevice;
        if (ReadDevice(method) is { } own) device = own;

        var parameters = new List<(string, ITypeSymbol, string, long[]?)>();
        foreach (var parameter in method.Parameters)
        {
            var element = TypeRules.TensorElement(parameter.Type);
            var parameterLocation = parameter.Locations.FirstOrDefault();
            if (element is null || parameter.RefKind != RefKind.None)
            {
                Report(GraphDiagnostics.InvalidGraphFunction, parameterLocation, method.Name, $"parameter '{parameter.Name}' must be a Tensor<T> passed by value");
                ok = false;
                continue;
            }
            string? dtype = TypeRules.DTypeOf(element);
            if (dtype is null)
            {
                Report(GraphDiagnostics.UnsupportedDType, parameterLocation, $"Parameter '{parameter.Name}'", element.ToDisplayString(), "has no TensorFlow dtype");
                ok = false;
                continue;
            }
            long[]? shape = null;
            if (TypeRules.FindAttribute(parameter, TypeRules.ShapeAttribute) is { } shapeAttribute && shapeAttribute.ConstructorArguments.Length == 1)
                shape = shapeAttribute.ConstructorArguments[0].Values.Select(v => Convert.ToInt64(v.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (shape is not null && shape.Any(d => d < -1))
            {
                Report(GraphDiagnostics.InvalidGraphFunction, parameterLocation, method.Name, $"parameter '{parameter.Name}' has the shape {ShapeRules.Format(shape)}; a dimension is -1 (unknown) or at least 0");
                ok = false;
            }
            parameters.Add((parameter.Name, element, dtype, shape));
        }

        var outputs = new List<(string, ITypeSymbol, string)>();
        bool returnsTuple = false;
        if (method.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            returnsTuple = true;
            for (int i = 0; i < tuple.TupleElements.Length; i++)
            {
                var field = tuple.TupleElements[i];
                var element = TypeRules.TensorElement(field.Type);
                if (element is null || TypeRules.DTypeOf(element) is not { } dtype)
                {
                    Report(GraphDiagnostics.InvalidGraphFunction, syntax.ReturnType.GetLocation(), method.Name, $"tuple element {i + 1} must be a Tensor<T> of a TensorFlow dtype");
                    ok = false;
                    continue;
                }
                string name = field.IsExplicitlyNamedTupleElement ? field.Name : $"output_{i}";
                outputs.Add((name, element, dtype));
            }
        }
        else if (TypeRules.TensorElement(method.ReturnType) is { } element && TypeRules.DTypeOf(element) is { } dtype)
        {
            outputs.Add(("output_0", element, dtype));
        }
        else
        {
            Report(GraphDiagnostics.InvalidGraphFunction, syntax.ReturnType.GetLocation(), method.Name, $"it must return a Tensor<T> or a tuple of them, not {method.ReturnType.ToDisplayString()}");
            ok = false;
        }
        TrainStepModel? trainStep = null;
        if (TypeRules.FindAttribute(method, TypeRules.TrainStepAttribute) is { } trainAttribute)
        {
            trainStep = TrainStepModel.From(trainAttribute);
            if (_optimizers.TryGetValue(trainStep.Name, out var other) && other.Settings != trainStep)
            {
                Report(GraphDiagnostics.InvalidGraphFunction, AttributeLocation(trainAttribute, syntax), method.Name,
                    $"its optimizer '{trainStep.Name}' has other settings than the one of '{other.Function}', and the two would share its state; give one a Name of its own");
                ok = false;
            }
            else _optimizers[trainStep.Name] = (method.Name, trainStep);
            if (returnsTuple || outputs.Count != 1 || outputs[0].Item3 is not ("float" or "double"))
            {
                Report(GraphDiagnostics.InvalidGraphFunction, syntax.ReturnType.GetLocation(), method.Name, "a [TrainStep] function returns its loss, one Tensor<float> or Tensor<double>");
                ok = false;
            }
        }
        return ok ? new FunctionInfo(method, syntax, device, parameters, outputs, returnsTuple, trainStep) : null;
    }

    /// <summary>The canonical device of a [Device] attribute on <paramref name="symbol"/>, null when absent (SF0011 when invalid).</summary>
    private string? ReadDevice(ISymbol symbol)
    {
        if (TypeRules.FindAttribute(symbol, TypeRules.DeviceAttribute) is not { } attribute) return null;
        string text = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
        string? canonical = DeviceNames.Canonicalize(text, out string? problem);
        if (canonical is null) Report(GraphDiagnostics.InvalidDevice, AttributeLocation(attribute, null) ?? symbol.Locations.FirstOrDefault(), text, problem!);
        return canonical ?? "";
    }

    private static Location? AttributeLocation(AttributeData attribute, SyntaxNode? fallback) =>
        attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation() ?? fallback?.GetLocation();

    private static Dictionary<string, OpSchema> BuildSchemas()
    {
        var schemas = new Dictionary<string, OpSchema>(StringComparer.Ordinal);
        foreach (var schema in StandardOps.Create()) schemas[schema.Name] = schema;
        return schemas;
    }
}
