using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>A plan's intermediates share one arena per run, at offsets planned from their lifetimes.</summary>
public class ArenaTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));

    [Fact]
    public void ThePlannerNeverLetsTwoTensorsAliveAtOneStepShareAByte()
    {
        var random = new Random(17);
        for (int trial = 0; trial < 300; trial++)
        {
            int steps = random.Next(1, 40);
            var lifetimes = Enumerable.Range(0, random.Next(0, 50)).Select(_ =>
            {
                int first = random.Next(steps);
                // Sizes from a few bytes to a few megabytes, as a CNN's activations and a dense layer's logits.
                return new Lifetime(first, Math.Min(steps - 1, first + random.Next(0, 6)), random.Next(4) == 0 ? random.Next(1, 100) : random.Next(1, 1 << 22));
            }).ToArray();
            var layout = MemoryPlanner.Plan(lifetimes);
            for (int a = 0; a < lifetimes.Length; a++)
            {
                Assert.Equal(0, layout.Offsets[a] % MemoryPlanner.Alignment);
                Assert.True(layout.Offsets[a] + lifetimes[a].Bytes <= layout.ArenaBytes);
                for (int b = a + 1; b < lifetimes.Length; b++)
                    if (lifetimes[a].Overlaps(lifetimes[b]))
                        Assert.True(layout.Offsets[a] + lifetimes[a].Bytes <= layout.Offsets[b] || layout.Offsets[b] + lifetimes[b].Bytes <= layout.Offsets[a],
                            $"trial {trial}: tensors {a} and {b} are alive together and overlap");
            }
            Assert.True(layout.ArenaBytes >= layout.LargestLiveSetBytes);
        }
    }

    [Fact]
    public void AChainAlternatesBetweenTwoRegionsAndAWideTensorKeepsItsOwn()
    {
        // x0 → x1 → ... → x9, each read only by the next step: two regions of 4 KB suffice.
        var chain = Enumerable.Range(0, 10).Select(i => new Lifetime(i, i + 1, 4096)).ToArray();
        var layout = MemoryPlanner.Plan(chain);
        Assert.Equal(2 * 4096, layout.ArenaBytes);
        Assert.Equal(2 * 4096, layout.LargestLiveSetBytes);
        // A skip connection alive across the whole chain needs a third region, no more.
        layout = MemoryPlanner.Plan([.. chain, new Lifetime(0, 10, 1000)]);
        Assert.Equal(2 * 4096 + 1024, layout.ArenaBytes);
        Assert.Equal(layout.LargestLiveSetBytes, layout.ArenaBytes);
    }

    /// <summary>The CNN: Conv3x3x32 → MaxPool2 → Conv3x3x64 → MaxPool2 → Dense128 → Dense10 → Softmax on 28×28×1.</summary>
    private static GraphSession Cnn()
    {
        var random = new Random(3);
        Tensor Weights(params long[] dims) => Tensor.FromArray<float>(
            [.. Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => (random.NextSingle() - 0.5f) * 0.2f)], dims);
        (string, Protos.AttrValue)[] same = [F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID"))];
        (string, Protos.AttrValue)[] pool = [F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))];
        return new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32),
            Const("f1", Weights(3, 3, 1, 32)), Const("b1", Weights(32)), Const("f2", Weights(3, 3, 32, 64)), Const("b2", Weights(64)),
            Const("w3", Weights(1600, 128)), Const("b3", Weights(128)), Const("w4", Weights(128, 10)), Const("b4", Weights(10)),
            Const("flat", Tensor.Vector(-1, 1600)),
            Node("conv1", "Conv2D", ["x", "f1"], same), Node("bias1", "BiasAdd", ["conv1", "b1"], F32), Node("relu1", "Relu", ["bias1"], F32),
            Node("pool1", "MaxPool", ["relu1"], pool),
            Node("conv2", "Conv2D", ["pool1", "f2"], same), Node("bias2", "BiasAdd", ["conv2", "b2"], F32), Node("relu2", "Relu", ["bias2"], F32),
            Node("pool2", "MaxPool", ["relu2"], pool),
            Node("flatten", "Reshape", ["pool2", "flat"], F32, ("Tshape", Type(DType.Int32))),
            Node("dense3", "MatMul", ["flatten", "w3"], F32), Node("bias3", "BiasAdd", ["dense3", "b3"], F32), Node("relu3", "Relu", ["bias3"], F32),
            Node("dense4", "MatMul", ["relu3", "w4"], F32), Node("bias4", "BiasAdd", ["dense4", "b4"], F32),
            Node("probabilities", "Softmax", ["bias4"], F32))));
    }

    private static Tensor Images(int batch, int seed)
    {
        var random = new Random(seed);
        return Tensor.FromArray<float>([.. Enumerable.Range(0, batch * 28 * 28).Select(_ => random.NextSingle())], batch, 28, 28, 1);
    }

    [Fact]
    public void ACnnKeepsItsIntermediatesInOneArenaNoLargerThanAFifthOverTheLargestLiveSet()
    {
        var session = Cnn();
        var prepared = session.Prepare(["x"], ["probabilities"]);
        var images = Images(8, 1);
        Assert.Null(session.Explain(["x"], ["probabilities"]).Memory);

        // The first run learns the sizes, each later one writes its intermediates into the arena: same results.
        float[] learnt = prepared.Run(images)[0].ToArray<float>();
        for (int run = 0; run < 3; run++) Assert.Equal(learnt, prepared.Run(images)[0].ToArray<float>());

        var memory = session.Explain(["x"], ["probabilities"]).Memory;
        Assert.NotNull(memory);
        // The two fused convolutions (pooled: 8x13x13x32 and 8x5x5x64 floats, the second also seen through the
        // Reshape) and the two dense layers; the fetched Softmax is the caller's.
        Assert.Equal(4, memory.Tensors);
        Assert.Equal(8 * 13 * 13 * 32 * 4 + 8 * 5 * 5 * 64 * 4, memory.LargestLiveSetBytes);
        // The greedy layout reaches the floor here: the two dense layers fit beside the second pooling's output.
        Assert.Equal(memory.LargestLiveSetBytes, memory.ArenaBytes);
        Assert.Equal(1.0, memory.Overhead);

        // Every one of them was written into the arena, not allocated beside it.
        var workspace = prepared.Plan.RentWorkspace();
        Assert.Equal(3 * memory.Tensors, workspace.ArenaHits);
        // At offsets on cache-line addresses (the arena is pinned; its layout's offsets are multiples of 64).
        var arena = workspace.ArenaFor(prepared.Plan.Layout)!;
        Assert.Equal(0, System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(arena, workspace.ArenaStart) % 64);
        prepared.Plan.ReturnWorkspace(workspace);
    }

    [Fact]
    public void ALargerBatchPlansTheArenaAgainAndSmallerOnesRunInIt()
    {
        var session = Cnn();
        var prepared = session.Prepare(["x"], ["probabilities"]);
        float[] Expected(Tensor images) => Cnn().Run(new Dictionary<string, Tensor> { ["x"] = images }, ["probabilities"])[0].ToArray<float>();

        var small = Images(2, 5);
        var large = Images(16, 6);
        prepared.Run(small).Dispose();
        long smallArena = session.Explain(["x"], ["probabilities"]).Memory!.ArenaBytes;
        Assert.Equal(Expected(large), prepared.Run(large)[0].ToArray<float>());
        long largeArena = session.Explain(["x"], ["probabilities"]).Memory!.ArenaBytes;
        Assert.True(largeArena >= 8 * smallArena - 8 * 64, $"{largeArena} bytes for batch 16, {smallArena} for batch 2");
        for (int run = 0; run < 2; run++)
        {
            Assert.Equal(Expected(small), prepared.Run(small)[0].ToArray<float>());
            Assert.Equal(Expected(large), prepared.Run(large)[0].ToArray<float>());
        }
        Assert.Equal(largeArena, session.Explain(["x"], ["probabilities"]).Memory!.ArenaBytes);
    }

    [Fact]
    public void ConcurrentRunsEachWriteTheirOwnArena()
    {
        var session = Cnn();
        var inputs = Enumerable.Range(0, 6).Select(seed => Images(4, seed)).ToArray();
        var expected = inputs.Select(x => Cnn().Run(new Dictionary<string, Tensor> { ["x"] = x }, ["probabilities"])[0].ToArray<float>()).ToArray();
        var prepared = session.Prepare(["x"], ["probabilities"]);
        Parallel.For(0, inputs.Length * 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            Assert.Equal(expected[i % inputs.Length], prepared.Run(inputs[i % inputs.Length])[0].ToArray<float>()));
        Assert.NotNull(session.Explain(["x"], ["probabilities"]).Memory);
    }
}
