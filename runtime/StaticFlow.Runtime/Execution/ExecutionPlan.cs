using StaticFlow.Devices;
using StaticFlow.Graphs;
using StaticFlow.Kernels;
using StaticFlow.Operations;
using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>One node's work in a plan: its kernel and where its inputs and outputs live.</summary>
internal sealed record PlanStep(GraphNode Node, IOpKernel Kernel, int[] InputSlots, int OutputSlot, bool[] OutputFed, int[] ReleaseAfter, Device Device)
{
    /// <summary>The slots of <see cref="ReleaseAfter"/> whose storage goes back to the plan's <see cref="BufferPool"/>.</summary>
    public int[] RecycleAfter { get; init; } = [];

    /// <summary>True for a ReadVariableOp that borrows its variable's value (see <see cref="ExecutionPlan"/>).</summary>
    public bool Borrows { get; init; }

    /// <summary>The slots of <see cref="ReleaseAfter"/> that hold borrowed variable values, returned after this step.</summary>
    public int[] ReturnBorrowsAfter { get; init; } = [];

    /// <summary>The index of this step's output among the plan's arena tensors (<see cref="ExecutionPlan.ArenaLifetimes"/>), or -1.</summary>
    public int ArenaIndex { get; init; } = -1;
}

/// <summary>
/// A compiled run: the nodes that the fetches and targets need, in dependency order, with kernels bound, each
/// tensor in a numbered slot, constants folded ahead of time and each slot released after its last use. Plans
/// are immutable and shared by concurrent runs.
/// </summary>
/// <remarks>
/// A ReadVariableOp whose readers all only read, none fetched, borrows the variable's tensor from the read to its
/// last reader (<see cref="Variable.Borrow"/>) instead of reading it for keeps. The value then stays the variable's
/// own, so an optimizer step after the last reader updates it in place; one before it (or in a concurrent run)
/// sees the borrow and writes a fresh tensor.
/// </remarks>
internal sealed class ExecutionPlan
{
    public required IReadOnlyList<PlanStep> Steps { get; init; }
    public required int SlotCount { get; init; }
    public required IReadOnlyDictionary<int, Value> Constants { get; init; }
    public required int[] FeedSlots { get; init; }
    public required int[] FetchSlots { get; init; }
    public required int FoldedNodes { get; init; }
    public required int CrossDeviceEdges { get; init; }
    public required int FusedNodes { get; init; }

    /// <summary>Storage of intermediate products reused from run to run.</summary>
    public BufferPool Buffers { get; } = new();

    /// <summary>
    /// For each fetch, whether its storage may go back to <see cref="Buffers"/> when the run's results are disposed:
    /// the same rule as for recycled intermediates, except that the caller's Dispose marks the last read.
    /// </summary>
    public required bool[] ReturnableFetches { get; init; }

    /// <summary>The output slots of the borrowing reads, whose borrows a failed run returns.</summary>
    public required int[] BorrowSlots { get; init; }

    /// <summary>
    /// The intermediates that live in a run's arena, each from the step that writes it to its last reader: the
    /// products that can be recycled (see <see cref="MarkRecyclable"/>). Their sizes are learnt from runs.
    /// </summary>
    public required Lifetime[] ArenaLifetimes { get; init; }

    private readonly Lock _layoutGate = new();

    /// <summary>
    /// Where each arena tensor goes, planned from the largest sizes the plan's runs have seen; null until a run
    /// succeeded. Runs read it once at their start, so a run in progress keeps the layout it began with.
    /// </summary>
    public ArenaLayout? Layout { get; private set; }

    /// <summary>
    /// Called after a successful run with the bytes each arena tensor took: a size that outgrew the layout (or the
    /// first run) plans the arena again, for the largest sizes seen so far.
    /// </summary>
    public void Observe(long[] observedBytes)
    {
        if (observedBytes.Length == 0) return;
        var layout = Layout;
        if (layout is not null && !Outgrows(observedBytes, layout.Bytes)) return;
        lock (_layoutGate)
        {
            layout = Layout;
            if (layout is not null && !Outgrows(observedBytes, layout.Bytes)) return;
            var lifetimes = new Lifetime[ArenaLifetimes.Length];
            for (int i = 0; i < lifetimes.Length; i++)
                lifetimes[i] = ArenaLifetimes[i] with { Bytes = Math.Max(observedBytes[i], layout?.Bytes[i] ?? 0) };
            Layout = MemoryPlanner.Plan(lifetimes);
            // The products of the runs before now live in the arena: the pool's buffers of their sizes would only be held.
            Buffers.Clear();
        }
    }

    private static bool Outgrows(long[] observed, long[] planned)
    {
        for (int i = 0; i < observed.Length; i++)
            if (observed[i] > planned[i]) return true;
        return false;
    }

    // Workspaces left by finished runs, for the next ones (a run in progress holds its own); a few, for concurrent runs.
    private readonly RunWorkspace?[] _spareWorkspaces = new RunWorkspace?[Math.Clamp(Environment.ProcessorCount, 2, 8)];

    /// <summary>The arrays of one run: a finished run's, or new ones when other runs hold those (or a function calls itself).</summary>
    public RunWorkspace RentWorkspace()
    {
        for (int i = 0; i < _spareWorkspaces.Length; i++)
            if (Interlocked.Exchange(ref _spareWorkspaces[i], null) is { } workspace) return workspace;
        return new RunWorkspace(this);
    }

    /// <summary>Clears <paramref name="workspace"/> (it must not keep tensors alive) and keeps it for a next run.</summary>
    public void ReturnWorkspace(RunWorkspace workspace)
    {
        workspace.Clear();
        for (int i = 0; i < _spareWorkspaces.Length; i++)
            if (Interlocked.CompareExchange(ref _spareWorkspaces[i], workspace, null) is null) return;
    }

    /// <summary>
    /// Builds the plan in passes: the scope (which nodes the run needs, in order, and where their values live), the
    /// graph rewrites (<see cref="PlanRewrites.FoldConstants"/>, then <see cref="PlanRewrites.FindFusions"/> over what
    /// is left), the steps with their kernels bound, and the memory passes (recycling and the arena's lifetimes,
    /// borrowing reads).
    /// </summary>
    public static ExecutionPlan Build(GraphSession session, Graph graph, Placement placement, Edge[] feeds, Edge[] fetches, int[] targets)
    {
        var scope = PlanScope.Of(graph, feeds, fetches, targets);
        var (constants, folded) = PlanRewrites.FoldConstants(session, graph, scope);
        var fusions = PlanRewrites.FindFusions(graph, placement, scope, folded);
        var (steps, crossDevice) = BindSteps(session, graph, placement, scope, constants, folded, fusions);
        var (returnable, arenaLifetimes) = MarkRecyclable(steps, scope.FeedSlots, scope.Pinned);
        int[] borrowSlots = MarkBorrowingReads(steps, scope.FeedSlots, scope.Pinned);
        return new ExecutionPlan
        {
            BorrowSlots = borrowSlots, ArenaLifetimes = arenaLifetimes,
            Steps = steps, SlotCount = scope.SlotCount, Constants = constants, FeedSlots = scope.FeedSlots, FetchSlots = scope.FetchSlots,
            ReturnableFetches = [.. scope.FetchSlots.Select(returnable.Contains)],
            FoldedNodes = folded.Count, CrossDeviceEdges = crossDevice, FusedNodes = fusions.Values.Sum(f => f.Absorbed.Count()),
        };
    }

    /// <summary>
    /// One step per node that is neither folded nor absorbed into a fused chain (a fused chain is one step, at its
    /// last node), with its kernel bound and told which inputs are constants or variables, and the slots each step
    /// reads for the last time. Also counts the data edges between steps on different devices.
    /// </summary>
    private static (List<PlanStep> Steps, int CrossDeviceEdges) BindSteps(GraphSession session, Graph graph, Placement placement, PlanScope scope,
        Dictionary<int, Value> constants, HashSet<int> folded, Dictionary<int, PlanRewrites.Fusion> fusions)
    {
        var fusedAway = new HashSet<int>(fusions.Values.SelectMany(f => f.Absorbed));
        var uses = scope.CountUses(graph);
        var steps = new List<PlanStep>();
        int crossDevice = 0;
        foreach (int n in scope.Order)
        {
            if (fusedAway.Contains(n) || folded.Contains(n)) continue;
            if (fusions.TryGetValue(n, out var fusion))
            {
                steps.Add(FusedStep(session, graph, fusion, scope, placement, uses, constants));
                continue;
            }
            var node = graph.Nodes[n];
            var device = placement.DeviceOf[n];
            var kernel = PlanRewrites.KernelFor(session, graph, node);
            int[] inputSlots = [.. node.Inputs.Select(scope.SlotOf)];
            if (kernel is IConstantInputAware aware)
                for (int i = 0; i < inputSlots.Length; i++)
                    if (constants.TryGetValue(inputSlots[i], out var constant) && constant.Tensor is { } tensor) aware.OnConstantInput(i, tensor);
            if (kernel is IVariableInputAware variableAware)
                for (int i = 0; i < node.Inputs.Count; i++)
                    if (ReadsVariable(graph, node.Inputs[i], scope.Fed)) variableAware.OnVariableInput(i);
            foreach (var input in node.Inputs)
                if (!scope.Fed.Contains(input) && placement.DeviceOf[input.Node] != device) crossDevice++;
            bool[] outputFed = [.. Enumerable.Range(0, node.OutputTypes.Count).Select(i => scope.Fed.Contains(new Edge(n, i)))];
            steps.Add(new PlanStep(node, kernel, inputSlots, scope.SlotBase[n], outputFed, LastUses(inputSlots, uses, scope.Pinned, constants), device));
        }
        return (steps, crossDevice);
    }

    private static PlanStep FusedStep(GraphSession session, Graph graph, PlanRewrites.Fusion fusion, PlanScope scope, Placement placement,
        int[] uses, Dictionary<int, Value> constants)
    {
        var kernel = new FusedProductKernel(fusion.Product, session.Kernels.Create(fusion.Product), fusion.BiasAdd, fusion.BatchNorm, fusion.Relu is not null,
            fusion.Pool is null ? null : (fusion.Pool, session.Kernels.Create(fusion.Pool)));
        // The image (or a) and the filter (or b), then the bias, then the normalization's scale, offset, mean and variance.
        int[] inputSlots = [scope.SlotOf(fusion.Product.Inputs[0]), scope.SlotOf(fusion.Product.Inputs[1]),
            .. fusion.BiasAdd is { } biasAdd ? [scope.SlotOf(biasAdd.Inputs[1])] : Array.Empty<int>(),
            .. fusion.BatchNorm is { } batchNorm ? batchNorm.Inputs.Skip(1).Take(4).Select(scope.SlotOf) : []];
        for (int i = 0; i < inputSlots.Length; i++)
            if (constants.TryGetValue(inputSlots[i], out var constant) && constant.Tensor is { } tensor) kernel.OnConstantInput(i, tensor);
        if (ReadsVariable(graph, fusion.Product.Inputs[1], scope.Fed)) kernel.OnVariableInput(1);
        var last = fusion.Last;
        return new PlanStep(last, kernel, inputSlots, scope.SlotBase[last.Index], [scope.Fed.Contains(new Edge(last.Index, 0))],
            LastUses(inputSlots, uses, scope.Pinned, constants), placement.DeviceOf[last.Index]);
    }

    /// <summary>
    /// Marks where the storage of products can go back to the pool within a run. A product (a step whose op
    /// <see cref="OpSchema.OwnsOutput"/>, or a fused product) and the views of it (<see cref="OpSchema.ViewsInput"/>:
    /// a Flatten's Reshape) share one storage; it is given back after the last step that reads any of them, provided
    /// every reader only reads (no identity kept, no variable assigned), and none of them is fed or fetched.
    /// Returns the fetched products whose storage the caller may give back (<see cref="RunResults.Dispose"/>): those
    /// fetched without any view of them; and the lifetimes of the recycled products, which live in the run's arena
    /// once a run has shown their sizes (their steps' <see cref="PlanStep.ArenaIndex"/>).
    /// </summary>
    private static (HashSet<int> Returnable, Lifetime[] Arena) MarkRecyclable(List<PlanStep> steps, int[] feedSlots, HashSet<int> pinned)
    {
        static OpSchema? Schema(PlanStep step) => OpCatalog.StandardSchemas.GetValueOrDefault(step.Node.Op);
        // Each product's output slot and the slots of its views, by the product's slot.
        var storageOf = new Dictionary<int, int>();
        var producerOf = new Dictionary<int, int>();
        var lastReader = new Dictionary<int, (int Step, int Slot)>();
        var spoiled = new HashSet<int>();
        for (int i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            bool isView = Schema(step)?.ViewsInput == true && step.InputSlots.Length > 0 && storageOf.ContainsKey(step.InputSlots[0]);
            bool readsOnly = step.Kernel is FusedProductKernel || Schema(step)?.ReadsInputsOnly == true;
            for (int k = 0; k < step.InputSlots.Length; k++)
            {
                if (!storageOf.TryGetValue(step.InputSlots[k], out int storage)) continue;
                if (!readsOnly && !(isView && k == 0)) spoiled.Add(storage);
                lastReader[storage] = (i, step.InputSlots[k]);
            }
            if (step.Kernel is FusedProductKernel || Schema(step)?.OwnsOutput == true)
            {
                storageOf[step.OutputSlot] = step.OutputSlot;
                producerOf[step.OutputSlot] = i;
            }
            else if (isView) storageOf[step.OutputSlot] = storageOf[step.InputSlots[0]];
        }
        foreach (var (slot, storage) in storageOf)
            if (feedSlots.Contains(slot)) spoiled.Add(storage);
        var fetched = storageOf.Where(member => pinned.Contains(member.Key)).ToLookup(member => member.Value, member => member.Key);
        var returnable = new HashSet<int>(fetched.Where(members => !spoiled.Contains(members.Key) && members.All(slot => slot == members.Key)).Select(members => members.Key));
        spoiled.UnionWith(fetched.Select(members => members.Key));

        var recycleAt = new Dictionary<int, List<int>>();
        var arena = new List<Lifetime>();
        // In step order, so that the arena's indices (and so its layout) do not depend on a dictionary's order.
        foreach (var (storage, (step, slot)) in lastReader.OrderBy(entry => producerOf[entry.Key]))
        {
            if (spoiled.Contains(storage) || !steps[step].ReleaseAfter.Contains(slot)) continue;
            (recycleAt.TryGetValue(step, out var list) ? list : recycleAt[step] = []).Add(slot);
            int producer = producerOf[storage];
            steps[producer] = steps[producer] with { ArenaIndex = arena.Count };
            arena.Add(new Lifetime(producer, step, 0));
        }
        foreach (var (step, slots) in recycleAt) steps[step] = steps[step] with { RecycleAfter = [.. slots] };
        return (returnable, [.. arena]);
    }

    /// <summary>
    /// Turns ReadVariableOps whose every reader only reads (and which are neither fed nor fetched) into borrowing
    /// reads, each returned after its last reader; returns their output slots.
    /// </summary>
    private static int[] MarkBorrowingReads(List<PlanStep> steps, int[] feedSlots, HashSet<int> pinned)
    {
        var readers = new Dictionary<int, List<int>>();
        for (int i = 0; i < steps.Count; i++)
            foreach (int slot in steps[i].InputSlots)
                (readers.TryGetValue(slot, out var list) ? list : readers[slot] = []).Add(i);
        var borrowSlots = new List<int>();
        for (int i = 0; i < steps.Count; i++)
        {
            var read = steps[i];
            if (read.Node.Op != "ReadVariableOp" || read.Kernel is FusedProductKernel || read.OutputFed[0]) continue;
            int slot = read.OutputSlot;
            if (pinned.Contains(slot) || feedSlots.Contains(slot) || !readers.TryGetValue(slot, out var readSteps)) continue;
            if (!readSteps.All(r => steps[r].Kernel is FusedProductKernel || OpCatalog.StandardSchemas.GetValueOrDefault(steps[r].Node.Op)?.ReadsInputsOnly == true)) continue;
            int last = readSteps.Max();
            if (!steps[last].ReleaseAfter.Contains(slot)) continue;
            steps[i] = read with { Kernel = new BorrowingReadKernel(KernelHelpers.DTypeAttr(read.Node, "dtype")), Borrows = true };
            steps[last] = steps[last] with { ReturnBorrowsAfter = [.. steps[last].ReturnBorrowsAfter, slot] };
            borrowSlots.Add(slot);
        }
        return [.. borrowSlots];
    }

    /// <summary>Counts a step's reads and returns the slots it reads for the last time (fetches and constants stay).</summary>
    private static int[] LastUses(int[] inputSlots, int[] uses, HashSet<int> pinned, Dictionary<int, Value> constants)
    {
        var release = new List<int>();
        foreach (int slot in inputSlots)
            if (--uses[slot] == 0 && !pinned.Contains(slot) && !constants.ContainsKey(slot)) release.Add(slot);
        return [.. release.Distinct()];
    }

    /// <summary>
    /// Whether <paramref name="edge"/> carries a variable's value: a ReadVariableOp, or the Identity that reads a TF1
    /// variable (<c>w/read</c>), not fed.
    /// </summary>
    private static bool ReadsVariable(Graph graph, Edge edge, HashSet<Edge> fed)
    {
        if (fed.Contains(edge)) return false;
        var producer = graph.Nodes[edge.Node];
        return producer.Op == "ReadVariableOp"
            || producer.Op == "Identity" && producer.Inputs.Count == 1 && !fed.Contains(producer.Inputs[0])
                && graph.Nodes[producer.Inputs[0].Node].Op is "VariableV2" or "Variable";
    }
}

/// <summary>ReadVariableOp as a borrow: the variable's own tensor, lent until the plan's last reader of it is done.</summary>
internal sealed class BorrowingReadKernel(DType dtype) : IOpKernel
{
    public void Compute(KernelContext context)
    {
        Variable variable = context.InputVariable(0);
        Tensor value;
        try { value = variable.Borrow(); }
        catch (InvalidOperationException e) { throw context.Error(e.Message); }
        if (value.DType != dtype)
        {
            variable.ReturnBorrow();
            throw context.Error($"variable '{variable.Name}' holds {value.DType.Name()}, read as {dtype.Name()}");
        }
        context.SetOutput(0, value);
    }
}

/// <summary>
/// The per-run state of a plan: its value slots and, for each step, the kernel context with its input and output
/// arrays. Kept by the plan between runs, so a run of a small graph allocates none of them.
/// </summary>
internal sealed class RunWorkspace
{
    public RunWorkspace(ExecutionPlan plan)
    {
        ObservedBytes = new long[plan.ArenaLifetimes.Length];
        Slots = new Value[plan.SlotCount];
        Lenders = plan.BorrowSlots.Length == 0 ? [] : new Variable?[plan.SlotCount];
        Contexts = [.. plan.Steps.Select(step => new KernelContext(step.Node, new Value[step.InputSlots.Length], new Value[step.OutputFed.Length], null!))];
    }

    public Value[] Slots { get; }

    /// <summary>The bytes each arena tensor of the plan took in this run (see <see cref="ExecutionPlan.Observe"/>).</summary>
    public long[] ObservedBytes { get; }

    /// <summary>How many of the plan's arena tensors this workspace's runs wrote into the arena (a check that the kernels take their regions).</summary>
    public int ArenaHits { get; set; }

    private ArenaLayout? _arenaLayout;
    private byte[]? _arena;

    /// <summary>
    /// This workspace's arena for <paramref name="layout"/>, allocated when the layout is new to it; null when there
    /// is no layout yet, or the arena would go past the run's memory budget (then each tensor is allocated alone).
    /// </summary>
    public byte[]? ArenaFor(ArenaLayout? layout)
    {
        if (layout is null || ReferenceEquals(layout, _arenaLayout)) return _arena;
        _arenaLayout = layout;
        _arena = null;
        long bytes = layout.ArenaBytes + MemoryPlanner.Alignment;
        if (bytes > Tensor.MaxStorageBytes) return null;
        try { MemoryBudget.Check(bytes, "the plan's arena"); }
        catch (ResourceLimitException) { return null; }
        // Pinned, so the planner's cache-line offsets stay cache-line addresses: a managed array's elements start
        // 16 bytes into a line, and vector loads that straddle two lines are slower (see PackedMatrix).
        var arena = GC.AllocateUninitializedArray<byte>((int)bytes, pinned: true);
        ArenaStart = AlignedStart(arena);
        return _arena = arena;
    }

    /// <summary>Where offset 0 of the layout is in the arena: its first byte on a cache-line boundary.</summary>
    public int ArenaStart { get; private set; }

    private static unsafe int AlignedStart(byte[] pinned)
    {
        long address = (long)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((MemoryPlanner.Alignment - (address & (MemoryPlanner.Alignment - 1))) & (MemoryPlanner.Alignment - 1));
    }

    /// <summary>For each slot holding a borrowed variable value, the variable it is borrowed from (empty when the plan borrows nothing).</summary>
    public Variable?[] Lenders { get; }

    /// <summary>Returns the borrows a run left (it failed before their last readers).</summary>
    public void ReturnBorrows(int[] borrowSlots)
    {
        foreach (int slot in borrowSlots)
        {
            Lenders[slot]?.ReturnBorrow();
            Lenders[slot] = null;
        }
    }

    /// <summary>One context per step of the plan, in order.</summary>
    public KernelContext[] Contexts { get; }

    public void Clear()
    {
        Array.Clear(Slots);
        foreach (var context in Contexts)
        {
            Array.Clear(context.InputValues);
            Array.Clear(context.OutputValues);
            context.Frame = null!;
        }
    }
}
