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
    /// A while loop as backpropagation sees it: the values it carries in and out. Its gradient is a second loop
    /// (see <see cref="BackwardLoop"/>), so it brings its own rule instead of its op's.
    /// </summary>
    private sealed class LoopNode(string name, OpSchema schema, IReadOnlyList<BuiltTensor> inputs, IReadOnlyList<BuiltTensor> outputs, GradientFunction gradient) : ForwardNode
    {
        public override OpSchema Schema { get; } = schema;
        public override IReadOnlyList<BuiltTensor> Inputs { get; } = inputs;
        public override IReadOnlyList<BuiltTensor> Outputs { get; } = outputs;
        public override string Name { get; } = name;
        public override GradientFunction? Gradient { get; } = gradient;
        public override object? Attr(string name) => null;
    }

    /// <summary>Reads of the [Variable] fields a loop carries (read once before it) read the carried value instead of the variable.</summary>
    private void ReadHoistedVariablesFromLocals(List<ISymbol> carried)
    {
        foreach (var field in carried.OfType<IFieldSymbol>())
            if (OwnVariable(field) is { } variable) _assignedVariables[variable.Name] = _locals[field];
    }

    /// <summary>True when the loop assigns <paramref name="field"/> (<c>w = ...</c>, <c>w += ...</c>).</summary>
    private bool AssignsInLoop(WhileStatementSyntax loop, IFieldSymbol field) =>
        loop.DescendantNodes().OfType<AssignmentExpressionSyntax>()
            .Any(a => SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(a.Left).Symbol, field));

    /// <summary>
    /// The gradient of a while loop, as TensorFlow's while_v2 builds it: a backward <c>While</c> that runs once per
    /// forward iteration, last first. Where TensorFlow pushes every intermediate the gradient needs, the forward loop
    /// here pushes only the values each iteration entered with, and the backward body pops them and runs the loop's
    /// body again (the same C# statements, lowered once more) before backpropagating through it: memory for the loop
    /// state alone, at the cost of computing each iteration twice. The backward loop carries the gradients of the
    /// loop's floating-point values and the accumulators, and ends when they are empty.
    /// </summary>
    private BuiltTensor?[] BackwardLoop(WhileStatementSyntax loop, string forwardNode, string baseName, List<ISymbol> carried,
        List<Value> entering, List<Value> accumulators, bool writesVariables, GradientContext context)
    {
        if (writesVariables)
            throw new OpBuildException($"the while loop '{forwardNode}' writes module variables, and gradients through such a loop are not built yet; compute the loop's values into locals and assign the variables after it");
        var differentiable = Enumerable.Range(0, carried.Count).Where(i => Backpropagation.IsFloating(entering[i].DType)).ToList();
        var result = new BuiltTensor?[carried.Count];
        if (differentiable.Count == 0) return result;

        string gradName = _module.UniqueLibraryName(baseName + "_grad");
        var cond = BackwardLoopCondition(gradName + "_cond", differentiable.Select(i => entering[i]).ToList(), accumulators.Count);
        var body = BackwardLoopBody(gradName + "_body", loop, carried, entering, differentiable);
        if (body is null) throw new OpBuildException(AlreadyReported);
        _module.AddLibraryFunction(cond);
        _module.AddLibraryFunction(body);

        var seeds = differentiable.Select(i => Unbuilt(context.Dy(i))).ToList();
        var schema = ModuleLowering.Schemas["StatelessWhile"];
        var attrs = Attrs.Complete(schema, new[]
        {
            Attrs.TypeList("T", seeds.Select(v => v.DType).Concat(accumulators.Select(_ => "variant"))), Attrs.Func("cond", cond.Name), Attrs.Func("body", body.Name),
        });
        string node = _graph.UniqueName(Scope, "while_grad");
        _graph.Add(new NodeModel(node, "StatelessWhile", seeds.Concat(accumulators).Select(v => v.Reference!).ToEquatable(), Device, attrs), schema);
        for (int d = 0; d < differentiable.Count; d++)
            result[differentiable[d]] = Built(Value.Tensor(_graph.OutputReference(node, d), entering[differentiable[d]].DType, entering[differentiable[d]].Shape));
        return result;
    }

    /// <summary>The backward loop runs while the accumulators hold values.</summary>
    private FunctionDefModel BackwardLoopCondition(string name, List<Value> gradients, int accumulatorCount)
    {
        var graph = new GraphBuilder(isFunctionBody: true);
        var inner = new FunctionLowering(_module, _info, graph, "", isLibrary: true) { _instance = _instance, _inLoopBody = true };
        var args = gradients.Select((g, i) => new ArgModel(GradientArg(i), g.DType))
            .Concat(Enumerable.Range(0, accumulatorCount).Select(i => new ArgModel(AccumulatorArg(i), "variant"))).ToList();
        foreach (var arg in args) graph.Reserve(arg.Name);
        string length = graph.UniqueName("", "TensorListLength");
        inner.AddRawNode(length, "TensorListLength", new[] { AccumulatorArg(0) }, Array.Empty<AttrModel>());
        var zero = inner.AddConst("int32", Array.Empty<long>(), new[] { "0" });
        string more = graph.UniqueName("", "Greater");
        inner.AddRawNode(more, "Greater", new[] { graph.OutputReference(length, 0), zero.Reference! }, new[] { Attrs.Type("T", "int32") });
        return new FunctionDefModel(name, args.ToEquatable(), new[] { new ArgModel("output", "bool") }.ToEquatable(), graph.Nodes.ToEquatable(),
            new[] { "output=" + graph.OutputReference(more, 0) }.ToEquatable(), IsStateful: false, EquatableArray<string>.Empty, EquatableArray<string>.Empty);
    }

    /// <summary>
    /// One backward iteration: pop the values the matching forward iteration entered with, run the loop body on them
    /// again, and backpropagate the incoming gradients of its results to gradients of those values.
    /// </summary>
    private FunctionDefModel? BackwardLoopBody(string name, WhileStatementSyntax loop, List<ISymbol> carried, List<Value> entering, List<int> differentiable)
    {
        var graph = new GraphBuilder(isFunctionBody: true);
        // Recorded whatever function the loop was inlined from: backpropagation walks this body.
        var inner = new FunctionLowering(_module, _info, graph, "", isLibrary: true, recordForward: true) { _instance = _instance, _inLoopBody = true };
        foreach (var pair in _locals)
            if (!pair.Value.IsTensor && (pair.Value.Constant is not null || pair.Value.Module is not null || pair.Value.Modules is not null)) inner._locals[pair.Key] = pair.Value;
        var args = differentiable.Select((i, d) => new ArgModel(GradientArg(d), entering[i].DType))
            .Concat(carried.Select((_, i) => new ArgModel(AccumulatorArg(i), "variant"))).ToList();
        foreach (var arg in args) graph.Reserve(arg.Name);

        var popped = new List<Value>();
        for (int i = 0; i < carried.Count; i++)
        {
            long[]? shape = entering[i].Shape;
            var elementShape = shape is null
                ? inner.AddConst("int32", Array.Empty<long>(), new[] { "-1" })
                : inner.AddConst("int32", new long[] { shape.Length }, shape.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray());
            var pop = inner.AddOpOutputs("TensorListPopBack", new[] { new[] { Value.Tensor(AccumulatorArg(i), "variant", Array.Empty<long>()) }, new[] { elementShape } },
                new List<AttrModel> { Attrs.Type("element_dtype", entering[i].DType) }, Array.Empty<string?>(), loop);
            if (pop is null) return null;
            popped.Add(pop[0]);
            inner._locals[carried[i]] = Value.Tensor(pop[1].Reference!, entering[i].DType, shape);
        }
        var sources = differentiable.Select(i => inner._locals[carried[i]]).ToList();
        inner.ReadHoistedVariablesFromLocals(carried);
        inner.LowerNested(loop.Statement);
        if (inner._failed) return null;

        var seeds = differentiable.Select((i, d) => (Built(inner.Materialize(inner._locals[carried[i]], entering[i].DType)), Built(Value.Tensor(GradientArg(d), entering[i].DType, entering[i].Shape)))).ToList();
        var builder = new LoweringOpBuilder(inner, loop);
        BuiltTensor?[] gradients;
        try
        {
            gradients = Backpropagation.Gradients(inner._forward.Nodes, seeds, sources.Select(Built).ToList(), builder);
        }
        catch (OpBuildException e)
        {
            if (e.Message != AlreadyReported) inner.Fail(GraphDiagnostics.GradientNotBuilt, loop, "the while loop", e.Message);
            _failed = true;
            return null;
        }

        var outputs = new List<ArgModel>();
        var returns = new List<string>();
        for (int d = 0; d < differentiable.Count; d++)
        {
            var gradient = gradients[d] is { } g ? Unbuilt(g) : Unbuilt(builder.ZerosLike(Built(sources[d])));
            string identity = graph.UniqueName("", "Identity");
            inner.AddRawNode(identity, "Identity", new[] { gradient.Reference! }, new[] { Attrs.Type("T", gradient.DType) });
            outputs.Add(new ArgModel(GradientArg(d) + "_next", gradient.DType));
            returns.Add(GradientArg(d) + "_next=" + graph.OutputReference(identity, 0));
        }
        for (int i = 0; i < popped.Count; i++)
        {
            outputs.Add(new ArgModel(AccumulatorArg(i) + "_next", "variant"));
            returns.Add(AccumulatorArg(i) + "_next=" + popped[i].Reference);
        }
        return new FunctionDefModel(name, args.ToEquatable(), outputs.ToEquatable(), graph.Nodes.ToEquatable(), returns.ToEquatable(),
            IsStateful: false, EquatableArray<string>.Empty, EquatableArray<string>.Empty);
    }

    private static string GradientArg(int index) => "gradient_" + index.ToString(CultureInfo.InvariantCulture);

    private static string AccumulatorArg(int index) => "accumulator_" + index.ToString(CultureInfo.InvariantCulture);
}
