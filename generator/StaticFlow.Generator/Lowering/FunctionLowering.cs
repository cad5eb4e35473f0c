using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

/// <summary>
/// Lowers one graph function's body, statement by statement, into nodes: tensors flow as <see cref="Value"/>s through
/// a symbol environment (SSA), C# constants stay constants until an op needs them, <c>for</c> loops with constant
/// bounds unroll, <c>if</c> and <c>?:</c> on tensor conditions become <c>SelectV2</c>, calls to other graph functions
/// become (Stateful)PartitionedCall nodes of library functions. Anything else is reported at its exact span.
/// </summary>
internal sealed partial class FunctionLowering
{
    private const int MaxUnrolledIterations = 10_000;

    private readonly ModuleLowering _module;
    private readonly ModuleLowering.FunctionInfo _info;
    // The module object whose variables and children this code reads: the root, a child whose graph function is
    // inlined here, or none in a static helper.
    private ModuleInstance? _instance;
    private readonly GraphBuilder _graph;
    private readonly string _functionScope;
    private readonly bool _isLibrary;
    private readonly SemanticModel _model;
    private readonly Dictionary<ISymbol, Value> _locals = new(SymbolEqualityComparer.Default);
    // Shared with functions inlined into this one (calls from a function that takes gradients).
    private readonly Dictionary<string, Value> _assignedVariables;
    private readonly VariableOrder _order;
    private readonly Dictionary<string, long[]> _constantInts;
    private readonly List<string> _stateNodes;
    private readonly List<string> _written;
    private readonly List<string> _captures;
    private readonly ForwardRecord _forward;
    private readonly List<string> _nameScopes = new();
    private readonly List<string> _devices = new();
    private bool _failed;

    /// <summary>Set when the function reads a member only the module's constructor arguments decide (see <see cref="LowerInModuleGraph"/>).</summary>
    internal bool NeedsConstruction { get; private set; }
    private int _selectDepth;
    // The select depth at which returns are merged (a function that takes gradients, see LowerReturningIfAsSelect); 0: none.
    private int _returnMergeDepth;
    private IReadOnlyList<Value>? _returns;
    // Set when a return ran inside a branch a constant chose (if (!training) return ...): what follows is dead for this graph.
    private bool _returnedInBranch;
    // A while loop's condition or body: a return there has no graph form.
    private bool _inLoopBody;

    private FunctionLowering(ModuleLowering module, ModuleLowering.FunctionInfo info, GraphBuilder graph, string functionScope, bool isLibrary, bool recordForward = false)
    {
        _module = module;
        _info = info;
        _graph = graph;
        _functionScope = functionScope;
        _isLibrary = isLibrary;
        _model = module.Compilation.GetSemanticModel(info.Syntax.SyntaxTree);
        _assignedVariables = new(StringComparer.Ordinal);
        _order = new VariableOrder();
        _constantInts = new(StringComparer.Ordinal);
        _stateNodes = new();
        _written = new();
        _captures = new();
        _forward = new ForwardRecord(recordForward || TakesGradients(info));
        _instance = module.Root;
    }

    /// <summary>A lowering of <paramref name="callee"/> inlined into <paramref name="caller"/>'s graph, sharing its state.</summary>
    private FunctionLowering(FunctionLowering caller, ModuleLowering.FunctionInfo callee, ModuleInstance? instance)
    {
        _module = caller._module;
        _info = callee;
        _instance = instance;
        _graph = caller._graph;
        // A child's nodes go under its path, as Keras names a layer's (Predict/hidden/MatMul); others under the function's name.
        string scopeName = instance is { Path.Length: > 0 } child && !ReferenceEquals(child, caller._instance)
            ? child.Path.Substring(caller._instance is { } outer && child.Path.StartsWith(outer.Path, StringComparison.Ordinal) ? outer.Path.Length : 0).TrimEnd('/')
            : callee.Method.Name;
        _functionScope = caller.Scope + caller._graph.UniqueName(caller.Scope, scopeName).Substring(caller.Scope.Length) + "/";
        _isLibrary = caller._isLibrary;
        _model = _module.Compilation.GetSemanticModel(callee.Syntax.SyntaxTree);
        _assignedVariables = caller._assignedVariables;
        _order = caller._order;
        _constantInts = caller._constantInts;
        _stateNodes = caller._stateNodes;
        _written = caller._written;
        _captures = caller._captures;
        _forward = caller._forward;
        if (callee.Device.Length == 0) _devices.Add(caller.Device);
    }

    /// <summary>Lowers <paramref name="info"/> into the module graph under its name scope and returns how generated code calls it.</summary>
    public static FunctionModel? LowerInModuleGraph(ModuleLowering module, ModuleLowering.FunctionInfo info, GraphBuilder graph)
    {
        if (info.HasConstantParameters)
        {
            // Its constants come from its callers: no graph of its own, inlined where graph functions call it.
            module.SkipFunction(info);
            return null;
        }
        string scope = graph.UniqueName("", info.Method.Name) + "/";
        var lowering = new FunctionLowering(module, info, graph, scope, isLibrary: false);
        var inputs = new List<TensorModel>();
        foreach (var (parameter, (name, element, dtype, shape)) in info.Method.Parameters.Zip(info.Parameters, (p, i) => (p, i)))
        {
            string node = graph.UniqueName(scope, name);
            lowering.AddRawNode(node, "Placeholder", Array.Empty<string>(), new[] { Attrs.Type("dtype", dtype), Attrs.Shape("shape", shape is not null, shape) });
            lowering._locals[parameter] = Value.Tensor(node, dtype, shape);
            inputs.Add(new TensorModel(name, node + ":0", TypeRules.CSharpName(element), dtype, shape is not null, (shape ?? Array.Empty<long>()).ToEquatable()));
        }
        module.PushEntry(info.Method);
        int nodesBefore = graph.Nodes.Count, diagnosticsBefore = module.DiagnosticCount;
        bool lowered = lowering.LowerBody();
        module.PopEntry();
        if (lowering.NeedsConstruction)
        {
            // A layer's function that reads its configuration: no standalone graph (nor <Name>Graph method), and
            // what else its lowering met without that configuration (a loop over unknown steps) is no problem either.
            graph.TruncateTo(nodesBefore);
            module.TakeBackDiagnostics(diagnosticsBefore);
            module.SkipFunction(info);
            return null;
        }
        if (!lowered || lowering._failed) return null;
        if (info.TrainStep is { } train && !lowering.LowerTrainStep(train, lowering._returns![0])) return null;

        var outputs = new List<TensorModel>();
        for (int i = 0; i < info.Outputs.Count; i++)
        {
            var (name, element, dtype) = info.Outputs[i];
            Value value = lowering._returns![i];
            string node = graph.UniqueName(scope, name);
            lowering.AddRawNode(node, "Identity", new[] { value.Reference! }.Concat(lowering._stateNodes.Select(s => "^" + s)), new[] { Attrs.Type("T", dtype) });
            outputs.Add(new TensorModel(name, node + ":0", TypeRules.CSharpName(element), dtype, value.Shape is not null, (value.Shape ?? Array.Empty<long>()).ToEquatable()));
        }
        string? signature = null;
        if (TypeRules.FindAttribute(info.Method, TypeRules.GraphFunctionAttribute) is { } attribute)
            foreach (var argument in attribute.NamedArguments)
                if (argument.Key == "Signature") signature = argument.Value.Value as string;
        return new FunctionModel(info.Method.Name, Accessibility(info.Method), signature, inputs.ToEquatable(), outputs.ToEquatable(),
            info.ReturnsTuple, info.Outputs.Select(o => o.Name).ToEquatable(), lowering._written.Distinct().ToEquatable());
    }

    /// <summary>Lowers <paramref name="info"/> as a library function (FunctionDef) for calls from other graph functions.</summary>
    public static FunctionDefModel? LowerAsLibraryFunction(ModuleLowering module, ModuleLowering.FunctionInfo info)
    {
        var graph = new GraphBuilder(isFunctionBody: true);
        var lowering = new FunctionLowering(module, info, graph, "", isLibrary: true);
        var inputArgs = new List<ArgModel>();
        foreach (var (parameter, (name, _, dtype, shape)) in info.Method.Parameters.Zip(info.Parameters, (p, i) => (p, i)))
        {
            graph.Reserve(name);
            inputArgs.Add(new ArgModel(name, dtype));
            lowering._locals[parameter] = Value.Tensor(name, dtype, shape);
        }
        if (!lowering.LowerBody() || lowering._failed) return null;
        var outputArgs = new List<ArgModel>();
        var returns = new List<string>();
        for (int i = 0; i < info.Outputs.Count; i++)
        {
            var (name, _, dtype) = info.Outputs[i];
            string node = graph.UniqueName("", "Identity");
            lowering.AddRawNode(node, "Identity", new[] { lowering._returns![i].Reference! }.Concat(lowering._stateNodes.Select(s => "^" + s)), new[] { Attrs.Type("T", dtype) });
            outputArgs.Add(new ArgModel(name, dtype));
            returns.Add(name + "=" + graph.OutputReference(node, 0));
        }
        foreach (string variable in lowering._captures) inputArgs.Add(new ArgModel(CaptureArgName(variable), "resource"));
        bool stateful = lowering._captures.Count > 0;
        // The shapes its body gives for the declared parameter shapes hold for every call (each argument fits them).
        return new FunctionDefModel(LibraryName(info), inputArgs.ToEquatable(), outputArgs.ToEquatable(), graph.Nodes.ToEquatable(), returns.ToEquatable(),
            stateful, lowering._captures.ToEquatable(), lowering._written.Distinct().ToEquatable(), lowering._returns!.Select(r => ShapeModel.Of(r.Shape)).ToEquatable());
    }

    internal static string LibraryName(ModuleLowering.FunctionInfo info) => info.Method.ContainingType.Name + "_" + info.Method.Name;

    // Argument names are identifiers in a FunctionDef: a child's variable path (hidden/kernel) becomes hidden_kernel.
    private static string CaptureArgName(string variable) => variable.Replace('/', '_') + "_handle";

    private static string Accessibility(IMethodSymbol method) => method.DeclaredAccessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "private",
    };

    private string Scope => _functionScope + string.Concat(_nameScopes.Select(s => s + "/"));

    private string Device => _devices.Count > 0 ? _devices[_devices.Count - 1] : _info.Device;

    private void Fail(DiagnosticDescriptor descriptor, SyntaxNode at, params string[] arguments)
    {
        _failed = true;
        _module.Report(descriptor, at.GetLocation(), arguments);
    }

    private bool LowerBody()
    {
        var syntax = _info.Syntax;
        if (syntax.ExpressionBody is { } arrow)
        {
            SetReturns(arrow.Expression, arrow);
        }
        else if (syntax.Body is { } body)
        {
            LowerBlock(body.Statements, topLevel: true);
            if (_returns is null && !_failed) Fail(GraphDiagnostics.InvalidGraphFunction, syntax.Identifier.Parent!, _info.Method.Name, "its body must end with a return statement");
        }
        return !_failed && _returns is not null;
    }

    private void SetReturns(ExpressionSyntax expression, SyntaxNode at)
    {
        var values = new List<Value>();
        if (_info.ReturnsTuple)
        {
            if (expression is TupleExpressionSyntax tuple && tuple.Arguments.Count == _info.Outputs.Count)
            {
                for (int i = 0; i < tuple.Arguments.Count; i++)
                    if (LowerTensor(tuple.Arguments[i].Expression, _info.Outputs[i].DType) is { } value) values.Add(value);
            }
            else if (Lower(expression) is { Elements: { } elements } && elements.Count == _info.Outputs.Count)
            {
                values.AddRange(elements);
            }
            else Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"'{expression}'", "return a tuple literal such as (a, b) or a call to a graph function returning one");
        }
        else if (LowerTensor(expression, _info.Outputs[0].DType) is { } value)
        {
            values.Add(value);
        }
        if (values.Count == _info.Outputs.Count) _returns = values;
        else _failed = true;
    }

    private void LowerBlock(IReadOnlyList<StatementSyntax> statements, bool topLevel)
    {
        int scopes = _nameScopes.Count, devices = _devices.Count;
        for (int i = 0; i < statements.Count; i++)
        {
            _module.Cancellation.ThrowIfCancellationRequested();
            var statement = statements[i];
            if (_returns is not null)
            {
                if (!_returnedInBranch) Fail(GraphDiagnostics.UnsupportedConstruct, statement, "A statement after return", "it would never run");
                break;
            }
            if (statement is ReturnStatementSyntax ret)
            {
                if (_selectDepth > 0 && _selectDepth != _returnMergeDepth || _inLoopBody)
                {
                    Fail(GraphDiagnostics.UnsupportedConstruct, ret, _inLoopBody ? "A return inside a while loop" : "A return under a tensor condition",
                        "assign the result to a local and return it after the loop or the if");
                    continue;
                }
                // A return in a branch a constant (or an unrolled loop) chose ends the function here, as it does in C#.
                if (!topLevel) _returnedInBranch = true;
                if (ret.Expression is null) { Fail(GraphDiagnostics.UnsupportedConstruct, ret, "'return;'", "a graph function returns tensors"); continue; }
                SetReturns(ret.Expression, ret);
                continue;
            }
            // An early return under a tensor condition: the statements after the if are its else branch.
            if (statement is IfStatementSyntax { Else: null } early && i + 1 < statements.Count && EndsWithReturn(early.Statement))
            {
                if (LowerIf(early, statements.Skip(i + 1).ToList())) break;
                continue;
            }
            LowerStatement(statement);
        }
        RemoveFrom(_nameScopes, scopes);
        RemoveFrom(_devices, devices);
    }

    private static void RemoveFrom(List<string> list, int count)
    {
        if (list.Count > count) list.RemoveRange(count, list.Count - count);
    }

    private void LowerStatement(StatementSyntax statement)
    {
        switch (statement)
        {
            case LocalDeclarationStatementSyntax declaration:
                LowerDeclaration(declaration);
                break;
            case ExpressionStatementSyntax expression:
                LowerExpressionStatement(expression);
                break;
            case BlockSyntax block:
                LowerBlock(block.Statements, topLevel: false);
                break;
            case UsingStatementSyntax { Declaration: null, Expression: { } scopeExpression } usingStatement:
            {
                int scopes = _nameScopes.Count, devices = _devices.Count;
                if (!TryOpenScope(scopeExpression))
                {
                    Fail(GraphDiagnostics.UnsupportedConstruct, usingStatement, Describe(usingStatement), "only GraphScope.Name and GraphScope.Device scopes exist in graphs");
                    break;
                }
                LowerNested(usingStatement.Statement);
                RemoveFrom(_nameScopes, scopes);
                RemoveFrom(_devices, devices);
                break;
            }
            case IfStatementSyntax ifStatement:
                LowerIf(ifStatement);
                break;
            case ForStatementSyntax forStatement:
                LowerFor(forStatement);
                break;
            case WhileStatementSyntax whileStatement:
                LowerWhile(whileStatement);
                break;
            case ForEachStatementSyntax forEach:
                LowerForEach(forEach);
                break;
            case DoStatementSyntax:
                Fail(GraphDiagnostics.LoopNotLowerable, statement, $"{Describe(statement)} has no graph form; write a for loop with constant bounds (unrolled) or a while loop on a Tensor<bool> condition (StatelessWhile)");
                break;
            case EmptyStatementSyntax:
                break;
            case LocalFunctionStatementSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, "A local function", "declare it as another [GraphFunction] of the module");
                break;
            default:
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, Describe(statement), "graphs have no equivalent");
                break;
        }
    }

    /// <summary>Lowers a nested statement with its own scope stack level.</summary>
    private void LowerNested(StatementSyntax statement)
    {
        int scopes = _nameScopes.Count, devices = _devices.Count;
        if (statement is BlockSyntax block) LowerBlock(block.Statements, topLevel: false);
        else if (statement is ReturnStatementSyntax) LowerBlock(SyntaxFactory.SingletonList(statement), topLevel: false);
        else LowerStatement(statement);
        RemoveFrom(_nameScopes, scopes);
        RemoveFrom(_devices, devices);
    }

    private static string Describe(SyntaxNode node) => node switch
    {
        TryStatementSyntax => "'try'",
        LockStatementSyntax => "'lock'",
        UnsafeStatementSyntax => "'unsafe'",
        FixedStatementSyntax => "'fixed'",
        ThrowStatementSyntax => "'throw'",
        SwitchStatementSyntax => "'switch'",
        GotoStatementSyntax => "'goto'",
        BreakStatementSyntax => "'break'",
        ContinueStatementSyntax => "'continue'",
        YieldStatementSyntax => "'yield'",
        WhileStatementSyntax => "A while loop",
        DoStatementSyntax => "A do loop",
        ForEachStatementSyntax => "A foreach loop",
        CheckedStatementSyntax => "'checked'",
        UsingStatementSyntax => "'using' of something other than GraphScope",
        ReturnStatementSyntax => "A return inside a block",
        ExpressionStatementSyntax expression => $"The statement '{expression.Expression}'",
        LocalDeclarationStatementSyntax => "This declaration",
        _ => "This statement",
    };

    private void LowerDeclaration(LocalDeclarationStatementSyntax declaration)
    {
        if (declaration.UsingKeyword != default)
        {
            foreach (var variable in declaration.Declaration.Variables)
            {
                if (variable.Initializer is null || !TryOpenScope(variable.Initializer.Value))
                    Fail(GraphDiagnostics.UnsupportedConstruct, variable, "'using' of something other than GraphScope", "only GraphScope.Name and GraphScope.Device scopes exist in graphs");
            }
            return;
        }
        foreach (var variable in declaration.Declaration.Variables)
        {
            if (_model.GetDeclaredSymbol(variable) is not ILocalSymbol local) continue;
            if (!IsGraphType(local.Type))
            {
                // The initializer's own problem (an object creation, a string) is the more precise report.
                if (variable.Initializer is null || Lower(variable.Initializer.Value) is not null)
                    Fail(GraphDiagnostics.UnsupportedConstruct, variable, $"Local '{local.Name}' of type {local.Type.ToDisplayString()}", "graph locals are tensors or numeric constants");
                _locals[local] = Value.Error;
                continue;
            }
            if (variable.Initializer is null) continue; // assigned later; C# checks definite assignment
            _locals[local] = LowerAs(local.Type, variable.Initializer.Value) ?? Value.Error;
        }
    }

    private bool IsGraphType(ITypeSymbol type) =>
        TypeRules.TensorElement(type) is not null || ModuleLowering.ModuleElementType(type) is not null || type.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_Double && type.SpecialType != SpecialType.System_Char
        || type is INamedTypeSymbol { IsTupleType: true } || IsTensorArray(type);

    /// <summary>Lowers <paramref name="expression"/> for a target of <paramref name="type"/>: a tensor target materializes constants.</summary>
    private Value? LowerAs(ITypeSymbol type, ExpressionSyntax expression) =>
        TypeRules.TensorElement(type) is { } element && TypeRules.DTypeOf(element) is { } dtype ? LowerTensor(expression, dtype) : Lower(expression);

    private bool TryOpenScope(ExpressionSyntax expression)
    {
        if (expression is not InvocationExpressionSyntax invocation || _model.GetSymbolInfo(invocation).Symbol is not IMethodSymbol method
            || method.ContainingType?.ToDisplayString() != "StaticFlow.GraphScope")
            return false;
        var argument = invocation.ArgumentList.Arguments.FirstOrDefault();
        string? text = null;
        if (argument is null || !TryConstantString(argument.Expression, out text) || text is null)
        {
            Fail(GraphDiagnostics.AttrNotConstant, (SyntaxNode?)argument ?? invocation, argument?.ToString() ?? "", method.Name == "Name" ? "name scope" : "device", "GraphScope");
            return true;
        }
        if (method.Name == "Device")
        {
            string? canonical = DeviceNames.Canonicalize(text, out string? problem);
            if (canonical is null) Fail(GraphDiagnostics.InvalidDevice, argument, text, problem!);
            else _devices.Add(canonical);
        }
        else
        {
            if (!IsValidScopeName(text)) Fail(GraphDiagnostics.UnsupportedConstruct, argument, $"The name scope '{text}'", "scope names use letters, digits and . _ - / and do not start or end with '/'");
            else _nameScopes.Add(text);
        }
        return true;
    }

    private static bool IsValidScopeName(string text) =>
        text.Length > 0 && text[0] != '/' && text[text.Length - 1] != '/' && text.All(c => char.IsLetterOrDigit(c) || c is '_' or '.' or '-' or '/');

    private void LowerExpressionStatement(ExpressionStatementSyntax statement)
    {
        switch (statement.Expression)
        {
            case AssignmentExpressionSyntax assignment:
                LowerAssignment(assignment);
                break;
            case InvocationExpressionSyntax invocation:
                Lower(invocation);
                break;
            case PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, $"'{statement.Expression}'", "only for-loop counters are incremented; use x = x + 1 on tensors");
                break;
            default:
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, $"The statement '{statement.Expression}'", "it has no effect in a graph");
                break;
        }
    }

    private void LowerAssignment(AssignmentExpressionSyntax assignment)
    {
        if (assignment.Left is DeclarationExpressionSyntax { Designation: ParenthesizedVariableDesignationSyntax designation })
        {
            if (Lower(assignment.Right) is not { Elements: { } elements } || elements.Count != designation.Variables.Count)
            {
                if (!_failed) Fail(GraphDiagnostics.UnsupportedConstruct, assignment.Right, $"'{assignment.Right}'", "deconstruct only a call to a graph function that returns a tuple");
                foreach (var designated in designation.Variables.OfType<SingleVariableDesignationSyntax>())
                    if (_model.GetDeclaredSymbol(designated) is ILocalSymbol poisoned) _locals[poisoned] = Value.Error;
                return;
            }
            for (int i = 0; i < elements.Count; i++)
                if (designation.Variables[i] is SingleVariableDesignationSyntax single && _model.GetDeclaredSymbol(single) is ILocalSymbol local)
                    _locals[local] = elements[i];
            return;
        }

        ISymbol? target = _model.GetSymbolInfo(assignment.Left).Symbol;
        string? binaryOp = assignment.Kind() switch
        {
            SyntaxKind.SimpleAssignmentExpression => null,
            SyntaxKind.AddAssignmentExpression => "Add",
            SyntaxKind.SubtractAssignmentExpression => "Sub",
            SyntaxKind.MultiplyAssignmentExpression => "Mul",
            SyntaxKind.DivideAssignmentExpression => "RealDiv",
            _ => "?",
        };
        if (binaryOp == "?") { Fail(GraphDiagnostics.UnsupportedConstruct, assignment, $"'{assignment.OperatorToken.Text}'", "only =, +=, -=, *= and /= assign in graphs"); return; }

        switch (target)
        {
            case ILocalSymbol local when binaryOp is null || _locals.ContainsKey(local):
            {
                Value? value = binaryOp is null ? LowerAs(local.Type, assignment.Right) : LowerCompound(assignment, local.Type, binaryOp, _locals[local]);
                _locals[local] = value ?? Value.Error;
                return;
            }
            case IParameterSymbol parameter when _locals.ContainsKey(parameter):
            {
                // A parameter is an input: assigning it rebinds the name to a new tensor, as a local.
                Value? value = binaryOp is null ? LowerAs(parameter.Type, assignment.Right) : LowerCompound(assignment, parameter.Type, binaryOp, _locals[parameter]);
                _locals[parameter] = value ?? Value.Error;
                return;
            }
            case IFieldSymbol field when TypeRules.HasAttribute(field, TypeRules.VariableAttribute) && OwnVariable(field) is null && _instance is not null
                                         && SymbolEqualityComparer.Default.Equals(field.ContainingType, _instance.Type):
                // The variable's declaration has its own diagnostic; a second one here would only mislead.
                _failed = true;
                return;
            case IFieldSymbol field when OwnVariable(field) is { } variable:
            {
                if (_selectDepth > 0) { Fail(GraphDiagnostics.UnsupportedConstruct, assignment, $"A write to variable '{field.Name}' under a tensor condition", "write the variable after the if, from a local"); return; }
                Value? value = binaryOp is null ? LowerAs(field.Type, assignment.Right) : LowerCompound(assignment, field.Type, binaryOp, ReadVariable(variable, assignment.Left));
                if (value is null) return;
                string node = _graph.UniqueName(Scope, "AssignVariableOp");
                AddRawNode(node, "AssignVariableOp", new[] { VariableHandle(variable.Name), value.Reference! }.Concat(_order.BeforeWrite(variable.Name)),
                    new[] { Attrs.Type("dtype", variable.DType) });
                _order.Wrote(variable.Name, node);
                _stateNodes.Add(node);
                _written.Add(variable.Name);
                _assignedVariables[variable.Name] = value;
                return;
            }
            default:
                Fail(GraphDiagnostics.WriteToNonVariable, assignment.Left, assignment.Left.ToString());
                return;
        }
    }

    private Value? LowerCompound(AssignmentExpressionSyntax assignment, ITypeSymbol type, string op, Value current)
    {
        if (TypeRules.TensorElement(type) is not { } element || TypeRules.DTypeOf(element) is not { } dtype)
        {
            if (!current.IsTensor && Lower(assignment.Right) is { IsTensor: false } right) return FoldConstants(op, current, right, assignment);
            Fail(GraphDiagnostics.UnsupportedConstruct, assignment, $"'{assignment}'", "compound assignment works on tensors and constants");
            return null;
        }
        Value? rhs = LowerTensor(assignment.Right, dtype);
        if (rhs is null) return null;
        return AddOp(op, new[] { new[] { Materialize(current, dtype) }, new[] { rhs } }, new List<AttrModel>(), new[] { dtype }, assignment);
    }

    /// <summary>
    /// Lowers an if; <paramref name="rest"/>, when given, is the statements after an if whose branch returns, which
    /// are its else branch under a tensor condition. Returns true when the if lowered them too.
    /// </summary>
    private bool LowerIf(IfStatementSyntax statement, IReadOnlyList<StatementSyntax>? rest = null)
    {
        Value? condition = Lower(statement.Condition);
        if (condition is null) return false;
        if (!condition.IsTensor)
        {
            if (condition.Constant is bool taken)
            {
                if (taken) LowerNested(statement.Statement);
                else if (statement.Else is { } otherwise) LowerNested(otherwise.Statement);
            }
            else Fail(GraphDiagnostics.UnsupportedConstruct, statement.Condition, $"The condition '{statement.Condition}'", "a condition is a Tensor<bool> or a constant bool");
            return false;
        }
        if (condition.DType != "bool") { Fail(GraphDiagnostics.UnsupportedConstruct, statement.Condition, $"The condition '{statement.Condition}'", "a tensor condition must be a Tensor<bool>"); return false; }
        condition = AsOneBool(condition, statement.Condition);
        if (condition is null) return false;
        if (_forward.Enabled && !_inLoopBody && (_selectDepth == 0 || _selectDepth == _returnMergeDepth) && ReturnsWithoutWrites(statement, rest))
            return LowerReturningIfAsSelect(statement, condition, rest);
        if (_selectDepth == 0 && !_inLoopBody && NeedsBranchFunctions(statement))
        {
            LowerIfWithBranchFunctions(statement, condition, rest);
            return rest is not null;
        }

        // Both branches are lowered (they have no side effects) and every local either one changes is merged with SelectV2.
        var before = new Dictionary<ISymbol, Value>(_locals, SymbolEqualityComparer.Default);
        _selectDepth++;
        LowerNested(statement.Statement);
        var afterThen = new Dictionary<ISymbol, Value>(_locals, SymbolEqualityComparer.Default);
        _locals.Clear();
        foreach (var pair in before) _locals[pair.Key] = pair.Value;
        if (statement.Else is { } elseClause) LowerNested(elseClause.Statement);
        _selectDepth--;
        if (_failed) return false;
        var afterElse = new Dictionary<ISymbol, Value>(_locals, SymbolEqualityComparer.Default);
        foreach (var symbol in afterThen.Keys.Concat(afterElse.Keys).Distinct(SymbolEqualityComparer.Default).ToList())
        {
            // Locals declared inside a branch end with it; the others are merged.
            if (symbol.DeclaringSyntaxReferences.Any(r => statement.Span.Contains(r.Span))) { _locals.Remove(symbol); continue; }
            if (!afterThen.TryGetValue(symbol, out var thenValue) || !afterElse.TryGetValue(symbol, out var elseValue))
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, $"Assigning '{symbol.Name}' in only one branch", "give it a value before the if or in both branches");
                return false;
            }
            var pair = new KeyValuePair<ISymbol, Value>(symbol, thenValue);
            if (ReferenceEquals(thenValue, elseValue)) continue;
            string dtype = thenValue.IsTensor ? thenValue.DType : elseValue.DType;
            if (!thenValue.IsTensor && !elseValue.IsTensor)
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, $"Changing the constant '{pair.Key.Name}' under a tensor condition", "a constant cannot depend on a tensor; make it a tensor");
                return false;
            }
            Value? merged = AddOp("SelectV2", new[] { new[] { condition }, new[] { Materialize(thenValue, dtype) }, new[] { Materialize(elseValue, dtype) } },
                new List<AttrModel>(), new[] { dtype }, statement);
            if (merged is null) return false;
            _locals[pair.Key] = merged;
        }
        return false;
    }

    /// <summary>
    /// Eager code reads a tensor condition as one bool and throws otherwise, while a graph would select element by
    /// element. A condition of a known shape with more (or fewer) than one element is a compile-time error; one whose
    /// shape is not known is reshaped to a scalar, so the graph fails at run time exactly where eager code throws.
    /// </summary>
    private Value? AsOneBool(Value condition, SyntaxNode at)
    {
        if (condition.Shape is { } shape)
        {
            if (shape.All(d => d == 1)) return condition;
            if (shape.All(d => d >= 0) || shape.Any(d => d == 0 || d > 1))
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, at, $"The condition '{at}' of shape {ShapeRules.Format(shape)}",
                    "a condition is one bool: reduce it with Ops.All or Ops.Any; for an element-wise choice use Ops.Select");
                return null;
            }
        }
        Value scalarShape = AddConst("int32", new long[] { 0 }, Array.Empty<string>());
        return AddOp("Reshape", new[] { new[] { condition }, new[] { scalarShape } }, new List<AttrModel>(), new[] { "bool" }, at, baseName: "condition");
    }

    private void LowerFor(ForStatementSyntax statement)
    {
        if (!TryReadCountedLoop(statement, out ILocalSymbol? counter, out long start, out Func<long, bool>? holds, out long step, out string? why))
        {
            Fail(GraphDiagnostics.LoopNotLowerable, statement.ForKeyword.Parent!, why!);
            return;
        }
        // TryReadCountedLoop has checked that the loop ends within MaxUnrolledIterations.
        for (long i = start; holds!(i) && !_failed && _returns is null; i += step)
        {
            _locals[counter!] = Value.Const(i);
            LowerNested(statement.Statement);
        }
        _locals.Remove(counter!);
    }

    private bool TryReadCountedLoop(ForStatementSyntax loop, out ILocalSymbol? counter, out long start, out Func<long, bool>? holds, out long step, out string? why)
    {
        counter = null; start = 0; holds = null; step = 0; why = null;
        if (loop.Declaration is not { Variables.Count: 1 } declaration || declaration.Variables[0].Initializer is not { } initializer
            || _model.GetDeclaredSymbol(declaration.Variables[0]) is not ILocalSymbol local || local.Type.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64))
        {
            why = "the loop must declare one int counter, as in for (int i = 0; i < 4; i++)";
            return false;
        }
        counter = local;
        if (!TryConstantLong(initializer.Value, out start)) { why = $"the start '{initializer.Value}' is not a constant"; return false; }
        if (loop.Condition is not BinaryExpressionSyntax condition || _model.GetSymbolInfo(condition.Left).Symbol is not ILocalSymbol left
            || !SymbolEqualityComparer.Default.Equals(left, local) || !TryConstantLong(condition.Right, out long bound))
        {
            why = $"the condition '{loop.Condition}' must compare the counter with a constant";
            return false;
        }
        holds = condition.Kind() switch
        {
            SyntaxKind.LessThanExpression => i => i < bound,
            SyntaxKind.LessThanOrEqualExpression => i => i <= bound,
            SyntaxKind.GreaterThanExpression => i => i > bound,
            SyntaxKind.GreaterThanOrEqualExpression => i => i >= bound,
            SyntaxKind.NotEqualsExpression => i => i != bound,
            _ => null,
        };
        if (holds is null) { why = $"the comparison '{condition.OperatorToken.Text}' is not <, <=, >, >= or !="; return false; }
        if (loop.Incrementors.Count != 1) { why = "the loop must change its counter in exactly one incrementor"; return false; }
        var incrementor = loop.Incrementors[0];
        step = incrementor switch
        {
            PostfixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PostIncrementExpression) => 1,
            PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PreIncrementExpression) => 1,
            PostfixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PostDecrementExpression) => -1,
            PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PreDecrementExpression) => -1,
            AssignmentExpressionSyntax a when a.IsKind(SyntaxKind.AddAssignmentExpression) && TryConstantLong(a.Right, out long up) => up,
            AssignmentExpressionSyntax a when a.IsKind(SyntaxKind.SubtractAssignmentExpression) && TryConstantLong(a.Right, out long down) => -down,
            _ => 0,
        };
        if (step == 0) { why = $"the incrementor '{incrementor}' must change the counter by a constant other than 0"; return false; }
        long probe = start, guard = 0;
        while (holds(probe) && guard++ <= MaxUnrolledIterations) probe += step;
        if (guard > MaxUnrolledIterations)
        {
            why = $"it runs more than {MaxUnrolledIterations:N0} times (or forever), too many to unroll";
            return false;
        }
        return true;
    }

    /// <summary>
    /// An integer the module fixes at compile time, without reporting anything: constants, folded locals, members
    /// its constructor set, the length of a list of child modules, and + - * / % of those.
    /// </summary>
    private long? TryFoldInteger(ExpressionSyntax expression)
    {
        if (_model.GetConstantValue(expression).Value is int or long or short or byte or sbyte or ushort or uint)
            return Convert.ToInt64(_model.GetConstantValue(expression).Value, CultureInfo.InvariantCulture);
        switch (expression)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return TryFoldInteger(parenthesized.Expression);
            case BinaryExpressionSyntax binary when TryFoldInteger(binary.Left) is { } a && TryFoldInteger(binary.Right) is { } b:
                return binary.Kind() switch
                {
                    SyntaxKind.AddExpression => a + b, SyntaxKind.SubtractExpression => a - b, SyntaxKind.MultiplyExpression => a * b,
                    SyntaxKind.DivideExpression when b != 0 => a / b, SyntaxKind.ModuloExpression when b != 0 => a % b,
                    _ => null,
                };
            case ElementAccessExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Shape" } shape } dimension
                when dimension.ArgumentList.Arguments.Count == 1 && TypeRules.TensorElement(_model.GetTypeInfo(shape.Expression).Type) is not null
                     && _model.GetSymbolInfo(shape.Expression).Symbol is { } tensorSymbol and (ILocalSymbol or IParameterSymbol)
                     && _locals.TryGetValue(tensorSymbol, out var tensor) && tensor.Shape is { } dims
                     && TryFoldInteger(dimension.ArgumentList.Arguments[0].Expression) is { } axis && axis >= 0 && axis < dims.Length && dims[axis] >= 0:
                // A dimension the static shape knows (the time steps of a sequence): a loop over it unrolls.
                return dims[axis];
            case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length" or "Count" } count
                when _model.GetSymbolInfo(count.Expression).Symbol is { } listSymbol && _instance is not null
                     && SymbolEqualityComparer.Default.Equals(listSymbol.ContainingType, _instance.Type)
                     && _instance.Children.TryGetValue(listSymbol.Name, out var children) && children is List<ModuleInstance> list:
                return list.Count;
        }
        var symbol = _model.GetSymbolInfo(expression).Symbol;
        if (symbol is ILocalSymbol local && _locals.TryGetValue(local, out var known) && known.Constant is long number) return number;
        if (symbol is IFieldSymbol or IPropertySymbol && _instance is not null && SymbolEqualityComparer.Default.Equals(symbol.ContainingType, _instance.Type)
            && _instance.Members.TryGetValue(symbol.Name, out var member) && member is long memberValue)
            return memberValue;
        return null;
    }

    private bool TryConstantLong(ExpressionSyntax expression, out long value)
    {
        value = 0;
        object? constant = _model.GetConstantValue(expression).Value;
        if (constant is int or long or short or byte or sbyte or ushort or uint)
        {
            value = Convert.ToInt64(constant, CultureInfo.InvariantCulture);
            return true;
        }
        if (_model.GetSymbolInfo(expression).Symbol is ILocalSymbol local && _locals.TryGetValue(local, out var known) && known.Constant is long folded)
        {
            value = folded;
            return true;
        }
        // Integer arithmetic on what the module fixes (layers.Length - 1, a member) folds to a constant too.
        if (TryFoldInteger(expression) is { } folded2)
        {
            value = folded2;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Orders each variable's reads and writes as the C# runs them. TensorFlow runs nodes with no path between them
    /// in any order, so a read the C# makes before a write gets a control edge to the write, a read after a write
    /// one from it, and writes follow each other. Nodes that take a variable's handle (If, While, calls) count as
    /// reads, and as writes when they write it.
    /// </summary>
    private sealed class VariableOrder
    {
        private readonly Dictionary<string, List<string>> _reads = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _writers = new(StringComparer.Ordinal);

        /// <summary>The control inputs a new read of <paramref name="variable"/> needs: its last write.</summary>
        public IEnumerable<string> BeforeRead(string variable) =>
            _writers.TryGetValue(variable, out var writer) ? new[] { "^" + writer } : Array.Empty<string>();

        /// <summary>The control inputs a write of <paramref name="variable"/> needs: the reads since its last write, or that write.</summary>
        public IEnumerable<string> BeforeWrite(string variable) =>
            _reads.TryGetValue(variable, out var reads) && reads.Count > 0 ? reads.Select(r => "^" + r).ToList() : BeforeRead(variable);

        /// <summary>The control inputs of a node that reads <paramref name="read"/> and writes <paramref name="written"/>, without duplicates.</summary>
        public IEnumerable<string> Before(IEnumerable<string> read, IEnumerable<string> written) =>
            read.SelectMany(BeforeRead).Concat(written.SelectMany(BeforeWrite)).Distinct(StringComparer.Ordinal).ToList();

        public void Read(string variable, string node)
        {
            if (!_reads.TryGetValue(variable, out var reads)) _reads[variable] = reads = new List<string>();
            reads.Add(node);
        }

        public void Wrote(string variable, string node)
        {
            _reads.Remove(variable);
            _writers[variable] = node;
        }
    }
}
