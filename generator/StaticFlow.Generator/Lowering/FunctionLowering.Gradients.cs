using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    /// <summary>
    /// The forward ops of a function that takes gradients (it calls <c>Gradients.Of</c> or is a <c>[TrainStep]</c>),
    /// in the order they were added, with every read of each variable: what backpropagation walks.
    /// </summary>
    private sealed class ForwardRecord(bool enabled)
    {
        public bool Enabled { get; } = enabled;
        public List<ForwardNode> Nodes { get; } = new();
        public Dictionary<string, List<Value>> VariableReads { get; } = new(StringComparer.Ordinal);

        public void Record(string node, OpSchema schema, EquatableArray<AttrModel> attrs, IReadOnlyList<Value> inputs, IReadOnlyList<Value> outputs)
        {
            if (Enabled) Nodes.Add(new LoweredNode(node, schema, attrs, inputs.Select(Built).ToList(), outputs.Select(Built).ToList()));
        }

        /// <summary>Records a node that brings its own gradient rule (a while loop).</summary>
        public void Add(ForwardNode node)
        {
            if (Enabled) Nodes.Add(node);
        }

        public void RecordRead(string variable, Value value)
        {
            if (!Enabled) return;
            if (!VariableReads.TryGetValue(variable, out var reads)) VariableReads[variable] = reads = new List<Value>();
            reads.Add(value);
        }
    }

    private static BuiltTensor Built(Value value) => new(value.Reference!, value.DType, value.Shape);

    private static Value Unbuilt(BuiltTensor tensor) => Value.Tensor((string)tensor.Handle, tensor.DType, tensor.Shape);

    /// <summary>A node of the lowered graph as backpropagation sees it.</summary>
    private sealed class LoweredNode(string name, OpSchema schema, EquatableArray<AttrModel> attrs, IReadOnlyList<BuiltTensor> inputs, IReadOnlyList<BuiltTensor> outputs) : ForwardNode
    {
        public override OpSchema Schema { get; } = schema;
        public override IReadOnlyList<BuiltTensor> Inputs { get; } = inputs;
        public override IReadOnlyList<BuiltTensor> Outputs { get; } = outputs;
        public override string Name { get; } = name;

        public override object? Attr(string attrName)
        {
            var attr = attrs.FirstOrDefault(a => a.Name == attrName);
            return attr?.Kind switch
            {
                AttrKind.Bool => attr.Number != 0,
                AttrKind.Int => (long)attr.Number,
                AttrKind.Float => attr.Number,
                AttrKind.String => attr.Text,
                AttrKind.Type => new TypeName(attr.Text),
                AttrKind.IntList => attr.Items.Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray(),
                _ => null,
            };
        }
    }

    /// <summary>Builds gradient (and optimizer) ops into the graph being lowered, reporting at <see cref="At"/>.</summary>
    private sealed class LoweringOpBuilder(FunctionLowering lowering, SyntaxNode at) : OpBuilder
    {
        public SyntaxNode At { get; } = at;

        public override IReadOnlyList<BuiltTensor> Emit(string op, IReadOnlyList<BuiltTensor[]> inputs, IReadOnlyList<BuiltAttr> attrs, IReadOnlyList<string?>? outputTypes = null)
        {
            var values = inputs.Select(argument => argument.Select(Unbuilt).ToArray()).ToList();
            var models = attrs.Select(ToModel).ToList();
            var outputs = lowering.AddOpOutputs(op, values, models, outputTypes ?? Array.Empty<string?>(), At)
                ?? throw new OpBuildException(AlreadyReported);
            return outputs.Where(o => o.DType.Length > 0).Select(Built).ToList();
        }

        public override BuiltTensor Constant(string dtype, long[] dims, double[] values)
        {
            bool real = dtype is "float" or "double" or "half" or "bfloat16";
            var texts = values.Select(v => real ? v.ToString("R", CultureInfo.InvariantCulture) : ((long)v).ToString(CultureInfo.InvariantCulture)).ToArray();
            return Built(lowering.AddConst(dtype, dims, texts));
        }

        public override long[]? IntValues(BuiltTensor tensor) =>
            lowering._constantInts.TryGetValue((string)tensor.Handle, out var values) ? values : null;

        private static AttrModel ToModel(BuiltAttr attr) => attr.Value switch
        {
            bool flag => Attrs.Bool(attr.Name, flag),
            long number => Attrs.Int(attr.Name, number),
            int number => Attrs.Int(attr.Name, number),
            double number => Attrs.Float(attr.Name, number),
            string text => Attrs.String(attr.Name, text),
            long[] numbers => Attrs.IntList(attr.Name, numbers),
            TypeName type => Attrs.Type(attr.Name, type.Name),
            _ => throw new InvalidOperationException($"attr {attr.Name} has an unsupported value {attr.Value}"),
        };
    }

    /// <summary>Marks an <see cref="OpBuildException"/> whose cause the lowering already reported.</summary>
    private const string AlreadyReported = "(reported)";

    /// <summary>Whether <paramref name="info"/> takes gradients, so its forward ops are recorded and its calls inlined.</summary>
    private static bool TakesGradients(ModuleLowering.FunctionInfo info) =>
        info.TrainStep is not null
        || info.Syntax.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i =>
            i.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Of", Expression: var owner } && owner.ToString().EndsWith("Gradients", StringComparison.Ordinal));

    /// <summary>
    /// <c>Gradients.Of(target, sources...)</c>: the backward graph of the ops recorded so far, built from each op's
    /// gradient rule. A source that is a <c>[Variable]</c> gets the sum of the gradients of all its reads.
    /// </summary>
    private Value? LowerGradientsOf(InvocationExpressionSyntax invocation, IMethodSymbol method)
    {
        var arguments = invocation.ArgumentList.Arguments;
        if (arguments.Count < 2 || TypeRules.TensorElement(method.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple ? tuple.TupleElements[0].Type : method.ReturnType) is not { } element)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"'{invocation}'", "write Gradients.Of(loss, source1, source2, ...)");
            return null;
        }
        string dtype = TypeRules.DTypeOf(element) ?? "float";
        Value? target = LowerTensor(arguments[0].Expression, dtype);
        if (target is null) return null;

        var groups = new List<(string Text, List<Value> Tensors)>();
        foreach (var argument in arguments.Skip(1))
        {
            if (_model.GetSymbolInfo(argument.Expression).Symbol is IFieldSymbol field && OwnVariable(field) is { } variable)
            {
                groups.Add((field.Name, _forward.VariableReads.TryGetValue(variable.Name, out var reads) ? reads : new List<Value>()));
                continue;
            }
            Value? source = LowerTensor(argument.Expression, dtype);
            if (source is null) return null;
            groups.Add((argument.ToString(), new List<Value> { source }));
        }
        var gradients = BuildGradients(target, groups, invocation, arguments[0].ToString(), requireEach: true);
        if (gradients is null) return null;
        return gradients.Count == 1 ? gradients[0] : Value.Tuple(gradients!);
    }

    /// <summary>
    /// The gradient of <paramref name="target"/> for each group of sources (summed within a group), null for a group
    /// the target does not depend on (SF0016 when <paramref name="requireEach"/>); null after a diagnostic.
    /// </summary>
    private List<Value?>? BuildGradients(Value target, List<(string Text, List<Value> Tensors)> groups, SyntaxNode at, string targetText, bool requireEach)
    {
        var flat = groups.SelectMany(g => g.Tensors).Select(Built).ToList();
        var builder = new LoweringOpBuilder(this, at);
        _nameScopes.Add("gradients");
        try
        {
            var stoppedAt = new List<string>();
            BuiltTensor?[] gradients = Backpropagation.Gradients(_forward.Nodes, Built(target), flat, builder, stoppedAt: stoppedAt);
            var result = new List<Value?>();
            int next = 0;
            foreach (var (text, tensors) in groups)
            {
                var parts = new List<BuiltTensor>();
                for (int i = 0; i < tensors.Count; i++)
                    if (gradients[next + i] is { } part) parts.Add(part);
                next += tensors.Count;
                if (parts.Count == 0 && !requireEach)
                {
                    result.Add(null);
                    continue;
                }
                if (parts.Count == 0)
                {
                    string why = stoppedAt.Count > 0
                        ? $"no gradient reaches it from '{targetText}': it stops at {string.Join(", ", stoppedAt.Distinct())} (integer tensors and ops TensorFlow does not differentiate carry no gradient)"
                        : $"'{targetText}' does not depend on it (TensorFlow's gradient would be None); leave it out";
                    Fail(GraphDiagnostics.GradientNotBuilt, at, text, why);
                    return null;
                }
                result.Add(Unbuilt(parts.Count == 1 ? parts[0] : builder.Emit("AddN", new[] { parts.ToArray() }, Array.Empty<BuiltAttr>())[0]));
            }
            return result;
        }
        catch (OpBuildException e)
        {
            if (e.Message != AlreadyReported) Fail(GraphDiagnostics.GradientNotBuilt, at, targetText, e.Message);
            else _failed = true;
            return null;
        }
        finally
        {
            _nameScopes.RemoveAt(_nameScopes.Count - 1);
        }
    }

    /// <summary>A call of another graph function, inlined under its name scope so gradients can flow through it.</summary>
    private Value? InlineCall(InvocationExpressionSyntax invocation, ModuleLowering.FunctionInfo callee) => InlineCall(invocation, callee, _instance);

    /// <summary>Inlines <paramref name="callee"/> here, its fields those of <paramref name="instance"/> (none for a static helper).</summary>
    private Value? InlineCall(InvocationExpressionSyntax invocation, ModuleLowering.FunctionInfo callee, ModuleInstance? instance)
    {
        if (_module.IsBeingLowered(callee.Method))
        {
            _module.ReportRecursion(callee.Method, invocation.GetLocation());
            _failed = true;
            return null;
        }
        var arguments = BindArguments(invocation, callee.Method);
        var values = new List<Value>();
        for (int i = 0; i < callee.Parameters.Count; i++)
        {
            if (callee.Parameters[i].DType.Length == 0)
            {
                // A constant parameter: the argument's value at compile time, or the parameter's default.
                var parameter = callee.Method.Parameters[i];
                Value? constant = arguments[i].Count == 1 ? Lower(arguments[i][0])
                    : parameter.HasExplicitDefaultValue ? DefaultConstant(parameter.ExplicitDefaultValue) : null;
                if (constant is null) { if (!_failed) Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"The call '{invocation}'", $"pass '{parameter.Name}'"); return null; }
                if (constant.IsTensor || constant.Constant is null)
                {
                    Fail(GraphDiagnostics.UnsupportedConstruct, arguments[i][0], $"The argument '{arguments[i][0]}'", $"'{parameter.Name}' is a constant of the graph: pass a literal, a constant or a member the constructor fixed");
                    return null;
                }
                values.Add(constant);
                continue;
            }
            if (arguments[i].Count != 1) { Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"The call '{invocation}'", "pass every tensor argument"); return null; }
            Value? value = LowerTensor(arguments[i][0], callee.Parameters[i].DType);
            if (value is null) return null;
            values.Add(value);
        }
        var inlined = new FunctionLowering(this, callee, instance);
        for (int i = 0; i < values.Count; i++) inlined._locals[callee.Method.Parameters[i]] = values[i];
        // Problems in another module's code (or a helper's) are reported at this call, in the caller's code.
        bool redirect = !SymbolEqualityComparer.Default.Equals(callee.Method.ContainingType, _module.Root.Type);
        if (redirect) _module.PushRedirect(invocation.GetLocation(), $"in {callee.Method.ContainingType.Name}.{callee.Method.Name}");
        _module.PushEntry(callee.Method);
        bool lowered = inlined.LowerBody();
        _module.PopEntry();
        if (redirect) _module.PopRedirect();
        if (!lowered || inlined._failed) { _failed = true; return null; }
        return callee.ReturnsTuple ? Value.Tuple(inlined._returns!.ToList()) : inlined._returns![0];
    }

    private static Value? DefaultConstant(object? value) => value switch
    {
        bool flag => Value.Const(flag),
        int or long or short or byte => Value.Const(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
        float or double => Value.Const(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        _ => null,
    };

    /// <summary>A call of a <c>[Composite]</c> method (a loss or metric): the shared composite expanded into ops here.</summary>
    private Value? LowerCompositeCall(InvocationExpressionSyntax invocation, IMethodSymbol method, AttributeData attribute)
    {
        string name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
        if (CompositeOps.Find(name) is not { } composite)
        {
            Fail(GraphDiagnostics.UnknownOp, invocation, name, method.ContainingType.Name + "." + method.Name);
            return null;
        }
        var arguments = BindArguments(invocation, method);
        var inputs = new List<BuiltTensor>();
        var options = new Dictionary<string, object>(StringComparer.Ordinal);
        for (int p = 0; p < method.Parameters.Length; p++)
        {
            var parameter = method.Parameters[p];
            var given = arguments[p];
            if (TypeRules.TensorElement(parameter.Type) is { } element)
            {
                if (given.Count != 1) { Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"The argument for '{parameter.Name}'", "pass one tensor"); return null; }
                Value? value = LowerTensor(given[0], TypeRules.DTypeOf(element) ?? "float");
                if (value is null) return null;
                inputs.Add(Built(value));
                continue;
            }
            object? constant = given.Count == 0 ? (parameter.HasExplicitDefaultValue ? parameter.ExplicitDefaultValue : null) : _model.GetConstantValue(given[0]).Value;
            switch (constant)
            {
                case bool flag: options[parameter.Name] = flag; break;
                case double or float or int or long: options[parameter.Name] = Convert.ToDouble(constant, CultureInfo.InvariantCulture); break;
                default:
                    Fail(GraphDiagnostics.AttrNotConstant, given.Count > 0 ? given[0] : invocation, given.Count > 0 ? given[0].ToString() : parameter.Name, parameter.Name, name);
                    return null;
            }
        }
        try
        {
            return Unbuilt(composite(new LoweringOpBuilder(this, invocation), inputs, options));
        }
        catch (OpBuildException e)
        {
            if (e.Message != AlreadyReported) Fail(GraphDiagnostics.UnsupportedConstruct, invocation, $"'{invocation}'", e.Message);
            else _failed = true;
            return null;
        }
    }
}
