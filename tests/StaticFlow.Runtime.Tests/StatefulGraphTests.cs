using StaticFlow.Checkpoints;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

public class StatefulGraphTests
{
    [Fact]
    public void ResourceVariablesAssignReadAndSaveThroughSaveV2()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "ckpt");
        var f32 = ("dtype", Type(DType.Float32));
        var session = new GraphSession(GraphImporter.Import(Graph(
            Node("v", "VarHandleOp", null, f32, ("shape", Shape(2)), ("shared_name", Str("weights"))),
            Const("init", Tensor.Vector(1f, 2f)),
            Node("assign", "AssignVariableOp", ["v", "init"], f32),
            Const("delta", Tensor.Vector(10f, 10f)),
            Node("add", "AssignAddVariableOp", ["v", "delta"], f32),
            Node("read", "ReadVariableOp", ["v"], f32),
            Node("initialized", "VarIsInitializedOp", ["v"]),
            Const("prefix", Tensor.Scalar(prefix)),
            Const("names", Tensor.FromStrings(["weights"u8.ToArray()], 1)),
            Const("slices", Tensor.FromStrings([[]], 1)),
            Node("save", "SaveV2", ["prefix", "names", "slices", "read"], ("dtypes", Types(DType.Float32))))));
        Assert.False(session.Run(null, ["initialized"])[0].AsSpan<bool>()[0]);
        Assert.Contains("uninitialized", Assert.Throws<GraphException>(() => session.Run(null, ["read"])).Message);
        session.Run(null, [], ["assign"]);
        session.Run(null, [], ["add"]);
        Assert.Equal([11f, 12f], session.Run(null, ["read"])[0].ToArray<float>());
        session.Run(null, [], ["save"]);
        using var reader = CheckpointReader.Open(prefix);
        Assert.Equal([11f, 12f], reader.Read("weights").ToArray<float>());
    }

    [Fact]
    public void ReferenceVariablesRestoreThroughRestoreV2AndAssign()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "model");
        Checkpoint.Save(prefix, new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(4f) }, CheckpointKeyStyle.NameBased);
        var session = new GraphSession(GraphImporter.Import(Graph(
            Node("w", "VariableV2", null, ("dtype", Type(DType.Float32)), ("shape", Shape())),
            Placeholder("filename", DType.String),
            Const("names", Tensor.FromStrings(["w"u8.ToArray()], 1)),
            Const("slices", Tensor.FromStrings([[]], 1)),
            Node("restore", "RestoreV2", ["filename", "names", "slices"], ("dtypes", Types(DType.Float32))),
            Node("assign", "Assign", ["w", "restore"], ("T", Type(DType.Float32))),
            Node("read", "Identity", ["w"], ("T", Type(DType.Float32))),
            Const("half", Tensor.Scalar(0.5f)),
            Node("y", "Mul", ["read", "half"], ("T", Type(DType.Float32))))));
        session.Run(new Dictionary<string, Tensor> { ["filename"] = Tensor.Scalar(prefix) }, [], ["assign"]);
        Assert.Equal(2f, session.Run(null, ["y"])[0].AsSpan<float>()[0]);
        var missing = Assert.Throws<GraphException>(() => session.Run(new Dictionary<string, Tensor> { ["filename"] = Tensor.Scalar(prefix + "-nope") }, [], ["assign"]));
        Assert.Equal("restore", missing.NodeName);
    }

    [Fact]
    public void WhileLoopAndIfBranchRunTheirFunctions()
    {
        var f32 = Protos.DataType.DtFloat;
        Protos.OpDef Sig(string name, int inputs, Protos.DataType output) => new()
        {
            Name = name,
            InputArg = { Enumerable.Range(0, inputs).Select(i => new Protos.OpDef.Types.ArgDef { Name = $"a{i}", Type = f32 }) },
            OutputArg = { new Protos.OpDef.Types.ArgDef { Name = "out", Type = output } },
        };
        var cond = new Protos.FunctionDef { Signature = Sig("lt_100", 1, Protos.DataType.DtBool),
            NodeDef = { Const("limit", Tensor.Scalar(100f)), Node("less", "Less", ["a0", "limit:output:0"], ("T", Type(DType.Float32))) }, Ret = { ["out"] = "less:z:0" } };
        var body = new Protos.FunctionDef { Signature = Sig("times_3", 1, f32),
            NodeDef = { Const("three", Tensor.Scalar(3f)), Node("m", "Mul", ["a0", "three:output:0"], ("T", Type(DType.Float32))) }, Ret = { ["out"] = "m:z:0" } };
        var negate = new Protos.FunctionDef { Signature = Sig("negate", 1, f32),
            NodeDef = { Node("n", "Neg", ["a0"], ("T", Type(DType.Float32))) }, Ret = { ["out"] = "n:y:0" } };
        var graph = Graph(Const("x", Tensor.Scalar(2f)),
            Node("loop", "StatelessWhile", ["x"], ("T", Types(DType.Float32)), ("cond", Func("lt_100")), ("body", Func("times_3"))),
            Const("flag", Tensor.Scalar(false)),
            Node("branch", "StatelessIf", ["flag", "loop"], ("Tcond", Type(DType.Bool)), ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)),
                ("then_branch", Func("times_3")), ("else_branch", Func("negate"))));
        graph.Library = new Protos.FunctionDefLibrary { Function = { cond, body, negate } };
        var result = new GraphSession(GraphImporter.Import(graph)).Run(null, ["loop:0", "branch:0"]);
        Assert.Equal(162f, result[0].AsSpan<float>()[0]);
        Assert.Equal(-162f, result[1].AsSpan<float>()[0]);
    }

    [Fact]
    public void ConstantsFoldAtPlanTime()
    {
        // An exception in a folded node surfaces when the plan is built, before any work of the run.
        var graph = Graph(Const("a", Tensor.Scalar(1)), Const("zero", Tensor.Scalar(0)),
            Node("bad", "FloorDiv", ["a", "zero"], ("T", Type(DType.Int32))), Placeholder("x", DType.Int32),
            Node("y", "AddV2", ["x", "bad"], ("T", Type(DType.Int32))));
        var e = Assert.Throws<GraphException>(() => new GraphSession(GraphImporter.Import(graph)).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Scalar(1) }, ["y"]));
        Assert.Equal("bad", e.NodeName);
    }
}
