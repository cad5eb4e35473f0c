using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>Gradients built at compile time agree with finite differences and the eager tape; train steps take TensorFlow's optimizer steps.</summary>
public class TrainingTests
{
    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Sources.Training));

    private static IGraphModule Create(int seed)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models.Trainable")!)!;
        module.GetType().GetMethod("InitializeVariables")!.Invoke(module, [seed]);
        return module;
    }

    private static object Invoke(IGraphModule module, string method, params object[] arguments)
    {
        var info = module.GetType().GetMethod(method)!;
        object?[] all = [.. arguments, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - arguments.Length)];
        try
        {
            return info.Invoke(module, all)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static (Tensor<double> X, Tensor<double> Y) Batch(int rows, int seed)
    {
        var random = new Random(seed);
        double[] x = [.. Enumerable.Range(0, rows * 5).Select(_ => random.NextDouble() * 2 - 1)];
        double[] y = [.. Enumerable.Range(0, rows).Select(r => Math.Sin(x[r * 5]) + 0.5 * x[r * 5 + 1] * x[r * 5 + 2])];
        return (Tensor<double>.From(x, rows, 5), Tensor<double>.From(y, rows, 1));
    }

    private static readonly string[] s_trainable = ["w1", "b1", "w2", "b2"];

    [Fact]
    public void CompiledGradientsMatchCentralFiniteDifferences()
    {
        var module = Create(seed: 3);
        var (x, y) = Batch(rows: 7, seed: 1);
        var grads = (System.Runtime.CompilerServices.ITuple)Invoke(module, "GradsGraph", x, y);
        var variables = module.GetVariables();
        double Loss() => ((Tensor<double>)Invoke(module, "LossGraph", x, y)).ToArray()[0];
        for (int v = 0; v < s_trainable.Length; v++)
        {
            string name = s_trainable[v];
            double[] analytic = ((Tensor<double>)grads[v]!).ToArray();
            double[] values = variables[name].ToArray<double>();
            Assert.Equal(values.Length, analytic.Length);
            for (int i = 0; i < values.Length; i++)
            {
                const double h = 1e-6;
                double Perturbed(double delta)
                {
                    var changed = (double[])values.Clone();
                    changed[i] += delta;
                    var all = new Dictionary<string, Tensor>(variables) { [name] = Tensor.FromArray<double>(changed, variables[name].Shape.Dims.ToArray()) };
                    module.SetVariables(all);
                    return Loss();
                }
                double numeric = (Perturbed(h) - Perturbed(-h)) / (2 * h);
                module.SetVariables(variables);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-7 + 1e-6 * Math.Abs(numeric), $"d loss / d {name}[{i}]: finite differences {numeric}, compiled {analytic[i]}");
            }
        }
    }

    [Fact]
    public void EagerTapeGradientsEqualCompiledOnes()
    {
        var module = Create(seed: 8);
        var (x, y) = Batch(rows: 4, seed: 2);
        var graph = (System.Runtime.CompilerServices.ITuple)Invoke(module, "GradsGraph", x, y);
        System.Runtime.CompilerServices.ITuple eager;
        using (GradientTape.Start()) eager = (System.Runtime.CompilerServices.ITuple)Invoke(module, "Grads", x, y);
        for (int v = 0; v < 4; v++)
        {
            double[] e = ((Tensor<double>)eager[v]!).ToArray(), g = ((Tensor<double>)graph[v]!).ToArray();
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-12 * Math.Max(1, Math.Abs(g[i])), $"{s_trainable[v]}[{i}]: eager {e[i]}, graph {g[i]}");
        }
    }

    [Fact]
    public void GradientsOfCalledEagerlyWithoutATapeSaysWhatToDo()
    {
        var module = Create(seed: 1);
        var (x, y) = Batch(rows: 2, seed: 2);
        var error = Assert.Throws<InvalidOperationException>(() => Invoke(module, "Grads", x, y));
        Assert.Contains("GradientTape", error.Message);
    }

    [Fact]
    public void TheCompiledGraphUsesTensorFlowsGradientOps()
    {
        var graph = Create(seed: 1).Definition.ToGraphDef();
        var ops = graph.Node.Select(n => n.Op).ToHashSet();
        Assert.All(new[] { "TanhGrad", "BiasAddGrad", "ResourceApplyAdam", "ResourceApplyMomentum", "ResourceApplyGradientDescent", "ResourceApplyRMSProp", "ResourceApplyAdagradV2" },
            op => Assert.Contains(op, ops));
        Assert.Contains(graph.Node, n => n.Name.StartsWith("Grads/gradients/", StringComparison.Ordinal));
        var variables = Create(seed: 1).Definition.Variables.Select(v => v.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "Adam/w1/m", "Adam/w1/v", "Adam/iter", "Adam/learning_rate", "Nesterov/w1/momentum", "RMSProp/b2/rms", "Adagrad/w2/accumulator" }, variables);
    }

    [Fact]
    public void ACompiledTrainStepUpdatesInPlaceYetValuesFromGetVariablesNeverChange()
    {
        var (x, y) = Batch(rows: 6, seed: 4);
        // One seed, two modules: one trains undisturbed, the other hands its variables out before every step.
        var undisturbed = Create(seed: 5);
        var readEachStep = Create(seed: 5);
        Invoke(undisturbed, "TrainAdamGraph", x, y);
        Invoke(readEachStep, "TrainAdamGraph", x, y);
        var storage = undisturbed.GetVariableStorage()!;
        var held = new List<(string Name, Tensor Value, byte[] Bytes)>();
        for (int step = 0; step < 4; step++)
        {
            Invoke(undisturbed, "TrainAdamGraph", x, y);
            foreach (var (name, value) in readEachStep.GetVariables()) held.Add((name, value, value.AsBytes().ToArray()));
            Invoke(readEachStep, "TrainAdamGraph", x, y);
        }

        // The undisturbed module's steps after the first wrote into the tensors the first one made.
        foreach (string name in new[] { "w1", "b2", "Adam/w1/m", "Adam/w1/v" })
            Assert.Same(storage[name], undisturbed.GetVariableStorage()![name]);
        Assert.All(held, h => Assert.True(h.Bytes.AsSpan().SequenceEqual(h.Value.AsBytes()), $"{h.Name}, handed out by GetVariables, changed"));
        foreach (var (name, value) in undisturbed.GetVariables())
            Assert.True(value.AsBytes().SequenceEqual(readEachStep.GetVariables()[name].AsBytes()), $"{name} differs between in-place and fresh steps");
    }

    [Fact]
    public void ObjectBasedCheckpointsKeySlotsUnderTheirVariableAsTensorFlow2Does()
    {
        var module = Create(seed: 2);
        var (x, y) = Batch(rows: 6, seed: 3);
        Invoke(module, "TrainAdamGraph", x, y);
        Invoke(module, "TrainAdamGraph", x, y);
        string prefix = module.SaveCheckpoint(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "ckpt"));

        var keys = Checkpoints.Checkpoint.ListVariables(prefix).Select(v => v.Name).ToHashSet();
        Assert.Contains("w1/.OPTIMIZER_SLOT/Adam/m/.ATTRIBUTES/VARIABLE_VALUE", keys);
        Assert.Contains("b2/.OPTIMIZER_SLOT/RMSProp/rms/.ATTRIBUTES/VARIABLE_VALUE", keys);
        Assert.Contains("Adam/iter/.ATTRIBUTES/VARIABLE_VALUE", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("Adam/w1/", StringComparison.Ordinal));

        // The optimizer object names each slot: original variable node, slot name, slot node.
        using (var reader = Checkpoints.CheckpointReader.Open(prefix))
        {
            var graph = reader.ObjectGraphProto!;
            var root = graph.Nodes[0];
            int NodeOf(string name) => root.Children.Single(c => c.LocalName == name).NodeId;
            var slot = Assert.Single(graph.Nodes[NodeOf("Adam")].SlotVariables, s => s.SlotName == "m" && s.OriginalVariableNodeId == NodeOf("w1"));
            Assert.Equal("w1/.OPTIMIZER_SLOT/Adam/m/.ATTRIBUTES/VARIABLE_VALUE", Assert.Single(graph.Nodes[slot.SlotVariableNodeId].Attributes).CheckpointKey);
            Assert.Equal(module.GetVariables()["Adam/w1/m"].ToArray<double>(), reader.Read("Adam/w1/m").ToArray<double>());
        }

        // A fresh module restores the slots and the step count, so training resumes where it stopped.
        var restored = Create(seed: 9);
        restored.RestoreCheckpoint(prefix);
        foreach (string name in new[] { "Adam/w1/m", "Adam/b2/v", "Adam/iter", "w1" })
            Assert.Equal(module.GetVariables()[name].AsBytes().ToArray(), restored.GetVariables()[name].AsBytes().ToArray());
        Assert.Equal(2L, restored.GetVariables()["Adam/iter"].ToArray<long>()[0]);
    }

    [Fact]
    public void GradientsFlowThroughATensorIfThatReturnsInBothBranches()
    {
        // In a function that takes gradients, an if whose branches return lowers to SelectV2 of both branches, which
        // is differentiable; an early return too, and an if nested in a branch.
        const string source = """
            using StaticFlow;
            namespace Models;
            [GraphModule]
            public partial class Piecewise
            {
                [Variable(3)] Tensor<double> w;

                [GraphFunction]
                public Tensor<double> Loss([Shape(-1, 3)] Tensor<double> x)
                {
                    var total = Ops.Sum(x * w, [0, 1]);
                    if (total > 0.0)
                    {
                        if (total > 1.0) return total * total;
                        return total;
                    }
                    var scaled = total * -3.0;
                    return scaled;
                }

                [GraphFunction]
                public Tensor<double> Grad([Shape(-1, 3)] Tensor<double> x) => Gradients.Of(Loss(x), w);
            }
            """;
        var module = (IGraphModule)Activator.CreateInstance(GeneratorHost.Build(source).GetType("Models.Piecewise")!)!;
        module.SetVariables(new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray<double>([0.5, -0.25, 1.0], 3) });
        foreach (double[] rows in new[] { new[] { 1.0, 2, 3, 0.5, 0, 1 }, new[] { 0.1, 0.1, 0.2, 0, 0, 0.1 }, new[] { -1.0, 2, -3, 0, 1, 0 } })
        {
            var x = Tensor<double>.From(rows, 2, 3);
            double[] w = [0.5, -0.25, 1.0];
            double total = Enumerable.Range(0, 6).Sum(i => rows[i] * w[i % 3]);
            double slope = total > 1 ? 2 * total : total > 0 ? 1 : -3;
            double[] expected = [.. Enumerable.Range(0, 3).Select(j => slope * (rows[j] + rows[3 + j]))];
            var gradient = ((Tensor<double>)Invoke(module, "GradGraph", x)).ToArray();
            for (int j = 0; j < 3; j++) Assert.Equal(expected[j], gradient[j], 12);
            // The loss itself, eagerly and as its graph, takes the branch C# takes.
            double loss = total > 1 ? total * total : total > 0 ? total : -3 * total;
            Assert.Equal(loss, ((Tensor<double>)Invoke(module, "LossGraph", x)).ToArray()[0], 12);
            Assert.Equal(loss, ((Tensor<double>)Invoke(module, "Loss", x)).ToArray()[0], 12);
        }
        var grad = module.Definition.ToGraphDef().Node.Where(n => n.Name.StartsWith("Grad/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, grad.Count(n => n.Op == "SelectV2" && !n.Name.Contains("gradients", StringComparison.Ordinal)));
        Assert.DoesNotContain(grad, n => n.Op is "If" or "StatelessIf");
    }

    private const string RecurrentSource = """
        using StaticFlow;
        namespace Models;
        [GraphModule]
        public partial class Recurrent
        {
            [Variable(3, 3)] Tensor<double> w;
            [Variable(3)] Tensor<double> u;

            [GraphFunction]
            public Tensor<double> Loss([Shape(-1, 3)] Tensor<double> x, Tensor<int> steps)
            {
                var h = x;
                var k = steps;
                while (k > 0)
                {
                    h = Ops.Tanh(Ops.MatMul(h, w) + u) * 0.9 + h * 0.1;
                    k = k - 1;
                }
                return Ops.Sum(h * h, [0, 1]);
            }

            [GraphFunction(Signature = "train"), TrainStep(Optimizer.SGD, LearningRate = 0.1)]
            public Tensor<double> Train([Shape(-1, 3)] Tensor<double> x, Tensor<int> steps) => Loss(x, steps);

            [GraphFunction]
            public (Tensor<double> W, Tensor<double> U, Tensor<double> X) Grads([Shape(-1, 3)] Tensor<double> x, Tensor<int> steps)
            {
                var (gw, gu, gx) = Gradients.Of(Loss(x, steps), w, u, x);
                return (gw, gu, gx);
            }
        }
        """;

    private static readonly Lazy<Assembly> s_recurrent = new(() => GeneratorHost.Build(RecurrentSource));

    [Fact]
    public void GradientsFlowThroughAWhileLoop()
    {
        // A recurrence run a tensor number of times: the loop lowers to a While that pushes each iteration's state
        // onto TensorLists, and its gradient to a backward While that pops them. The variables the loop only reads
        // are read once before it, so their gradients reach Gradients.Of.

        var module = (IGraphModule)Activator.CreateInstance(s_recurrent.Value.GetType("Models.Recurrent")!)!;
        double[] w = [0.5, -0.3, 0.8, 0.1, 0.9, -0.6, -0.4, 0.2, 0.7], u = [0.1, -0.2, 0.3], x = [0.5, -1.0, 0.25, 1.5, 0.75, -0.5];
        module.InitializeVariables();
        void Set(double[] wValues, double[] uValues) => module.SetVariables(new Dictionary<string, Tensor>(module.GetVariables())
        {
            ["w"] = Tensor.FromArray<double>(wValues, 3, 3), ["u"] = Tensor.FromArray<double>(uValues, 3),
        });
        double Loss(double[] xValues) => ((Tensor<double>)Invoke(module, "Loss", Tensor<double>.From(xValues, 2, 3), Tensor<int>.From([4]))).ToArray()[0];
        foreach (int steps in new[] { 4, 1, 0 })
        {
            Set(w, u);
            var graph = (System.Runtime.CompilerServices.ITuple)Invoke(module, "GradsGraph", Tensor<double>.From(x, 2, 3), Tensor<int>.From([steps]));
            System.Runtime.CompilerServices.ITuple eager;
            using (GradientTape.Start()) eager = (System.Runtime.CompilerServices.ITuple)Invoke(module, "Grads", Tensor<double>.From(x, 2, 3), Tensor<int>.From([steps]));
            for (int v = 0; v < 3; v++)
            {
                double[] e = ((Tensor<double>)eager[v]!).ToArray(), g = ((Tensor<double>)graph[v]!).ToArray();
                for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - g[i]) <= 1e-12, $"{steps} steps, gradient {v}[{i}]: eager {e[i]}, graph {g[i]}");
            }
            if (steps == 0) Assert.Equal(x.Select(value => 2 * value), ((Tensor<double>)graph[2]!).ToArray());
            if (steps != 4) continue;
            // Central differences of the eager loss in double precision.
            const double h = 1e-6;
            double[] gw = ((Tensor<double>)graph[0]!).ToArray(), gu = ((Tensor<double>)graph[1]!).ToArray(), gx = ((Tensor<double>)graph[2]!).ToArray();
            for (int i = 0; i < 9; i++)
            {
                double[] plus = [.. w], minus = [.. w];
                plus[i] += h; minus[i] -= h;
                Set(plus, u); double up = Loss(x);
                Set(minus, u); double down = Loss(x);
                Assert.Equal((up - down) / (2 * h), gw[i], 6);
            }
            for (int i = 0; i < 3; i++)
            {
                double[] plus = [.. u], minus = [.. u];
                plus[i] += h; minus[i] -= h;
                Set(w, plus); double up = Loss(x);
                Set(w, minus); double down = Loss(x);
                Assert.Equal((up - down) / (2 * h), gu[i], 6);
            }
            Set(w, u);
            for (int i = 0; i < 6; i++)
            {
                double[] plus = [.. x], minus = [.. x];
                plus[i] += h; minus[i] -= h;
                Assert.Equal((Loss(plus) - Loss(minus)) / (2 * h), gx[i], 6);
            }
        }
        var nodes = module.Definition.ToGraphDef().Library.Function.SelectMany(f => f.NodeDef).Select(n => n.Op).ToList();
        Assert.Contains("TensorListPushBack", nodes);
        Assert.Contains("TensorListPopBack", nodes);
    }

    [Fact]
    public void GradientsFlowThroughNestedWhileLoops()
    {
        // The inner loop reads the variable the outer loop carries; the backward loop reruns the outer body, whose
        // inner loop then keeps its own accumulators and gets its own backward loop.
        const string source = """
            using StaticFlow;
            namespace Models;
            [GraphModule]
            public partial class Nested
            {
                [Variable(2)] Tensor<double> w;
                [GraphFunction]
                public Tensor<double> Loss([Shape(2)] Tensor<double> x, Tensor<int> outer, Tensor<int> inner)
                {
                    var h = x;
                    var i = outer;
                    while (i > 0)
                    {
                        var j = inner;
                        while (j > 0)
                        {
                            h = Ops.Tanh(h * w + 0.5);
                            j = j - 1;
                        }
                        h = h * 1.1;
                        i = i - 1;
                    }
                    return Ops.Sum(h * h, [0]);
                }
                [GraphFunction]
                public Tensor<double> Grad([Shape(2)] Tensor<double> x, Tensor<int> outer, Tensor<int> inner) => Gradients.Of(Loss(x, outer, inner), w);
            }
            """;
        var module = (IGraphModule)Activator.CreateInstance(GeneratorHost.Build(source).GetType("Models.Nested")!)!;
        module.InitializeVariables();
        module.SetVariables(new Dictionary<string, StaticFlow.Tensors.Tensor>(module.GetVariables()) { ["w"] = StaticFlow.Tensors.Tensor.FromArray<double>([0.7, -0.4], 2) });
        var x = Tensor<double>.From([0.3, -0.8], 2);
        var g = ((Tensor<double>)GeneratorHost.Invoke(module, "GradGraph", x, Tensor<int>.From([3]), Tensor<int>.From([2]))).ToArray();
        Tensor<double> e;
        using (GradientTape.Start()) e = (Tensor<double>)GeneratorHost.Invoke(module, "Grad", x, Tensor<int>.From([3]), Tensor<int>.From([2]));
        Assert.Equal(e.ToArray()[0], g[0], 10);
        Assert.Equal(e.ToArray()[1], g[1], 10);
        // And central differences of the eager loss.
        double Loss(double w0)
        {
            module.SetVariables(new Dictionary<string, StaticFlow.Tensors.Tensor>(module.GetVariables()) { ["w"] = StaticFlow.Tensors.Tensor.FromArray<double>([w0, -0.4], 2) });
            return ((Tensor<double>)GeneratorHost.Invoke(module, "Loss", x, Tensor<int>.From([3]), Tensor<int>.From([2]))).ToArray()[0];
        }
        Assert.Equal((Loss(0.7 + 1e-6) - Loss(0.7 - 1e-6)) / 2e-6, g[0], 6);
    }

    [Fact]
    public void ATrainStepThroughAWhileLoopExportsAndTakesTheSameStepWhenReloaded()
    {
        var module = (IGraphModule)Activator.CreateInstance(s_recurrent.Value.GetType("Models.Recurrent")!)!;
        double[] w = [0.5, -0.3, 0.8, 0.1, 0.9, -0.6, -0.4, 0.2, 0.7], u = [0.1, -0.2, 0.3];
        module.InitializeVariables();
        module.SetVariables(new Dictionary<string, Tensor>(module.GetVariables()) { ["w"] = Tensor.FromArray<double>(w, 3, 3), ["u"] = Tensor.FromArray<double>(u, 3) });
        var x = Tensor<double>.From([0.5, -1.0, 0.25, 1.5, 0.75, -0.5], 2, 3);
        var steps = Tensor<int>.From([3]);
        var gradients = (System.Runtime.CompilerServices.ITuple)Invoke(module, "GradsGraph", x, steps);
        string directory = module.ExportSavedModel(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "recurrent"));

        Invoke(module, "TrainGraph", x, steps);
        double[] gw = ((Tensor<double>)gradients[0]!).ToArray(), stepped = module.GetVariables()["w"].ToArray<double>();
        for (int i = 0; i < 9; i++) Assert.Equal(w[i] - 0.1 * gw[i], stepped[i], 12);

        // The exported train signature, reloaded by the runtime, takes the same step from the saved values.
        var bundle = StaticFlow.SavedModels.SavedModelBundle.Load(directory);
        bundle.GetSignature("train").Run(new Dictionary<string, Tensor> { ["x"] = x.Untyped, ["steps"] = steps.Untyped });
        double[] reloaded = bundle.Session.Resources.GetOrCreate("", "w").Read().ToArray<double>();
        for (int i = 0; i < 9; i++) Assert.Equal(stepped[i], reloaded[i], 12);
        var library = StaticFlow.SavedModels.SavedModelDirectory.Open(directory).GetMetaGraph("serve").GraphDef.Library.Function;
        Assert.Contains(library, f => f.NodeDef.Any(n => n.Op == "TensorListPopBack"));
    }

    /// <summary>One optimizer step from TensorFlow's update rules, written out in doubles.</summary>
    [Theory]
    [InlineData("TrainSgd")]
    [InlineData("TrainNesterov")]
    [InlineData("TrainAdam")]
    [InlineData("TrainRmsProp")]
    [InlineData("TrainAdagrad")]
    [InlineData("TrainAdamW")]
    public void TwoTrainStepsFollowTheOptimizersUpdateRule(string step)
    {
        var module = Create(seed: 5);
        var (x, y) = Batch(rows: 6, seed: 4);
        var reference = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string name in s_trainable) reference[name] = module.GetVariables()[name].ToArray<double>();
        var slots = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int t = 1; t <= 2; t++)
        {
            // The reference gradient at the reference weights (from the compiled Grads, checked above against finite differences).
            var grads = (System.Runtime.CompilerServices.ITuple)Invoke(module, "GradsGraph", x, y);
            var g = Enumerable.Range(0, 4).Select(v => ((Tensor<double>)grads[v]!).ToArray()).ToArray();
            if (step == "TrainRmsProp")
            {
                double norm = Math.Sqrt(g.Sum(a => a.Sum(e => e * e)));
                if (norm > 1) g = [.. g.Select(a => a.Select(e => e / norm).ToArray())];
            }
            for (int v = 0; v < 4; v++)
            {
                double[] w = reference[s_trainable[v]];
                double[] Slot(string slot, double fill = 0) => slots.TryGetValue(s_trainable[v] + slot, out var s) ? s : slots[s_trainable[v] + slot] = [.. Enumerable.Repeat(fill, w.Length)];
                for (int i = 0; i < w.Length; i++)
                {
                    double gi = g[v][i];
                    switch (step)
                    {
                        case "TrainSgd": w[i] -= 0.1 * gi; break;
                        case "TrainNesterov":
                        {
                            double[] a = Slot("a");
                            a[i] = a[i] * 0.9 + gi;
                            w[i] -= gi * 0.05 + a[i] * 0.9 * 0.05;
                            break;
                        }
                        case "TrainAdam" or "TrainAdamW":
                        {
                            if (step == "TrainAdamW") w[i] -= 0.01 * 0.01 * w[i];
                            double[] m = Slot("m"), s = Slot("v");
                            m[i] += (gi - m[i]) * 0.1;
                            s[i] += (gi * gi - s[i]) * 0.001;
                            double alpha = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
                            w[i] -= m[i] * alpha / (Math.Sqrt(s[i]) + 1e-7);
                            break;
                        }
                        case "TrainRmsProp":
                        {
                            double[] ms = Slot("ms"), mom = Slot("mom");
                            ms[i] += (gi * gi - ms[i]) * 0.1;
                            mom[i] = 0.01 * gi / Math.Sqrt(ms[i] + 1e-7);
                            w[i] -= mom[i];
                            break;
                        }
                        default:
                        {
                            double[] acc = Slot("acc", 0.1);
                            acc[i] += gi * gi;
                            w[i] -= 0.1 * gi / (Math.Sqrt(acc[i]) + 1e-7);
                            break;
                        }
                    }
                }
            }
            var loss = (Tensor<double>)Invoke(module, step + "Graph", x, y);
            Assert.Equal(((Tensor<double>)Invoke(module, "LossGraph", x, y)).Shape, loss.Shape);
            foreach (string name in s_trainable)
            {
                double[] actual = module.GetVariables()[name].ToArray<double>(), expected = reference[name];
                for (int i = 0; i < actual.Length; i++)
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 * Math.Max(1, Math.Abs(expected[i])), $"{step} step {t}, {name}[{i}]: {actual[i]} != {expected[i]}");
            }
        }
        string optimizer = step switch { "TrainSgd" => "SGD", "TrainNesterov" => "Nesterov", "TrainAdam" => "Adam", "TrainAdamW" => "AdamW", "TrainRmsProp" => "RMSProp", _ => "Adagrad" };
        Assert.Equal(2L, module.GetVariables()[optimizer + "/iter"].ToArray<long>()[0]);
    }

    [Fact]
    public void TrainingLowersTheLoss()
    {
        var module = Create(seed: 11);
        var (x, y) = Batch(rows: 64, seed: 9);
        double first = ((Tensor<double>)Invoke(module, "TrainAdamGraph", x, y)).ToArray()[0];
        double last = first;
        for (int i = 0; i < 300; i++) last = ((Tensor<double>)Invoke(module, "TrainAdamGraph", x, y)).ToArray()[0];
        Assert.True(last < first * 0.2, $"loss {first} -> {last}");
    }
}
