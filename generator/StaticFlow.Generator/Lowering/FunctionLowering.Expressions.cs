using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    /// <summary>Lowers an expression to a tensor or a C# constant; null (with a diagnostic) when it cannot be.</summary>
    private Value? Lower(ExpressionSyntax expression)
    {
        var constant = _model.GetConstantValue(expression);
        if (constant.HasValue)
        {
            switch (constant.Value)
            {
                case bool flag: return Value.Const(flag);
                case float or double or decimal: return Value.Const(Convert.ToDouble(constant.Value, CultureInfo.InvariantCulture));
                case int or long or short or byte or sbyte or ushort or uint: return Value.Const(Convert.ToInt64(constant.Value, CultureInfo.InvariantCulture));
                case string: Fail(GraphDiagnostics.UnsupportedConstruct, expression, "A string", "graph functions compute on numeric tensors"); return null;
                default: Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"The constant '{expression}'", "only numeric and bool constants exist in graphs"); return null;
            }
        }
        switch (expression)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Lower(parenthesized.Expression);
            case IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }:
                return LowerName(expression);
            case MemberAccessExpressionSyntax member:
                return LowerMemberAccess(member);
            case ElementAccessExpressionSyntax access:
                return LowerElementAccess(access);
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.LogicalNotExpression):
            {
                Value? operand = Lower(unary.Operand);
                if (operand is null) return null;
                if (!operand.IsTensor && operand.Constant is bool flag) return Value.Const(!flag);
                if (!operand.IsTensor || operand.DType != "bool")
                {
                    Fail(GraphDiagnostics.UnsupportedConstruct, unary, $"'{unary}'", "! negates a Tensor<bool> or a constant bool");
                    return null;
                }
                return AddOp("LogicalNot", new[] { new[] { operand } }, new List<AttrModel>(), new[] { "bool" }, unary);
            }
            case BinaryExpressionSyntax binary:
                return LowerBinary(binary);
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryMinusExpression):
            {
                Value? operand = Lower(unary.Operand);
                if (operand is null) return null;
                if (!operand.IsTensor) return FoldConstants("Neg", operand, operand, unary);
                return AddOp("Neg", new[] { new[] { operand } }, new List<AttrModel>(), new[] { operand.DType }, unary);
            }
            case PrefixUnaryExpressionSyntax unary when unary.IsKind(SyntaxKind.UnaryPlusExpression):
                return Lower(unary.Operand);
            case ConditionalExpressionSyntax conditional:
                return LowerConditional(conditional);
            case InvocationExpressionSyntax invocation:
                return LowerInvocation(invocation);
            case CastExpressionSyntax cast:
            {
                // Casts of constants (loop counters among them) fold; tensors convert with Ops.Cast.
                Value? operand = Lower(cast.Expression);
                if (operand is null) return null;
                var target = _model.GetTypeInfo(cast.Type).Type;
                if (operand.IsTensor && TypeRules.TensorElement(_model.GetTypeInfo(cast.Expression).Type) is null)
                    return CastNumber(operand, target, cast);
                if (!operand.IsTensor && operand.Constant is long or double)
                {
                    switch (target?.SpecialType)
                    {
                        case SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal:
                            return Value.Const(Convert.ToDouble(operand.Constant, CultureInfo.InvariantCulture));
                        case SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_Byte or SpecialType.System_SByte
                            or SpecialType.System_UInt16 or SpecialType.System_UInt32:
                            return Value.Const(operand.Constant is double real ? (long)real : (long)operand.Constant);
                    }
                }
                Fail(GraphDiagnostics.UnsupportedConstruct, cast, $"The cast '{cast}'", "only numeric constants are cast; use Ops.Cast for tensors");
                return null;
            }
            case LiteralExpressionSyntax or InterpolatedStringExpressionSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, "A string", "graph functions compute on numeric tensors");
                return null;
            case BaseObjectCreationExpressionSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"Object creation '{expression}'", "a graph holds tensors, not objects; use Ops or a constant");
                return null;
            case AwaitExpressionSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, "'await'", "a graph runs synchronously");
                return null;
            case QueryExpressionSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, "A LINQ query", "use Ops reductions on tensors");
                return null;
            case LambdaExpressionSyntax or AnonymousMethodExpressionSyntax:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, "A lambda", "declare another [GraphFunction] instead");
                return null;
            default:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"'{expression}'", "graphs have no equivalent; write it with tensors, Ops and constants");
                return null;
        }
    }

    /// <summary>Lowers <paramref name="expression"/> to a tensor of <paramref name="dtype"/>, materializing a C# constant as a Const node.</summary>
    private Value? LowerTensor(ExpressionSyntax expression, string dtype)
    {
        Value? value = Lower(expression);
        if (value is null) return null;
        if (value.Elements is not null) { Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"The tuple '{expression}'", "deconstruct it first: var (a, b) = ..."); return null; }
        return Materialize(value, dtype);
    }

    private Value Materialize(Value value, string dtype)
    {
        if (value.IsTensor) return value;
        string text = value.Constant switch
        {
            bool flag => flag ? "1" : "0",
            long integer => dtype is "float" or "double" or "half" or "bfloat16" ? ((double)integer).ToString("R", CultureInfo.InvariantCulture) : integer.ToString(CultureInfo.InvariantCulture),
            double real => dtype is "float" or "double" or "half" or "bfloat16" ? real.ToString("R", CultureInfo.InvariantCulture) : ((long)real).ToString(CultureInfo.InvariantCulture),
            _ => "0",
        };
        return AddConst(dtype, Array.Empty<long>(), new[] { text });
    }

    private Value AddConst(string dtype, long[] dims, IReadOnlyList<string> values)
    {
        string node = _graph.UniqueName(Scope, "Const");
        AddRawNode(node, "Const", Array.Empty<string>(), new[] { Attrs.Type("dtype", dtype), Attrs.Tensor("value", dtype, dims, values) });
        string reference = _graph.OutputReference(node, 0);
        if (dtype is "int32" or "int64") _constantInts[reference] = values.Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return Value.Tensor(reference, dtype, dims);
    }

    private Value? LowerName(ExpressionSyntax expression)
    {
        ISymbol? symbol = _model.GetSymbolInfo(expression).Symbol;
        switch (symbol)
        {
            case ILocalSymbol or IParameterSymbol when _locals.TryGetValue(symbol, out var value):
                return ReferenceEquals(value, Value.Error) ? null : value;
            case IFieldSymbol field when OwnVariable(field) is { } variable:
                return ReadVariable(variable, expression);
            case IFieldSymbol field when TypeRules.HasAttribute(field, TypeRules.VariableAttribute) && _instance is not null && SymbolEqualityComparer.Default.Equals(field.ContainingType, _instance.Type):
                _failed = true; // the variable's declaration has its own diagnostic
                return null;
            case IFieldSymbol or IPropertySymbol when ModuleLowering.ModuleElementType(symbol is IFieldSymbol f ? f.Type : ((IPropertySymbol)symbol).Type) is not null:
                return LowerChildModule(symbol, expression);
            case IFieldSymbol or IPropertySymbol when _instance is not null && SymbolEqualityComparer.Default.Equals(symbol.ContainingType, _instance.Type)
                                                     && _instance.Members.TryGetValue(symbol.Name, out var member):
                // A layer's configuration (Units, UseBias) fixed by its constructor: a constant of this instance.
                return Value.Const(member);
            case IFieldSymbol { IsReadOnly: true } or IPropertySymbol { SetMethod: null } when _instance is { Path.Length: > 0 } && !symbol.IsStatic
                                                     && SymbolEqualityComparer.Default.Equals(symbol.ContainingType, _instance.Type)
                                                     && (symbol is IFieldSymbol ft ? ft.Type : ((IPropertySymbol)symbol).Type) is { } memberType
                                                     && (memberType.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_Double || memberType.TypeKind == TypeKind.Enum):
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"'{symbol.Name}' of module '{_instance.Path.TrimEnd('/')}'",
                    "its constructor sets it in a way the generator cannot evaluate at compile time; compute it from constants and arguments with + - * / % ?: and Math functions");
                return null;
            case IFieldSymbol or IPropertySymbol when IsConstructorDecided(symbol):
                // Set by the constructor's arguments: this module's own graph cannot know it, so the function has no
                // compiled form of its own (it runs eagerly, and compiles in every parent that creates it with constants).
                NeedsConstruction = true;
                _failed = true;
                return null;
            case IFieldSymbol field:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"Field '{field.Name}'", "a graph reads only [Variable] fields and constants");
                return null;
            case IPropertySymbol property:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"Property '{property.Name}'", "a graph reads only [Variable] fields, parameters, locals and constants");
                return null;
            default:
                Fail(GraphDiagnostics.UnsupportedConstruct, expression, $"'{expression}'", "it is not a tensor, variable or constant");
                return null;
        }
    }

    private Value ReadVariable(VariableModel variable, SyntaxNode at)
    {
        if (_assignedVariables.TryGetValue(variable.Name, out var assigned)) return assigned;
        string node = _graph.UniqueName(Scope, "ReadVariableOp");
        AddRawNode(node, "ReadVariableOp", new[] { VariableHandle(variable.Name) }.Concat(_order.BeforeRead(variable.Name)), new[] { Attrs.Type("dtype", variable.DType) });
        _order.Read(variable.Name, node);
        var value = Value.Tensor(_graph.OutputReference(node, 0), variable.DType, variable.Shape.ToArray());
        _forward.RecordRead(variable.Name, value);
        return value;
    }

    /// <summary>The resource handle of a variable: its VarHandleOp in the module graph, a captured argument in a library function.</summary>
    private string VariableHandle(string variable)
    {
        if (!_isLibrary) return variable;
        if (!_captures.Contains(variable)) _captures.Add(variable);
        return CaptureArgName(variable);
    }

    private static readonly Dictionary<string, string> BinaryOps = new(StringComparer.Ordinal)
    {
        ["op_Addition"] = "Add", ["op_Subtraction"] = "Sub", ["op_Multiply"] = "Mul", ["op_Division"] = "RealDiv",
        ["op_Equality"] = "Equal", ["op_Inequality"] = "NotEqual", ["op_Modulus"] = "FloorMod",
        ["op_LessThan"] = "Less", ["op_GreaterThan"] = "Greater", ["op_LessThanOrEqual"] = "LessEqual", ["op_GreaterThanOrEqual"] = "GreaterEqual",
    };

    private Value? LowerBinary(BinaryExpressionSyntax binary)
    {
        var method = _model.GetSymbolInfo(binary).Symbol as IMethodSymbol;
        if (method is not null && TypeRules.TensorElement(method.ContainingType) is { } element && BinaryOps.TryGetValue(method.Name, out string? op))
        {
            string dtype = TypeRules.DTypeOf(element) ?? "float";
            Value? left = LowerTensor(binary.Left, dtype), right = LowerTensor(binary.Right, dtype);
            if (left is null || right is null) return null;
            string outputType = op is "Less" or "Greater" or "LessEqual" or "GreaterEqual" or "Equal" or "NotEqual" ? "bool" : dtype;
            return AddOp(op, new[] { new[] { left }, new[] { right } }, new List<AttrModel>(), new[] { outputType }, binary);
        }
        Value? a = Lower(binary.Left);
        if (a is null) return null;
        Value? b = Lower(binary.Right);
        if (b is null) return null;
        if (!a.IsTensor && !b.IsTensor)
        {
            string? folded = binary.Kind() switch
            {
                SyntaxKind.AddExpression => "Add", SyntaxKind.SubtractExpression => "Sub", SyntaxKind.MultiplyExpression => "Mul",
                SyntaxKind.DivideExpression => "Div", SyntaxKind.ModuloExpression => "Mod",
                SyntaxKind.LessThanExpression => "Less", SyntaxKind.GreaterThanExpression => "Greater",
                SyntaxKind.LessThanOrEqualExpression => "LessEqual", SyntaxKind.GreaterThanOrEqualExpression => "GreaterEqual",
                SyntaxKind.EqualsExpression => "Equal", SyntaxKind.NotEqualsExpression => "NotEqual",
                _ => null,
            };
            if (folded is not null) return FoldConstants(folded, a, b, binary);
        }
        else if (TypeRules.TensorElement(_model.GetTypeInfo(binary).Type) is null && a.Elements is null && b.Elements is null)
            return LowerRuntimeNumber(binary, a, b);
        Fail(GraphDiagnostics.UnsupportedConstruct, binary, $"The operator '{binary.OperatorToken.Text}' here", "tensors support + - * / < > <= >=; use Ops for the others");
        return null;
    }

    /// <summary>Folds C# arithmetic on constants that are not compile-time constants to C# (loop counters).</summary>
    private Value? FoldConstants(string op, Value a, Value b, SyntaxNode at)
    {
        if (a.Constant is long x && b.Constant is long y)
        {
            switch (op)
            {
                case "Add": return Value.Const(x + y);
                case "Sub": return Value.Const(x - y);
                case "Mul": return Value.Const(x * y);
                case "Div" when y != 0: return Value.Const(x / y);
                case "Mod" when y != 0: return Value.Const(x % y);
                case "Neg": return Value.Const(-x);
                case "Less": return Value.Const(x < y);
                case "Greater": return Value.Const(x > y);
                case "LessEqual": return Value.Const(x <= y);
                case "GreaterEqual": return Value.Const(x >= y);
                case "Equal": return Value.Const(x == y);
                case "NotEqual": return Value.Const(x != y);
            }
        }
        else if (a.Constant is long or double && b.Constant is long or double)
        {
            double p = Convert.ToDouble(a.Constant, CultureInfo.InvariantCulture), q = Convert.ToDouble(b.Constant, CultureInfo.InvariantCulture);
            switch (op)
            {
                case "Add": return Value.Const(p + q);
                case "Sub": return Value.Const(p - q);
                case "Mul": return Value.Const(p * q);
                case "Div": return Value.Const(p / q);
                case "Neg": return Value.Const(-p);
                case "Less": return Value.Const(p < q);
                case "Greater": return Value.Const(p > q);
            }
        }
        Fail(GraphDiagnostics.UnsupportedConstruct, at, $"'{at}'", "this arithmetic on constants cannot be folded at compile time");
        return null;
    }

    private Value? LowerConditional(ConditionalExpressionSyntax conditional)
    {
        Value? condition = Lower(conditional.Condition);
        if (condition is null) return null;
        if (!condition.IsTensor)
        {
            if (condition.Constant is bool taken) return Lower(taken ? conditional.WhenTrue : conditional.WhenFalse);
            Fail(GraphDiagnostics.UnsupportedConstruct, conditional.Condition, $"The condition '{conditional.Condition}'", "a condition is a Tensor<bool> or a constant bool");
            return null;
        }
        condition = AsOneBool(condition, conditional.Condition);
        if (condition is null) return null;
        var type = _model.GetTypeInfo(conditional).Type;
        if (TypeRules.TensorElement(type) is not { } element || TypeRules.DTypeOf(element) is not { } dtype)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, conditional, $"'{conditional}'", "both branches of a tensor ?: must be tensors");
            return null;
        }
        Value? whenTrue = LowerTensor(conditional.WhenTrue, dtype), whenFalse = LowerTensor(conditional.WhenFalse, dtype);
        if (whenTrue is null || whenFalse is null) return null;
        return AddOp("SelectV2", new[] { new[] { condition }, new[] { whenTrue }, new[] { whenFalse } }, new List<AttrModel>(), new[] { dtype }, conditional);
    }

    private Value? LowerInvocation(InvocationExpressionSyntax invocation)
    {
        var info = _model.GetSymbolInfo(invocation);
        var method = info.Symbol as IMethodSymbol ?? info.CandidateSymbols.OfType<IMethodSymbol>().FirstOrDefault();
        if (method is null)
        {
            Fail(GraphDiagnostics.NotAnOp, invocation, invocation.Expression.ToString(), "");
            return null;
        }
        if (TypeRules.FindAttribute(method, TypeRules.OpMethodAttribute) is { } opAttribute && info.Symbol is not null)
            return LowerOpCall(invocation, method, opAttribute);
        if (TypeRules.FindAttribute(method, TypeRules.CompositeAttribute) is { } compositeAttribute && info.Symbol is not null)
            return LowerCompositeCall(invocation, method, compositeAttribute);
        if (method.ContainingType?.ToDisplayString() == "StaticFlow.Ops" && method.Name == "StringLookup" && info.Symbol is not null)
            return LowerStringLookup(invocation, method);
        if ((TypeRules.HasAttribute(method, TypeRules.GraphFunctionAttribute) || IsLayerInterfaceCall(invocation, method)) && IsCallOnAnotherModule(invocation, method))
            return LowerModuleCall(invocation, method);
        if (_module.FindFunction(method) is { } callee && SymbolEqualityComparer.Default.Equals(method.ContainingType, _info.Method.ContainingType))
        {
            if (callee.TrainStep is not null)
            {
                // Inside another graph it would only compute the loss: the step is what its compiled form adds.
                Fail(GraphDiagnostics.InvalidGraphFunction, invocation, callee.Method.Name, "a [TrainStep] function takes its step only as its compiled form; call the loss it returns instead");
                return null;
            }
            return _forward.Enabled || callee.HasConstantParameters ? InlineCall(invocation, callee) : LowerGraphCall(invocation, callee);
        }
        if ((TypeRules.TensorElement(method.ContainingType) is not null || method.ContainingType?.ToDisplayString() == TypeRules.StringTensors) && method.IsStatic && method.Name is "From" or "Scalar")
            return LowerTensorConstant(invocation, method) ?? FailedConstant(invocation);
        if (method.ContainingType?.ToDisplayString() == "StaticFlow.Gradients" && method.Name == "Of")
            return LowerGradientsOf(invocation, method);
        if (TypeRules.HasAttribute(method, TypeRules.GraphFunctionAttribute))
        {
            Fail(GraphDiagnostics.InvalidGraphFunction, invocation, method.Name, "a graph function calls graph functions of its own module, of its child modules (fields holding modules) and static [GraphFunction] helpers");
            return null;
        }
        if (method.ContainingType?.ToDisplayString() == "System.Linq.Enumerable")
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, invocation, "LINQ", "use Ops reductions on tensors");
            return null;
        }
        string? replacement = null;
        string container = method.ContainingType?.ToDisplayString() ?? "";
        if ((container is "System.Math" or "System.MathF") && FindOpsMethod(method.Name) is not null) replacement = method.Name;
        else if (container is "System.Math" or "System.MathF" && method.Name is "Max" or "Min" && FindOpsMethod(method.Name + "imum") is not null) replacement = method.Name + "imum";
        _failed = true;
        _module.ReportNotAnOp(invocation.GetLocation(), invocation.Expression.ToString(), replacement);
        return null;
    }

    private Value? FailedConstant(InvocationExpressionSyntax invocation)
    {
        if (!_failed) Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"'{invocation}'", "write a tensor constant as Tensor<T>.From([values], dims) or Tensor<T>.Scalar(value) (StringTensors.From and StringTensors.Scalar for strings)");
        return null;
    }

    private IMethodSymbol? FindOpsMethod(string name) =>
        _module.Compilation.GetTypeByMetadataName("StaticFlow.Ops")?.GetMembers(name).OfType<IMethodSymbol>()
            .FirstOrDefault(m => TypeRules.HasAttribute(m, TypeRules.OpMethodAttribute));

    /// <summary>The argument expressions for each parameter of <paramref name="method"/> (several for a params array; none when omitted).</summary>
    private static List<ExpressionSyntax>[] BindArguments(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        var bound = new List<ExpressionSyntax>[method.Parameters.Length];
        for (int i = 0; i < bound.Length; i++) bound[i] = new List<ExpressionSyntax>();
        int position = 0;
        foreach (var argument in invocation.ArgumentList.Arguments)
        {
            int index = argument.NameColon is { } named
                ? method.Parameters.IndexOf(method.Parameters.FirstOrDefault(p => p.Name == named.Name.Identifier.ValueText)!)
                : Math.Min(position++, method.Parameters.Length - 1);
            if (index >= 0) bound[index].Add(argument.Expression);
        }
        return bound;
    }

    private Value? LowerOpCall(InvocationExpressionSyntax invocation, IMethodSymbol method, AttributeData attribute)
    {
        string opName = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
        string display = method.ContainingType.Name + "." + method.Name;
        if (!ModuleLowering.Schemas.TryGetValue(opName, out var schema))
        {
            Fail(GraphDiagnostics.UnknownOp, invocation, opName, display);
            return null;
        }
        var arguments = BindArguments(invocation, method);
        var inputs = new List<Value[]>();
        var attrs = new List<AttrModel>();
        var constantArrayLengths = new List<int>();
        int inputIndex = 0;
        for (int p = 0; p < method.Parameters.Length; p++)
        {
            var parameter = method.Parameters[p];
            var given = arguments[p];
            SyntaxNode at = given.Count > 0 ? given[0] : invocation;
            if (schema.FindAttr(TypeRules.SnakeCase(parameter.Name)) is { } attrSchema && attrSchema.Type is not ("type" or "list(type)"))
            {
                if (given.Count == 0)
                {
                    // The C# default is what an eager call passes, so the graph must get it too, not the schema's.
                    if (DefaultAttr(parameter, attrSchema) is { } fromDefault) attrs.Add(fromDefault);
                    continue;
                }
                if (!TryAttrValue(given[0], attrSchema, out AttrModel? attr))
                {
                    if (IsConstructorDecided(_model.GetSymbolInfo(StripCasts(given[0])).Symbol)) { NeedsConstruction = true; _failed = true; return null; }
                    Fail(GraphDiagnostics.AttrNotConstant, given[0], given[0].ToString(), attrSchema.Name, opName);
                    return null;
                }
                attrs.Add(attr!);
                continue;
            }
            if (inputIndex >= schema.Inputs.Count)
            {
                Fail(GraphDiagnostics.UnknownAttr, given.Count > 0 ? given[0] : invocation, parameter.Name, display, opName, $" (its attrs are {string.Join(", ", schema.Attrs.Select(a => a.Name))})");
                return null;
            }
            var argSchema = schema.Inputs[inputIndex++];
            Value[]? input = LowerInputArgument(parameter, given, argSchema, opName, at);
            if (input is null) return null;
            inputs.Add(input);
            if (parameter.Type is IArrayTypeSymbol && input is [{ Reference: { } reference }] && _constantInts.TryGetValue(reference, out var items))
                constantArrayLengths.Add(items.Length);
        }
        // A list output's length that no parameter sets (SplitV's num_split) is the length of the one constant array
        // argument (its size_splits), as tf.split derives it.
        foreach (var output in schema.Outputs)
            if (output.NumberAttr is { } count && !attrs.Any(a => a.Name == count) && constantArrayLengths.Count == 1)
                attrs.Add(Attrs.Int(count, constantArrayLengths[0]));
        if (inputIndex < schema.Inputs.Count)
        {
            Fail(GraphDiagnostics.UnknownAttr, invocation, schema.Inputs[inputIndex].Name, display, opName, $": input '{schema.Inputs[inputIndex].Name}' of the op has no parameter");
            return null;
        }
        DecideTypeAttrFromTypeArgument(method, schema, inputs, attrs);
        // An op with several outputs returns a tuple of tensors (var (values, indices) = Ops.TopK(x, 3)).
        if (method.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple)
        {
            var elementTypes = tuple.TupleElements.Select(e => TypeRules.TensorElement(e.Type) is { } item ? TypeRules.DTypeOf(item) : null).ToArray();
            var outputs = AddOpOutputs(opName, inputs, attrs, elementTypes, invocation, baseName: opName);
            if (outputs is null) return null;
            if (outputs.Length != elementTypes.Length)
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"'{display}'", $"it returns {elementTypes.Length} tensors, but op {opName} has {outputs.Length} outputs");
                return null;
            }
            return Value.Tuple(outputs);
        }
        // A list output (Split, Unpack) is a Tensor<T>[]: its tensors, which indexing and foreach take one by one.
        if (method.ReturnType is IArrayTypeSymbol { ElementType: var itemType } && TypeRules.TensorElement(itemType) is { } itemElement)
            return AddOpOutputs(opName, inputs, attrs, new[] { TypeRules.DTypeOf(itemElement) }, invocation, baseName: opName) is { } parts ? Value.Tuple(parts) : null;
        string?[] outputTypes = TypeRules.TensorElement(method.ReturnType) is { } element ? new[] { TypeRules.DTypeOf(element) } : Array.Empty<string?>();
        return AddOp(opName, inputs, attrs, outputTypes, invocation, baseName: opName);
    }

    /// <summary>
    /// A type attr that neither the inputs nor the result decide (<c>TensorListReserve</c>'s <c>element_dtype</c>: the
    /// list's elements appear in no argument) is the method's type argument, <c>Ops.TensorListReserve&lt;float&gt;(...)</c>.
    /// </summary>
    private static void DecideTypeAttrFromTypeArgument(IMethodSymbol method, OpSchema schema, List<Value[]> inputs, List<AttrModel> attrs)
    {
        if (method.TypeArguments.Length != 1 || TypeRules.DTypeOf(method.TypeArguments[0]) is not { } typeArgument) return;
        var inputTypes = inputs.Select(i => (IReadOnlyList<string>)i.Select(v => v.DType).ToList()).ToList();
        var resultTypes = method.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple
            ? tuple.TupleElements.Select(e => TypeRules.TensorElement(e.Type) is { } item ? TypeRules.DTypeOf(item) : null).ToArray()
            : new[] { TypeRules.TensorElement(method.ReturnType) is { } element ? TypeRules.DTypeOf(element) : null };
        var inferred = schema.InferAttrs(inputTypes, resultTypes);
        var undecided = schema.Attrs.Where(a => a.Type == "type" && a.DefaultText is null && !inferred.ContainsKey(a.Name) && !attrs.Any(m => m.Name == a.Name)).ToList();
        if (undecided.Count == 1) attrs.Add(Attrs.Type(undecided[0].Name, typeArgument));
    }

    /// <summary>The attr an omitted parameter's C# default gives, or null when it has none (null defaults take the schema's).</summary>
    private static AttrModel? DefaultAttr(IParameterSymbol parameter, AttrSchema attr)
    {
        if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is not { } value) return null;
        return (attr.Type, value) switch
        {
            ("bool", bool flag) => Attrs.Bool(attr.Name, flag),
            ("int", int number) => Attrs.Int(attr.Name, number),
            ("int", long number) => Attrs.Int(attr.Name, number),
            ("float", float number) => Attrs.Float(attr.Name, number),
            ("float", double number) => Attrs.Float(attr.Name, number),
            ("string", string text) => Attrs.String(attr.Name, text),
            _ => null,
        };
    }

    private Value[]? LowerInputArgument(IParameterSymbol parameter, List<ExpressionSyntax> given, ArgSchema argSchema, string opName, SyntaxNode at)
    {
        ITypeSymbol type = parameter.Type;
        // An ITensor parameter (Ops.Cast<TTo>) takes the argument's own element type.
        if (type.ToDisplayString() == "StaticFlow.ITensor" && given.Count == 1 && TypeRules.TensorElement(_model.GetTypeInfo(given[0]).Type) is { } argumentElement)
        {
            Value? value = LowerTensor(given[0], TypeRules.DTypeOf(argumentElement) ?? "float");
            return value is null ? null : new[] { value };
        }
        if (TypeRules.TensorElement(type) is { } element)
        {
            if (given.Count != 1) { Fail(GraphDiagnostics.UnsupportedConstruct, at, $"The argument for '{parameter.Name}'", "pass one tensor"); return null; }
            Value? value = LowerTensor(given[0], TypeRules.DTypeOf(element) ?? "float");
            return value is null ? null : new[] { value };
        }
        if (type is IArrayTypeSymbol { ElementType: var itemType } && TypeRules.TensorElement(itemType) is { } listElement)
        {
            // The outputs of a Split or Unstack passed on whole (Ops.Concat(parts, 1)).
            if (given.Count == 1 && IsTensorArray(_model.GetTypeInfo(given[0]).Type) && !IsCollection(given[0]))
                return Lower(given[0]) is { Elements: { } parts } ? parts.ToArray() : null;
            var items = given.Count == 1 && !parameter.IsParams || given.Count == 1 && IsCollection(given[0]) ? CollectionItems(given[0]) : given;
            if (items is null) { Fail(GraphDiagnostics.UnsupportedConstruct, at, $"The argument for '{parameter.Name}'", "write the tensors in place, as [a, b] or new[] { a, b }"); return null; }
            var values = new List<Value>();
            foreach (var item in items)
            {
                Value? value = LowerTensor(item, TypeRules.DTypeOf(listElement) ?? "float");
                if (value is null) return null;
                values.Add(value);
            }
            return values.ToArray();
        }
        // A string is a constant string input (a separator, a pattern).
        if (type.SpecialType == SpecialType.System_String)
        {
            object? text = given.Count == 1 ? _model.GetConstantValue(given[0]).Value : parameter.HasExplicitDefaultValue ? parameter.ExplicitDefaultValue : null;
            if (text is not string constantText)
            {
                Fail(GraphDiagnostics.AttrNotConstant, at, given.FirstOrDefault()?.ToString() ?? parameter.Name, argSchema.Name, opName);
                return null;
            }
            return new[] { AddConst("string", Array.Empty<long>(), new[] { constantText }) };
        }
        // Numbers and number arrays are constant inputs (axes, shapes, permutations).
        string dtype = (type is IArrayTypeSymbol array ? array.ElementType : type).SpecialType == SpecialType.System_Int64 ? "int64" : "int32";
        if (type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64)
        {
            long number;
            if (given.Count == 0 && parameter.HasExplicitDefaultValue) number = Convert.ToInt64(parameter.ExplicitDefaultValue, CultureInfo.InvariantCulture);
            else if (given.Count != 1 || !TryConstantLong(given[0], out number))
            {
                if (given.Count == 1 && !_failed && LowerRuntimeInts(given, dtype, vector: false, at) is { } runtime) return new[] { runtime };
                if (!_failed) Fail(GraphDiagnostics.AttrNotConstant, at, given.FirstOrDefault()?.ToString() ?? parameter.Name, argSchema.Name, opName);
                return null;
            }
            return new[] { AddConst(dtype, Array.Empty<long>(), new[] { number.ToString(CultureInfo.InvariantCulture) }) };
        }
        if (type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64 })
        {
            var numbers = given.Count == 1 ? ConstantLongs(given[0]) : null;
            if (numbers is null && given.Count == 1 && CollectionItems(given[0]) is { Count: > 0 } items)
            {
                if (LowerRuntimeInts(items, dtype, vector: true, at) is { } packed) return new[] { packed };
                if (_failed) return null;
            }
            if (numbers is null) { Fail(GraphDiagnostics.AttrNotConstant, at, given.FirstOrDefault()?.ToString() ?? parameter.Name, argSchema.Name, opName); return null; }
            return new[] { AddConst(dtype, new long[] { numbers.Length }, numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)).ToArray()) };
        }
        Fail(GraphDiagnostics.UnknownAttr, at, parameter.Name, parameter.ContainingSymbol.Name, opName, $": a parameter of type {type.ToDisplayString()} cannot feed input '{argSchema.Name}'");
        return null;
    }

    private static bool IsCollection(ExpressionSyntax expression) =>
        expression is CollectionExpressionSyntax or ImplicitArrayCreationExpressionSyntax or ArrayCreationExpressionSyntax;

    private static IReadOnlyList<ExpressionSyntax>? CollectionItems(ExpressionSyntax expression) => expression switch
    {
        CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax) =>
            collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
        ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.ToList(),
        ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.ToList(),
        _ => null,
    };

    private long[]? ConstantLongs(ExpressionSyntax expression)
    {
        var items = CollectionItems(expression);
        if (items is null) return null;
        var numbers = new long[items.Count];
        for (int i = 0; i < numbers.Length; i++)
            if (!TryConstantLong(items[i], out numbers[i])) return null;
        return numbers;
    }

    private bool TryAttrValue(ExpressionSyntax expression, AttrSchema attr, out AttrModel? model)
    {
        model = null;
        object? constant = _model.GetConstantValue(expression).Value;
        switch (attr.Type)
        {
            case "bool" when constant is bool flag: model = Attrs.Bool(attr.Name, flag); return true;
            case "int" when TryConstantLong(expression, out long number): model = Attrs.Int(attr.Name, number); return true;
            case "float" when constant is float or double or int or long: model = Attrs.Float(attr.Name, Convert.ToDouble(constant, CultureInfo.InvariantCulture)); return true;
            // A layer's configuration (its epsilon, its flags): a constant of the module object, maybe cast.
            case "float" when FoldedMember(expression) is long or double:
                model = Attrs.Float(attr.Name, Convert.ToDouble(FoldedMember(expression), CultureInfo.InvariantCulture)); return true;
            case "bool" when FoldedMember(expression) is bool memberFlag: model = Attrs.Bool(attr.Name, memberFlag); return true;
            case "string" when constant is string text: model = Attrs.String(attr.Name, text); return true;
            case "list(int)":
                if (_model.GetConstantValue(expression).HasValue && constant is null) { model = Attrs.EmptyList(attr.Name); return true; }
                if (ConstantLongs(expression) is { } numbers) { model = Attrs.IntList(attr.Name, numbers); return true; }
                return false;
            default: return false;
        }
    }

    private static ExpressionSyntax StripCasts(ExpressionSyntax expression)
    {
        while (expression is CastExpressionSyntax or ParenthesizedExpressionSyntax)
            expression = expression is CastExpressionSyntax cast ? cast.Expression : ((ParenthesizedExpressionSyntax)expression).Expression;
        return expression;
    }

    /// <summary>
    /// A readonly member of this module (a number, bool or enum, or a child module) that only the arguments of its
    /// constructor decide: unknown to the module's own graph, known in every parent that creates it with constants.
    /// </summary>
    private bool IsConstructorDecided(ISymbol? symbol)
    {
        if (symbol is not (IFieldSymbol { IsReadOnly: true } or IPropertySymbol { SetMethod: null }) || symbol.IsStatic) return false;
        if (_instance is not { Path.Length: 0 } || !ReferenceEquals(_instance, _module.Root) || !SymbolEqualityComparer.Default.Equals(symbol.ContainingType, _instance.Type)) return false;
        if (_instance.Members.ContainsKey(symbol.Name)) return false;
        var type = symbol is IFieldSymbol field ? field.Type : ((IPropertySymbol)symbol).Type;
        return type.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_Double || type.TypeKind == TypeKind.Enum
            || ModuleLowering.ModuleElementType(type) is not null && _instance.ConstructorDecided.Contains(symbol.Name);
    }

    /// <summary>A member of the module object this code runs on that its constructor fixed, possibly cast (<c>(float)Epsilon</c>), else null.</summary>
    private object? FoldedMember(ExpressionSyntax expression)
    {
        expression = StripCasts(expression);
        return _model.GetSymbolInfo(expression).Symbol is IFieldSymbol or IPropertySymbol && _instance is not null
               && _instance.Members.TryGetValue(_model.GetSymbolInfo(expression).Symbol!.Name, out var value)
               && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(expression).Symbol!.ContainingType, _instance.Type)
            ? value
            : null;
    }

    private Value? LowerGraphCall(InvocationExpressionSyntax invocation, ModuleLowering.FunctionInfo callee)
    {
        FunctionDefModel? function = _module.LibraryFunction(callee, invocation.GetLocation());
        if (function is null) { _failed = true; return null; }
        var arguments = BindArguments(invocation, callee.Method);
        var inputs = new List<string>();
        var inputTypes = new List<string>();
        for (int i = 0; i < callee.Parameters.Count; i++)
        {
            if (arguments[i].Count != 1) { Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"The call '{invocation}'", "pass every tensor argument"); return null; }
            Value? value = LowerTensor(arguments[i][0], callee.Parameters[i].DType);
            if (value is null) return null;
            inputs.Add(value.Reference!);
            inputTypes.Add(value.DType);
        }
        foreach (string variable in function.CapturedVariables)
        {
            inputs.Add(VariableHandle(variable));
            inputTypes.Add("resource");
        }
        foreach (string written in function.WrittenVariables)
        {
            _written.Add(written);
            _assignedVariables.Remove(written);
        }
        string op = function.IsStateful ? "StatefulPartitionedCall" : "PartitionedCall";
        string node = _graph.UniqueName(Scope, op);
        var schema = ModuleLowering.Schemas[op];
        var attrs = Attrs.Complete(schema, new[]
        {
            Attrs.TypeList("Tin", inputTypes), Attrs.TypeList("Tout", function.OutputArgs.Select(a => a.DType)), Attrs.Func("f", function.Name),
        });
        inputs.AddRange(_order.Before(function.CapturedVariables.Except(function.WrittenVariables), function.WrittenVariables));
        _graph.Add(new NodeModel(node, op, inputs.ToEquatable(), Device, attrs), schema);
        foreach (string variable in function.CapturedVariables)
            if (function.WrittenVariables.Contains(variable)) _order.Wrote(variable, node);
            else _order.Read(variable, node);
        if (function.WrittenVariables.Count > 0) _stateNodes.Add(node);
        var outputs = function.OutputArgs.Select((arg, i) => Value.Tensor(_graph.OutputReference(node, i), arg.DType,
            i < function.OutputShapes.Count ? function.OutputShapes[i].ToArray() : null)).ToList();
        return callee.ReturnsTuple ? Value.Tuple(outputs) : outputs[0];
    }

    /// <summary>Adds a node with the schema's attrs completed, without inference (placeholders, reads, identities).</summary>
    private void AddRawNode(string name, string op, IEnumerable<string> inputs, IEnumerable<AttrModel> attrs)
    {
        var schema = ModuleLowering.Schemas[op];
        _graph.Add(new NodeModel(name, op, inputs.ToEquatable(), Device, Attrs.Complete(schema, attrs)), schema);
    }

    /// <summary>
    /// Adds an op node: infers its type attrs from the inputs and wanted outputs, completes defaults, checks static
    /// shapes (SF0006 with both shapes) and returns its first output.
    /// </summary>
    private Value? AddOp(string op, IReadOnlyList<Value[]> inputs, List<AttrModel> attrs, string?[] outputTypes, SyntaxNode at, string? baseName = null) =>
        AddOpOutputs(op, inputs, attrs, outputTypes, at, baseName) is { } outputs ? outputs[0] : null;

    /// <summary>As <see cref="AddOp"/>, returning every output (list outputs expanded); an op without outputs returns its node for control edges.</summary>
    private Value[]? AddOpOutputs(string op, IReadOnlyList<Value[]> inputs, List<AttrModel> attrs, IReadOnlyList<string?> outputTypes, SyntaxNode at, string? baseName = null)
    {
        var schema = ModuleLowering.Schemas[op];
        var inferred = schema.InferAttrs(inputs.Select(i => (IReadOnlyList<string>)i.Select(v => v.DType).ToList()).ToList(), outputTypes);
        var all = new List<AttrModel>(attrs);
        foreach (var pair in inferred)
        {
            if (all.Any(a => a.Name == pair.Key)) continue;
            all.Add(pair.Value switch
            {
                string dtype => Attrs.Type(pair.Key, dtype),
                string[] dtypes => Attrs.TypeList(pair.Key, dtypes),
                long count => Attrs.Int(pair.Key, count),
                _ => throw new InvalidOperationException(),
            });
        }
        var completed = Attrs.TryComplete(schema, all, out string? missing);
        if (completed is null)
        {
            Fail(GraphDiagnostics.UnknownAttr, at, missing!, op, op, ": the op needs this attr and nothing sets it");
            return null;
        }
        var shapes = InferShapes(schema, inputs, completed.Value, at, out bool shapesFit);
        if (!shapesFit) return null;
        string node = _graph.UniqueName(Scope, baseName ?? op);
        _graph.Add(new NodeModel(node, op, inputs.SelectMany(i => i.Select(v => v.Reference!)).ToEquatable(), Device, completed.Value), schema);

        var outputs = new List<Value>();
        foreach (var arg in schema.Outputs)
        {
            AttrModel? Attr(string? name) => name is null ? null : completed.Value.FirstOrDefault(a => a.Name == name);
            int count = arg.NumberAttr is { } number ? (int)(Attr(number)?.Number ?? 0) : arg.TypeListAttr is { } list ? Attr(list)?.Items.Count ?? 0 : 1;
            for (int i = 0; i < count; i++)
            {
                string dtype = arg.FixedType ?? (arg.TypeAttr is { } typeAttr ? Attr(typeAttr)?.Text ?? "" : Attr(arg.TypeListAttr)?.Items[i] ?? "");
                int index = outputs.Count;
                outputs.Add(Value.Tensor(_graph.OutputReference(node, index), dtype, index < shapes.Count ? shapes[index] : null));
            }
        }
        if (outputs.Count == 0) return new[] { Value.Tensor(node, "", null) };
        _forward.Record(node, schema, completed.Value, inputs.SelectMany(i => i).ToList(), outputs);
        return outputs.ToArray();
    }
}
