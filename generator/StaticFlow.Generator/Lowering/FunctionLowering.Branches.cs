using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

// A tensor `if` whose branches write module variables or return: an If (StatelessIf without variables) whose
// branches are library functions, so only the taken branch runs, as in eager C#.
internal sealed partial class FunctionLowering
{
    /// <summary>Whether a branch of <paramref name="statement"/> writes a module variable or returns (side-effect-free branches merge with SelectV2).</summary>
    private bool NeedsBranchFunctions(IfStatementSyntax statement) =>
        statement.DescendantNodes().Any(n => n is ReturnStatementSyntax
            || n is AssignmentExpressionSyntax assignment && _model.GetSymbolInfo(assignment.Left).Symbol is IFieldSymbol field && OwnVariable(field) is not null);

    /// <param name="statement">The if.</param>
    /// <param name="condition">Its condition, one bool.</param>
    /// <param name="rest">For an early return (<c>if (c) return a;</c> with no else), the statements after the if up to the function's return: the else branch.</param>
    private void LowerIfWithBranchFunctions(IfStatementSyntax statement, Value condition, IReadOnlyList<StatementSyntax>? rest)
    {
        var thenReturns = EndsWithReturn(statement.Statement);
        var elseReturns = rest is not null ? rest.Count > 0 && rest[rest.Count - 1] is ReturnStatementSyntax
            : statement.Else is { } otherwise && EndsWithReturn(otherwise.Statement);
        if (thenReturns != elseReturns)
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, statement, "A return in one branch of a tensor if that the function does not end after",
                "return after the if at the end of the same block (if (c) return a; ... return b;), end both branches with a return, or assign a local in each and return it after the if");
            return;
        }
        bool returns = thenReturns;
        // The branches' syntax: the else branch of an early return is the rest of the block.
        var branches = rest is null ? new SyntaxNode[] { statement } : new SyntaxNode[] { statement }.Concat(rest).ToArray();
        if (!returns && statement.DescendantNodes().Any(n => n is ReturnStatementSyntax))
        {
            // Branches that merge locals cannot also leave the function (a return under a constant if inside them).
            Fail(GraphDiagnostics.UnsupportedConstruct, statement, "A return inside a tensor if whose branches do not both return",
                "end both branches with a return, or assign a local in each and return it after the if");
            return;
        }

        // Inputs: the tensors the branches read (in order of first mention), then the variables' handles.
        var inputs = new List<ISymbol>();
        var variables = new List<VariableModel>();
        foreach (var name in branches.SelectMany(b => b.DescendantNodes()).OfType<IdentifierNameSyntax>())
        {
            var symbol = _model.GetSymbolInfo(name).Symbol;
            if (symbol is ILocalSymbol or IParameterSymbol && _locals.TryGetValue(symbol, out var value) && value.IsTensor && !inputs.Contains(symbol, SymbolEqualityComparer.Default))
                inputs.Add(symbol);
            if (symbol is IFieldSymbol field && OwnVariable(field) is { } variable && !variables.Contains(variable)) variables.Add(variable);
        }
        // Outputs: the returned values, or every local declared before the if that a branch assigns.
        var merged = returns ? new List<ISymbol>() : statement.DescendantNodes().OfType<AssignmentExpressionSyntax>()
            .Select(a => _model.GetSymbolInfo(a.Left).Symbol)
            .Where(s => s is ILocalSymbol or IParameterSymbol && _locals.ContainsKey(s) && !s.DeclaringSyntaxReferences.Any(r => statement.Span.Contains(r.Span)))
            .Distinct(SymbolEqualityComparer.Default).Cast<ISymbol>().ToList();
        foreach (var symbol in merged)
            if (!_locals[symbol].IsTensor)
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, $"Changing the constant '{symbol.Name}' under a tensor condition", "a constant cannot depend on a tensor; make it a tensor");
                return;
            }

        string baseName = _module.UniqueLibraryName($"{_info.Method.ContainingType.Name}_{_info.Method.Name}_if");
        var thenBranch = LowerBranchFunction(baseName + "_then", inputs, variables, merged, statement, [statement.Statement], returns, out var thenWritten, out var thenValues);
        if (thenBranch is null) { _failed = true; return; }
        IReadOnlyList<StatementSyntax> elseStatements = rest ?? (statement.Else is { } elseClause ? [elseClause.Statement] : []);
        var elseBranch = LowerBranchFunction(baseName + "_else", inputs, variables, merged, statement, elseStatements, returns, out var elseWritten, out var elseValues);
        if (elseBranch is null) { _failed = true; return; }
        for (int i = 0; i < thenValues.Count; i++)
        {
            if (thenValues[i].DType != elseValues[i].DType)
            {
                Fail(GraphDiagnostics.UnsupportedConstruct, statement, "Branches that give different dtypes", $"output {i} is {thenValues[i].DType} in one branch and {elseValues[i].DType} in the other");
                return;
            }
        }
        _module.AddLibraryFunction(thenBranch);
        _module.AddLibraryFunction(elseBranch);

        string op = variables.Count > 0 ? "If" : "StatelessIf";
        var schema = ModuleLowering.Schemas[op];
        var inputValues = inputs.Select(s => _locals[s]).ToList();
        var attrs = Attrs.Complete(schema, new[]
        {
            Attrs.Type("Tcond", "bool"),
            Attrs.TypeList("Tin", inputValues.Select(v => v.DType).Concat(variables.Select(_ => "resource"))),
            Attrs.TypeList("Tout", thenValues.Select(v => v.DType)),
            Attrs.Func("then_branch", thenBranch.Name), Attrs.Func("else_branch", elseBranch.Name),
        });
        string node = _graph.UniqueName(Scope, "cond");
        var written = thenWritten.Concat(elseWritten).Distinct().ToList();
        var nodeInputs = new[] { condition.Reference! }.Concat(inputValues.Select(v => v.Reference!)).Concat(variables.Select(v => VariableHandle(v.Name)))
            .Concat(_order.Before(variables.Select(v => v.Name).Except(written), written)).ToList();
        _graph.Add(new NodeModel(node, op, nodeInputs.ToEquatable(), Device, attrs), schema);
        foreach (var variable in variables)
            if (written.Contains(variable.Name)) _order.Wrote(variable.Name, node);
            else _order.Read(variable.Name, node);
        // An output keeps a static shape both branches agree on.
        var outputs = thenValues.Select((v, i) => Value.Tensor(_graph.OutputReference(node, i), v.DType,
            v.Shape is { } a && elseValues[i].Shape is { } b && a.SequenceEqual(b) ? a : null)).ToList();

        if (written.Count > 0)
        {
            _stateNodes.Add(node);
            _written.AddRange(written);
            foreach (var variable in variables.Where(v => written.Contains(v.Name)))
            {
                // Later reads see what the taken branch wrote: a read ordered after the If.
                string read = _graph.UniqueName(Scope, "ReadVariableOp");
                AddRawNode(read, "ReadVariableOp", new[] { VariableHandle(variable.Name), "^" + node }, new[] { Attrs.Type("dtype", variable.DType) });
                _order.Read(variable.Name, read);
                _assignedVariables[variable.Name] = Value.Tensor(_graph.OutputReference(read, 0), variable.DType, variable.Shape.ToArray());
            }
        }
        if (returns)
        {
            _returns = outputs;
            _returnedInBranch = true;
        }
        else
            for (int i = 0; i < merged.Count; i++) _locals[merged[i]] = outputs[i];
    }

    /// <summary>Whether both branches of <paramref name="statement"/> (the else being <paramref name="rest"/> for an early return) end with a return, and neither writes a module variable.</summary>
    private bool ReturnsWithoutWrites(IfStatementSyntax statement, IReadOnlyList<StatementSyntax>? rest)
    {
        bool elseReturns = rest is not null ? rest.Count > 0 && rest[rest.Count - 1] is ReturnStatementSyntax : statement.Else is { } otherwise && EndsWithReturn(otherwise.Statement);
        if (!EndsWithReturn(statement.Statement) || !elseReturns) return false;
        var nodes = statement.DescendantNodes().Concat(rest?.SelectMany(r => r.DescendantNodes()) ?? Enumerable.Empty<SyntaxNode>());
        return !nodes.Any(n => n is AssignmentExpressionSyntax assignment && _model.GetSymbolInfo(assignment.Left).Symbol is IFieldSymbol field && OwnVariable(field) is not null);
    }

    /// <summary>
    /// A tensor <c>if</c> whose branches both return, in a function that takes gradients: gradients flow through
    /// SelectV2 but not through an If's branch functions, so both branches are computed and their returned values
    /// selected, as TensorFlow 1's <c>tf.cond</c> is differentiated (the untaken branch's gradient is zero; a NaN or
    /// infinity it computes stays out of the result but may reach the gradient, as with <c>tf.where</c>).
    /// </summary>
    private bool LowerReturningIfAsSelect(IfStatementSyntax statement, Value condition, IReadOnlyList<StatementSyntax>? rest)
    {
        var before = new Dictionary<ISymbol, Value>(_locals, SymbolEqualityComparer.Default);
        int outerMergeDepth = _returnMergeDepth;
        _returnMergeDepth = ++_selectDepth;
        IReadOnlyList<Value>? Branch(IReadOnlyList<StatementSyntax> statements)
        {
            _returns = null;
            _returnedInBranch = false;
            _locals.Clear();
            foreach (var pair in before) _locals[pair.Key] = pair.Value;
            if (statements.Count == 1) LowerNested(statements[0]);
            else LowerBlock(statements, topLevel: false);
            return _returns;
        }
        var thenValues = Branch(new[] { statement.Statement });
        var elseValues = Branch(rest ?? new[] { statement.Else!.Statement });
        _selectDepth--;
        _returnMergeDepth = outerMergeDepth;
        _locals.Clear();
        foreach (var pair in before) _locals[pair.Key] = pair.Value;
        _returns = null;
        if (_failed || thenValues is null || elseValues is null || thenValues.Count != elseValues.Count)
        {
            _failed = true;
            return rest is not null;
        }
        var merged = new List<Value>();
        for (int i = 0; i < thenValues.Count; i++)
        {
            string dtype = _info.Outputs[i].DType;
            var value = AddOp("SelectV2", new[] { new[] { condition }, new[] { Materialize(thenValues[i], dtype) }, new[] { Materialize(elseValues[i], dtype) } },
                new List<AttrModel>(), new[] { dtype }, statement);
            if (value is null) return rest is not null;
            merged.Add(value);
        }
        _returns = merged;
        _returnedInBranch = true;
        return rest is not null;
    }

    private static bool EndsWithReturn(StatementSyntax statement) =>
        statement is ReturnStatementSyntax || statement is BlockSyntax { Statements: { Count: > 0 } statements } && statements[statements.Count - 1] is ReturnStatementSyntax;

    /// <summary>
    /// One branch as a library function: its arguments are the inputs' values then the variables' handles; its
    /// results the returned values, or each merged local's value at the end of the branch (its input when the
    /// branch leaves it alone). A missing else branch passes the locals through.
    /// </summary>
    private FunctionDefModel? LowerBranchFunction(string name, List<ISymbol> inputs, List<VariableModel> variables, List<ISymbol> merged, IfStatementSyntax statement,
        IReadOnlyList<StatementSyntax> branch, bool returns, out List<string> written, out List<Value> results)
    {
        written = new List<string>();
        results = new List<Value>();
        var inner = InnerFunction("input_", inputs, variables, loopBody: false, out var graph, out var args);
        if (branch.Count == 1) inner.LowerNested(branch[0]);
        else inner.LowerBlock(branch, topLevel: false);
        if (inner._failed) return null;
        if (returns)
        {
            if (inner._returns is null) return null;
            results.AddRange(inner._returns.Select((v, i) => inner.Materialize(v, _info.Outputs[i].DType)));
        }
        else
            foreach (var symbol in merged) results.Add(inner.Materialize(inner._locals[symbol], _locals[symbol].DType));
        if (inner._captures.Any(c => !variables.Any(v => v.Name == c)))
        {
            Fail(GraphDiagnostics.UnsupportedConstruct, branch.Count == 1 ? branch[0] : statement, "A call in a tensor if of a graph function that reads variables the branch does not name", "read them in the branch itself");
            return null;
        }

        var outputs = new List<ArgModel>();
        var returnsList = new List<string>();
        for (int i = 0; i < results.Count; i++)
        {
            // Results wait for the branch's writes.
            string output = "output_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string node = graph.UniqueName("", "Identity");
            inner.AddRawNode(node, "Identity", new[] { results[i].Reference! }.Concat(inner._stateNodes.Select(s => "^" + s)), new[] { Attrs.Type("T", results[i].DType) });
            outputs.Add(new ArgModel(output, results[i].DType));
            returnsList.Add(output + "=" + graph.OutputReference(node, 0));
        }
        written = inner._written.Distinct().ToList();
        return new FunctionDefModel(name, args.ToEquatable(), outputs.ToEquatable(), graph.Nodes.ToEquatable(), returnsList.ToEquatable(),
            IsStateful: variables.Count > 0, EquatableArray<string>.Empty, EquatableArray<string>.Empty);
    }
}
