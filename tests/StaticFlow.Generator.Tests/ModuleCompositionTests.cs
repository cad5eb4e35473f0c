using System.Reflection;
using StaticFlow.Checkpoints;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// Modules that hold modules, as nested <c>tf.Module</c>s: layers whose shapes come from constructor arguments,
/// children in fields, arrays and lists, static helpers; variables tracked by path; eager and graph agree.
/// </summary>
public class ModuleCompositionTests
{
    internal const string Source = """
        using System.Collections.Generic;
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Dense
        {
            public Dense(int inputs, int units, bool relu = false)
            {
                Inputs = inputs;
                Units = units;
                UseRelu = relu;
                InitializeVariables();
            }

            public int Inputs { get; }
            public int Units { get; }
            public bool UseRelu { get; }

            [Variable(nameof(Inputs), nameof(Units), Init = Init.GlorotUniform)] Tensor<float> kernel;
            [Variable(nameof(Units), Init = Init.RandomNormal)] Tensor<float> bias;

            [GraphFunction]
            public Tensor<float> Call(Tensor<float> x)
            {
                var y = Ops.MatMul(x, kernel) + bias;
                return UseRelu ? Ops.Relu(y) : y;
            }
        }

        [GraphModule]
        public partial class Block
        {
            public Block(int width)
            {
                first = new Dense(width, width, relu: true);
                second = new Dense(width, width);
                InitializeVariables();
            }

            readonly Dense first;
            readonly Dense second;
            [Variable(Init = Init.Ones)] Tensor<float> gate;

            [GraphFunction]
            public Tensor<float> Call(Tensor<float> x) => x + second.Call(first.Call(x)) * gate;
        }

        [GraphModule]
        public partial class Scale
        {
            public Scale(int units) { Units = units; InitializeVariables(); }
            public int Units { get; }
            [Variable(nameof(Units), Init = Init.RandomNormal)] Tensor<float> factors;

            [GraphFunction]
            public Tensor<float> Call(Tensor<float> x) => x * factors;
        }

        public static class Activations
        {
            [GraphFunction]
            public static Tensor<float> Swish(Tensor<float> x) => x * Ops.Sigmoid(x);
        }

        [GraphModule]
        public partial class Encoder
        {
            readonly Dense input = new(6, 4, relu: true);
            readonly Block[] blocks = [new Block(4), new Block(4)];
            readonly List<Dense> heads = new() { new Dense(4, 3), new Dense(4, 2) };

            [GraphFunction(Signature = "serving_default")]
            public (Tensor<float> a, Tensor<float> b) Encode([Shape(-1, 6)] Tensor<float> x)
            {
                var h = input.Call(x);
                foreach (var block in blocks) h = block.Call(h);
                h = Activations.Swish(h);
                return (heads[0].Call(h), heads[1].Call(h));
            }

            [GraphFunction]
            public Tensor<float> Indexed([Shape(-1, 6)] Tensor<float> x)
            {
                var h = input.Call(x);
                for (int i = 0; i < blocks.Length; i++) h = blocks[i].Call(h);
                return heads[heads.Count - 1].Call(h);
            }
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Source));

    private static object Create(string type, params object[] arguments) => Activator.CreateInstance(s_assembly.Value.GetType("Models." + type)!, arguments)!;

    private static object Invoke(object module, string method, params object[] arguments)
    {
        var info = module.GetType().GetMethod(method)!;
        object?[] all = [.. arguments, .. Enumerable.Repeat(Type.Missing, info.GetParameters().Length - arguments.Length)];
        try { return info.Invoke(module, all)!; }
        catch (TargetInvocationException error) when (error.InnerException is not null) { throw error.InnerException; }
    }

    private static Tensor<float>[] Outputs(object result) => result is Tensor<float> single
        ? [single]
        : [.. result.GetType().GetFields().Select(f => (Tensor<float>)f.GetValue(result)!)];

    private static Tensor<float> Random(Random random, int rows, int columns) =>
        Tensor<float>.From([.. Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() * 4 - 2))], rows, columns);

    private static void AssertClose(Tensor<float> expected, Tensor<float> actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float[] e = expected.ToArray(), a = actual.ToArray();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-5f * Math.Max(1f, Math.Abs(e[i])), $"{what}, element {i}: {e[i]} vs {a[i]}");
    }

    [Theory]
    [InlineData("Encode")]
    [InlineData("Indexed")]
    public void EagerAndGraphAgreeThroughNestedModules(string function)
    {
        var random = new Random(5);
        for (int seed = 0; seed < 3; seed++)
        {
            var encoder = (IGraphModule)Create("Encoder");
            Invoke(encoder, "InitializeVariables", seed);
            var x = Random(random, 1 + seed, 6);
            var eager = Outputs(Invoke(encoder, function, x));
            var graph = Outputs(Invoke(encoder, function + "Graph", x));
            Assert.Equal(eager.Length, graph.Length);
            for (int i = 0; i < eager.Length; i++) AssertClose(eager[i], graph[i], $"{function} output {i}, seed {seed}");
        }
    }

    [Fact]
    public void VariablesAreTrackedUnderTheirModulePaths()
    {
        var encoder = (IGraphModule)Create("Encoder");
        var variables = encoder.GetVariables();
        string[] expected =
        [
            "input/kernel", "input/bias",
            "blocks/0/gate", "blocks/0/first/kernel", "blocks/0/first/bias", "blocks/0/second/kernel", "blocks/0/second/bias",
            "blocks/1/gate", "blocks/1/first/kernel", "blocks/1/first/bias", "blocks/1/second/kernel", "blocks/1/second/bias",
            "heads/0/kernel", "heads/0/bias", "heads/1/kernel", "heads/1/bias",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), variables.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(expected.Order(StringComparer.Ordinal), encoder.Definition.Variables.Select(v => v.Name).Order(StringComparer.Ordinal));
        // Shapes come from each child's constructor arguments, resolved at compile time.
        Assert.Equal(new TensorShape(6, 4), variables["input/kernel"].Shape);
        Assert.Equal(new TensorShape(4, 2), variables["heads/1/kernel"].Shape);
        Assert.Equal(TensorShape.Scalar, variables["blocks/1/gate"].Shape);
        Assert.Equal([4L, 2L], encoder.Definition.Variables.Single(v => v.Name == "heads/1/kernel").Shape);

        var graph = encoder.Definition.ToGraphDef();
        Assert.Contains(graph.Node, n => n.Op == "VarHandleOp" && n.Name == "blocks/0/first/kernel" && n.Attr["shape"].Shape.Dim.Select(d => d.Size).SequenceEqual([4L, 4L]));
        // A child's nodes sit under its path, as Keras names a layer's.
        Assert.Contains(graph.Node, n => n.Name.StartsWith("Encode/input/", StringComparison.Ordinal) && n.Op == "MatMul");
        Assert.Contains(graph.Node, n => n.Name.StartsWith("Encode/blocks/1/second/", StringComparison.Ordinal) && n.Op == "MatMul");
        // Relu only where the layer was built with relu: true (a member fixed by the constructor is a constant).
        Assert.Contains(graph.Node, n => n.Name.StartsWith("Encode/input/", StringComparison.Ordinal) && n.Op == "Relu");
        Assert.DoesNotContain(graph.Node, n => n.Name.StartsWith("Encode/heads", StringComparison.Ordinal) && n.Op == "Relu");
    }

    [Fact]
    public void ACheckpointOfNestedModulesCarriesTheObjectGraphAndRestores()
    {
        var source = (IGraphModule)Create("Encoder");
        Invoke(source, "InitializeVariables", 11);
        string prefix = source.SaveCheckpoint(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "ckpt-1"));
        using (var reader = CheckpointReader.Open(prefix))
        {
            Assert.True(reader.Contains("blocks/1/first/kernel"));
            Assert.True(reader.IsObjectBased);
            Assert.Contains(reader.ListVariables(), v => v.Name == "blocks/1/first/kernel/.ATTRIBUTES/VARIABLE_VALUE");
        }
        var restored = (IGraphModule)Create("Encoder");
        restored.RestoreCheckpoint(prefix);
        var x = Random(new Random(2), 3, 6);
        var expected = Outputs(Invoke(source, "Encode", x));
        var actual = Outputs(Invoke(restored, "EncodeGraph", x));
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], actual[i], $"restored output {i}");
    }

    [Fact]
    public void SetVariablesChecksEveryNestedVariableBeforeReplacingAny()
    {
        var encoder = (IGraphModule)Create("Encoder");
        var before = encoder.GetVariables();
        var values = new Dictionary<string, Tensor>(before, StringComparer.Ordinal) { ["blocks/0/first/kernel"] = Tensor.FromArray(new float[12], 3, 4) };
        var error = Assert.Throws<ArgumentException>(() => encoder.SetVariables(values));
        Assert.Contains("blocks/0/first/kernel", error.Message, StringComparison.Ordinal);
        Assert.Same(before["input/kernel"], encoder.GetVariables()["input/kernel"]);
    }

    [Fact]
    public void ALayerRunsAsItsOwnGraphWithShapesTakenFromItsMembers()
    {
        var random = new Random(9);
        foreach (int units in new[] { 2, 7 })
        {
            var scale = (IGraphModule)Create("Scale", units);
            Assert.Equal(new TensorShape(units), scale.GetVariables()["factors"].Shape);
            // Its own graph does not know the dimension: a member, set at run time.
            Assert.Equal([-1L], scale.Definition.Variables.Single(v => v.Name == "factors").Shape);
            var x = Random(random, 4, units);
            AssertClose((Tensor<float>)Invoke(scale, "Call", x), (Tensor<float>)Invoke(scale, "CallGraph", x), $"Scale({units})");
        }
    }

    [Fact]
    public void ALayerWhoseGraphDependsOnItsConfigurationCompilesOnlyInsideAParent()
    {
        // Dense.Call reads UseRelu, which only the constructor's arguments decide: no DenseGraph of its own, no
        // diagnostic; it runs eagerly, and compiles inside Encoder, which creates it with constants.
        var type = s_assembly.Value.GetType("Models.Dense")!;
        Assert.Null(type.GetMethod("CallGraph"));
        var dense = (IGraphModule)Create("Dense", 3, 2, true);
        Assert.Empty(dense.Definition.Functions);
        var y = (Tensor<float>)Invoke(dense, "Call", Random(new Random(1), 5, 3));
        Assert.All(y.ToArray(), v => Assert.True(v >= 0));
    }

    [Fact]
    public void TheExportedModelRunsThroughTheRuntime()
    {
        var encoder = (IGraphModule)Create("Encoder");
        Invoke(encoder, "InitializeVariables", 3);
        string directory = encoder.ExportSavedModel(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "encoder"));
        var x = Random(new Random(4), 2, 6);
        var expected = Outputs(Invoke(encoder, "Encode", x));
        var outputs = SavedModelBundle.Load(directory).GetSignature("serving_default").Run(new Dictionary<string, Tensor> { ["x"] = x.Untyped });
        AssertClose(expected[0], new Tensor<float>(outputs["a"]), "a");
        AssertClose(expected[1], new Tensor<float>(outputs["b"]), "b");
    }

    [Fact]
    public void EachGraphFunctionIsAlsoAConcreteFunctionTakingItsVariablesAsResources()
    {
        // As TensorFlow 2 traces a tf.function: a library function whose trailing inputs are the variables it
        // captures (resource handles); called with the module's variables it computes what the module does.
        var encoder = (IGraphModule)Create("Encoder");
        Invoke(encoder, "InitializeVariables", 5);
        var info = encoder.Definition.Function("Encode");
        Assert.NotNull(info.ConcreteFunction);
        Assert.Equal(16, info.CapturedVariables!.Length);
        var function = encoder.Definition.ToGraphDef().Library.Function.Single(f => f.Signature.Name == info.ConcreteFunction);
        Assert.Equal(1 + 16, function.Signature.InputArg.Count);
        Assert.All(function.Signature.InputArg.Skip(1), arg => Assert.Equal(Protos.DataType.DtResource, arg.Type));

        var session = new StaticFlow.Execution.GraphSession(encoder.Definition.Graph);
        var variables = encoder.GetVariables();
        var arguments = new List<StaticFlow.Execution.Value>();
        var x = Random(new Random(8), 3, 6);
        arguments.Add(new StaticFlow.Execution.Value(x.Untyped, null));
        foreach (string name in info.CapturedVariables)
        {
            var variable = session.Resources.GetOrCreate("", name);
            variable.Assign(variables[name]);
            arguments.Add(new StaticFlow.Execution.Value(null, variable));
        }
        var results = session.CallFunction(info.ConcreteFunction!, [.. arguments]);
        var expected = Outputs(Invoke(encoder, "Encode", x));
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], new Tensor<float>(results[i].Tensor!), $"concrete output {i}");
    }

    [Fact]
    public void ATf2ExportCarriesAConsistentObjectGraphAndItsFunctionsRunByPath()
    {
        var encoder = (IGraphModule)Create("Encoder");
        Invoke(encoder, "InitializeVariables", 4);
        string directory = encoder.ExportSavedModel(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "encoder"), new SavedModelExportOptions { ObjectGraph = true });
        var bundle = SavedModelBundle.Load(directory);
        var graph = bundle.ObjectGraph!;
        var library = bundle.MetaGraph.GraphDef.Library.Function.ToDictionary(f => f.Signature.Name);

        // Every reference resolves: children to nodes, functions to concrete functions to library functions,
        // bound inputs to variable nodes whose path from the root is the variable's name.
        var pathOf = new Dictionary<int, string> { [0] = "" };
        var pending = new Queue<int>([0]);
        while (pending.Count > 0)
        {
            int node = pending.Dequeue();
            foreach (var child in graph.Nodes[node].Children)
            {
                Assert.InRange(child.NodeId, 0, graph.Nodes.Count - 1);
                if (pathOf.TryAdd(child.NodeId, pathOf[node].Length == 0 ? child.LocalName : pathOf[node] + "/" + child.LocalName)) pending.Enqueue(child.NodeId);
            }
        }
        var variableNodes = Enumerable.Range(0, graph.Nodes.Count).Where(i => graph.Nodes[i].KindCase == Protos.SavedObject.KindOneofCase.Variable).ToList();
        Assert.Equal(encoder.Definition.Variables.Select(v => v.Name).Order(StringComparer.Ordinal), variableNodes.Select(i => graph.Nodes[i].Variable.Name).Order(StringComparer.Ordinal));
        Assert.All(variableNodes, i => Assert.Equal(graph.Nodes[i].Variable.Name, pathOf[i]));
        foreach (var function in encoder.Definition.Functions)
        {
            var node = graph.Nodes[graph.Nodes[0].Children.Single(c => c.LocalName == function.Name).NodeId];
            string concreteName = Assert.Single(node.Function.ConcreteFunctions);
            Assert.True(library.ContainsKey(concreteName), concreteName);
            var concrete = graph.ConcreteFunctions[concreteName];
            Assert.Equal(function.CapturedVariables!, concrete.BoundInputs.Select(i => graph.Nodes[i].Variable.Name));
            Assert.Equal(function.Inputs.Length + concrete.BoundInputs.Count, library[concreteName].Signature.InputArg.Count);
        }
        var signatures = graph.Nodes[graph.Nodes[0].Children.Single(c => c.LocalName == "signatures").NodeId];
        var serving = graph.Nodes[signatures.Children.Single(c => c.LocalName == "serving_default").NodeId];
        Assert.Equal(encoder.Definition.Function("Encode").ConcreteFunction, serving.BareConcreteFunction.ConcreteFunctionName);

        // The variables' checkpoint shares the node ids (TF2 matches the two graphs by id).
        using (var reader = CheckpointReader.Open(Path.Combine(directory, "variables", "variables")))
        {
            var trackable = reader.ObjectGraphProto!;
            Assert.All(variableNodes, i => Assert.Equal(graph.Nodes[i].Variable.Name, trackable.Nodes[i].Attributes.Single().FullName));
        }

        // Signatures still run, and functions run by their object paths on the restored variables.
        var x = Random(new Random(6), 2, 6);
        var expected = Outputs(Invoke(encoder, "Encode", x));
        var bySignature = bundle.GetSignature().Run(new Dictionary<string, Tensor> { ["x"] = x.Untyped });
        AssertClose(expected[0], new Tensor<float>(bySignature["a"]), "serving_default a");
        var byPath = bundle.Call("Encode", x.Untyped);
        AssertClose(expected[0], new Tensor<float>(byPath[0]), "Encode a");
        AssertClose(expected[1], new Tensor<float>(byPath[1]), "Encode b");
        AssertClose(Outputs(Invoke(encoder, "Indexed", x))[0], new Tensor<float>(bundle.Call("Indexed", x.Untyped)[0]), "Indexed");
        Assert.Throws<StaticFlow.Graphs.FeedException>(() => bundle.Call("blocks/0", x.Untyped));
        Assert.Contains("no 'Predict'", Assert.Throws<StaticFlow.Graphs.FeedException>(() => bundle.Call("Predict", x.Untyped)).Message, StringComparison.Ordinal);
        Assert.Contains("takes 1 inputs, got 2", Assert.Throws<StaticFlow.Graphs.FeedException>(() => bundle.Call("Encode", x.Untyped, x.Untyped)).Message, StringComparison.Ordinal);
        Assert.Contains("must have shape [?,6]", Assert.Throws<StaticFlow.Graphs.FeedException>(() => bundle.Call("Encode", Tensor.FromArray(new float[4], 2, 2))).Message, StringComparison.Ordinal);
    }
}
