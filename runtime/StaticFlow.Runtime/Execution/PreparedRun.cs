using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>
/// A run of a <see cref="GraphSession"/> with its feeds, fetches and targets resolved once (see
/// <see cref="GraphSession.Prepare"/>), like the callable TensorFlow's <c>Session.make_callable</c> returns. Runs
/// may overlap on several threads.
/// </summary>
public sealed class PreparedRun
{
    private readonly GraphSession _session;
    private readonly ExecutionPlan _plan;
    private readonly FeedCheck[] _feeds;
    private readonly string[] _feedNames;
    private readonly string[] _fetches;
    private readonly Edge[] _fetchEdges;

    internal PreparedRun(GraphSession session, ExecutionPlan plan, FeedCheck[] feeds, string[] fetches, Edge[] fetchEdges)
    {
        _session = session;
        _plan = plan;
        _feeds = feeds;
        _feedNames = [.. feeds.Select(f => f.Name)];
        _fetches = fetches;
        _fetchEdges = fetchEdges;
    }

    internal ExecutionPlan Plan => _plan;

    /// <summary>The names of the tensors each run takes, in the order <see cref="Run(ReadOnlySpan{Tensor})"/> takes them.</summary>
    public IReadOnlyList<string> Feeds => _feedNames;

    /// <summary>The names of the tensors each run returns, in order.</summary>
    public IReadOnlyList<string> Fetches => _fetches;

    /// <summary>Runs the graph on <paramref name="feeds"/> (one per name in <see cref="Feeds"/>, in that order).</summary>
    /// <exception cref="FeedException">The wrong number of feeds, or a feed whose dtype or shape does not fit.</exception>
    /// <exception cref="GraphException">A node failed; the message names it.</exception>
    public RunResults Run(params ReadOnlySpan<Tensor> feeds) => Run(feeds, default);

    /// <inheritdoc cref="Run(ReadOnlySpan{Tensor})"/>
    /// <param name="feeds">One tensor per name in <see cref="Feeds"/>, in that order.</param>
    /// <param name="cancellation">Cancels between nodes.</param>
    public RunResults Run(ReadOnlySpan<Tensor> feeds, CancellationToken cancellation)
    {
        if (feeds.Length != _feeds.Length)
            throw new FeedException($"The run takes {_feeds.Length} feeds ({string.Join(", ", _feedNames)}), got {feeds.Length}.");
        for (int i = 0; i < feeds.Length; i++) _feeds[i].Check(feeds[i]);
        return _session.RunPrepared(_plan, feeds, _fetches, _fetchEdges, cancellation);
    }
}

/// <summary>What a feed must be: the dtype of the tensor it replaces and, for a placeholder with a shape, that shape.</summary>
internal sealed record FeedCheck(string Name, DataType DType, TensorShape? Declared, string Node)
{
    public static FeedCheck For(Graph graph, string name, Edge edge)
    {
        var node = graph.Nodes[edge.Node];
        TensorShape? declared = node.Op is "Placeholder" or "PlaceholderWithDefault" && node.Attrs.TryGetValue("shape", out var shapeAttr) && shapeAttr.Shape is { UnknownRank: false } shape
            ? TensorShape.FromProto(shape)
            : null;
        return new FeedCheck(name, node.OutputTypes[edge.Output], declared, node.Name);
    }

    /// <exception cref="FeedException">The tensor's dtype or shape does not fit.</exception>
    public void Check(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType.ToProto() != DType)
            throw new FeedException($"Feed '{Name}' is {tensor.DType.Name()}, but the tensor it replaces is {GraphImporter.DTypeName(DType)}.");
        if (Declared is not { } declared) return;
        bool fits = declared.Rank == tensor.Shape.Rank;
        for (int i = 0; fits && i < declared.Rank; i++) fits = declared[i] < 0 || declared[i] == tensor.Shape[i];
        if (!fits) throw new FeedException($"Feed '{Name}' has shape {tensor.Shape}, but placeholder '{Node}' takes {declared}.");
    }
}
