using System.Text.Json.Nodes;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using Xunit.Abstractions;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// TensorFlow's resource apply ops, run as graph nodes for several steps from one start and one gradient sequence,
/// against TensorFlow.js's <c>tf.train.*</c> optimizers given the same gradients.
/// </summary>
public class OptimizerKernelTests(ITestOutputHelper output)
{
    private const int Steps = 5;
    private static readonly long[] Shape = [2, 3];

    /// <summary>An optimizer: its apply op, slots (with first values), hyperparameter inputs per step, attrs, and tfjs's settings.</summary>
    private sealed record Optimizer(string Name, string Op, (string Name, float Fill)[] Slots, Func<int, float[]> Hyper, (string, Protos.AttrValue)[] Attrs, string JsName, JsonObject JsSettings);

    private static readonly Optimizer[] s_optimizers =
    [
        new("SGD", "ResourceApplyGradientDescent", [], _ => [0.1f], [], "sgd", new JsonObject { ["learningRate"] = 0.1 }),
        new("Momentum", "ResourceApplyMomentum", [("accum", 0)], _ => [0.05f], [], "momentum",
            new JsonObject { ["learningRate"] = 0.05, ["momentum"] = 0.9, ["nesterov"] = false }),
        new("Nesterov", "ResourceApplyMomentum", [("accum", 0)], _ => [0.05f], [("use_nesterov", Bool(true))], "momentum",
            new JsonObject { ["learningRate"] = 0.05, ["momentum"] = 0.9, ["nesterov"] = true }),
        new("Adam", "ResourceApplyAdam", [("m", 0), ("v", 0)], t => [MathF.Pow(0.9f, t), MathF.Pow(0.999f, t), 0.01f, 0.9f, 0.999f, 1e-7f], [], "adam",
            new JsonObject { ["learningRate"] = 0.01, ["beta1"] = 0.9, ["beta2"] = 0.999, ["epsilon"] = 1e-7 }),
        new("RMSProp", "ResourceApplyRMSProp", [("ms", 0), ("mom", 0)], _ => [0.01f, 0.9f, 0.5f, 1e-7f], [], "rmsprop",
            new JsonObject { ["learningRate"] = 0.01, ["rho"] = 0.9, ["momentum"] = 0.5, ["epsilon"] = 1e-7 }),
        new("Adagrad", "ResourceApplyAdagradV2", [("accum", 0.1f)], _ => [0.1f, 1e-7f], [], "adagrad",
            new JsonObject { ["learningRate"] = 0.1, ["initialAccumulator"] = 0.1 }),
    ];

    private static float[] Start() => [0.5f, -1.25f, 2f, 0.1f, -0.3f, 0.75f];

    private static float[][] GradientSequence()
    {
        var random = new Random(17);
        return [.. Enumerable.Range(0, Steps).Select(_ => Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray())];
    }

    /// <summary>Runs <paramref name="optimizer"/>'s apply op <see cref="Steps"/> times and returns the variable.</summary>
    private static float[] RunStaticFlow(Optimizer optimizer)
    {
        // Inputs in the op's order: the variable and slots (handles), then the hyperparameters, with the gradient where
        // TensorFlow's signature puts it (after lr for GradientDescent's delta and Momentum's grad, last for the others).
        var nodes = new List<Protos.NodeDef> { Node("var", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(Shape)), ("shared_name", Str("var"))) };
        foreach (var (slot, _) in optimizer.Slots)
            nodes.Add(Node(slot, "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(Shape)), ("shared_name", Str(slot))));
        int hyperCount = optimizer.Hyper(1).Length;
        for (int h = 0; h < hyperCount; h++) nodes.Add(Placeholder($"h{h}", DType.Float32));
        nodes.Add(Placeholder("grad", DType.Float32));
        var inputs = new List<string> { "var" };
        inputs.AddRange(optimizer.Slots.Select(s => s.Name));
        var hypers = Enumerable.Range(0, hyperCount).Select(h => $"h{h}").ToList();
        switch (optimizer.Op)
        {
            case "ResourceApplyGradientDescent": inputs.AddRange([hypers[0], "grad"]); break;
            case "ResourceApplyMomentum": inputs.AddRange([hypers[0], "grad", "momentum"]); nodes.Add(Const("momentum", Tensor.Scalar(0.9f))); break;
            default: inputs.AddRange(hypers); inputs.Add("grad"); break;
        }
        nodes.Add(Node("apply", optimizer.Op, [.. inputs], [("T", Type(DType.Float32)), .. optimizer.Attrs]));
        var session = new GraphSession(GraphImporter.Import(Graph([.. nodes])));
        session.Resources.GetOrCreate("", "var").Assign(Tensor.FromArray<float>(Start(), Shape));
        foreach (var (slot, fill) in optimizer.Slots)
            session.Resources.GetOrCreate("", slot).Assign(Tensor.FromArray<float>([.. Enumerable.Repeat(fill, 6)], Shape));
        var gradients = GradientSequence();
        for (int t = 1; t <= Steps; t++)
        {
            var feeds = new Dictionary<string, Tensor> { ["grad:0"] = Tensor.FromArray<float>(gradients[t - 1], Shape) };
            float[] values = optimizer.Hyper(t);
            for (int h = 0; h < values.Length; h++) feeds[$"h{h}:0"] = Tensor.Scalar(values[h]);
            session.Run(feeds, [], ["apply"]);
        }
        return session.Resources.GetOrCreate("", "var").Read().ToArray<float>();
    }

    [Fact]
    public void FiveStepsOfEachOptimizerMatchTensorFlowJs()
    {
        var cases = new JsonArray();
        foreach (var optimizer in s_optimizers)
        {
            cases.Add(new JsonObject
            {
                ["kind"] = "optimizer",
                ["optimizer"] = optimizer.JsName,
                ["settings"] = optimizer.JsSettings.DeepClone(),
                ["start"] = new JsonArray(TensorFlowJs.Spec("float32", Shape, Start().Select(v => (double)v))),
                ["gradients"] = new JsonArray([.. GradientSequence().Select(g => (JsonNode)new JsonArray(new JsonArray([.. g.Select(v => (JsonNode)(double)v)])))]),
            });
        }
        var results = TensorFlowJs.Run(cases);
        var failures = new List<string>();
        for (int i = 0; i < s_optimizers.Length; i++)
        {
            var (values, error) = results[i];
            if (values is null) { failures.Add($"{s_optimizers[i].Name}: TensorFlow.js failed: {error}"); continue; }
            float[] ours = RunStaticFlow(s_optimizers[i]);
            for (int e = 0; e < ours.Length; e++)
                if (Math.Abs(ours[e] - values[0][e]) > 1e-5 * (1 + Math.Abs(values[0][e])))
                    failures.Add($"{s_optimizers[i].Name}[{e}]: StaticFlow {ours[e]}, TensorFlow.js {values[0][e]}");
            output.WriteLine($"{s_optimizers[i].Name}: {string.Join(", ", ours.Select(v => v.ToString("G6")))}");
        }
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void AGradientOfAnotherShapeNamesTheVariable()
    {
        var nodes = new[]
        {
            Node("var", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(Shape)), ("shared_name", Str("weights"))),
            Placeholder("lr", DType.Float32), Placeholder("grad", DType.Float32),
            Node("apply", "ResourceApplyGradientDescent", ["var", "lr", "grad"], ("T", Type(DType.Float32))),
        };
        var session = new GraphSession(GraphImporter.Import(Graph(nodes)));
        session.Resources.GetOrCreate("", "weights").Assign(Tensor.FromArray<float>(Start(), Shape));
        var error = Assert.Throws<GraphException>(() => session.Run(new Dictionary<string, Tensor>
        {
            ["lr:0"] = Tensor.Scalar(0.1f), ["grad:0"] = Tensor.FromArray<float>([1f, 2f], 2),
        }, [], ["apply"]));
        Assert.Contains("'weights'", error.Message);
        Assert.Contains("[2]", error.Message);
    }

    /// <summary>
    /// SGD on one variable, fed <c>lr</c> and <c>grad</c>: <c>apply</c>; <c>doubled</c>, a reader of <c>read</c> that
    /// runs after <c>apply</c>; and <c>halved</c>, a reader of <c>read</c> that runs before <c>apply_after</c>.
    /// </summary>
    private static (GraphSession Session, Variable Variable) SgdSession(long length)
    {
        var nodes = new[]
        {
            Node("var", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(length)), ("shared_name", Str("w"))),
            Placeholder("lr", DType.Float32), Placeholder("grad", DType.Float32),
            Node("apply", "ResourceApplyGradientDescent", ["var", "lr", "grad"], ("T", Type(DType.Float32))),
            Node("read", "ReadVariableOp", ["var"], ("dtype", Type(DType.Float32))),
            Const("two", Tensor.Scalar(2f)),
            Node("doubled", "Mul", ["read", "two", "^apply"], ("T", Type(DType.Float32))),
            Const("half", Tensor.Scalar(0.5f)),
            Node("halved", "Mul", ["read", "half"], ("T", Type(DType.Float32))),
            Node("apply_after", "ResourceApplyGradientDescent", ["var", "lr", "grad", "^halved"], ("T", Type(DType.Float32))),
        };
        var session = new GraphSession(GraphImporter.Import(Graph(nodes)));
        var variable = session.Resources.GetOrCreate("", "w");
        variable.Assign(Tensor.FromArray<float>([.. Enumerable.Range(0, (int)length).Select(i => (float)i)], length));
        return (session, variable);
    }

    private static Dictionary<string, Tensor> SgdFeeds(long length, float lr) => new()
    {
        ["lr:0"] = Tensor.Scalar(lr), ["grad:0"] = Tensor.FromArray<float>([.. Enumerable.Repeat(1f, (int)length)], length),
    };

    [Fact]
    public void AStepUpdatesTheVariablesOwnTensorInPlaceButNeverAValueHandedOut()
    {
        var (session, variable) = SgdSession(4);
        var feeds = SgdFeeds(4, 0.5f);
        var given = variable.Peek();
        session.Run(feeds, [], ["apply"]);
        var first = variable.Peek();
        Assert.NotSame(given, first);
        Assert.Equal([0f, 1, 2, 3], given.ToArray<float>());
        Assert.Equal([-0.5f, 0.5f, 1.5f, 2.5f], first.ToArray<float>());

        session.Run(feeds, [], ["apply"]);
        Assert.Same(first, variable.Peek());
        Assert.Equal([-1f, 0, 1, 2], first.ToArray<float>());

        // A value read for keeps stays as it was: the next step writes a fresh tensor, which the step after updates in place.
        var held = variable.Read();
        session.Run(feeds, [], ["apply"]);
        var second = variable.Peek();
        Assert.NotSame(held, second);
        Assert.Equal([-1f, 0, 1, 2], held.ToArray<float>());
        session.Run(feeds, [], ["apply"]);
        Assert.Same(second, variable.Peek());
        Assert.Equal([-2f, -1, 0, 1], second.ToArray<float>());

        // So does a fetched read: it is not a borrow.
        var fetched = session.Run(feeds, ["read:0"], ["apply"])[0];
        float[] atFetch = fetched.ToArray<float>(), afterRun = variable.Peek().ToArray<float>();
        session.Run(feeds, [], ["apply"]);
        Assert.Equal(atFetch, fetched.ToArray<float>());
        Assert.Equal(afterRun.Select(v => v - 0.5f), variable.Peek().ToArray<float>());
    }

    [Fact]
    public void AReaderThatRunsAfterTheStepSeesTheValueOfItsRead()
    {
        var (session, variable) = SgdSession(3);
        var feeds = SgdFeeds(3, 1f);
        session.Run(feeds, [], ["apply"]);
        var owned = variable.Peek();
        // doubled reads the borrowed value after the step ran: the borrow makes the step write a fresh tensor.
        var doubled = session.Run(feeds, ["doubled:0"])[0];
        Assert.Equal([-2f, 0, 2], doubled.ToArray<float>());
        Assert.Equal([-2f, -1, 0], variable.Peek().ToArray<float>());
        Assert.NotSame(owned, variable.Peek());
        Assert.Equal([-1f, 0, 1], owned.ToArray<float>());
    }

    [Fact]
    public void AReadWhoseReadersAreDoneBeforeTheStepLeavesTheStepInPlace()
    {
        var (session, variable) = SgdSession(3);
        var feeds = SgdFeeds(3, 1f);
        session.Run(feeds, [], ["apply"]);
        var owned = variable.Peek();
        var halved = session.Run(feeds, ["halved:0"], ["apply_after"])[0];
        Assert.Equal([-0.5f, 0, 0.5f], halved.ToArray<float>());
        Assert.Same(owned, variable.Peek());
        Assert.Equal([-2f, -1, 0], owned.ToArray<float>());
    }

    [Fact]
    public void ABorrowingReadOfAnUninitializedVariableNamesItAndAFailedRunLeavesNoBorrowBehind()
    {
        var nodes = new[]
        {
            Node("var", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(3)), ("shared_name", Str("w"))),
            Node("read", "ReadVariableOp", ["var"], ("dtype", Type(DType.Float32))),
            Node("negated", "Neg", ["read"], ("T", Type(DType.Float32))),
            // A reader that fails after the read has borrowed: fed a vector that does not broadcast with it.
            Placeholder("other", DType.Float32),
            Node("product", "Mul", ["read", "other"], ("T", Type(DType.Float32))),
            Placeholder("lr", DType.Float32), Placeholder("grad", DType.Float32),
            Node("apply", "ResourceApplyGradientDescent", ["var", "lr", "grad", "^negated"], ("T", Type(DType.Float32))),
        };
        var session = new GraphSession(GraphImporter.Import(Graph(nodes)));
        var error = Assert.Throws<GraphException>(() => session.Run(new Dictionary<string, Tensor>(), ["negated:0"]));
        Assert.Contains("'w'", error.Message);
        Assert.Contains("uninitialized", error.Message);

        // A run that fails after the borrow returns it: once the variable owns its tensor, a step after a borrowing
        // read still updates it in place.
        var variable = session.Resources.GetOrCreate("", "w");
        variable.Assign(Tensor.FromArray<float>([1f, 2f, 3f], 3));
        var feeds = SgdFeeds(3, 1f);
        session.Run(feeds, [], ["apply"]);
        var owned = variable.Peek();
        Assert.Throws<GraphException>(() => session.Run(new Dictionary<string, Tensor> { ["other:0"] = Tensor.FromArray<float>([1f, 2f], 2) }, ["product:0"]));
        session.Run(feeds, ["negated:0"], ["apply"]);
        Assert.Same(owned, variable.Peek());
        Assert.Equal([-1f, 0, 1], owned.ToArray<float>());
    }

    [Fact]
    public void AProductOfWeightsUpdatedInPlaceNeverUsesAStalePacking()
    {
        // x · w with w trained in place between runs: the product packs w once per value it sees twice in a row.
        var nodes = new[]
        {
            Node("var", "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(4, 3)), ("shared_name", Str("w"))),
            Node("read", "ReadVariableOp", ["var"], ("dtype", Type(DType.Float32))),
            Placeholder("x", DType.Float32),
            Node("product", "MatMul", ["x", "read"], ("T", Type(DType.Float32))),
            Placeholder("lr", DType.Float32), Placeholder("grad", DType.Float32),
            Node("apply", "ResourceApplyGradientDescent", ["var", "lr", "grad"], ("T", Type(DType.Float32))),
        };
        var session = new GraphSession(GraphImporter.Import(Graph(nodes)));
        var variable = session.Resources.GetOrCreate("", "w");
        variable.Assign(Tensor.FromArray<float>([.. Enumerable.Range(0, 12).Select(i => (float)i)], 4, 3));
        var x = Tensor.FromArray<float>([1f, 0, 2, -1, 0.5f, 1, 0, 3], 2, 4);
        var step = new Dictionary<string, Tensor> { ["lr:0"] = Tensor.Scalar(0.25f), ["grad:0"] = Tensor.FromArray<float>([.. Enumerable.Range(0, 12).Select(i => i % 5 - 2f)], 4, 3) };
        float[] Expected()
        {
            float[] w = variable.Peek().ToArray<float>(), xs = x.ToArray<float>(), y = new float[6];
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    for (int p = 0; p < 4; p++) y[i * 3 + j] += xs[i * 4 + p] * w[p * 3 + j];
            return y;
        }
        session.Run(step, [], ["apply"]);
        var owned = variable.Peek();
        for (int round = 0; round < 4; round++)
        {
            // Three products on one value (the second and third from the kept packing), then an in-place step.
            for (int run = 0; run < 3; run++)
                Assert.Equal(Expected(), session.Run(new Dictionary<string, Tensor> { ["x:0"] = x }, ["product:0"])[0].ToArray<float>());
            session.Run(step, [], ["apply"]);
            Assert.Same(owned, variable.Peek());
        }
    }

    [Fact]
    public async Task ValuesReadWhileAnotherThreadTrainsAreWholeStepsAndStayPut()
    {
        const long Length = 1 << 18;
        var (session, variable) = SgdSession(Length);
        var feeds = SgdFeeds(Length, 1f);
        using var stop = new CancellationTokenSource();
        var trainer = Task.Run(() =>
        {
            for (int step = 0; step < 400; step++) session.Run(feeds, [], ["apply"]);
            stop.Cancel();
        });
        var failures = new List<string>();
        while (!stop.IsCancellationRequested && failures.Count == 0)
        {
            var snapshot = variable.Read();
            float[] before = snapshot.ToArray<float>();
            // Every element has moved by the same number of whole steps (element i starts at i).
            float steps = -before[0];
            for (int i = 0; i < before.Length && failures.Count == 0; i++)
                if (before[i] != i - steps) failures.Add($"element {i} is {before[i]}, element 0 {before[0]}: a torn step");
            Thread.Sleep(1);
            if (!snapshot.ToArray<float>().AsSpan().SequenceEqual(before)) failures.Add("a value read for keeps changed");
        }
        await trainer;
        Assert.Empty(failures);
        Assert.Equal(-400f, variable.Read().ToArray<float>()[0]);
    }

    [Fact]
    public void AdamOnAVariableLargeEnoughToSplitAcrossCoresStepsEveryElementAsTheFormulaSays()
    {
        // Odd-sized, so the split, the vector loops and the scalar tails all meet somewhere.
        const int Length = (1 << 17) + 37;
        var random = new Random(3);
        float[] start = [.. Enumerable.Range(0, Length).Select(_ => random.NextSingle() - 0.5f)];
        float[][] gradients = [.. Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, Length).Select(_ => random.NextSingle() - 0.5f).ToArray())];
        var nodes = new List<Protos.NodeDef>();
        foreach (string name in new[] { "var", "m", "v" })
            nodes.Add(Node(name, "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(Length)), ("shared_name", Str(name))));
        for (int h = 0; h < 6; h++) nodes.Add(Placeholder($"h{h}", DType.Float32));
        nodes.Add(Placeholder("grad", DType.Float32));
        nodes.Add(Node("apply", "ResourceApplyAdam", ["var", "m", "v", "h0", "h1", "h2", "h3", "h4", "h5", "grad"], ("T", Type(DType.Float32))));
        var session = new GraphSession(GraphImporter.Import(Graph([.. nodes])));
        session.Resources.GetOrCreate("", "var").Assign(Tensor.FromArray<float>(start, Length));
        session.Resources.GetOrCreate("", "m").Assign(Tensor.Zeros(DType.Float32, new TensorShape(Length)));
        session.Resources.GetOrCreate("", "v").Assign(Tensor.Zeros(DType.Float32, new TensorShape(Length)));

        float[] w = (float[])start.Clone(), m = new float[Length], v = new float[Length];
        const float lr = 0.01f, beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;
        for (int t = 1; t <= 3; t++)
        {
            float beta1Power = MathF.Pow(beta1, t), beta2Power = MathF.Pow(beta2, t);
            var feeds = new Dictionary<string, Tensor> { ["grad:0"] = Tensor.FromArray<float>(gradients[t - 1], Length) };
            float[] hypers = [beta1Power, beta2Power, lr, beta1, beta2, epsilon];
            for (int h = 0; h < 6; h++) feeds[$"h{h}:0"] = Tensor.Scalar(hypers[h]);
            session.Run(feeds, [], ["apply"]);
            // The kernel's formula, element by element, in the kernel's order of operations.
            float alpha = lr * MathF.Sqrt(1 - beta2Power) / (1 - beta1Power);
            for (int i = 0; i < Length; i++)
            {
                float g = gradients[t - 1][i];
                m[i] = m[i] + (g - m[i]) * (1 - beta1);
                v[i] = v[i] + (g * g - v[i]) * (1 - beta2);
                w[i] = w[i] - m[i] * alpha / (MathF.Sqrt(v[i]) + epsilon);
            }
        }
        Assert.Equal(w, session.Resources.GetOrCreate("", "var").Read().ToArray<float>());
        Assert.Equal(m, session.Resources.GetOrCreate("", "m").Read().ToArray<float>());
        Assert.Equal(v, session.Resources.GetOrCreate("", "v").Read().ToArray<float>());
    }
}
