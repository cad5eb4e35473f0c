using StaticFlow.Benchmarks;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>A prepared run resolves names once; its runs equal <see cref="GraphSession.Run"/>'s and allocate little.</summary>
public class PreparedRunTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static Tensor Input(long[] shape, int seed)
    {
        var random = new Random(seed);
        return Tensor.FromArray<float>([.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => random.NextSingle())], shape);
    }

    private static ModelPair Model(string name) => name == "cnn"
        ? ModelPair.Cnn()
        : ModelPair.Dense([.. name.Split('-').Select(int.Parse)], biasAndRelu: true, softmax: true);

    [Theory]
    [InlineData("784-100-10")]
    [InlineData("784-512-512-10")]
    [InlineData("cnn")]
    public void APreparedRunGivesWhatRunGivesAndItsAllocationDoesNotGrowWithTheBatch(string model)
    {
        var pair = Model(model);
        var run = pair.Session.Prepare([pair.InputName], [pair.OutputName]);
        Assert.Equal([pair.InputName], run.Feeds);
        Assert.Equal([pair.OutputName], run.Fetches);

        var perRun = new Dictionary<int, long>();
        foreach (int batch in new[] { 1, 64 })
        {
            var x = Input([batch, .. pair.InputShape], batch);
            using (var expected = pair.Session.Run(new Dictionary<string, Tensor> { [pair.InputName] = x }, [pair.OutputName]))
            using (var actual = run.Run(x))
                Assert.Equal(expected[0].ToArray<float>(), actual[0].ToArray<float>());

            for (int i = 0; i < 20; i++) run.Run(x).Dispose();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) run.Run(x).Dispose();
            perRun[batch] = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        }
        // Activations, patches and packed weights are all reused; what is left is a few small objects per step
        // (tensors and their shapes, a kernel's closure when it splits its work), the same at batch 64 as at batch 1.
        // The smallest activation at batch 64 (the 10 logits: 2,560 bytes) would break the first bound if it were
        // allocated per run.
        output.WriteLine($"{model}: {perRun[1]} bytes per run at batch 1, {perRun[64]} at batch 64");
        Assert.True(perRun[64] - perRun[1] < 1024, $"batch 64 allocates {perRun[64]} bytes per run, batch 1 {perRun[1]}");
        Assert.True(perRun[1] < 4096, $"{perRun[1]} bytes per run");
    }

    [Fact]
    public void APreparedRunChecksItsFeeds()
    {
        var session = new GraphSession(GraphImporter.Import(Graph(
            Node("x", "Placeholder", null, ("dtype", Type(DType.Float32)), ("shape", Shape(-1, 3))),
            Node("y", "Neg", ["x"], ("T", Type(DType.Float32))))));
        var run = session.Prepare(["x"], ["y"]);

        Assert.Equal([-1f, -2f, -3f], run.Run(Tensor.FromArray<float>([1, 2, 3], 1, 3))[0].ToArray<float>());
        Assert.Contains("takes 1 feeds (x), got 0", Assert.Throws<FeedException>(() => run.Run()).Message);
        Assert.Contains("int32", Assert.Throws<FeedException>(() => run.Run(Tensor.FromArray<int>([1, 2, 3], 1, 3))).Message);
        Assert.Contains("placeholder 'x' takes", Assert.Throws<FeedException>(() => run.Run(Tensor.FromArray<float>([1, 2], 1, 2))).Message);
        Assert.Throws<FeedException>(() => session.Prepare(["nope"], ["y"]));
    }

    [Fact]
    public void RunsOfOnePreparedRunOnSeveralThreadsKeepTheirOwnValues()
    {
        var pair = Model("784-100-10");
        var run = pair.Session.Prepare([pair.InputName], [pair.OutputName]);
        var inputs = Enumerable.Range(0, 8).Select(i => Input([1 + i, 784], 100 + i)).ToArray();
        var expected = inputs.Select(x => run.Run(x)[0].ToArray<float>()).ToArray();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var results = run.Run(inputs[i % inputs.Length]);
            Assert.Equal(expected[i % inputs.Length], results[0].ToArray<float>());
        });
    }
}
