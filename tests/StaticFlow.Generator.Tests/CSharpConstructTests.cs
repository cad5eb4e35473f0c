using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// The C# a TensorFlow user writes in graph functions (issue 11, part 2): each construct runs eagerly and as the
/// compiled graph on random inputs, and the two agree; the graph holds the op TensorFlow would use.
/// </summary>
public class CSharpConstructTests
{
    private const string Source = """
        using System;
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Constructs
        {
            private static readonly float[] s_weights = [0.5f, -1f, 2f, 0.25f];
            private static readonly int[] s_steps = [1, 2, 3];

            [Variable] Tensor<float> scale;
            [Variable] Tensor<float> counter;

            [GraphFunction]
            public Tensor<float> Branchy([Shape(-1, 4)] Tensor<float> x)
            {
                var total = Ops.Sum(x, [0, 1]);
                var h = x;
                if (total > 0f)
                {
                    counter = counter + 1f;
                    h = x * 2f;
                }
                else h = -x;
                if (Ops.Max(x, [0, 1]) > 3f) return h * counter;
                else
                {
                    var shifted = h + counter;
                    return shifted;
                }
            }

            // Early returns under tensor conditions: the statements after each if are its else branch.
            [GraphFunction]
            public Tensor<float> EarlyReturn([Shape(-1, 4)] Tensor<float> x)
            {
                var total = Ops.Sum(x, [0, 1]);
                if (total < 0f) return -x;
                var h = x * scale;
                if (Ops.Max(x, [0, 1]) > 3f)
                {
                    counter = counter + 1f;
                    return h + counter;
                }
                counter = counter - 0.5f;
                return h - 1f;
            }

            // A read before a write that does not depend on it, and two writes: TensorFlow must run them in this order.
            [GraphFunction]
            public Tensor<float> ReadThenWrite([Shape(-1, 4)] Tensor<float> x)
            {
                var before = scale * 2f;
                counter = Ops.Sum(x, [0, 1]);
                counter = Tensor<float>.Scalar(3f);
                scale = Ops.Max(x, [0, 1]);
                return before + scale + counter;
            }

            // Ops with several outputs return tuples of tensors.
            [GraphFunction]
            public (Tensor<float> best, Tensor<int> where, Tensor<float> loss) MultiOutput([Shape(-1, 4)] Tensor<float> x)
            {
                var (values, indices) = Ops.TopK(x, 2);
                var (loss, backprop) = Ops.SparseSoftmaxCrossEntropyWithLogits(x, indices[.., 0]);
                var (distinct, positions) = Ops.Unique(Ops.Reshape(Ops.Round(x), [-1]));
                return (values + Ops.Sum(backprop, [0, 1]) + Ops.Sum(distinct, [0]), indices + Ops.Max(positions, [0]), loss);
            }

            // List outputs: indexed by constants and unrolled by foreach.
            [GraphFunction]
            public Tensor<float> Parts([Shape(-1, 4)] Tensor<float> x)
            {
                var halves = Ops.Split(1, x, 2);
                var columns = Ops.Unstack(x, 4, axis: 1);
                var total = halves[0] * 2f + halves[^1];
                foreach (var column in columns) total = total + Ops.Reshape(column, [-1, 1]);
                return total * (float)halves.Length + Ops.Concat(halves, 1)[.., ..2] * 0f;
            }

            // Uneven parts (SplitV): the part count is the length of the sizes.
            [GraphFunction]
            public Tensor<float> Rotate([Shape(-1, 4)] Tensor<float> x)
            {
                var parts = Ops.SplitV(x, [1, -1], 1);
                return Ops.Concat([parts[1], parts[0]], 1);
            }

            [GraphFunction]
            public Tensor<float> Count([Shape(-1, 4)] Tensor<float> x)
            {
                var steps = Ops.Sum(x * 0f, [0, 1]);
                while (steps < 3f)
                {
                    counter = counter + scale;
                    steps = steps + 1f;
                }
                return x * counter;
            }
            [Variable(3)] Tensor<float> bias;

            [GraphFunction]
            public Tensor<float> Reassign([Shape(-1, 4)] Tensor<float> x)
            {
                x = x / 2f;
                x += 1f;
                return x * scale;
            }

            [GraphFunction(Signature = "scoring")]
            [return: Output("scores")]
            public Tensor<float> Scored([Shape(-1, 4)] Tensor<float> x) => Reassign(x) * 2f;

            [GraphFunction]
            public Tensor<float> Slices([Shape(-1, 4)] Tensor<float> x)
            {
                var columns = x[.., 1..3];
                var last = x[^1];
                var first = x[0, ..^1];
                var tail = x[1.., ^2..];
                var expanded = x[TensorIndex.NewAxis, .., 2];
                return Ops.Sum(columns, [0, 1]) + Ops.Sum(last, [0]) * 2f + Ops.Sum(first, [0]) * 3f + Ops.Sum(tail, [0, 1]) + Ops.Sum(expanded, [0, 1]);
            }

            [GraphFunction]
            public Tensor<float> ShapeQueries([Shape(-1, 4)] Tensor<float> x)
            {
                long columns = x.Shape[1];
                var rows = x.Shape[0];
                var flat = Ops.Reshape(x, [(int)rows * (int)columns]);
                var back = Ops.Reshape(flat, [(int)x.Shape[0], -1]);
                return back * (float)columns + (float)x.Rank;
            }

            [GraphFunction]
            public Tensor<float> Compare([Shape(-1, 4)] Tensor<float> x, [Shape(-1, 4)] Tensor<float> y)
            {
                var same = x == y;
                var different = x != y;
                var wrapped = x % 0.75f;
                return Ops.Select(same, wrapped, -wrapped) + Ops.Select(!different, 10f + x * 0f, x * 0f);
            }

            [GraphFunction]
            public Tensor<float> Constants([Shape(-1, 4)] Tensor<float> x)
            {
                var table = Tensor<float>.From(s_weights, 4);
                var matrix = Tensor<float>.From([1f, 0f, 0f, 1f, -1f, 2f, 0.5f, 0f, 3f, 1f, 1f, 1f], 4, 3);
                return Ops.MatMul(x * table, matrix) + Tensor<float>.Scalar(0.5f) + bias;
            }

            [GraphFunction]
            public Tensor<float> Unrolled([Shape(-1, 4)] Tensor<float> x)
            {
                Tensor<float> acc = x;
                foreach (int step in s_steps)
                {
                    using var scope = GraphScope.Name($"step{step}");
                    acc = acc * (float)step + 1f;
                }
                foreach (var factor in new[] { 0.5f, 2f })
                    acc = acc - factor;
                for (int i = 0; i < 2; i++)
                {
                    using var scope = GraphScope.Name($"layer_{i:D2}");
                    acc = Ops.Tanh(acc);
                }
                return acc;
            }
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Source));

    private static object Create(int seed)
    {
        var module = Activator.CreateInstance(s_assembly.Value.GetType("Models.Constructs")!)!;
        module.GetType().GetMethod("InitializeVariables")!.Invoke(module, [seed]);
        var variables = (IReadOnlyDictionary<string, Tensor>)module.GetType().GetMethod("GetVariables")!.Invoke(module, null)!;
        var values = variables.ToDictionary(p => p.Key, p => p.Key == "scale" ? Tensor.Scalar(1.5f) : p.Key == "bias" ? Tensor.FromArray<float>([0.1f, -0.2f, 0.3f], 3) : p.Value);
        module.GetType().GetMethod("SetVariables")!.Invoke(module, [values]);
        return module;
    }

    private static Tensor<float> Call(object module, string method, params object[] arguments)
    {
        var info = module.GetType().GetMethod(method)!;
        object?[] all = [.. arguments, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - arguments.Length)];
        try { return (Tensor<float>)info.Invoke(module, all)!; }
        catch (TargetInvocationException error) when (error.InnerException is not null) { throw error.InnerException; }
    }

    private static Tensor<float> Random(Random random, int rows, int columns, bool quantized = false) =>
        Tensor<float>.From([.. Enumerable.Range(0, rows * columns).Select(_ => quantized ? random.Next(-3, 4) * 0.5f : (float)(random.NextDouble() * 4 - 2))], rows, columns);

    private static void AssertAgree(string function, params Tensor<float>[] inputs)
    {
        var module = Create(1);
        var eager = Call(module, function, inputs);
        var graph = Call(module, function + "Graph", inputs);
        Assert.Equal(eager.Shape, graph.Shape);
        float[] e = eager.ToArray(), g = graph.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-5f * Math.Max(1f, Math.Abs(e[i])), $"{function}, element {i}: eager {e[i]}, graph {g[i]}");
    }

    private static Protos.GraphDef GraphDef() => ((IGraphModule)Create(0)).Definition.ToGraphDef();

    [Theory]
    [InlineData("Reassign")]
    [InlineData("Slices")]
    [InlineData("ShapeQueries")]
    [InlineData("Constants")]
    [InlineData("Unrolled")]
    public void EagerAndGraphAgreeOnRandomInputs(string function)
    {
        var random = new Random(function.Length);
        for (int rows = 2; rows <= 5; rows++) AssertAgree(function, Random(random, rows, 4));
    }

    [Fact]
    public void EqualityAndRemainderAgree()
    {
        var random = new Random(3);
        for (int rows = 1; rows <= 4; rows++)
        {
            var x = Random(random, rows, 4, quantized: true);
            var y = Random(random, rows, 4, quantized: true);
            AssertAgree("Compare", x, y);
        }
    }

    [Fact]
    public void ReassignedParametersAreNewTensorsNotNewInputs()
    {
        var graph = GraphDef();
        Assert.Single(graph.Node, n => n.Op == "Placeholder" && n.Name.StartsWith("Reassign/", StringComparison.Ordinal));
        var result = Call(Create(0), "ReassignGraph", Tensor<float>.From([2f, 4f, -2f, 0f], 1, 4));
        Assert.Equal([3f, 4.5f, 0f, 1.5f], result.ToArray());
    }

    [Fact]
    public void IndexSyntaxIsOneStridedSliceWithTensorFlowsMasks()
    {
        var slices = GraphDef().Node.Where(n => n.Op == "StridedSlice" && n.Name.StartsWith("Slices/", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, slices.Count);
        // x[^1]: begin -1, shrunk; x[.., 1..3]: dimension 0 taken whole by the end mask.
        Assert.Contains(slices, n => n.Attr["shrink_axis_mask"].I == 1 && n.Attr["end_mask"].I == 0);
        Assert.Contains(slices, n => n.Attr["end_mask"].I == 1 && n.Attr["shrink_axis_mask"].I == 0);
        Assert.Contains(slices, n => n.Attr["new_axis_mask"].I == 1 && n.Attr["shrink_axis_mask"].I == 4);
        var eager = Call(Create(0), "Slices", Tensor<float>.From([.. Enumerable.Range(0, 12).Select(i => (float)i)], 3, 4));
        // columns 1..3: 1+2+5+6+9+10 = 33; last row 8..11: 38 * 2; first row without its last: 0+1+2 = 3 * 3;
        // rows 1.., columns ^2..: 6+7+10+11 = 34; column 2: 2+6+10 = 18.
        Assert.Equal(33f + 76f + 9f + 34f + 18f, eager.ToArray()[0]);
    }

    [Fact]
    public void KnownDimensionsFoldAndUnknownOnesAreReadAtRunTime()
    {
        var nodes = GraphDef().Node.Where(n => n.Name.StartsWith("ShapeQueries/", StringComparison.Ordinal)).ToList();
        // x.Shape[0] is unknown ([-1, 4]): read once per use with Shape; x.Shape[1] and x.Rank are constants.
        Assert.Equal(2, nodes.Count(n => n.Op == "Shape"));
        Assert.DoesNotContain(nodes, n => n.Op == "Rank");
        Assert.Contains(nodes, n => n.Op == "Pack");
    }

    [Fact]
    public void OperatorsLowerToTheOpsTensorFlowUses()
    {
        var ops = GraphDef().Node.Where(n => n.Name.StartsWith("Compare/", StringComparison.Ordinal)).Select(n => n.Op).ToList();
        Assert.Contains("Equal", ops);
        Assert.Contains("NotEqual", ops);
        Assert.Contains("FloorMod", ops);
        Assert.Contains("LogicalNot", ops);
        // FloorMod takes the divisor's sign, as Python's and TensorFlow's %: -1 % 0.75 = 0.5.
        Assert.Equal([0.5f], (Tensor<float>.From([-1f], 1) % 0.75f).ToArray());
    }

    [Fact]
    public void ExportsKeepTheOutputNameAndTheStaticShapeThroughALibraryCall()
    {
        var module = (IGraphModule)Create(0);
        var output = Assert.Single(module.Definition.Function("Scored").Outputs);
        Assert.Equal("scores", output.Name);
        Assert.Equal([-1L, 4L], output.Shape!);
        string directory = module.ExportSavedModel(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "constructs"));
        var signature = SavedModels.SavedModelBundle.Load(directory).GetSignature("scoring");
        var exported = Assert.Single(signature.Outputs);
        Assert.Equal("scores", exported.Key);
        Assert.Equal(new TensorShape(-1, 4), exported.Shape);
        var x = Tensor<float>.From([2f, 4f, -2f, 0f], 1, 4);
        Assert.Equal([6f, 9f, 0f, 3f], signature.Run(new Dictionary<string, Tensor> { ["x"] = x.Untyped })["scores"].ToArray<float>());
    }

    [Fact]
    public void ATensorIfWithVariableWritesOrReturnsRunsOnlyTheTakenBranch()
    {
        var eager = Create(0);
        var graph = Create(0);
        Tensor<float>[] inputs =
        [
            Tensor<float>.From([1f, 2f, 0.5f, 4f], 1, 4), Tensor<float>.From([-1f, -2f, 0.5f, 0f], 1, 4),
            Tensor<float>.From([1f, 1f, 1f, 1f], 1, 4), Tensor<float>.From([-5f, 1f, 4f, -1f], 1, 4),
        ];
        foreach (var x in inputs)
        {
            Assert.Equal(Call(eager, "Branchy", x).ToArray(), Call(graph, "BranchyGraph", x).ToArray());
            Assert.Equal(((IGraphModule)eager).GetVariables()["counter"].ToArray<float>(), ((IGraphModule)graph).GetVariables()["counter"].ToArray<float>());
        }
        // Two of the four inputs have a positive sum: the write ran exactly twice.
        Assert.Equal([2f], ((IGraphModule)graph).GetVariables()["counter"].ToArray<float>());
        var nodes = ((IGraphModule)graph).Definition.ToGraphDef().Node.Where(n => n.Name.StartsWith("Branchy/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, nodes.Count(n => n.Op == "If"));
        Assert.DoesNotContain(nodes, n => n.Op == "SelectV2");
    }

    [Fact]
    public void AnEarlyReturnUnderATensorConditionTakesTheRestOfTheFunctionAsItsElseBranch()
    {
        var eager = Create(0);
        var graph = Create(0);
        // Negative sum (first return), a large element (second), neither (the end); then again, to see the writes.
        Tensor<float>[] inputs =
        [
            Tensor<float>.From([-1f, -2f, 0.5f, 0f], 1, 4), Tensor<float>.From([1f, 2f, 0.5f, 4f], 1, 4),
            Tensor<float>.From([1f, 1f, 1f, 1f], 1, 4), Tensor<float>.From([-5f, 1f, 4f, -1f], 1, 4), Tensor<float>.From([0f, 5f, 1f, 1f], 1, 4),
        ];
        foreach (var x in inputs)
        {
            Assert.Equal(Call(eager, "EarlyReturn", x).ToArray(), Call(graph, "EarlyReturnGraph", x).ToArray());
            Assert.Equal(((IGraphModule)eager).GetVariables()["counter"].ToArray<float>(), ((IGraphModule)graph).GetVariables()["counter"].ToArray<float>());
        }
        // +1 twice (second and fifth input), -0.5 once (third); the first and fourth returned before any write.
        Assert.Equal([1.5f], ((IGraphModule)graph).GetVariables()["counter"].ToArray<float>());
        var definition = ((IGraphModule)graph).Definition;
        // The outer if is a stateful If (its else branch writes); the inner one lives in that branch's function.
        var outer = Assert.Single(definition.ToGraphDef().Node, n => n.Name.StartsWith("EarlyReturn/", StringComparison.Ordinal) && n.Op is "If" or "StatelessIf");
        Assert.Equal("If", outer.Op);
        var elseBranch = definition.ToGraphDef().Library.Function.Single(f => f.Signature.Name == outer.Attr["else_branch"].Func.Name);
        Assert.Contains(elseBranch.NodeDef, n => n.Op == "If");
        Assert.Equal(["counter"], definition.Function("EarlyReturn").WrittenVariables);
    }

    [Fact]
    public void ReadsAndWritesOfAVariableAreOrderedByControlEdgesAsTheCSharpRunsThem()
    {
        var eager = Create(0);
        var graph = Create(0);
        var x = Tensor<float>.From([1f, -2f, 0.5f, 4f], 1, 4);
        Assert.Equal(Call(eager, "ReadThenWrite", x).ToArray(), Call(graph, "ReadThenWriteGraph", x).ToArray());
        Assert.Equal([4f], ((IGraphModule)graph).GetVariables()["scale"].ToArray<float>());
        var nodes = ((IGraphModule)graph).Definition.ToGraphDef().Node.Where(n => n.Name.StartsWith("ReadThenWrite/", StringComparison.Ordinal)).ToList();
        var read = Assert.Single(nodes, n => n.Op == "ReadVariableOp" && n.Input[0] == "scale");
        var assigns = nodes.Where(n => n.Op == "AssignVariableOp").ToList();
        // scale's write waits for the read the C# made before it; counter's second write waits for its first.
        Assert.Contains("^" + read.Name, assigns.Single(n => n.Input[0] == "scale").Input);
        var counterWrites = assigns.Where(n => n.Input[0] == "counter").ToList();
        Assert.Equal(2, counterWrites.Count);
        Assert.Contains("^" + counterWrites[0].Name, counterWrites[1].Input);
    }

    [Fact]
    public void OpsWithSeveralOutputsDeconstructIntoTensorsEagerlyAndInGraphs()
    {
        var eager = Create(0);
        var graph = Create(0);
        var x = Tensor<float>.From([1.2f, -2f, 3.4f, 0.5f, 2.2f, 2.7f, -1f, 0.4f], 2, 4);
        var e = (System.Runtime.CompilerServices.ITuple)eager.GetType().GetMethod("MultiOutput")!.Invoke(eager, [x])!;
        var g = (System.Runtime.CompilerServices.ITuple)graph.GetType().GetMethod("MultiOutputGraph")!.Invoke(graph, [x, Type.Missing])!;
        Assert.Equal(((Tensor<float>)e[0]!).ToArray(), ((Tensor<float>)g[0]!).ToArray());
        Assert.Equal(((Tensor<int>)e[1]!).ToArray(), ((Tensor<int>)g[1]!).ToArray());
        Assert.Equal(((Tensor<float>)e[2]!).ToArray(), ((Tensor<float>)g[2]!).ToArray());
        // Top two per row: indices [2, 0] and [1, 0]; Round gives 1, -2, 3, 0, 2, 3, -1, 0 (ties to even): six distinct
        // values, so the largest position is 5, added to each index.
        Assert.Equal([7, 5, 6, 5], ((Tensor<int>)g[1]!).ToArray());
        var nodes = ((IGraphModule)graph).Definition.ToGraphDef().Node.Where(n => n.Name.StartsWith("MultiOutput/", StringComparison.Ordinal)).ToList();
        Assert.Single(nodes, n => n.Op == "TopKV2");
        Assert.Single(nodes, n => n.Op == "Unique");
        Assert.Contains(nodes, n => n.Input.Contains("MultiOutput/TopKV2:1"));
        Assert.Contains(nodes, n => n.Input.Contains("MultiOutput/SparseSoftmaxCrossEntropyWithLogits:1"));
    }

    [Fact]
    public void SplitVTakesItsPartCountFromTheSizes()
    {
        var x = Tensor<float>.From([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 2, 4);
        Assert.Equal([2f, 3, 4, 1, 6, 7, 8, 5], Call(Create(0), "Rotate", x).ToArray());
        Assert.Equal([2f, 3, 4, 1, 6, 7, 8, 5], Call(Create(0), "RotateGraph", x).ToArray());
        var split = Assert.Single(((IGraphModule)Create(0)).Definition.ToGraphDef().Node, n => n.Op == "SplitV");
        Assert.Equal(2, split.Attr["num_split"].I);
    }

    [Fact]
    public void SplitAndUnstackGiveArraysOfTensorsIndexedAndLoopedOver()
    {
        var x = Tensor<float>.From([1f, 2f, 3f, 4f, -1f, 0.5f, 2f, 8f], 2, 4);
        var eager = Call(Create(0), "Parts", x).ToArray();
        Assert.Equal(eager, Call(Create(0), "PartsGraph", x).ToArray());
        // Row 0: (2·[1, 2] + [3, 4] + 1 + 2 + 3 + 4) · 2 = [30, 36].
        Assert.Equal([30f, 36f], eager.Take(2));
        var nodes = ((IGraphModule)Create(0)).Definition.ToGraphDef().Node.Where(n => n.Name.StartsWith("Parts/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, Assert.Single(nodes, n => n.Op == "Split").Attr["num_split"].I);
        Assert.Contains(nodes, n => n.Input.Contains("Parts/Unpack:3"));
    }

    [Fact]
    public void AWhileLoopReadsAndWritesVariablesAsAStatefulWhile()
    {
        var eager = Create(0);
        var graph = Create(0);
        var x = Tensor<float>.From([1f, -2f, 0.5f, 4f], 1, 4);
        for (int call = 1; call <= 2; call++)
        {
            var e = Call(eager, "Count", x);
            var g = Call(graph, "CountGraph", x);
            Assert.Equal(e.ToArray(), g.ToArray());
            // scale is 1.5 (Create sets it): three iterations per call.
            Assert.Equal([4.5f * call], ((IGraphModule)graph).GetVariables()["counter"].ToArray<float>());
        }
        var definition = ((IGraphModule)graph).Definition;
        Assert.Equal(["counter"], definition.Function("Count").WrittenVariables);
        var loop = Assert.Single(definition.ToGraphDef().Node, n => n.Name.StartsWith("Count/", StringComparison.Ordinal) && n.Op is "While" or "StatelessWhile");
        Assert.Equal("While", loop.Op);
    }

    [Fact]
    public void ScalarVariablesAreDeclaredWithNoDimensions()
    {
        var handle = Assert.Single(GraphDef().Node, n => n.Op == "VarHandleOp" && n.Name == "scale");
        Assert.Empty(handle.Attr["shape"].Shape.Dim);
        var module = (IGraphModule)Create(0);
        Assert.Empty(module.Definition.Variables.Single(v => v.Name == "scale").Shape);
    }

    [Fact]
    public void UnrolledLoopsNameTheirScopesByTheCounter()
    {
        var names = GraphDef().Node.Select(n => n.Name).Where(n => n.StartsWith("Unrolled/", StringComparison.Ordinal)).ToList();
        Assert.Contains(names, n => n.StartsWith("Unrolled/step1/", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("Unrolled/step3/", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("Unrolled/layer_01/", StringComparison.Ordinal));
    }

    [Fact]
    public void EqualityOnTensorsComparesElementsAndRefusesNull()
    {
        var a = Tensor<int>.From([1, 2, 3], 3);
        Assert.Equal([true, false, true], (a == Tensor<int>.From([1, 0, 3], 3)).ToArray());
        Assert.Equal([false, true, false], (a != Tensor<int>.From([1, 0, 3], 3)).ToArray());
        Assert.Throws<ArgumentNullException>(() => a == null!);
        Assert.True(a.Equals(a));
        Assert.False(a.Equals(Tensor<int>.From([1, 2, 3], 3)));
        Assert.Equal([false, true], (!Tensor<bool>.From([true, false], 2)).ToArray());
    }
}
