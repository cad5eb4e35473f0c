using Google.Protobuf;
using System.Diagnostics;
using StaticFlow.Execution;
using StaticFlow.Formats.Bundles;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>Hostile graphs and files end in typed errors, never a stack overflow or a run that never ends.</summary>
public class LimitTests
{
    private static OpDef Sig(string name, DataType input, DataType output) => new()
    {
        Name = name,
        InputArg = { new OpDef.Types.ArgDef { Name = "a0", Type = input } },
        OutputArg = { new OpDef.Types.ArgDef { Name = "out", Type = output } },
    };

    [Fact]
    public void AFunctionThatCallsItselfIsAGraphErrorNotAStackOverflow()
    {
        var recurse = new FunctionDef
        {
            Signature = Sig("recurse", DataType.DtFloat, DataType.DtFloat),
            NodeDef = { Node("again", "PartitionedCall", ["a0"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("recurse"))) },
            Ret = { ["out"] = "again:output:0" },
        };
        var graph = Graph(Const("x", Tensor.Scalar(1f)),
            Node("call", "PartitionedCall", ["x"], ("Tin", Types(DType.Float32)), ("Tout", Types(DType.Float32)), ("f", Func("recurse"))));
        graph.Library = new FunctionDefLibrary { Function = { recurse } };

        var session = new GraphSession(GraphImporter.Import(graph), new SessionOptions { MaxCallDepth = 40 });
        var error = Assert.Throws<ResourceLimitException>(() => session.Run(null, ["call:0"]));
        Assert.Equal("again", error.NodeName);
        Assert.Contains("'recurse'", error.Message);
        Assert.Contains("limit of 40", error.Message);

        // The default limit is reached well before the stack of a test thread runs out.
        Assert.Throws<ResourceLimitException>(() => new GraphSession(GraphImporter.Import(graph)).Run(null, ["call:0"]));
    }

    [Fact]
    public void AWhileLoopThatNeverEndsStopsAtItsDeadline()
    {
        var always = new FunctionDef
        {
            Signature = Sig("always", DataType.DtFloat, DataType.DtBool),
            NodeDef = { Const("yes", Tensor.Scalar(true)) },
            Ret = { ["out"] = "yes:output:0" },
        };
        var same = new FunctionDef
        {
            Signature = Sig("same", DataType.DtFloat, DataType.DtFloat),
            NodeDef = { Node("id", "Identity", ["a0"], ("T", Type(DType.Float32))) },
            Ret = { ["out"] = "id:output:0" },
        };
        var graph = Graph(Const("x", Tensor.Scalar(1f)),
            Node("loop", "StatelessWhile", ["x"], ("T", Types(DType.Float32)), ("cond", Func("always")), ("body", Func("same"))));
        graph.Library = new FunctionDefLibrary { Function = { always, same } };
        var session = new GraphSession(GraphImporter.Import(graph));

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => session.Run(null, ["loop:0"], cancellation: deadline.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancellation took {clock.Elapsed}");
    }

    [Fact]
    public void ABundleTensorOfRankAboveTensorFlowsLimitIsAFormatErrorNamingIt()
    {
        string prefix = WriteBundleOfRank(200_000);
        using var reader = TensorBundleReader.Open(prefix);
        var error = Assert.Throws<IO.StaticFlowFormatException>(() => reader.Read("t"));
        Assert.Contains("rank 200000", error.Message);
        Assert.Contains(".index", error.Message);
        Assert.Throws<IO.StaticFlowFormatException>(() => reader.List());
    }

    [Fact]
    public void ShapesAboveRank254AreRefusedWhereverTheyAreMade()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorShape(new long[255]));
        Assert.Equal(254, new TensorShape(Enumerable.Repeat(1L, 254).ToArray()).Rank);
        var proto = new TensorShapeProto();
        for (int i = 0; i < 255; i++) proto.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
        Assert.Throws<FormatException>(() => TensorShape.FromProto(proto));
    }

    // A 237-byte graph of this form asked for gigabytes and crashed the process out of memory.
    private static GraphSession FillSession(long rows, long columns, long memoryLimit) =>
        new(GraphImporter.Import(Graph(
            Const("dims", Tensor.Vector([rows, columns])),
            Placeholder("value", DType.Float32),
            Node("big", "Fill", ["dims", "value"], ("T", Type(DType.Float32)), ("index_type", Type(DType.Int64))))),
            new SessionOptions { MemoryLimitBytes = memoryLimit });

    private static Dictionary<string, Tensor> One => new() { ["value:0"] = Tensor.Scalar(1f) };

    [Fact]
    public void ATensorLargerThanTheMemoryLimitFailsBeforeAllocatingAndNamesTheNode()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ResourceLimitException>(() => FillSession(20_000, 20_000, 64L << 20).Run(One, ["big:0"]));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L << 20, "the refused tensor must not have been allocated");
        Assert.Equal("big", error.NodeName);
        Assert.Contains("64 MiB", error.Message);
        Assert.Contains("MemoryLimitBytes", error.Message);
    }

    [Fact]
    public void AConstantExpressionFoldedWhileThePlanIsBuiltMeetsTheMemoryLimitToo()
    {
        // All inputs constant: the Fill is folded when Run builds the plan, which once ran outside the limit.
        var session = new GraphSession(GraphImporter.Import(Graph(
            Const("dims", Tensor.Vector([20_000L, 20_000L])), Const("value", Tensor.Scalar(1f)),
            Node("big", "Fill", ["dims", "value"], ("T", Type(DType.Float32)), ("index_type", Type(DType.Int64))))),
            new SessionOptions { MemoryLimitBytes = 64L << 20 });
        var error = Assert.ThrowsAny<GraphException>(() => session.Run(null, ["big:0"]));
        Assert.Equal("big", error.NodeName);
        Assert.Contains("memory limit", error.Message, StringComparison.Ordinal);

        // A refusal because of what the heap held then is not remembered: once the memory is free the plan builds.
        var folded = new GraphSession(GraphImporter.Import(Graph(
            Const("dims", Tensor.Vector([2048L, 2048L])), Const("value", Tensor.Scalar(1f)),
            Node("big", "Fill", ["dims", "value"], ("T", Type(DType.Float32)), ("index_type", Type(DType.Int64))))),
            new SessionOptions { MemoryLimitBytes = 256L << 20 });
        byte[]? ballast = new byte[240 << 20];
        ballast[^1] = 1;
        Assert.ThrowsAny<ResourceLimitException>(() => folded.Run(null, ["big:0"]));
        GC.KeepAlive(ballast);
        ballast = null;
        GC.Collect();
        Assert.Equal(2048L * 2048, folded.Run(null, ["big:0"])[0].ElementCount);
    }

    [Fact]
    public void TheMemoryLimitCountsWhatTheHeapAlreadyHolds()
    {
        // 32 MiB fits a 256 MiB limit on its own, but not with 256 MiB already held.
        var session = FillSession(4096, 2048, 256L << 20);
        Assert.Equal(4096 * 2048, session.Run(One, ["big:0"])[0].ElementCount);
        var held = GC.AllocateUninitializedArray<byte>(256 << 20);
        Assert.Throws<ResourceLimitException>(() => session.Run(One, ["big:0"]));
        GC.KeepAlive(held);
    }

    [Fact]
    public void UnderTheDefaultLimitAHugeTensorIsATypedErrorNotACrash()
    {
        // 40 GB: past both the default limit on a test machine and the largest single array.
        var error = Assert.ThrowsAny<GraphException>(() => FillSession(100_000, 100_000, 0).Run(One, ["big:0"]));
        Assert.Equal("big", error.NodeName);
        Assert.Equal(4096 * 4096L, FillSession(4096, 4096, -1).Run(One, ["big:0"])[0].ElementCount);
    }

    /// <summary>A valid one-tensor bundle whose index then gives that tensor <paramref name="rank"/> dimensions of size 1.</summary>
    internal static string WriteBundleOfRank(int rank)
    {
        string prefix = Path.Combine(TempDirectory.Create(), "deep");
        using (var writer = new TensorBundleWriter(prefix, Formats.Tables.TableCompression.None))
        {
            writer.Add("t", Tensor.Scalar(1f));
            writer.Finish();
        }
        var entry = new BundleEntryProto { Dtype = DataType.DtFloat, Shape = new TensorShapeProto(), Size = 4 };
        for (int i = 0; i < rank; i++) entry.Shape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
        using var stream = File.Create(BundleFiles.IndexPath(prefix));
        var table = new Formats.Tables.TableWriter(stream, compression: Formats.Tables.TableCompression.None);
        table.Add([], new BundleHeaderProto { NumShards = 1, Version = new VersionDef { Producer = 1 } }.ToByteArray());
        table.Add("t"u8.ToArray(), entry.ToByteArray());
        table.Finish();
        return prefix;
    }
}
