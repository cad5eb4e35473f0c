using System.Collections.Concurrent;
using StaticFlow.Devices;
using StaticFlow.Graphs;
using StaticFlow.Kernels;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>What a compiled plan does (see <see cref="GraphSession.Explain"/>).</summary>
/// <param name="Steps">Kernel invocations per run.</param>
/// <param name="FoldedNodes">Nodes computed once, when the plan was built.</param>
/// <param name="FusedNodes">Nodes absorbed into another node's step (MatMul+BiasAdd+Relu).</param>
/// <param name="CrossDeviceEdges">Data edges whose producer and consumer sit on different devices.</param>
public sealed record PlanStatistics(int Steps, int FoldedNodes, int FusedNodes, int CrossDeviceEdges)
{
    /// <summary>Where the plan's intermediates live, once a run has shown their sizes; null before the plan's first run, and for a plan with no intermediate to reuse.</summary>
    public PlanMemory? Memory { get; init; }
}

/// <summary>
/// The arena of a plan (see <see cref="GraphSession.Explain"/>): its intermediate products share one array per run,
/// each at an offset the memory planner chose from the tensors' lifetimes, so two of them alive at the same step
/// never overlap and the array is reused from run to run.
/// </summary>
/// <param name="ArenaBytes">The size of the arena a run uses.</param>
/// <param name="LargestLiveSetBytes">The most bytes of these tensors alive at any one step: no layout can be smaller.</param>
/// <param name="Tensors">How many intermediates the arena holds.</param>
public sealed record PlanMemory(long ArenaBytes, long LargestLiveSetBytes, int Tensors)
{
    /// <summary>How far the arena is from the floor (1.0: no byte wasted).</summary>
    public double Overhead => LargestLiveSetBytes == 0 ? 1 : (double)ArenaBytes / LargestLiveSetBytes;
}

/// <summary>The time one step of a plan took (see <see cref="GraphSession.Profile"/>), like a node's entry in TensorFlow's step stats.</summary>
/// <param name="Node">The node whose step it is (for a fused step, the last node of the chain).</param>
/// <param name="Op">The node's op, or the fused chain (<c>Conv2D+BiasAdd+Relu</c>).</param>
/// <param name="Median">The median over the profiled runs.</param>
/// <param name="Share">The step's part of the sum of all steps' medians.</param>
/// <param name="AllocatedBytes">The median of what the step allocated on the running thread (its kernel's helper
/// threads not counted): zero for a step that reuses its buffers.</param>
public sealed record StepProfile(string Node, string Op, TimeSpan Median, double Share, long AllocatedBytes);

/// <summary>Options of a <see cref="GraphSession"/>.</summary>
public sealed record SessionOptions
{
    /// <summary>Device placement: soft placement (on by default), device map, devices.</summary>
    public PlacementOptions Placement { get; init; } = new();

    /// <summary>Kernels to run with.</summary>
    public KernelRegistry Kernels { get; init; } = KernelRegistry.Standard;

    /// <summary>
    /// The deepest nesting of function calls (calls, If/While branches) a run may reach; deeper is a
    /// <see cref="ResourceLimitException"/> naming the function, so a function that calls itself fails instead of
    /// overflowing the stack. Default 100 (Keras models nest a handful).
    /// </summary>
    public int MaxCallDepth { get; init; } = 100;

    /// <summary>
    /// The most memory a run may bring the process's managed heap to: a tensor allocation that would go past it is a
    /// <see cref="ResourceLimitException"/> naming the node, raised before allocating, and a single tensor larger
    /// than the limit always fails. Default (0): three quarters of the memory the GC may use, so that a hostile or
    /// mistaken graph fails cleanly instead of crashing the process out of memory. Negative: no limit.
    /// </summary>
    public long MemoryLimitBytes { get; init; }

    /// <summary>
    /// The files the graph's ops (SaveV2, RestoreV2, MergeV2Checkpoints) may touch. Default unrestricted, as in
    /// TensorFlow; use <see cref="IO.FileAccessPolicy.Confined"/> for a model you do not trust.
    /// </summary>
    public IO.FileAccessPolicy FileAccess { get; init; } = IO.FileAccessPolicy.Unrestricted;

    internal long EffectiveMemoryLimit => MemoryLimitBytes switch { 0 => MemoryBudget.DefaultLimit, < 0 => 0, var bytes => bytes };
}

/// <summary>
/// Runs a <see cref="Graph"/> like TensorFlow's <c>Session.run</c>: feeds by tensor name override their producers,
/// only what the fetches and targets need runs, and each distinct (feeds, fetches, targets) is compiled once into
/// an <see cref="ExecutionPlan"/> that concurrent calls share. Variables live in the session's
/// <see cref="Resources"/>.
/// </summary>
public sealed class GraphSession
{
    private readonly ConcurrentDictionary<string, Lazy<ExecutionPlan>> _plans = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<(FunctionGraph Function, ExecutionPlan Plan)>> _functions = new(StringComparer.Ordinal);

    /// <summary>Places <paramref name="graph"/> and prepares to run it.</summary>
    /// <exception cref="PlacementException">Strict placement failed, or a device string is invalid.</exception>
    public GraphSession(Graph graph, SessionOptions? options = null)
    {
        Graph = graph;
        Options = options ?? new SessionOptions();
        Placement = Placer.Place(graph, Options.Placement);
    }

    /// <summary>The graph.</summary>
    public Graph Graph { get; }

    /// <summary>The options.</summary>
    public SessionOptions Options { get; }

    /// <summary>Where each node runs, with reasons (TensorFlow's <c>log_device_placement</c>).</summary>
    public Placement Placement { get; }

    /// <summary>The session's variables.</summary>
    public ResourceStore Resources { get; } = new();

    internal KernelRegistry Kernels => Options.Kernels;

    /// <summary>
    /// What the plan for these feeds, fetches and targets does: steps run per call, nodes folded into constants
    /// when the plan was built, nodes fused into other steps, data edges between different devices and, once the
    /// plan has run, its arena (<see cref="PlanStatistics.Memory"/>).
    /// </summary>
    public PlanStatistics Explain(IEnumerable<string>? feeds, IReadOnlyList<string> fetches, IReadOnlyList<string>? targets = null)
    {
        var plan = GetPlan([.. (feeds ?? []).Select(Graph.ResolveTensor)], [.. fetches.Select(Graph.ResolveTensor)], ResolveTargets(targets ?? []));
        return new PlanStatistics(plan.Steps.Count, plan.FoldedNodes, plan.FusedNodes, plan.CrossDeviceEdges)
        {
            Memory = plan.Layout is { } layout ? new PlanMemory(layout.ArenaBytes, layout.LargestLiveSetBytes, layout.Offsets.Length) : null,
        };
    }

    /// <summary>
    /// Runs the graph <paramref name="runs"/> times (after as many unmeasured runs and at least half a second of them,
    /// so kernels are compiled and buffers reused) and returns each step's median time and allocation, slowest
    /// first: where a model spends its time.
    /// </summary>
    public IReadOnlyList<StepProfile> Profile(IReadOnlyDictionary<string, Tensor>? feeds, IReadOnlyList<string> fetches, int runs = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        string[] names = [.. feeds?.Keys ?? []];
        Tensor[] tensors = [.. names.Select(name => feeds![name])];
        var prepared = Prepare(names, fetches);
        var plan = prepared.Plan;
        // Half a second of warm-up at least: the JIT recompiles a method with its optimizing tier only after it has
        // been called a while, and runs timed before that measure the unoptimized code.
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < runs || warmUp.ElapsedMilliseconds < 500; i++) prepared.Run(tensors).Dispose();
        var records = new StepRecord[runs];
        for (int r = 0; r < runs; r++)
        {
            _profile = records[r] = new StepRecord(plan);
            try { prepared.Run(tensors).Dispose(); }
            finally { _profile = null; }
        }
        long Median(int step, Func<StepRecord, long[]> measure) => records.Select(r => measure(r)[step]).Order().ElementAt(runs / 2);
        var ticks = Enumerable.Range(0, plan.Steps.Count).Select(s => Median(s, r => r.Ticks)).ToArray();
        double total = Math.Max(1, ticks.Sum());
        return [.. plan.Steps.Select((step, s) => new StepProfile(step.Node.Name, step.Kernel is FusedProductKernel fused ? fused.Chain : step.Node.Op,
                TimeSpan.FromSeconds(ticks[s] / (double)System.Diagnostics.Stopwatch.Frequency), ticks[s] / total, Median(s, r => r.Bytes)))
            .OrderByDescending(p => p.Median)];
    }

    /// <summary>What each step of one profiled run of <see cref="Plan"/> took: ticks and bytes allocated on the running thread.</summary>
    private sealed class StepRecord(ExecutionPlan plan)
    {
        public ExecutionPlan Plan { get; } = plan;
        public long[] Ticks { get; } = new long[plan.Steps.Count];
        public long[] Bytes { get; } = new long[plan.Steps.Count];
    }

    // The record of the run being profiled on this thread, or null.
    [ThreadStatic] private static StepRecord? _profile;

    /// <summary>
    /// Runs the graph and returns the fetched tensors in order. Disposing the results (optional) lets the next run
    /// reuse the storage of fetched products instead of allocating it again.
    /// </summary>
    /// <param name="feeds">Tensors by name (<c>x:0</c>) that replace their producers.</param>
    /// <param name="fetches">Tensors to return.</param>
    /// <param name="targets">Nodes to run for their effects (e.g. <c>save/restore_all</c>).</param>
    /// <param name="cancellation">Cancels between nodes.</param>
    /// <exception cref="FeedException">A name is unknown, or a feed's dtype or shape does not fit.</exception>
    /// <exception cref="GraphException">A node failed; the message names it.</exception>
    public RunResults Run(IReadOnlyDictionary<string, Tensor>? feeds, IReadOnlyList<string> fetches, IReadOnlyList<string>? targets = null, CancellationToken cancellation = default)
    {
        feeds ??= new Dictionary<string, Tensor>();
        var names = new string[feeds.Count];
        var tensors = new Tensor[feeds.Count];
        int k = 0;
        foreach (var (name, tensor) in feeds)
        {
            names[k] = name;
            tensors[k++] = tensor;
        }
        return Prepare(names, fetches, targets).Run(tensors, cancellation);
    }

    /// <summary>
    /// Resolves feeds, fetches and targets once and returns a run that can be repeated with new feed tensors
    /// (TensorFlow's <c>Session.make_callable</c>): each <see cref="PreparedRun.Run(ReadOnlySpan{Tensor})"/> skips
    /// the name lookups and plan selection that <see cref="Run"/> does every time, which for a small graph are a
    /// large part of a run.
    /// </summary>
    /// <exception cref="FeedException">A name is unknown.</exception>
    public PreparedRun Prepare(IReadOnlyList<string> feeds, IReadOnlyList<string> fetches, IReadOnlyList<string>? targets = null)
    {
        var feedEdges = feeds.Select(Graph.ResolveTensor).ToArray();
        var fetchEdges = fetches.Select(Graph.ResolveTensor).ToArray();
        var targetNodes = ResolveTargets(targets ?? []);
        var checks = feeds.Select((name, i) => FeedCheck.For(Graph, name, feedEdges[i])).ToArray();
        return new PreparedRun(this, GetPlan(feedEdges, fetchEdges, targetNodes), checks, [.. fetches], fetchEdges);
    }

    /// <summary>Runs a prepared plan (see <see cref="PreparedRun"/>): the feeds are already checked.</summary>
    internal RunResults RunPrepared(ExecutionPlan plan, ReadOnlySpan<Tensor> feeds, IReadOnlyList<string> fetches, Edge[] fetchEdges, CancellationToken cancellation)
    {
        using var budget = MemoryBudget.Enter(Options.EffectiveMemoryLimit);
        var frame = new RunFrame(this, [], [], cancellation);
        var results = Execute(plan, feeds, frame);
        var tensors = new Tensor[results.Length];
        for (int i = 0; i < results.Length; i++)
            tensors[i] = results[i] switch
            {
                { Tensor: { } tensor } => tensor,
                { Variable: { IsInitialized: true } variable } => variable.Read(),
                { Variable: { } variable } => throw new GraphException(Graph.Nodes[fetchEdges[i].Node].Name, Graph.Nodes[fetchEdges[i].Node].Op,
                    $"fetch '{fetches[i]}' is variable '{variable.Name}', which is uninitialized (restore a checkpoint or run its initializer first)"),
                _ => throw new FeedException($"Fetch '{fetches[i]}' produced no value."),
            };
        return new RunResults(tensors, plan.ReturnableFetches, plan.Buffers);
    }

    private ExecutionPlan GetPlan(Edge[] feeds, Edge[] fetches, int[] targets)
    {
        string key = string.Join("\u0001", feeds.Select(e => $"{e.Node}:{e.Output}")) + "\u0002" +
                     string.Join("\u0001", fetches.Select(e => $"{e.Node}:{e.Output}")) + "\u0002" + string.Join("\u0001", targets);
        var plan = _plans.GetOrAdd(key, _ => new Lazy<ExecutionPlan>(() =>
        {
            // Building a plan folds constants: their tensors count against the memory limit as a run's do.
            using var budget = MemoryBudget.Enter(Options.EffectiveMemoryLimit);
            return ExecutionPlan.Build(this, Graph, Placement, feeds, fetches, targets);
        }));
        try
        {
            return plan.Value;
        }
        catch
        {
            // A refusal can depend on what the heap held at that moment: the next run builds the plan again.
            _plans.TryRemove(new KeyValuePair<string, Lazy<ExecutionPlan>>(key, plan));
            throw;
        }
    }

    private int[] ResolveTargets(IReadOnlyList<string> targets) =>
        [.. targets.Select(t => (Graph.Find(t.TrimStart('^')) ?? throw new FeedException($"The graph has no node '{t}' to run as a target.")).Index)];

    /// <summary>Runs the library function <paramref name="name"/> on <paramref name="args"/> and returns its results.</summary>
    public Value[] CallFunction(string name, Value[] args, CancellationToken cancellation = default)
    {
        using var budget = MemoryBudget.Enter(Options.EffectiveMemoryLimit);
        return CallFunction(name, args, cancellation, callDepth: 1);
    }

    /// <summary>Runs <paramref name="name"/> for the kernel of <paramref name="caller"/>, one call deeper than its frame.</summary>
    /// <exception cref="ResourceLimitException">The call would nest deeper than <see cref="SessionOptions.MaxCallDepth"/>.</exception>
    internal Value[] CallFunction(string name, Value[] args, RunFrame frame, GraphNode caller)
    {
        if (frame.CallDepth >= Options.MaxCallDepth)
            throw new ResourceLimitException(caller.Name, caller.Op,
                $"calling function '{name}' would nest function calls {frame.CallDepth + 1} deep, past the limit of {Options.MaxCallDepth} (SessionOptions.MaxCallDepth); does the function call itself?");
        return CallFunction(name, args, frame.Cancellation, frame.CallDepth + 1);
    }

    private Value[] CallFunction(string name, Value[] args, CancellationToken cancellation, int callDepth)
    {
        var (function, plan) = _functions.GetOrAdd(name, n => new Lazy<(FunctionGraph, ExecutionPlan)>(() =>
        {
            FunctionGraph f = Graph.Library.Instantiate(n);
            var placement = Placer.Place(f.Graph, Options.Placement);
            int[] targets = [.. f.RetvalNodes, .. f.ControlOutputs, .. SideEffects(f.Graph)];
            return (f, ExecutionPlan.Build(this, f.Graph, placement, [], [], targets));
        })).Value;
        if (args.Length != function.ArgNodes.Count)
            throw new GraphException(null, name, $"function '{name}' takes {function.ArgNodes.Count} arguments, got {args.Length}");
        var frame = new RunFrame(this, args, new Value[function.RetvalNodes.Count], cancellation, callDepth);
        Execute(plan, [], frame);
        return frame.Retvals;
    }

    // Stateful nodes whose outputs nobody reads (assignments, saves, prints) run whenever their function runs.
    private static IEnumerable<int> SideEffects(Graph graph)
    {
        var consumed = new HashSet<int>(graph.Nodes.SelectMany(n => n.Inputs.Select(e => e.Node).Concat(n.ControlInputs)));
        return graph.Nodes.Where(n => n.IsStateful && n.Op is not ("_Arg" or "_Retval") && !consumed.Contains(n.Index)).Select(n => n.Index);
    }

    private static Value[] Execute(ExecutionPlan plan, ReadOnlySpan<Tensor> feedValues, RunFrame frame)
    {
        var workspace = plan.RentWorkspace();
        var slots = workspace.Slots;
        foreach (var (slot, value) in plan.Constants) slots[slot] = value;
        for (int i = 0; i < feedValues.Length; i++) slots[plan.FeedSlots[i]] = feedValues[i];

        var callerBuffers = frame.Buffers;
        var callerRegion = frame.OutputRegion;
        frame.Buffers = plan.Buffers;
        var layout = plan.Layout;
        byte[]? arena = workspace.ArenaFor(layout);
        long[] observed = workspace.ObservedBytes;
        // Only the profiled plan: a function's steps run inside its caller's step.
        StepRecord? profile = ReferenceEquals(_profile?.Plan, plan) ? _profile : null;
        try
        {
            for (int s = 0; s < plan.Steps.Count; s++)
            {
                var step = plan.Steps[s];
                long started = profile is null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
                long allocated = profile is null ? 0 : GC.GetAllocatedBytesForCurrentThread();
                frame.Cancellation.ThrowIfCancellationRequested();
                var context = workspace.Contexts[s];
                context.Frame = frame;
                var inputs = context.InputValues;
                for (int i = 0; i < inputs.Length; i++) inputs[i] = slots[step.InputSlots[i]];
                frame.OutputRegion = step.ArenaIndex >= 0 && arena is not null
                    ? new ArenaRegion(arena, workspace.ArenaStart + (int)layout!.Offsets[step.ArenaIndex], layout.Bytes[step.ArenaIndex])
                    : default;
                Invoke(step.Kernel, context);
                frame.OutputRegion = default;
                if (step.Borrows) workspace.Lenders[step.OutputSlot] = inputs[0].Variable;
                var outputs = context.OutputValues;
                for (int i = 0; i < outputs.Length; i++)
                {
                    if (step.OutputFed[i]) continue;
                    if (outputs[i].IsEmpty) throw new GraphException(step.Node.Name, step.Node.Op, $"the kernel produced no output {i}");
                    slots[step.OutputSlot + i] = outputs[i];
                }
                if (step.ArenaIndex >= 0 && slots[step.OutputSlot].Tensor is { } product)
                {
                    observed[step.ArenaIndex] = product.ByteCount;
                    if (arena is not null && ReferenceEquals(product.Storage, arena)) workspace.ArenaHits++;
                }
                // The next run checks that the kernel set every output, so none may be left over from this one.
                Array.Clear(outputs);
                Array.Clear(inputs);
                foreach (int slot in step.RecycleAfter)
                    if (slots[slot].Tensor?.Storage is { } storage && !ReferenceEquals(storage, arena)) plan.Buffers.Return(storage);
                foreach (int slot in step.ReturnBorrowsAfter)
                {
                    workspace.Lenders[slot]!.ReturnBorrow();
                    workspace.Lenders[slot] = null;
                }
                foreach (int slot in step.ReleaseAfter) slots[slot] = default;
                if (profile is not null)
                {
                    profile.Ticks[s] += System.Diagnostics.Stopwatch.GetTimestamp() - started;
                    profile.Bytes[s] += GC.GetAllocatedBytesForCurrentThread() - allocated;
                }
            }
            var results = new Value[plan.FetchSlots.Length];
            for (int i = 0; i < results.Length; i++) results[i] = slots[plan.FetchSlots[i]];
            plan.Observe(observed);
            return results;
        }
        finally
        {
            frame.Buffers = callerBuffers;
            frame.OutputRegion = callerRegion;
            if (plan.BorrowSlots.Length > 0) workspace.ReturnBorrows(plan.BorrowSlots);
            plan.ReturnWorkspace(workspace);
        }
    }

    internal static void Invoke(IOpKernel kernel, KernelContext context)
    {
        try
        {
            kernel.Compute(context);
        }
        catch (ResourceLimitException e) when (e.NodeName is null)
        {
            throw new ResourceLimitException(context.Node.Name, context.Node.Op, e.Reason);
        }
        catch (Exception e) when (e is not (GraphException or OperationCanceledException or OutOfMemoryException))
        {
            throw new GraphException(context.Node.Name, context.Node.Op, e.Message, e);
        }
    }
}
