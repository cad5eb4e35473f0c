using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Google.Protobuf;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>
/// What running a plan costs beyond its kernels: a chain of Neg ops on a one-element tensor, run
/// through a prepared run and through <see cref="GraphSession.Run"/> with names (which resolves them every time).
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class ExecutorOverheadBenchmarks
{
    [Params(1, 10)]
    public int Ops;

    private GraphSession _session = null!;
    private PreparedRun _prepared = null!;
    private Tensor _x = null!;
    private Dictionary<string, Tensor> _feeds = null!;
    private string[] _fetches = null!;

    [GlobalSetup]
    public void Setup()
    {
        var graph = new GraphDef();
        var dtype = new AttrValue { Type = DataType.DtFloat };
        graph.Node.Add(new NodeDef { Name = "x", Op = "Placeholder", Attr = { ["dtype"] = dtype } });
        string last = "x";
        for (int i = 0; i < Ops; i++)
        {
            graph.Node.Add(new NodeDef { Name = $"neg{i}", Op = "Neg", Input = { last }, Attr = { ["T"] = dtype } });
            last = $"neg{i}";
        }
        _session = new GraphSession(GraphImporter.Import(graph));
        _x = Tensor.Scalar(1f);
        _feeds = new Dictionary<string, Tensor> { ["x"] = _x };
        _fetches = [last];
        _prepared = _session.Prepare(["x"], _fetches);
    }

    [Benchmark(Baseline = true)]
    public float Prepared()
    {
        using var results = _prepared.Run(_x);
        return results[0].AsSpan<float>()[0];
    }

    [Benchmark]
    public float ByName()
    {
        using var results = _session.Run(_feeds, _fetches);
        return results[0].AsSpan<float>()[0];
    }
}
