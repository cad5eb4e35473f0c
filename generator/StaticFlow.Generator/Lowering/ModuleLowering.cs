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

        /// <summary>
        /// Whether it takes constants (<c>bool training</c>, an int, an enum; DType ""): bound where a graph function
        /// calls it, so it is always inlined and has no graph of its own.
        /// </summary>
        public bool HasConstantParameters => Parameters.Any(p => p.DType.Length == 0);
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

    internal void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        if (_redirects.Count > 0)
        {
            // A problem inside another module's code, met while this module uses it: reported where this module
            // uses it (the other module's own lowering reports its own problems at their place).
            var (callSite, context) = _redirects.Peek();
            location = callSite;
            if (arguments.Length > 0) arguments = new[] { $"{context}: {arguments[0]}" }.Concat(arguments.Skip(1)).ToArray();
        }
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, null, arguments));
    }

    private readonly Stack<(Location CallSite, string Context)> _redirects = new();

    /// <summary>
    /// Until the matching <see cref="PopRedirect"/>, reports go to <paramref name="callSite"/> in this module's code,
    /// prefixed with <paramref name="context"/>; nested redirects keep the outermost site.
    /// </summary>
    internal void PushRedirect(Location callSite, string context) =>
        _redirects.Push(_redirects.Count > 0 ? (_redirects.Peek().CallSite, _redirects.Peek().Context + " > " + context) : (callSite, context));

    internal void PopRedirect() => _redirects.Pop();

    internal void ReportNotAnOp(Location location, string call, string? opsReplacement)
    {
        if (_redirects.Count > 0) { Report(GraphDiagnostics.NotAnOp, location, call, opsReplacement is null ? "" : $"; use Ops.{opsReplacement}"); return; }
        _diagnostics.Add(DiagnosticInfo.Create(GraphDiagnostics.NotAnOp, location, opsReplacement, call,
            opsReplacement is null ? "" : $"; use Ops.{opsReplacement}"));
    }

    internal Compilation Compilation => _compilation;

    internal CancellationToken Cancellation => _cancellation;

    internal IReadOnlyDictionary<string, VariableModel> Variables => _variables;

    internal FunctionInfo? FindFunction(IMethodSymbol method) =>
        _functions.TryGetValue(method.OriginalDefinition, out var info) ? info : null;

    private readonly Dictionary<IMethodSymbol, FunctionInfo?> _otherFunctions = new(SymbolEqualityComparer.Default);

    /// <summary>
    /// The checked signature of a graph function of another module (a child's) or of a static helper, checked
    /// once; its problems are reported where <paramref name="callSite"/> calls it.
    /// </summary>
    internal FunctionInfo? OtherFunction(IMethodSymbol method, Location callSite)
    {
        method = method.OriginalDefinition;
        if (_functions.TryGetValue(method, out var own)) return own;
        if (_otherFunctions.TryGetValue(method, out var known)) return known;
        PushRedirect(callSite, $"in {method.ContainingType.Name}.{method.Name}");
        var info = CheckFunction(method, ReadDevice(method.ContainingType) ?? "");
        PopRedirect();
        _otherFunctions[method] = info;
        return info;
    }

    private readonly HashSet<IMethodSymbol> _skipped = new(SymbolEqualityComparer.Default);

    /// <summary>How many diagnostics have been reported, to take back those of a lowering that is dropped.</summary>
    internal int DiagnosticCount => _diagnostics.Count;

    internal void TakeBackDiagnostics(int count)
    {
        if (_diagnostics.Count > count) _diagnostics.RemoveRange(count, _diagnostics.Count - count);
    }

    /// <summary>
    /// A graph function with no compiled form of its own, because it reads members the module's constructor
    /// arguments decide; it still compiles where a parent creates the module with constants.
    /// </summary>
    internal void SkipFunction(FunctionInfo info) => _skipped.Add(info.Method);

    /// <summary>The root module: this class, its variables under their own names, its children under their fields' paths.</summary>
    internal ModuleInstance Root => _root!;

    private ModuleInstance? _root;

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
        var evaluator = new ConstructorEvaluator(_compilation, _cancellation);
        // Every instance of the root runs its initializers and, when it declares exactly one, that constructor: what
        // they set from constants is known for all of them (what depends on the constructor's arguments is not).
        var explicitConstructors = _type.InstanceConstructors.Where(c => !c.IsImplicitlyDeclared && !c.DeclaringSyntaxReferences.All(r => IsGeneratedTree(r.SyntaxTree))).ToList();
        var constructor = explicitConstructors.Count == 1 ? explicitConstructors[0] : null;
        _root = new ModuleInstance(_type, "", declarations[0].Identifier.GetLocation());
        // Its arguments are not known (every caller passes its own), defaults included.
        BuildInstance(_root, evaluator.Construct(_type, constructor, new object?[constructor?.Parameters.Length ?? 0]), evaluator, depth: 0);

        var signatureOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in _type.GetMembers())
        {
            if (member is not IMethodSymbol method || TypeRules.FindAttribute(method, TypeRules.GraphFunctionAttribute) is not { } attribute) continue;
            if (method.IsStatic) continue; // a helper: checked and lowered where a graph function calls it
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
        for (int i = 0; i < functions.Count; i++) functions[i] = WithConcreteFunction(functions[i]);

        string accessibility = _type.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        bool hasConstructor = _type.InstanceConstructors.Any(c => !c.IsImplicitlyDeclared);
        return new ModuleModel(
            _type.ContainingNamespace.IsGlobalNamespace ? null : _type.ContainingNamespace.ToDisplayString(),
            _type.Name, accessibility, hasConstructor,
            _variables.Values.ToEquatable(),
            ChildFields().ToEquatable(),
            functions.ToEquatable(), graph.Nodes.ToEquatable(), _libraryOrder.ToEquatable());
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
        foreach (var function in _functions.Values.Where(f => !_skipped.Contains(f.Method))) generated[function.Method.Name + "Graph"] = $"the compiled form of graph function '{function.Method.Name}'";
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

    /// <summary>
    /// The function as a TF2 concrete function too: a library function taking the variables it reads as resource
    /// arguments, which a SavedModel's object graph names (<c>tf.saved_model.load(dir).Predict(x)</c>). A function
    /// whose library form cannot be built (a train step, whose updates live in the module graph) gets none, and its
    /// attempt leaves no diagnostic behind.
    /// </summary>
    private FunctionModel WithConcreteFunction(FunctionModel function)
    {
        var info = _functions.Values.First(f => f.Method.Name == function.Name);
        if (info.TrainStep is not null) return function;
        int diagnostics = _diagnostics.Count;
        var concrete = LibraryFunction(info, info.Syntax.Identifier.GetLocation());
        if (_diagnostics.Count > diagnostics) _diagnostics.RemoveRange(diagnostics, _diagnostics.Count - diagnostics);
        if (concrete is null) return function;
        return function with { ConcreteFunction = concrete.Name, CapturedVariables = concrete.CapturedVariables };
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

    private const int MaxNesting = 16;

    /// <summary>
    /// Fills <paramref name="instance"/>: its variables (dimensions from its members), then its children, created as
    /// its constructor creates them, each under its field's path; every variable goes into the module's list.
    /// </summary>
    private void BuildInstance(ModuleInstance instance, ConstructorEvaluator.Result construction, ConstructorEvaluator evaluator, int depth)
    {
        // Only members nothing can change after construction: readonly fields and properties without a setter.
        foreach (var pair in construction.Members)
            if (instance.Type.GetMembers(pair.Key).FirstOrDefault() is IFieldSymbol { IsReadOnly: true } or IPropertySymbol { SetMethod: null })
                instance.Members[pair.Key] = pair.Value;
        foreach (var member in instance.Type.GetMembers())
        {
            if (member is IFieldSymbol field && TypeRules.FindAttribute(field, TypeRules.VariableAttribute) is { } variable)
                LowerVariable(field, variable, instance);
        }
        foreach (var member in instance.Type.GetMembers())
        {
            if (member.IsStatic || member is not (IFieldSymbol or IPropertySymbol) || member.IsImplicitlyDeclared) continue;
            ITypeSymbol memberType = member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member).Type;
            if (ModuleElementType(memberType) is not { } element) continue;
            if (!construction.ChildCreations.TryGetValue(member.Name, out var creation)) continue; // reported where a graph function uses it
            if (depth >= MaxNesting)
            {
                Report(GraphDiagnostics.UnsupportedConstruct, creation.Expression.GetLocation(), $"Nesting modules {MaxNesting} deep", "a module cannot contain itself");
                return;
            }
            var model = _compilation.GetSemanticModel(creation.Expression.SyntaxTree);
            if (ConstructorEvaluator.ModuleArgument(creation.Expression, creation.Environment) is null
                && model.GetSymbolInfo(StripSpread(creation.Expression)).Symbol is IParameterSymbol)
            {
                // Modules the constructor takes as arguments (Sequential's layers): known where a parent passes them.
                instance.ConstructorDecided.Add(member.Name);
                continue;
            }
            var items = ConstructorEvaluator.ModuleArgument(creation.Expression, creation.Environment) is { } passed
                ? passed.Select(p => p.Expression).ToList()
                : element.IsList ? ListItems(creation.Expression) : new[] { creation.Expression };
            if (ConstructorEvaluator.ModuleArgument(creation.Expression, creation.Environment) is { } arguments)
            {
                // Modules passed to the constructor (new Sequential(new Dense(...), ...)): each in its own tree and environment.
                var created = new List<ModuleInstance>();
                for (int i = 0; i < arguments.Count; i++)
                {
                    string itemPath = instance.Path + member.Name + "/" + (element.IsList ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" : "");
                    var made = CreateChild(arguments[i].Expression, _compilation.GetSemanticModel(arguments[i].Expression.SyntaxTree), arguments[i].Environment, instance, itemPath, evaluator, depth);
                    if (made is null) break;
                    created.Add(made);
                }
                if (created.Count == arguments.Count && (element.IsList || created.Count == 1)) instance.Children[member.Name] = element.IsList ? created : created[0];
                continue;
            }
            if (items is null)
            {
                Report(GraphDiagnostics.UnsupportedConstruct, creation.Expression.GetLocation(), $"The modules '{creation.Expression}'",
                    "a list of child modules is written in place, as [new Dense(4, 8), new Dense(8, 2)]");
                continue;
            }
            var children = new List<ModuleInstance>();
            for (int i = 0; i < items.Count; i++)
            {
                string path = instance.Path + member.Name + "/" + (element.IsList ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" : "");
                var child = CreateChild(items[i], model, creation.Environment, instance, path, evaluator, depth);
                if (child is null) break;
                children.Add(child);
            }
            if (children.Count == items.Count) instance.Children[member.Name] = element.IsList ? children : children[0];
        }
    }

    private ModuleInstance? CreateChild(ExpressionSyntax expression, SemanticModel model, Dictionary<string, object> environment, ModuleInstance parent, string path,
        ConstructorEvaluator evaluator, int depth)
    {
        // null (null!, default): not created yet; reported where a graph function uses it.
        var bare = expression is PostfixUnaryExpressionSyntax { Operand: var operand } suppressed && suppressed.IsKind(SyntaxKind.SuppressNullableWarningExpression) ? operand : expression;
        if (bare.IsKind(SyntaxKind.NullLiteralExpression) || bare.IsKind(SyntaxKind.DefaultLiteralExpression)) return null;
        if (expression is not BaseObjectCreationExpressionSyntax creation || model.GetSymbolInfo(creation).Symbol is not IMethodSymbol constructor
            || !TypeRules.HasAttribute(constructor.ContainingType, TypeRules.GraphModuleAttribute))
        {
            Report(GraphDiagnostics.UnsupportedConstruct, expression.GetLocation(), $"The module '{expression}'",
                "a child module is created where it is declared or in the constructor, as new Dense(784, 100), so the graph knows it at compile time");
            return null;
        }
        var type = constructor.ContainingType;
        var arguments = evaluator.BindArguments(constructor, creation.ArgumentList, model, environment, parent.Members);
        var child = new ModuleInstance(type, path, creation.GetLocation());
        bool redirected = depth > 0 || !SymbolEqualityComparer.Default.Equals(parent.Type, _type);
        if (redirected) PushRedirect(creation.GetLocation(), $"in module '{path.TrimEnd('/')}'");
        BuildInstance(child, evaluator.Construct(type, constructor, arguments, 0), evaluator, depth + 1);
        if (redirected) PopRedirect();
        return child;
    }

    /// <summary>The instance fields (and auto-properties) of this class that hold child modules, in declaration order.</summary>
    private IEnumerable<ChildModel> ChildFields()
    {
        foreach (var member in _type.GetMembers())
        {
            if (member.IsStatic || member.IsImplicitlyDeclared || member.DeclaringSyntaxReferences.All(r => IsGeneratedTree(r.SyntaxTree))) continue;
            ITypeSymbol? type = member switch { IFieldSymbol field => field.Type, IPropertySymbol { IsIndexer: false } property => property.Type, _ => null };
            if (type is not null && ModuleElementType(type) is { } element) yield return new ChildModel(member.Name, element.IsList);
        }
    }

    private static ExpressionSyntax StripSpread(ExpressionSyntax expression) =>
        expression is CollectionExpressionSyntax { Elements.Count: 1 } collection && collection.Elements[0] is SpreadElementSyntax spread ? spread.Expression : expression;

    /// <summary>The module type a field holds (a <c>[GraphModule]</c> class, or an array or list of one), else null.</summary>
    internal static (INamedTypeSymbol Type, bool IsList)? ModuleElementType(ITypeSymbol type)
    {
        // An interface of layers (ILayer) holds modules too: each item's own type comes from its creation.
        static bool IsModule(INamedTypeSymbol t) => TypeRules.HasAttribute(t, TypeRules.GraphModuleAttribute) || t.TypeKind == TypeKind.Interface && t.GetMembers().OfType<IMethodSymbol>().Any(m => m.ReturnType is INamedTypeSymbol { Name: "Tensor" });
        if (type is INamedTypeSymbol named && IsModule(named)) return (named, false);
        if (type is IArrayTypeSymbol { Rank: 1, ElementType: INamedTypeSymbol element } && IsModule(element)) return (element, true);
        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } generic && generic.TypeArguments[0] is INamedTypeSymbol item
            && IsModule(item)
            && generic.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.List<T>" or "System.Collections.Generic.IReadOnlyList<T>" or "System.Collections.Generic.IList<T>")
            return (item, true);
        return null;
    }

    private static IReadOnlyList<ExpressionSyntax>? ListItems(ExpressionSyntax expression) => expression switch
    {
        CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax) =>
            collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
        ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.ToList(),
        ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.ToList(),
        BaseObjectCreationExpressionSyntax { Initializer: { } listInitializer } when listInitializer.IsKind(SyntaxKind.CollectionInitializerExpression) =>
            listInitializer.Expressions.ToList(),
        _ => null,
    };

    private void LowerVariable(IFieldSymbol field, AttributeData attribute, ModuleInstance instance)
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
        var given = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
            ? attribute.ConstructorArguments[0].Values.Select(v => v.Value).ToArray()
            : Array.Empty<object?>();
        // No dimensions is a scalar variable, as tf.Variable(0.5). A name is an int member of the module: known
        // where the parent constructs it with constants, else -1 here and read from the member at run time.
        var shape = new long[given.Length];
        var dimExpressions = new string[given.Length];
        for (int i = 0; i < given.Length; i++)
        {
            switch (given[i])
            {
                case string member when instance.Type.GetMembers(member).FirstOrDefault() is IFieldSymbol { Type.SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64, IsStatic: false }
                                        or IPropertySymbol { Type.SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64, IsStatic: false }:
                    // Unknown here (the module's own graph, or a child built from its parent's constructor
                    // arguments): -1 in the graph, which then checks the dimension at run time.
                    if (instance.Members.TryGetValue(member, out var known) && known is long value) shape[i] = value;
                    else { shape[i] = -1; dimExpressions[i] = "this." + member; }
                    break;
                case string member:
                    Report(GraphDiagnostics.VariableWithoutShape, AttributeLocation(attribute, null) ?? location, field.Name, $"names '{member}' as a dimension, which is not an int member of {instance.Type.Name}");
                    return;
                case int or long or short or byte:
                    shape[i] = Convert.ToInt64(given[i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                default:
                    Report(GraphDiagnostics.VariableWithoutShape, AttributeLocation(attribute, null) ?? location, field.Name, $"has the dimension '{given[i]}'; a dimension is a number or the name of an int member");
                    return;
            }
        }
        if (Enumerable.Range(0, shape.Length).Any(i => shape[i] <= 0 && dimExpressions[i] is null))
        {
            Report(GraphDiagnostics.VariableWithoutShape, AttributeLocation(attribute, null) ?? location, field.Name, $"has the shape {ShapeRules.Format(shape)}; every dimension of a variable must be known and positive");
            return;
        }
        string init = "Zeros";
        bool trainable = true;
        foreach (var argument in attribute.NamedArguments)
        {
            // The member's own name, so that a new Init value needs no change here.
            if (argument.Key == "Init" && argument.Value.Value is int initValue && argument.Value.Type is INamedTypeSymbol initType)
                init = initType.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, initValue))?.Name ?? "Zeros";
            if (argument.Key == "Trainable" && argument.Value.Value is bool flag) trainable = flag;
        }
        var model = new VariableModel(instance.Path + field.Name, TypeRules.CSharpName(element), dtype, shape.ToEquatable(), init, trainable, field.Name,
            IsOwn: instance.Path.Length == 0, DimExpressions: dimExpressions.Select(e => e ?? "").ToEquatable());
        instance.Variables[field.Name] = model;
        _variables[model.Name] = model;
    }

    private FunctionInfo? CheckFunction(IMethodSymbol method, string moduleDevice, bool allowStatic = true)
    {
        var syntax = method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellation)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (syntax is null) return null;
        var location = syntax.Identifier.GetLocation();
        bool ok = true;
        if (method.IsStatic && !allowStatic) { Report(GraphDiagnostics.InvalidGraphFunction, location, method.Name, "a static graph function is a helper other graph functions call, not an entry of the module; make it an instance method to run or export it"); ok = false; }
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
            if (element is null && parameter.RefKind == RefKind.None
                && (parameter.Type.SpecialType is SpecialType.System_Boolean or SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Single or SpecialType.System_Double
                    || parameter.Type.TypeKind == TypeKind.Enum))
            {
                // A constant (Keras' training flag): its callers pass it at compile time.
                parameters.Add((parameter.Name, parameter.Type, "", null));
                continue;
            }
            if (element is null || parameter.RefKind != RefKind.None)
            {
                Report(GraphDiagnostics.InvalidGraphFunction, parameterLocation, method.Name, $"parameter '{parameter.Name}' must be a Tensor<T> passed by value, or a bool, number or enum constant");
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
            // [return: Output("y")] names the single output (the signature's output key); output_0 otherwise, as TensorFlow.
            string name = "output_0";
            if (method.GetReturnTypeAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeRules.OutputAttribute) is { } named
                && named.ConstructorArguments.Length == 1 && named.ConstructorArguments[0].Value is string given)
            {
                if (IsValidOutputName(given)) name = given;
                else { Report(GraphDiagnostics.InvalidGraphFunction, AttributeLocation(named, syntax.ReturnType), method.Name, $"the output name '{given}' is not a valid name (letters, digits and _, not starting with a digit)"); ok = false; }
            }
            outputs.Add((name, element, dtype));
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

    private static bool IsValidOutputName(string name) =>
        name.Length > 0 && !char.IsDigit(name[0]) && name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_'));

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
