using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// The TensorList ops on the cases of TensorFlow's <c>list_ops_test.py</c>: a list is built, changed and read
/// inside one graph, as TF2's TensorArray and Keras' recurrent layers use it.
/// </summary>
public class ListKernelTests
{
    private static readonly (string, AttrValue) F32 = ("element_dtype", Type(DType.Float32));
    private static readonly (string, AttrValue) I32Shape = ("shape_type", Type(DType.Int32));

    private static NodeDef IntVector(string name, params int[] values) => Const(name, Tensor.FromArray<int>(values, values.Length));

    private static NodeDef Scalar(string name, int value) => Const(name, Tensor.Scalar(value));

    private static Tensor[] Run(IEnumerable<NodeDef> nodes, params string[] fetches) =>
        [.. new GraphSession(GraphImporter.Import(Graph([.. nodes]))).Run(null, fetches)];

    private static NodeDef[] Matrix3x2() =>
    [
        Const("t", Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 3, 2)),
        IntVector("shape", -1),
        Node("list", "TensorListFromTensor", ["t", "shape"], F32, I32Shape),
        Scalar("unknown", -1),
    ];

    [Fact]
    public void FromTensorReadsBackRowByRowAndStacksWhole()
    {
        var results = Run([.. Matrix3x2(), Scalar("one", 1),
            Node("item", "TensorListGetItem", ["list", "one", "unknown"], F32),
            Node("length", "TensorListLength", ["list"]),
            Node("stack", "TensorListStack", ["list", "unknown"], F32, ("num_elements", Int(3))),
            Node("shape_of", "TensorListElementShape", ["list"], ("shape_type", Type(DType.Int64)))],
            "item:0", "length:0", "stack:0", "shape_of:0", "list:0");
        Assert.Equal([3f, 4f], results[0].ToArray<float>());
        Assert.Equal(3, results[1].ToArray<int>()[0]);
        Assert.Equal(new TensorShape(3, 2), results[2].Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], results[2].ToArray<float>());
        Assert.Equal([-1L], results[3].ToArray<long>());
        var list = Assert.IsType<TensorList>(results[4].Variants[0]);
        Assert.Equal((DType.Float32, 3), (list.ElementDType, list.Count));
        Assert.Equal("TensorList<float32>[3 of [?]]", list.ToString());
    }

    [Fact]
    public void SetItemReturnsANewListAndLeavesTheOldOneAsItWas()
    {
        var results = Run([.. Matrix3x2(), Scalar("zero", 0), Const("row", Tensor.FromArray<float>([9, 9], 2)),
            Node("changed", "TensorListSetItem", ["list", "zero", "row"], F32),
            Node("new", "TensorListStack", ["changed", "unknown"], F32),
            Node("old", "TensorListStack", ["list", "unknown"], F32)],
            "new:0", "old:0");
        Assert.Equal([9f, 9, 3, 4, 5, 6], results[0].ToArray<float>());
        Assert.Equal([1f, 2, 3, 4, 5, 6], results[1].ToArray<float>());
    }

    [Fact]
    public void ReservedElementsReadAsZerosOfTheKnownShape()
    {
        var results = Run([IntVector("shape", -1, 3), Scalar("three", 3), Scalar("one", 1), IntVector("full", 2, 3), Const("row", Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 2, 3)),
            Node("list", "TensorListReserve", ["shape", "three"], F32, I32Shape),
            Node("unset", "TensorListGetItem", ["list", "one", "full"], F32),
            Node("set", "TensorListSetItem", ["list", "one", "row"], F32),
            // With one element set, the others take its shape.
            Node("stack", "TensorListStack", ["set", "shape"], F32)],
            "unset:0", "stack:0");
        Assert.Equal(new TensorShape(2, 3), results[0].Shape);
        Assert.All(results[0].ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(new TensorShape(3, 2, 3), results[1].Shape);
        Assert.Equal([0f, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0], results[1].ToArray<float>());
    }

    [Fact]
    public void PushBackAndPopBackAreLastInFirstOut()
    {
        var results = Run([Scalar("unknown", -1), Scalar("max", -1),
            Node("empty", "EmptyTensorList", ["unknown", "max"], F32, I32Shape),
            Const("a", Tensor.Scalar(1f)), Const("b", Tensor.Scalar(2f)),
            Node("one", "TensorListPushBack", ["empty", "a"], F32),
            Node("two", "TensorListPushBack", ["one", "b"], F32),
            // A second push onto the one-element list must not see the first list's later push.
            Node("other", "TensorListPushBack", ["one", "a"], F32),
            Node("pop", "TensorListPopBack", ["two", "unknown"], F32),
            Node("rest", "TensorListStack", ["pop", "unknown"], F32),
            Node("two_stack", "TensorListStack", ["two", "unknown"], F32),
            Node("other_stack", "TensorListStack", ["other", "unknown"], F32)],
            "pop:1", "rest:0", "two_stack:0", "other_stack:0");
        Assert.Equal(2f, results[0].ToArray<float>()[0]);
        Assert.Equal([1f], results[1].ToArray<float>());
        Assert.Equal([1f, 2f], results[2].ToArray<float>());
        Assert.Equal([1f, 1f], results[3].ToArray<float>());
    }

    [Fact]
    public void GatherScatterResizeConcatAndSplit()
    {
        var results = Run([.. Matrix3x2(), IntVector("picks", 2, 0),
            Node("gather", "TensorListGather", ["list", "picks", "unknown"], F32),
            IntVector("at", 3, 1), Const("rows", Tensor.FromArray<float>([7, 8, 9, 10], 2, 2)), Scalar("five", 5),
            Node("scattered", "TensorListScatterV2", ["rows", "at", "shape", "five"], F32, I32Shape),
            Node("scattered_length", "TensorListLength", ["scattered"]),
            Node("scattered_v1", "TensorListScatter", ["rows", "at", "shape"], F32, I32Shape),
            Node("scattered_v1_length", "TensorListLength", ["scattered_v1"]),
            IntVector("two_wide", 2),
            Node("into", "TensorListScatterIntoExistingList", ["list", "rows", "at"], F32),
            Node("into_stack", "TensorListStack", ["into", "two_wide"], F32),
            Scalar("two", 2),
            Node("short", "TensorListResize", ["list", "two"], F32),
            Node("short_stack", "TensorListStack", ["short", "unknown"], F32),
            Const("lengths", Tensor.FromArray<long>([1, 0, 2], 3)),
            Const("flat", Tensor.FromArray<float>([1, 2, 3], 3)),
            Node("split", "TensorListSplit", ["flat", "unknown", "lengths"], F32, I32Shape),
            Const("leading", Tensor.FromArray<long>([], 0)),
            Node("concat", "TensorListConcatV2", ["split", "unknown", "leading"], F32, I32Shape)],
            "gather:0", "scattered_length:0", "into_stack:0", "short_stack:0", "concat:0", "concat:1", "scattered_v1_length:0");
        Assert.Equal([5f, 6, 1, 2], results[0].ToArray<float>());
        Assert.Equal(5, results[1].ToArray<int>()[0]);
        // Scattering past the end grows the list; the gap reads as zeros.
        Assert.Equal([1f, 2, 9, 10, 5, 6, 7, 8], results[2].ToArray<float>());
        Assert.Equal([1f, 2, 3, 4], results[3].ToArray<float>());
        Assert.Equal([1f, 2, 3], results[4].ToArray<float>());
        Assert.Equal([1L, 0, 2], results[5].ToArray<long>());
        Assert.Equal(4, results[6].ToArray<int>()[0]);
    }

    [Fact]
    public void ShapeInferenceFollowsTheElementShapeArgument()
    {
        var graph = GraphImporter.Import(Graph([.. Matrix3x2(), IntVector("known", 2), Scalar("one", 1),
            Node("item", "TensorListGetItem", ["list", "one", "known"], F32),
            Node("stack", "TensorListStack", ["list", "known"], F32, ("num_elements", Int(3))),
            Node("pop", "TensorListPopBack", ["list", "known"], F32)]));
        Assert.Equal(new TensorShape(2), graph.Find("item")!.OutputShapes[0]);
        Assert.Equal(new TensorShape(3, 2), graph.Find("stack")!.OutputShapes[0]);
        Assert.Equal(TensorShape.Scalar, graph.Find("pop")!.OutputShapes[0]);
        Assert.Equal(new TensorShape(2), graph.Find("pop")!.OutputShapes[1]);
        Assert.Equal(TensorShape.Scalar, graph.Find("list")!.OutputShapes[0]);
    }

    [Theory]
    [InlineData("get", "trying to access element 5 in a list with 3 elements")]
    [InlineData("set", "trying to modify element 5 in a list with 3 elements")]
    [InlineData("wrong_dtype", "the op reads int32 elements but the list holds float32")]
    [InlineData("wrong_count", "expects a list with 4 elements but got a list with 3")]
    [InlineData("bad_item", "does not fit the list's element shape [2]")]
    [InlineData("pop_empty", "trying to pop from an empty list")]
    [InlineData("unknown_zeros", "element_shape is not fully defined")]
    [InlineData("full", "full list (max_num_elements 0)")]
    [InlineData("not_a_list", "must be a scalar variant holding a tensor list")]
    public void BadUseIsAGraphExceptionNamingTheNode(string node, string reason)
    {
        NodeDef[] nodes = [.. Matrix3x2(), Scalar("five", 5), Scalar("zero", 0), IntVector("two", 2), Const("row", Tensor.FromArray<float>([1, 2, 3], 3)),
            Node("typed", "TensorListFromTensor", ["t", "two"], F32, I32Shape),
            Node("get", "TensorListGetItem", ["list", "five", "unknown"], F32),
            Node("set", "TensorListSetItem", ["list", "five", "row"], F32),
            Node("wrong_dtype", "TensorListGetItem", ["list", "zero", "unknown"], ("element_dtype", Type(DType.Int32))),
            Node("wrong_count", "TensorListStack", ["list", "unknown"], F32, ("num_elements", Int(4))),
            Node("bad_item", "TensorListPushBack", ["typed", "row"], F32),
            Node("empty", "EmptyTensorList", ["unknown", "unknown"], F32, I32Shape),
            Node("pop_empty", "TensorListPopBack", ["empty", "unknown"], F32),
            Scalar("three", 3),
            Node("reserved", "TensorListReserve", ["unknown", "three"], F32, I32Shape),
            Node("unknown_zeros", "TensorListGetItem", ["reserved", "zero", "unknown"], F32),
            Node("capped", "EmptyTensorList", ["unknown", "zero"], F32, I32Shape),
            Node("full", "TensorListPushBack", ["capped", "row"], F32),
            Node("not_a_list", "TensorListLength", ["t"])];
        if (node == "not_a_list")
        {
            // The importer already sees a float32 where a variant belongs.
            var importError = Assert.Throws<GraphException>(() => GraphImporter.Import(Graph(nodes)));
            Assert.Equal("not_a_list", importError.NodeName);
            return;
        }
        var session = new GraphSession(GraphImporter.Import(Graph([.. nodes.Where(n => n.Name != "not_a_list")])));
        var error = Assert.ThrowsAny<GraphException>(() => session.Run(null, [node + ":0"]));
        Assert.Equal(node, error.NodeName);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AHostileElementCountMeetsTheMemoryLimitBeforeAnyAllocation()
    {
        var graph = GraphImporter.Import(Graph(Scalar("unknown", -1), Scalar("huge", int.MaxValue), Const("row", Tensor.Scalar(1f)),
            Node("reserved", "TensorListReserve", ["unknown", "huge"], F32, I32Shape),
            Node("empty", "EmptyTensorList", ["unknown", "unknown"], F32, I32Shape),
            Node("grown", "TensorListSetItem", ["empty", "huge", "row"], F32, ("resize_if_index_out_of_bounds", Bool(true))),
            Node("resized", "TensorListResize", ["empty", "huge"])));
        var session = new GraphSession(graph, new SessionOptions { MemoryLimitBytes = 64L << 20 });
        foreach (string node in new[] { "reserved", "grown", "resized" })
        {
            var error = Assert.Throws<ResourceLimitException>(() => session.Run(null, [node + ":0"]));
            Assert.Equal(node, error.NodeName);
            Assert.Contains($"a tensor list of {(node == "grown" ? int.MaxValue + 1L : int.MaxValue)} elements", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AListCannotBeWrittenToAFile()
    {
        var handle = Tensor.Variant(TensorList.Reserve(DType.Float32, new TensorShape(2), 1));
        Assert.Contains("cannot be serialized", Assert.Throws<NotSupportedException>(() => handle.ToProto()).Message);
        var proto = new TensorProto { Dtype = DataType.DtVariant, TensorShape = TensorShape.Scalar.ToProto() };
        Assert.Contains("DT_VARIANT", Assert.Throws<NotSupportedException>(() => TensorProtos.FromProto(proto, "node 'x'")).Message);
    }

    /// <summary>
    /// TF2's <c>tf.TensorArray</c> in a <c>tf.while_loop</c>: the loop reads row i of one list and writes the running
    /// sum into another, both carried as variant loop variables, then stacks it (a cumulative sum).
    /// </summary>
    [Fact]
    public void ListsTravelThroughAWhileLoopAsLoopVariables()
    {
        var scalarF = Tensor.Scalar(0f);
        (string, DataType)[] loopState = [("i", DataType.DtInt32), ("n", DataType.DtInt32), ("sum", DataType.DtFloat), ("input", DataType.DtVariant), ("output", DataType.DtVariant)];
        var cond = Function("cond", loopState, [("more", DataType.DtBool)], new() { ["more"] = "less:z:0" },
            Node("less", "Less", ["i", "n"], ("T", Type(DType.Int32))));
        var body = Function("body", loopState,
            [("i2", DataType.DtInt32), ("n2", DataType.DtInt32), ("sum2", DataType.DtFloat), ("input2", DataType.DtVariant), ("output2", DataType.DtVariant)],
            new() { ["i2"] = "next:z:0", ["n2"] = "n", ["sum2"] = "add:z:0", ["input2"] = "input", ["output2"] = "write:output_handle:0" },
            Const("none", Tensor.Scalar(-1)), Const("step", Tensor.Scalar(1)),
            Node("read", "TensorListGetItem", ["input", "i", "none:output:0"], F32),
            Node("add", "AddV2", ["sum", "read:item:0"], ("T", Type(DType.Float32))),
            Node("write", "TensorListSetItem", ["output", "i", "add:z:0"], F32),
            Node("next", "AddV2", ["i", "step:output:0"], ("T", Type(DType.Int32))));
        var graph = Graph(
            Const("x", Tensor.FromArray<float>([1, 2, 3, 4], 4)), IntVector("shape", -1), Scalar("unknown", -1), Scalar("zero", 0), Scalar("n", 4), Const("sum", scalarF),
            Node("input", "TensorListFromTensor", ["x", "unknown"], F32, I32Shape),
            Node("output", "TensorListReserve", ["unknown", "n"], F32, I32Shape),
            Node("loop", "While", ["zero", "n", "sum", "input", "output"],
                ("T", Types(DType.Int32, DType.Int32, DType.Float32, DType.Variant, DType.Variant)), ("cond", Func("cond")), ("body", Func("body"))),
            Node("result", "TensorListStack", ["loop:4", "unknown"], F32, ("num_elements", Int(4))));
        graph.Library = new FunctionDefLibrary { Function = { cond, body } };
        var result = new GraphSession(GraphImporter.Import(graph)).Run(null, ["result:0", "loop:2"]);
        Assert.Equal([1f, 3, 6, 10], result[0].ToArray<float>());
        Assert.Equal(10f, result[1].ToArray<float>()[0]);
    }
}
