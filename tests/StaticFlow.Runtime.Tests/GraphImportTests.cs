using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

public class GraphImportTests
{
    [Fact]
    public void UnknownInputIsNamed()
    {
        var e = Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(Node("y", "Identity", ["nope"], ("T", Type(DType.Float32))))));
        Assert.Equal("y", e.NodeName);
        Assert.Contains("'nope' names no node", e.Message);
    }

    [Fact]
    public void CycleIsNamed()
    {
        var e = Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(
            Node("a", "Identity", ["b"], ("T", Type(DType.Float32))),
            Node("b", "Identity", ["a"], ("T", Type(DType.Float32))))));
        Assert.Contains("cycle", e.Message);
        Assert.NotNull(e.NodeName);
    }

    [Fact]
    public void DuplicateNameIsNamed() =>
        Assert.Contains("duplicate node name", Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(Const("c", Tensor.Scalar(1f)), Const("c", Tensor.Scalar(2f))))).Message);

    [Fact]
    public void UnknownOpIsNamed()
    {
        var e = Assert.Throws<KernelNotFoundException>(() => GraphImporter.Import(Graph(Node("x", "FancyOp"))));
        Assert.Equal("FancyOp", e.Op);
        Assert.Contains("unknown op 'FancyOp'", e.Message);
    }

    [Fact]
    public void MissingAttrWithoutDefaultIsNamed() =>
        Assert.Contains("missing attr 'T'", Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(Const("c", Tensor.Scalar(1f)), Node("y", "Identity", ["c"])))).Message);

    [Fact]
    public void DTypeMismatchNamesBothTypes()
    {
        var e = Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(
            Const("a", Tensor.Scalar(1f)), Const("b", Tensor.Scalar(1)), Node("sum", "AddV2", ["a", "b"], ("T", Type(DType.Float32))))));
        Assert.Equal("sum", e.NodeName);
        Assert.Contains("input 1 ('b') is DT_INT32 but the op expects DT_FLOAT", e.Message);
    }

    [Fact]
    public void DefaultsAreFilledAndOutputsCounted()
    {
        var graph = GraphImporter.Import(Graph(Const("v", Tensor.FromArray<float>([1, 2, 3, 4], 4)),
            Node("s", "Split", ["d", "v"], ("T", Type(DType.Float32)), ("num_split", Int(2))), Const("d", Tensor.Scalar(0))));
        Assert.Equal(2, graph.Find("s")!.OutputTypes.Count);
        var matmul = GraphImporter.Import(Graph(Const("m", Tensor.FromArray<float>([1], 1, 1)), Node("p", "MatMul", ["m", "m"], ("T", Type(DType.Float32)))));
        Assert.False(matmul.Find("p")!.Attrs["transpose_a"].B);
    }

    [Fact]
    public void FeedsOverrideProducersAndOnlyWhatIsNeededRuns()
    {
        // 'boom' would fail if it ran; it is not needed for 'y', and feeding 'x' cuts off 'never'.
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("never", DType.Float32),
            Node("x", "Identity", ["never"], ("T", Type(DType.Float32))),
            Const("two", Tensor.Scalar(2f)),
            Node("y", "Mul", ["x", "two"], ("T", Type(DType.Float32))),
            Placeholder("unfed", DType.Float32),
            Node("boom", "Neg", ["unfed"], ("T", Type(DType.Float32))))));
        var result = session.Run(new Dictionary<string, Tensor> { ["x:0"] = Tensor.Scalar(21f) }, ["y:0"]);
        Assert.Equal(42f, result[0].AsSpan<float>()[0]);
        var e = Assert.Throws<GraphException>(() => session.Run(null, ["boom:0"]));
        Assert.Contains("you must feed a value for placeholder tensor 'unfed'", e.Message);
    }

    [Fact]
    public void ConcurrentRunsShareOnePlan()
    {
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("w", Tensor.FromArray<float>([1, 2, 3, 4], 2, 2)),
            Node("y", "MatMul", ["x", "w"], ("T", Type(DType.Float32))),
            Node("z", "Relu", ["y"], ("T", Type(DType.Float32))))));
        Parallel.For(0, 200, i =>
        {
            float v = i - 100;
            var r = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([v, v], 1, 2) }, ["z"])[0].ToArray<float>();
            Assert.Equal([Math.Max(0, 4 * v), Math.Max(0, 6 * v)], r);
        });
    }

    [Fact]
    public void FeedOfWrongDTypeOrShapeIsNamed()
    {
        var graph = Graph(Node("x", "Placeholder", null, ("dtype", Type(DType.Float32)), ("shape", Shape(-1, 2))), Node("y", "Neg", ["x"], ("T", Type(DType.Float32))));
        var session = new GraphSession(GraphImporter.Import(graph));
        Assert.Contains("is int32", Assert.Throws<FeedException>(() => session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<int>([1, 2], 1, 2) }, ["y"])).Message);
        Assert.Contains("takes [?,2]", Assert.Throws<FeedException>(() => session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Vector(1f, 2f) }, ["y"])).Message);
        Assert.Contains("no node 'q'", Assert.Throws<FeedException>(() => session.Run(null, ["q:0"])).Message);
    }

    [Fact]
    public void FunctionsAreCalledThroughPartitionedCallAndByName()
    {
        var function = new Protos.FunctionDef
        {
            Signature = new Protos.OpDef
            {
                Name = "double_it",
                InputArg = { new Protos.OpDef.Types.ArgDef { Name = "a", Type = Protos.DataType.DtFloat } },
                OutputArg = { new Protos.OpDef.Types.ArgDef { Name = "out", Type = Protos.DataType.DtFloat } },
            },
            NodeDef = { Node("two", "Const", null, ("dtype", Type(DType.Float32)), ("value", new Protos.AttrValue { Tensor = Tensor.Scalar(2f).ToProto() })),
                        Node("m", "Mul", ["a", "two:output:0"], ("T", Type(DType.Float32))) },
            Ret = { ["out"] = "m:z:0" },
        };
        var graph = Graph(Const("x", Tensor.Scalar(5f)),
            Node("call", "PartitionedCall", ["x"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("double_it"))),
            Node("direct", "double_it", ["call"]));
        graph.Library = new Protos.FunctionDefLibrary { Function = { function } };
        var session = new GraphSession(GraphImporter.Import(graph));
        var r = session.Run(null, ["call:0", "direct:0"]);
        Assert.Equal(10f, r[0].AsSpan<float>()[0]);
        Assert.Equal(20f, r[1].AsSpan<float>()[0]);
    }
}

public class ImplementationSelectionTests
{
    private static Protos.FunctionDef Implementation(string name, string device, Protos.NodeDef body, string ret) => new()
    {
        Signature = new Protos.OpDef
        {
            Name = name,
            InputArg = { new Protos.OpDef.Types.ArgDef { Name = "a", Type = Protos.DataType.DtFloat } },
            OutputArg = { new Protos.OpDef.Types.ArgDef { Name = "out", Type = Protos.DataType.DtFloat } },
        },
        Attr =
        {
            ["api_implements"] = new Protos.AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8("lstm_5f3a") },
            ["api_preferred_device"] = new Protos.AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8(device) },
        },
        NodeDef = { body },
        Ret = { ["out"] = ret },
    };

    [Fact]
    public void ACallOfAGpuImplementationRunsTheCpuImplementationOfTheSameInterface()
    {
        // As Keras writes an LSTM: the layer calls the CuDNN function; a standard one implements the same interface.
        var gpu = Implementation("cudnn_lstm", "GPU", Node("rnn", "CudnnRNNV3", ["a"], ("T", Type(DType.Float32))), "rnn:output:0");
        var cpu = Implementation("standard_lstm", "CPU", Node("n", "Neg", ["a"], ("T", Type(DType.Float32))), "n:y:0");
        var graph = Graph(Const("x", Tensor.Scalar(5f)),
            Node("call", "PartitionedCall", ["x"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("cudnn_lstm"))));
        graph.Library = new Protos.FunctionDefLibrary { Function = { gpu, cpu } };
        var session = new GraphSession(GraphImporter.Import(graph));
        Assert.Equal(-5f, session.Run(null, ["call:0"])[0].AsSpan<float>()[0]);
        Assert.Equal("standard_lstm", session.Graph.Library.ImplementationFor("cudnn_lstm"));
        Assert.Equal("standard_lstm", session.Graph.Library.ImplementationFor("standard_lstm"));

        // Without a CPU implementation the GPU one is what runs, and its op is named when it cannot.
        var alone = Graph(Const("x", Tensor.Scalar(5f)),
            Node("call", "PartitionedCall", ["x"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("cudnn_lstm"))));
        alone.Library = new Protos.FunctionDefLibrary { Function = { gpu.Clone() } };
        var error = Assert.ThrowsAny<GraphException>(() => new GraphSession(GraphImporter.Import(alone)).Run(null, ["call:0"]));
        Assert.Contains("CudnnRNNV3", error.Message, StringComparison.Ordinal);
        Assert.Contains("cudnn_lstm", error.Message, StringComparison.Ordinal);
    }
}

public class ShapeInferenceTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));

    [Fact]
    public void MatMulInnerDimensionMismatchFailsAtImportWithBothShapes()
    {
        var e = Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(
            Node("x", "Placeholder", null, ("dtype", Type(DType.Float32)), ("shape", Shape(-1, 5))),
            Const("w", Tensor.Zeros(DType.Float32, new TensorShape(4, 10))),
            Node("y", "MatMul", ["x", "w"], F32))));
        Assert.Equal("y", e.NodeName);
        Assert.Contains("[?,5]", e.Message);
        Assert.Contains("[4,10]", e.Message);
    }

    [Fact]
    public void BroadcastFailureFailsAtImport() =>
        Assert.Contains("[2,3] and [4]", Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(
            Const("a", Tensor.Zeros(DType.Float32, new TensorShape(2, 3))), Const("b", Tensor.Zeros(DType.Float32, new TensorShape(4))),
            Node("c", "AddV2", ["a", "b"], F32)))).Message);

    [Fact]
    public void ReshapeOfTheWrongSizeFailsAtImport() =>
        Assert.Contains("[2,3] (6 elements) cannot be reshaped to [4,?]", Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(
            Const("a", Tensor.Zeros(DType.Float32, new TensorShape(2, 3))), Const("s", Tensor.Vector(4, -1)),
            Node("r", "Reshape", ["a", "s"], F32)))).Message);

    [Fact]
    public void ShapesPropagateThroughADenseLayer()
    {
        var graph = GraphImporter.Import(Graph(
            Node("x", "Placeholder", null, ("dtype", Type(DType.Float32)), ("shape", Shape(-1, 5))),
            Const("w", Tensor.Zeros(DType.Float32, new TensorShape(5, 10))), Const("b", Tensor.Zeros(DType.Float32, new TensorShape(10))),
            Node("mm", "MatMul", ["x", "w"], F32), Node("bias", "BiasAdd", ["mm", "b"], F32), Node("relu", "Relu", ["bias"], F32),
            Const("flat", Tensor.Vector(-1)), Node("r", "Reshape", ["relu", "flat"], F32)));
        Assert.Equal(new TensorShape(-1, 10), graph.Find("relu")!.OutputShapes[0]);
        Assert.Equal(new TensorShape(-1), graph.Find("r")!.OutputShapes[0]);
    }

    [Fact]
    public void TheRealTf1ModelsOutputShapeIsInferred()
    {
        var bundle = SavedModels.SavedModelBundle.Load(TestData.CopyModel(TestData.HalfPlusTwoTf1));
        Assert.Equal(new TensorShape(-1, 1), bundle.Graph.Find("y")!.OutputShapes[0]);
    }
}
