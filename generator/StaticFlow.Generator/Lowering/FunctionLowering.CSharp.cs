using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

// The C# a TensorFlow user writes besides ops and operators: index and range syntax (StridedSlice), shape queries
// (x.Shape[i], x.Rank: folded when static, Shape/Rank ops when not), tensor constants from literals and static
// readonly arrays, foreach over constant arrays (unrolled) and interpolated scope names.
internal sealed partial class FunctionLowering
{
    private const string TensorIndexType = "StaticFlow.TensorIndex";
    private const string TensorShapeType = "StaticFlow.Tensors.TensorShape";

    private Value? LowerElementAccess(ElementAccessExpressionSyntax access)
    {
        var receiverType = _model.GetTypeInfo(access.Expression).Type;
        if (receiverType is not null && ModuleLowering.ModuleElementType(receiverType) is { IsList: true }) return LowerModuleItem(access);
        if (TypeRules.TensorElement(receiverType) is { } element && TypeRules.DTypeOf(element) is { } dtype)
            return LowerSlice(access, dtype);
        if (receiverType?.ToDisplayString() == TensorShapeType && access.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Shape" } shape
            && access.ArgumentList.Arguments.Count == 1)
            return LowerDimension(shape.Expression, access.ArgumentList.Arguments[0].Expression, access);
        if (IsTensorArray(receiverType) && access.ArgumentList.Arguments.Count == 1) return LowerTensorArrayItem(access);
        Fail(GraphDiagnostics.UnsupportedConstruct, access, $"Indexing '{access}'", "index tensors (x[1], x[.., 1..3]) or their shapes (x.Shape[0]); for a tensor of indices use Ops.GatherV2");
        return null;
    }

    /// <summary><c>x[...]</c> on a tensor: one StridedSlice whose operands come from <see cref="SliceSpec"/>, as the indexer builds them eagerly.</summary>
    private Value? LowerSlice(ElementAccessExpressionSyntax access, string dtype)
    {
        var items = new List<SliceItem>();
        foreach (var argument in access.ArgumentList.Arguments)
        {
            if (ReadSliceItem(argument.Expression) is { } item) items.Add(item);
            else
            {
                // A bound the constructor's arguments decide (kernel[.., ..Units] in a layer's own graph): no graph of its own.
                foreach (var name in argument.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    if (IsConstructorDecided(_model.GetSymbolInfo(name).Symbol)) { NeedsConstruction = true; _failed = true; return null; }
                // What cannot be read at all (a field, a failed local) has its own report; a number known only at run time gets this one.
                if (argument.Expression is not RangeExpressionSyntax && Lower(argument.Expression) is null) return null;
                Fail(GraphDiagnostics.UnsupportedConstruct, argument, $"The index '{argument}'",
                    "indexes in a graph function are constants or loop counters (2, ^1, 1..3, .., TensorIndex.NewAxis); for a tensor of indices use Ops.GatherV2");
                return null;
            }
        }
        var spec = SliceSpec.From(items, out string? problem);
        if (spec is null) { Fail(GraphDiagnostics.UnsupportedConstruct, access.ArgumentList, $"The index '{access.ArgumentList}'", problem!); return null; }
        Value? input = LowerTensor(access.Expression, dtype);
        if (input is null) return null;
        Value Ints(long[] values) => AddConst("int32", new long[] { values.Length }, values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());
        var attrs = new List<AttrModel>
        {
            Attrs.Int("begin_mask", spec.BeginMask), Attrs.Int("end_mask", spec.EndMask), Attrs.Int("ellipsis_mask", spec.EllipsisMask),
            Attrs.Int("new_axis_mask", spec.NewAxisMask), Attrs.Int("shrink_axis_mask", spec.ShrinkAxisMask),
        };
        return AddOp("StridedSlice", new[] { new[] { input }, new[] { Ints(spec.Begin) }, new[] { Ints(spec.End) }, new[] { Ints(spec.Strides) } }, attrs, new[] { dtype }, access);
    }

    private SliceItem? ReadSliceItem(ExpressionSyntax expression)
    {
        switch (expression)
        {
            case RangeExpressionSyntax range:
            {
                long start = 0, end = 0;
                bool startFromEnd = false, endFromEnd = true;
                if (range.LeftOperand is { } left && !TryReadIndex(left, out start, out startFromEnd)) return null;
                if (range.RightOperand is { } right && !TryReadIndex(right, out end, out endFromEnd)) return null;
                return SliceItem.Between(start, startFromEnd, end, endFromEnd);
            }
            case MemberAccessExpressionSyntax when _model.GetSymbolInfo(expression).Symbol is IPropertySymbol property && property.ContainingType?.ToDisplayString() == TensorIndexType:
                return property.Name switch { "NewAxis" => SliceItem.NewAxis, "Ellipsis" => SliceItem.Ellipsis, _ => null };
            default:
                return TryReadIndex(expression, out long index, out bool fromEnd) ? SliceItem.Point(index, fromEnd) : null;
        }
    }

    /// <summary>An <c>int</c> or <c>^k</c> known at compile time (a constant or an unrolled loop's counter).</summary>
    private bool TryReadIndex(ExpressionSyntax expression, out long value, out bool fromEnd)
    {
        fromEnd = false;
        if (expression is PrefixUnaryExpressionSyntax hat && hat.IsKind(SyntaxKind.IndexExpression))
        {
            fromEnd = true;
            return TryConstantLong(hat.Operand, out value) && value >= 0;
        }
        return TryConstantLong(expression, out value);
    }

    /// <summary><c>x.Shape[i]</c>: the dimension when the static shape knows it, else read at run time (Shape, then StridedSlice), as an int64 scalar.</summary>
    private Value? LowerDimension(ExpressionSyntax tensorExpression, ExpressionSyntax indexExpression, SyntaxNode at)
    {
        if (TypeRules.TensorElement(_model.GetTypeInfo(tensorExpression).Type) is not { } element || TypeRules.DTypeOf(element) is not { } dtype)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, at, $"'{at}'", "only the shapes of tensors can be read");
            return null;
        }
        if (!TryConstantLong(indexExpression, out long axis))
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, indexExpression, $"The axis '{indexExpression}'", "the axis of x.Shape[axis] is a constant or a loop counter");
            return null;
        }
        Value? tensor = LowerTensor(tensorExpression, dtype);
        if (tensor is null) return null;
        if (tensor.Shape is { } shape)
        {
            if (axis < 0 || axis >= shape.Length)
            {
                Fail(GraphDiagnostics.ShapeMismatch, at, $"'{at}'", $"the tensor has the shape {ShapeRules.Format(shape)}, with no axis {axis}");
                return null;
            }
            if (shape[axis] >= 0) return Value.Const(shape[axis]);
        }
        Value? dims = AddOp("Shape", new[] { new[] { tensor } }, new List<AttrModel>(), new[] { "int64" }, at, baseName: "Shape");
        if (dims is null) return null;
        Value Vector(long number) => AddConst("int32", new long[] { 1 }, new[] { number.ToString(CultureInfo.InvariantCulture) });
        return AddOp("StridedSlice", new[] { new[] { dims }, new[] { Vector(axis) }, new[] { Vector(axis + 1) }, new[] { Vector(1) } },
            new List<AttrModel> { Attrs.Int("shrink_axis_mask", 1) }, new[] { "int64" }, at, baseName: "dimension");
    }

    /// <summary><c>x.Rank</c> and <c>x.Shape.Rank</c>: folded when the rank is static, else the Rank op (int32, like the C# int).</summary>
    private Value? LowerMemberAccess(MemberAccessExpressionSyntax member)
    {
        ExpressionSyntax? tensorExpression = null;
        if (member.Name.Identifier.ValueText is "Length" or "Count" && _model.GetTypeInfo(member.Expression).Type is { } listType
            && ModuleLowering.ModuleElementType(listType) is { IsList: true })
            return Lower(member.Expression) is { Modules: { } modules } ? Value.Const((long)modules.Count) : null;
        if (member.Name.Identifier.ValueText == "Length" && IsTensorArray(_model.GetTypeInfo(member.Expression).Type))
            return Lower(member.Expression) is { Elements: { } parts } ? Value.Const((long)parts.Count) : null;
        if (member.Name.Identifier.ValueText == "Rank")
        {
            var receiverType = _model.GetTypeInfo(member.Expression).Type;
            if (TypeRules.TensorElement(receiverType) is not null) tensorExpression = member.Expression;
            else if (receiverType?.ToDisplayString() == TensorShapeType && member.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Shape" } shape
                     && TypeRules.TensorElement(_model.GetTypeInfo(shape.Expression).Type) is not null)
                tensorExpression = shape.Expression;
        }
        if (tensorExpression is null)
        {
            if (_model.GetSymbolInfo(member).Symbol is IFieldSymbol or IPropertySymbol && TypeRules.TensorElement(_model.GetTypeInfo(member.Expression).Type) is not null)
                Fail(GraphDiagnostics.UnsupportedConstruct, member, $"'{member}'", "a graph function reads a tensor's x.Shape[i] and x.Rank; other members have no graph form");
            else
                return LowerName(member);
            return null;
        }
        var element = TypeRules.TensorElement(_model.GetTypeInfo(tensorExpression).Type)!;
        Value? tensor = LowerTensor(tensorExpression, TypeRules.DTypeOf(element) ?? "float");
        if (tensor is null) return null;
        if (tensor.Shape is { } known) return Value.Const((long)known.Length);
        return AddOp("Rank", new[] { new[] { tensor } }, new List<AttrModel>(), new[] { "int32" }, member, baseName: "Rank");
    }

    /// <summary>
    /// A C# number that is a tensor in the graph (a dimension read at run time) converted by a cast:
    /// <c>(int)x.Shape[0]</c> is a Cast node.
    /// </summary>
    private Value? CastNumber(Value operand, ITypeSymbol? target, CastExpressionSyntax cast)
    {
        if (TypeRules.DTypeOf(target) is not { } dtype || dtype == "bool")
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, cast, $"The cast '{cast}'", "a number read from a shape converts to another number type only");
            return null;
        }
        if (operand.DType == dtype) return operand;
        return AddOp("Cast", new[] { new[] { operand } }, new List<AttrModel>(), new[] { dtype }, cast);
    }

    /// <summary>
    /// C# integer arithmetic where an operand is a number known only at run time (a dimension): the graph computes
    /// it with C#'s semantics (truncating division and remainder).
    /// </summary>
    private Value? LowerRuntimeNumber(BinaryExpressionSyntax binary, Value a, Value b)
    {
        string? op = binary.Kind() switch
        {
            SyntaxKind.AddExpression => "Add", SyntaxKind.SubtractExpression => "Sub", SyntaxKind.MultiplyExpression => "Mul",
            SyntaxKind.DivideExpression => "TruncateDiv", SyntaxKind.ModuloExpression => "TruncateMod",
            _ => null,
        };
        bool integral = (a.IsTensor ? a.DType : b.DType) is "int32" or "int64" && (!a.IsTensor || a.DType is "int32" or "int64") && (!b.IsTensor || b.DType is "int32" or "int64");
        if (op is null || !integral || a.Constant is double || b.Constant is double)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, binary, $"The operator '{binary.OperatorToken.Text}' on a dimension known only at run time",
                "dimensions read at run time support + - * / % with integers");
            return null;
        }
        string dtype = a.DType == "int64" || b.DType == "int64" ? "int64" : "int32";
        Value? left = Widen(a, dtype, binary), right = Widen(b, dtype, binary);
        if (left is null || right is null) return null;
        return AddOp(op, new[] { new[] { left }, new[] { right } }, new List<AttrModel>(), new[] { dtype }, binary);
    }

    private Value? Widen(Value value, string dtype, SyntaxNode at)
    {
        if (!value.IsTensor) return Materialize(value, dtype);
        if (value.DType == dtype) return value;
        return AddOp("Cast", new[] { new[] { value } }, new List<AttrModel>(), new[] { dtype }, at);
    }

    /// <summary>
    /// An int or int-array op input whose items are not all compile-time constants: run-time dimensions are packed
    /// into a vector (<c>Ops.Reshape(x, [x.Shape[0], -1])</c>), as TensorFlow's Python packs a list of tensors.
    /// </summary>
    private Value? LowerRuntimeInts(IReadOnlyList<ExpressionSyntax> items, string dtype, bool vector, SyntaxNode at)
    {
        var lowered = new List<Value>();
        foreach (var item in items)
        {
            Value? value = Lower(item);
            if (value is null) return null;
            if (value.IsTensor && (value.DType is not ("int32" or "int64") || value.Shape is not { Length: 0 })) return null;
            if (!value.IsTensor && value.Constant is not long) return null;
            lowered.Add(value);
        }
        // Folded at compile time after all ((int)(x.Shape[1] * x.Shape[2]) with known dimensions): one Const, whose
        // values the shape functions downstream can read.
        if (lowered.All(v => !v.IsTensor))
        {
            var numbers = lowered.Select(v => ((long)v.Constant!).ToString(CultureInfo.InvariantCulture)).ToArray();
            return vector ? AddConst(dtype, new long[] { numbers.Length }, numbers) : numbers.Length == 1 ? AddConst(dtype, Array.Empty<long>(), numbers) : null;
        }
        var values = new List<Value>();
        foreach (var value in lowered)
        {
            Value? widened = Widen(value, dtype, at);
            if (widened is null) return null;
            values.Add(widened);
        }
        if (!vector) return values.Count == 1 ? values[0] : null;
        return AddOp("Pack", new[] { values.ToArray() }, new List<AttrModel>(), new[] { dtype }, at, baseName: "stack");
    }

    /// <summary>
    /// <c>Tensor&lt;T&gt;.From(values, dims)</c> and <c>Tensor&lt;T&gt;.Scalar(v)</c> with values from a literal or a
    /// <c>static readonly</c> array: a Const node holding them.
    /// </summary>
    private Value? LowerTensorConstant(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        bool strings = method.ContainingType?.ToDisplayString() == TypeRules.StringTensors;
        string? dtype = strings ? "string" : TypeRules.TensorElement(method.ContainingType) is { } element ? TypeRules.DTypeOf(element) : null;
        if (dtype is null) return null;
        var arguments = invocation.ArgumentList.Arguments;
        if (strings && method.Name == "Scalar" && arguments.Count == 1)
        {
            if (_model.GetConstantValue(arguments[0].Expression).Value is string text) return AddConst("string", Array.Empty<long>(), new[] { text });
            Fail(GraphDiagnostics.UnsupportedConstruct, arguments[0], $"'{arguments[0]}'", "StringTensors.Scalar takes a constant string in a graph function");
            return null;
        }
        if (method.Name == "Scalar" && arguments.Count == 1)
        {
            Value? value = Lower(arguments[0].Expression);
            if (value is null) return null;
            if (value.IsTensor) { Fail(GraphDiagnostics.UnsupportedConstruct, arguments[0], $"'{arguments[0]}'", "Tensor<T>.Scalar takes a constant in a graph function"); return null; }
            return Materialize(value, dtype);
        }
        if (method.Name != "From" || arguments.Count == 0) return null;
        var items = ConstantArrayItems(arguments[0].Expression);
        if (items is null)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, arguments[0], $"The values '{arguments[0]}'",
                "a tensor constant in a graph function takes its values from a literal ([1f, 2f]) or a static readonly array with an initializer");
            return null;
        }
        var texts = new List<string>();
        foreach (var (item, model) in items)
        {
            var constant = model.GetConstantValue(item);
            string? text = constant.Value switch
            {
                bool flag => flag ? "1" : "0",
                float or double or decimal when dtype is "float" or "double" or "half" or "bfloat16" => Convert.ToDouble(constant.Value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
                int or long or short or byte or sbyte or ushort or uint or ulong => Convert.ToString(constant.Value, CultureInfo.InvariantCulture),
                string literal when dtype == "string" => literal,
                _ => null,
            };
            if (!constant.HasValue || text is null)
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, item, $"The value '{item}'", "the values of a tensor constant are compile-time constants");
                return null;
            }
            texts.Add(text);
        }
        var dims = new List<long>();
        for (int i = 1; i < arguments.Count; i++)
        {
            var dimItems = IsCollection(arguments[i].Expression) ? CollectionItems(arguments[i].Expression) : new[] { arguments[i].Expression };
            foreach (var dimItem in dimItems ?? Array.Empty<ExpressionSyntax>())
            {
                if (!TryConstantLong(dimItem, out long dim) || dim < 0) { Fail(GraphDiagnostics.AttrNotConstant, dimItem, dimItem.ToString(), "dims", "Const"); return null; }
                dims.Add(dim);
            }
        }
        // StringTensors.From(values) without dims is a vector of them.
        if (strings && arguments.Count == 1) dims.Add(texts.Count);
        long count = dims.Aggregate(1L, (product, dim) => product * dim);
        if (count != texts.Count)
        {
            Fail(GraphDiagnostics.ShapeMismatch, invocation, $"'{invocation}'", $"{texts.Count} values do not fill the shape {ShapeRules.Format(dims.ToArray())} ({count} elements)");
            return null;
        }
        return AddConst(dtype, dims.ToArray(), texts);
    }

    /// <summary>The items of an array literal, or of a <c>static readonly</c> array field's initializer, each with the semantic model of its tree.</summary>
    private IReadOnlyList<(ExpressionSyntax Item, SemanticModel Model)>? ConstantArrayItems(ExpressionSyntax expression)
    {
        if (CollectionItems(expression) is { } literal) return literal.Select(item => (item, _model)).ToList();
        if (_model.GetSymbolInfo(expression).Symbol is IFieldSymbol { IsStatic: true, IsReadOnly: true } field
            && field.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_module.Cancellation) is VariableDeclaratorSyntax { Initializer.Value: { } initializer }
            && CollectionItems(initializer) is { } items)
        {
            var model = _module.Compilation.GetSemanticModel(initializer.SyntaxTree);
            return items.Select(item => (item, model)).ToList();
        }
        return null;
    }

    /// <summary>
    /// <c>foreach</c> over an array known at compile time (a literal, a static readonly array, an array of tensors):
    /// unrolled, the loop variable bound to each item in turn.
    /// </summary>
    /// <summary>A Tensor&lt;T&gt;[] (the outputs of Split or Unstack, which the graph knows one by one).</summary>
    private static bool IsTensorArray(ITypeSymbol? type) => type is IArrayTypeSymbol { Rank: 1, ElementType: var item } && TypeRules.TensorElement(item) is not null;

    /// <summary><c>parts[i]</c> or <c>parts[^i]</c> with a constant i on the outputs of a list-output op.</summary>
    private Value? LowerTensorArrayItem(ElementAccessExpressionSyntax access)
    {
        if (Lower(access.Expression) is not { Elements: { } parts }) return null;
        var index = access.ArgumentList.Arguments[0].Expression;
        bool fromEnd = index is PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.IndexExpression } hat;
        var position = fromEnd ? ((PrefixUnaryExpressionSyntax)index).Operand : index;
        if (Lower(position) is not { IsTensor: false, Constant: long at })
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, index, $"The index '{index}'", "the outputs of Split and Unstack are indexed by constants (parts[0], parts[^1])");
            return null;
        }
        long item = fromEnd ? parts.Count - at : at;
        if (item < 0 || item >= parts.Count)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, index, $"The index '{index}'", $"'{access.Expression}' holds {parts.Count} tensors");
            return null;
        }
        return parts[(int)item];
    }

    private void LowerForEach(ForEachStatementSyntax statement)
    {
        if (TryLowerForEachModule(statement)) return;
        if (IsTensorArray(_model.GetTypeInfo(statement.Expression).Type) && _model.GetDeclaredSymbol(statement) is ILocalSymbol part)
        {
            // The outputs of a list-output op, unrolled one by one.
            if (Lower(statement.Expression) is not { Elements: { } parts }) return;
            foreach (var value in parts)
            {
                if (_failed || _returns is not null) break;
                _locals[part] = value;
                LowerNested(statement.Statement);
            }
            _locals.Remove(part);
            return;
        }
        var items = ConstantArrayItems(statement.Expression);
        if (items is null || _model.GetDeclaredSymbol(statement) is not ILocalSymbol local)
        {
            Fail(GraphDiagnostics.LoopNotLowerable, statement.ForEachKeyword.Parent!,
                $"'foreach' unrolls over an array written in place or a static readonly array, and '{statement.Expression}' is neither; a while loop on a Tensor<bool> condition becomes StatelessWhile");
            return;
        }
        if (items.Count > MaxUnrolledIterations)
        {
            Fail(GraphDiagnostics.LoopNotLowerable, statement.ForEachKeyword.Parent!, $"it runs {items.Count:N0} times, more than the {MaxUnrolledIterations:N0} a loop unrolls");
            return;
        }
        foreach (var (item, model) in items)
        {
            if (_failed || _returns is not null) break;
            Value? value;
            if (ReferenceEquals(model, _model)) value = LowerAs(local.Type, item);
            else
            {
                var constant = model.GetConstantValue(item);
                value = constant.Value switch
                {
                    bool flag => Value.Const(flag),
                    float or double or decimal => Value.Const(Convert.ToDouble(constant.Value, CultureInfo.InvariantCulture)),
                    int or long or short or byte or sbyte or ushort or uint => Value.Const(Convert.ToInt64(constant.Value, CultureInfo.InvariantCulture)),
                    _ => null,
                };
                if (value is null) { Fail(GraphDiagnostics.LoopNotLowerable, item, $"the item '{item}' of '{statement.Expression}' is not a numeric constant"); break; }
            }
            if (value is null) break;
            _locals[local] = value;
            LowerNested(statement.Statement);
        }
        _locals.Remove(local);
    }

    /// <summary>A string known at compile time: a constant, or an interpolated string of constants and loop counters (<c>$"layer{i}"</c>).</summary>
    private bool TryConstantString(ExpressionSyntax expression, out string? text)
    {
        text = _model.GetConstantValue(expression).Value as string;
        if (text is not null) return true;
        if (expression is not InterpolatedStringExpressionSyntax interpolated) return false;
        var builder = new System.Text.StringBuilder();
        foreach (var content in interpolated.Contents)
        {
            switch (content)
            {
                case InterpolatedStringTextSyntax literal:
                    builder.Append(literal.TextToken.ValueText);
                    break;
                case InterpolationSyntax hole:
                {
                    object? value = _model.GetConstantValue(hole.Expression).Value;
                    if (value is null && _model.GetSymbolInfo(hole.Expression).Symbol is ILocalSymbol local && _locals.TryGetValue(local, out var known) && !known.IsTensor)
                        value = known.Constant;
                    if (value is null) return false;
                    string format = "{0" + (hole.AlignmentClause is { } alignment ? "," + alignment.Value : "") + (hole.FormatClause is { } clause ? ":" + clause.FormatStringToken.ValueText : "") + "}";
                    builder.Append(string.Format(CultureInfo.InvariantCulture, format, value));
                    break;
                }
            }
        }
        text = builder.ToString();
        return true;
    }
}
