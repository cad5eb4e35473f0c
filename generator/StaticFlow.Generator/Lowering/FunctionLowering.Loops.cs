using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

internal sealed partial class FunctionLowering
{
    /// <summary>
    /// <c>while (tensorCondition) { ... }</c> becomes a <c>StatelessWhile</c>: the loop's state is every tensor local or
    /// parameter the loop mentions (in order of first mention), carried through a condition function and a body
    /// function added to the library; after the loop each of them is the While's matching output.
    /// </summary>
    private void LowerWhile(WhileStatementSyntax loop)
    {
        if (_model.GetConstantValue(loop.Condition).HasValue)
        {
            Fail(GraphDiagnostics.LoopNotLowerable, loop, $"the condition '{loop.Condition}' is a constant, so the loop never runs or never ends");
            return;
        }
        var carried = new List<ISymbol>();
        foreach (var name in loop.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            // A [Variable] field is a value here when an enclosing loop carries it (read once before that loop).
            if (_model.GetSymbolInfo(name).Symbol is { } symbol and (ILocalSymbol or IParameterSymbol or IFieldSymbol)
                && _locals.TryGetValue(symbol, out var value) && value.IsTensor && !carried.Contains(symbol, SymbolEqualityComparer.Default))
                carried.Add(symbol);
        }
        if (carried.Count == 0)
        {
            Fail(GraphDiagnostics.LoopNotLowerable, loop, "the loop reads no tensor local or parameter, so its condition cannot change");
            return;
        }
        // Module variables the loop reads or writes travel as resource handles beside the carried values (the loop
        // is then a stateful While); a write inside is seen by every later read, in the loop and after it.
        var variables = new List<VariableModel>();
        foreach (var name in loop.DescendantNodes().OfType<IdentifierNameSyntax>())
            if (_model.GetSymbolInfo(name).Symbol is IFieldSymbol field && !_locals.ContainsKey(field) && OwnVariable(field) is { } variable && !variables.Contains(variable))
                variables.Add(variable);
        if (_selectDepth > 0)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, loop, "A while loop under a tensor condition", "move the loop out of the if");
            return;
        }

        // Writes made before the loop are in the variables already: the loop reads them afresh.
        foreach (var variable in variables) _assignedVariables.Remove(variable.Name);

        // In a function that takes gradients, a variable the loop only reads is read once before it and carried, so
        // its gradient reaches that read; and the loop keeps each iteration's entering values on TensorLists (the
        // accumulators of TensorFlow's while_v2) for the backward loop to pop.
        bool accumulate = _forward.Enabled;
        var hoisted = new List<ISymbol>();
        if (accumulate)
        {
            foreach (var name in loop.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (_model.GetSymbolInfo(name).Symbol is not IFieldSymbol field || OwnVariable(field) is not { } variable
                    || !variables.Contains(variable) || hoisted.Contains(field, SymbolEqualityComparer.Default) || AssignsInLoop(loop, field)) continue;
                _locals[field] = ReadVariable(variable, name);
                hoisted.Add(field);
                carried.Add(field);
                variables.Remove(variable);
            }
        }

        string baseName = _module.UniqueLibraryName($"{_info.Method.ContainingType.Name}_{_info.Method.Name}_while");
        var cond = LowerLoopFunction(baseName + "_cond", carried, variables, loop.Condition, null, accumulate, out _);
        var body = LowerLoopFunction(baseName + "_body", carried, variables, null, loop.Statement, accumulate, out var written);
        if (cond is null || body is null) { _failed = true; return; }
        _module.AddLibraryFunction(cond);
        _module.AddLibraryFunction(body);

        var values = carried.Select(s => _locals[s]).ToList();
        var accumulators = new List<Value>();
        if (accumulate)
            foreach (var value in values)
            {
                var empty = AddOpOutputs("EmptyTensorList", new[] { new[] { AddConst("int32", Array.Empty<long>(), new[] { "-1" }) }, new[] { AddConst("int32", Array.Empty<long>(), new[] { "-1" }) } },
                    new List<AttrModel> { Attrs.Type("element_dtype", value.DType) }, Array.Empty<string?>(), loop, "accumulator");
                if (empty is null) { _failed = true; return; }
                accumulators.Add(empty[0]);
            }
        string op = variables.Count > 0 ? "While" : "StatelessWhile";
        var schema = ModuleLowering.Schemas[op];
        var attrs = Attrs.Complete(schema, new[]
        {
            Attrs.TypeList("T", values.Select(v => v.DType).Concat(variables.Select(_ => "resource")).Concat(accumulators.Select(_ => "variant"))),
            Attrs.Func("cond", cond.Name), Attrs.Func("body", body.Name),
        });
        string node = _graph.UniqueName(Scope, "while");
        var inputs = values.Select(v => v.Reference!).Concat(variables.Select(v => VariableHandle(v.Name))).Concat(accumulators.Select(a => a.Reference!))
            .Concat(_order.Before(variables.Select(v => v.Name).Except(written), written)).ToList();
        _graph.Add(new NodeModel(node, op, inputs.ToEquatable(), Device, attrs), schema);
        if (accumulate)
        {
            var outputs = values.Select((v, i) => Value.Tensor(_graph.OutputReference(node, i), v.DType, v.Shape)).ToList();
            var filled = accumulators.Select((_, i) => Value.Tensor(_graph.OutputReference(node, values.Count + variables.Count + i), "variant", Array.Empty<long>())).ToList();
            string loopName = node;
            bool writes = written.Count > 0;
            var loopCarried = carried.ToList();
            _forward.Add(new LoopNode(node, schema, values.Select(Built).ToList(), outputs.Select(Built).ToList(),
                context => BackwardLoop(loop, loopName, baseName, loopCarried, values, filled, writes, context)));
        }
        foreach (var field in hoisted) _locals.Remove(field);
        carried.RemoveAll(s => hoisted.Contains(s, SymbolEqualityComparer.Default));
        foreach (var variable in variables)
            if (written.Contains(variable.Name)) _order.Wrote(variable.Name, node);
            else _order.Read(variable.Name, node);
        for (int i = 0; i < carried.Count; i++)
            _locals[carried[i]] = Value.Tensor(_graph.OutputReference(node, i), values[i].DType, values[i].Shape);
        if (written.Count > 0)
        {
            // The function's outputs wait for the loop's writes, as they wait for any assignment, and later reads of
            // a written variable read after the loop (a control input), not the value it entered with.
            _stateNodes.Add(node);
            _written.AddRange(written);
            foreach (var variable in variables.Where(v => written.Contains(v.Name)))
            {
                string read = _graph.UniqueName(Scope, "ReadVariableOp");
                AddRawNode(read, "ReadVariableOp", new[] { VariableHandle(variable.Name), "^" + node }, new[] { Attrs.Type("dtype", variable.DType) });
                _order.Read(variable.Name, read);
                _assignedVariables[variable.Name] = Value.Tensor(_graph.OutputReference(read, 0), variable.DType, variable.Shape.ToArray());
            }
        }
    }

    /// <summary>
    /// Lowers a while loop's condition (one bool output) or body (the carried values after one iteration) as a
    /// library function whose arguments are the carried values. Constants of the enclosing function stay visible.
    /// </summary>
    private FunctionDefModel? LowerLoopFunction(string name, List<ISymbol> carried, List<VariableModel> variables, ExpressionSyntax? condition, StatementSyntax? body,
        bool accumulate, out List<string> written)
    {
        written = new List<string>();
        var inner = InnerFunction("loop_", carried, variables, loopBody: true, out var graph, out var inputs);
        inner.ReadHoistedVariablesFromLocals(carried);
        var accumulators = new List<string>();
        if (accumulate)
            for (int i = 0; i < carried.Count; i++)
            {
                string arg = "accumulator_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_" + carried[i].Name;
                graph.Reserve(arg);
                accumulators.Add(arg);
            }
        var enteringArgs = inputs.Take(carried.Count).ToList();
        inputs.AddRange(accumulators.Select(a => new ArgModel(a, "variant")));

        var results = new List<(string Name, Value Value)>();
        if (condition is not null)
        {
            Value? test = inner.Lower(condition);
            if (test is null) return null;
            if (!test.IsTensor || test.DType != "bool")
            {
                inner.Fail(GraphDiagnostics.UnsupportedConstruct, condition, $"The condition '{condition}'", "a while condition is a scalar Tensor<bool>");
                return null;
            }
            results.Add(("output", test));
        }
        else
        {
            inner.LowerNested(body!);
            if (inner._failed) return null;
            for (int i = 0; i < carried.Count; i++)
            {
                long[]? entering = _locals[carried[i]].Shape, leaving = inner._locals[carried[i]].Shape;
                if (entering is not null && leaving is not null && !ShapesAgree(entering, leaving))
                {
                    Fail(GraphDiagnostics.LoopNotLowerable, body!, $"the loop changes the shape of '{carried[i].Name}' from {ShapeRules.Format(entering)} to {ShapeRules.Format(leaving)}, and a while loop keeps each value's shape (TensorFlow's shape invariant)");
                    return null;
                }
                results.Add((inputs[i].Name + "_next", inner.Materialize(inner._locals[carried[i]], inputs[i].DType)));
            }
        }
        if (inner._failed) return null;
        if (inner._captures.Any(c => !variables.Any(v => v.Name == c)))
        {
            // A call of a graph function that reads variables the loop's own code does not name.
            Fail(GraphDiagnostics.LoopNotLowerable, (SyntaxNode?)condition ?? body!, "a while loop cannot call graph functions that read module variables it does not read itself");
            return null;
        }

        var outputs = new List<ArgModel>();
        var returns = new List<string>();
        foreach (var (output, value) in results)
        {
            // The body's results wait for its writes, so the next iteration reads what this one wrote.
            string node = graph.UniqueName("", "Identity");
            inner.AddRawNode(node, "Identity", new[] { value.Reference! }.Concat(condition is null ? inner._stateNodes.Select(s => "^" + s) : Enumerable.Empty<string>()),
                new[] { Attrs.Type("T", value.DType) });
            outputs.Add(new ArgModel(output, value.DType));
            returns.Add(output + "=" + graph.OutputReference(node, 0));
        }
        if (condition is null)
        {
            // The handles pass through unchanged: While's outputs are its loop variables.
            foreach (var variable in variables)
            {
                string arg = CaptureArgName(variable.Name);
                outputs.Add(new ArgModel(arg + "_next", "resource"));
                returns.Add(arg + "_next=" + arg);
            }
            // Each accumulator gets the values this iteration entered with.
            for (int i = 0; i < accumulators.Count; i++)
            {
                var entering = Value.Tensor(enteringArgs[i].Name, enteringArgs[i].DType, _locals[carried[i]].Shape);
                var pushed = inner.AddOpOutputs("TensorListPushBack", new[] { new[] { Value.Tensor(accumulators[i], "variant", Array.Empty<long>()) }, new[] { entering } },
                    new List<AttrModel>(), Array.Empty<string?>(), body!);
                if (pushed is null) return null;
                outputs.Add(new ArgModel(accumulators[i] + "_next", "variant"));
                returns.Add(accumulators[i] + "_next=" + pushed[0].Reference);
            }
        }
        written = inner._written.Distinct().ToList();
        return new FunctionDefModel(name, inputs.ToEquatable(), outputs.ToEquatable(), graph.Nodes.ToEquatable(), returns.ToEquatable(),
            IsStateful: variables.Count > 0, EquatableArray<string>.Empty, EquatableArray<string>.Empty);
    }

    /// <summary>
    /// A lowering for a library function that a loop or a tensor if calls: the caller's constants and modules stay
    /// visible; its arguments are <paramref name="symbols"/>' current tensors (<c>prefix + i + name</c>, each keeping
    /// its shape: TensorFlow's shape invariant for loops), then one resource per variable, named as the inner lowering
    /// names a variable's handle (its capture argument).
    /// </summary>
    private FunctionLowering InnerFunction(string prefix, List<ISymbol> symbols, List<VariableModel> variables, bool loopBody, out GraphBuilder graph, out List<ArgModel> args)
    {
        graph = new GraphBuilder(isFunctionBody: true);
        var inner = new FunctionLowering(_module, _info, graph, "", isLibrary: true) { _instance = _instance, _inLoopBody = loopBody };
        foreach (var pair in _locals)
            if (!pair.Value.IsTensor && (pair.Value.Constant is not null || pair.Value.Module is not null || pair.Value.Modules is not null)) inner._locals[pair.Key] = pair.Value;
        args = new List<ArgModel>();
        for (int i = 0; i < symbols.Count; i++)
        {
            string arg = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_" + symbols[i].Name;
            graph.Reserve(arg);
            args.Add(new ArgModel(arg, _locals[symbols[i]].DType));
            inner._locals[symbols[i]] = Value.Tensor(arg, _locals[symbols[i]].DType, _locals[symbols[i]].Shape);
        }
        foreach (var variable in variables)
        {
            string arg = CaptureArgName(variable.Name);
            graph.Reserve(arg);
            args.Add(new ArgModel(arg, "resource"));
        }
        return inner;
    }

    private static bool ShapesAgree(long[] a, long[] b) =>
        a.Length == b.Length && a.Zip(b, (x, y) => x < 0 || y < 0 || x == y).All(same => same);
}
