using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Kernels;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>Intermediate products reuse storage across runs, never while anything can still see it.</summary>
public class BufferReuseTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));
    private const int Batch = 48, Width = 600; // 48 x 600 floats: 115 KB, a large-object-heap array if fresh every run

    private static (GraphSession Session, float[] W1, float[] W2) TwoLayers()
    {
        var random = new Random(5);
        float[] w1 = [.. Enumerable.Range(0, Width * Width).Select(_ => random.NextSingle() - 0.5f)];
        float[] w2 = [.. Enumerable.Range(0, Width * Width).Select(_ => random.NextSingle() - 0.5f)];
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("w1", Tensor.FromArray<float>(w1, Width, Width)), Const("w2", Tensor.FromArray<float>(w2, Width, Width)),
            Node("h", "MatMul", ["x", "w1"], F32), Node("a", "Tanh", ["h"], F32), Node("y", "MatMul", ["a", "w2"], F32))));
        return (session, w1, w2);
    }

    private static float[] Reference(float[] x, float[] w1, float[] w2)
    {
        var h = new double[Batch * Width];
        for (int i = 0; i < Batch; i++)
            for (int p = 0; p < Width; p++)
                for (int j = 0; j < Width; j++) h[i * Width + j] += x[i * Width + p] * (double)w1[p * Width + j];
        var y = new float[Batch * Width];
        for (int i = 0; i < Batch; i++)
            for (int j = 0; j < Width; j++)
            {
                double sum = 0;
                for (int p = 0; p < Width; p++) sum += Math.Tanh(h[i * Width + p]) * w2[p * Width + j];
                y[i * Width + j] = (float)sum;
            }
        return y;
    }

    private static float[] Input(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Batch * Width).Select(_ => random.NextSingle() - 0.5f)];
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-3f * Math.Max(1, Math.Abs(expected[i])), $"element {i}: {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public void RepeatedRunsStayCorrectAndEarlierResultsStayIntact()
    {
        var (session, w1, w2) = TwoLayers();
        var results = new List<(float[] Input, Tensor Output)>();
        for (int run = 0; run < 4; run++)
        {
            float[] x = Input(run);
            results.Add((x, session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x, Batch, Width) }, ["y"])[0]));
        }
        // Every returned tensor still holds its own run's values: fetched outputs are never recycled.
        foreach (var (x, output) in results) AssertClose(Reference(x, w1, w2), output.ToArray<float>());

        // And the storage is reused: of h, tanh(h) and y only the fetched y is a new array per run (h and tanh(h)
        // live in the plan's arena); without reuse it would be three.
        var feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(Input(9), Batch, Width) };
        long before = GC.GetAllocatedBytesForCurrentThread();
        session.Run(feeds, ["y"]);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.InRange(allocated, 1L * Batch * Width * sizeof(float), 1.5 * Batch * Width * sizeof(float));
    }

    [Fact]
    public void AFetchedIntermediateIsNotRecycled()
    {
        var (session, _, _) = TwoLayers();
        var feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(Input(1), Batch, Width) };
        var first = session.Run(feeds, ["y", "h"]);
        float[] hidden = first[1].ToArray<float>();
        session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(Input(2), Batch, Width) }, ["y", "h"]);
        Assert.Equal(hidden, first[1].ToArray<float>());
    }

    [Fact]
    public void DisposedResultsGiveTheirStorageToTheNextRun()
    {
        var (session, w1, w2) = TwoLayers();
        float[] x1 = Input(1), x2 = Input(2);
        // The first run shows the sizes of the plan's intermediates; from the next one on h lives in the arena.
        session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x2, Batch, Width) }, ["y", "y"]).Dispose();
        var first = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x1, Batch, Width) }, ["y", "y"]);
        AssertClose(Reference(x1, w1, w2), first[0].ToArray<float>());
        byte[] storage = first[0].Storage!;
        first.Dispose();
        first.Dispose();
        // Both fetches of y let go, with a clear error rather than another run's values; the shape stays.
        Assert.Throws<ObjectDisposedException>(() => first[0].ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => first[1].AsSpan<float>());
        Assert.Equal(new TensorShape(Batch, Width), first[1].Shape);

        // The next run of the same plan takes y's old storage (h and Tanh's output are in the arena): none of its
        // three large tensors is new. Undisposed, y would be.
        var feeds2 = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x2, Batch, Width) };
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var second = session.Run(feeds2, ["y", "y"]);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 0.5 * Batch * Width * sizeof(float));
        AssertClose(Reference(x2, w1, w2), second[0].ToArray<float>());
        // While second is held, a further run cannot have its storage: it allocates y anew and second is intact.
        before = GC.GetAllocatedBytesForCurrentThread();
        using var third = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(x1, Batch, Width) }, ["y", "y"]);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before >= 1 * Batch * Width * sizeof(float));
        Assert.NotSame(second[0].Storage, third[0].Storage);
        Assert.False(ReferenceEquals(storage, third[0].Storage) && ReferenceEquals(storage, second[0].Storage));
        AssertClose(Reference(x2, w1, w2), second[0].ToArray<float>());
        AssertClose(Reference(x1, w1, w2), third[0].ToArray<float>());
    }

    [Fact]
    public void DisposingKeepsFetchesThatSomethingElseMayHold()
    {
        // h is read by an Identity (which hands out the same tensor), w1 is a constant and x a feed: none of them
        // is the run's own product, so disposing the results leaves them usable.
        var random = new Random(3);
        var session = new GraphSession(GraphImporter.Import(Graph(
            Placeholder("x", DType.Float32), Const("w1", Tensor.FromArray<float>([.. Enumerable.Range(0, Width * Width).Select(_ => random.NextSingle())], Width, Width)),
            Node("h", "MatMul", ["x", "w1"], F32), Node("same", "Identity", ["h"], F32))));
        var x = Tensor.FromArray<float>(Input(4), Batch, Width);
        var results = session.Run(new Dictionary<string, Tensor> { ["x"] = x }, ["h", "same", "w1", "x"]);
        float[] h = results[0].ToArray<float>();
        results.Dispose();
        Assert.Equal(h, results[0].ToArray<float>());
        Assert.Equal(h, results[1].ToArray<float>());
        Assert.Equal(Width * Width, results[2].ToArray<float>().Length);
        Assert.Same(x, results[3]);
        Assert.Equal(Batch * Width, x.ToArray<float>().Length);
    }

    [Fact]
    public void ConcurrentRunsOfOnePlanDoNotShareBuffers()
    {
        var (session, w1, w2) = TwoLayers();
        var inputs = Enumerable.Range(0, 6).Select(Input).ToArray();
        var expected = inputs.Select(x => Reference(x, w1, w2)).ToArray();
        var outputs = new float[inputs.Length][];
        Parallel.For(0, inputs.Length * 3, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int k = i % inputs.Length;
            outputs[k] = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(inputs[k], Batch, Width) }, ["y"])[0].ToArray<float>();
            AssertClose(expected[k], outputs[k]);
        });
    }

    [Fact]
    public void WorkerTeamRunsEveryPartAndReportsFailures()
    {
        var done = new int[7];
        WorkerTeam.Shared.Run(done.Length, part => Interlocked.Increment(ref done[part]));
        Assert.All(done, count => Assert.Equal(1, count));

        var error = Assert.Throws<InvalidOperationException>(() => WorkerTeam.Shared.Run(4, part =>
        {
            if (part == 3) throw new InvalidOperationException("part 3 failed");
        }));
        Assert.Equal("part 3 failed", error.Message);

        // A failure on the calling thread's own part is reported only when no part is still running: a worker's
        // part either finished before Run returned or never started.
        for (int attempt = 0; attempt < 20; attempt++)
        {
            int started = 0, finished = 0;
            var own = Assert.Throws<InvalidOperationException>(() => WorkerTeam.Shared.Run(2, part =>
            {
                if (part == 0) throw new InvalidOperationException("part 0 failed");
                Interlocked.Increment(ref started);
                Thread.Sleep(5);
                Interlocked.Increment(ref finished);
            }));
            Assert.Equal("part 0 failed", own.Message);
            Assert.Equal(Volatile.Read(ref started), Volatile.Read(ref finished));
            Thread.Sleep(10);
            Assert.Equal(Volatile.Read(ref started), Volatile.Read(ref finished));
        }

        // A part whose worker has not started when the caller is done runs on the caller: every part runs once,
        // even when the worker is held up (here: asleep, so the caller takes its part back).
        Thread.Sleep(300);
        var once = new int[2];
        WorkerTeam.Shared.Run(2, part => Interlocked.Increment(ref once[part]));
        Assert.All(once, count => Assert.Equal(1, count));

        // The team still works after a failure, and from several callers at once.
        Parallel.For(0, 8, _ =>
        {
            var seen = new int[3];
            WorkerTeam.Shared.Run(3, part => Interlocked.Increment(ref seen[part]));
            Assert.All(seen, count => Assert.Equal(1, count));
        });
    }
}
