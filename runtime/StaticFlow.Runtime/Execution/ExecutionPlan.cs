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

    public static ExecutionPlan Build(GraphSession session, Graph graph, Placement placement, Edge[] feeds, Edge[] fetches, int[] targets)
    {
        var fed = new HashSet<Edge>(feeds);
        var needed = new bool[graph.Nodes.Count];
        var stack = new Stack<int>();
        foreach (var fetch in fetches)
            if (!fed.Contains(fetch)) stack.Push(fetch.Node);
        foreach (int target in targets) stack.Push(target);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            if (needed[n]) continue;
            needed[n] = true;
            var node = graph.Nodes[n];
            foreach (var input in node.Inputs)
                if (!fed.Contains(input)) stack.Push(input.Node);
            foreach (int control in node.ControlInputs) stack.Push(control);
        }

        // Slots: every output of every node (fed tensors live in their producer's slot).
        var slotBase = new int[graph.Nodes.Count];
        int slots = 0;
        foreach (var node in graph.Nodes)
        {
            slotBase[node.Index] = slots;
            slots += node.OutputTypes.Count;
        }
        int SlotOf(Edge e) => slotBase[e.Node] + e.Output;

        var order = graph.TopologicalOrder.Where(n => needed[n]).ToList();
        var fetchSlots = fetches.Select(SlotOf).ToArray();
        var feedSlots = feeds.Select(SlotOf).ToArray();
        var pinned = new HashSet<int>(fetchSlots);

        // Remaining uses of each slot, to release values after their last consumer.
        var uses = new int[slots];
        foreach (int n in order)
            foreach (var input in graph.Nodes[n].Inputs) uses[SlotOf(input)]++;

        var fusions = FindFusions(graph, placement, order, needed, fed, pinned, SlotOf);
        var fusedAway = new HashSet<int>(fusions.Values.SelectMany(f => f.Absorbed));

        var constants = new Dictionary<int, Value>();
        var steps = new List<PlanStep>();
        int folded = 0, crossDevice = 0;
        var frame = new RunFrame(session, [], [], CancellationToken.None);
        foreach (int n in order)
        {
            if (fusedAway.Contains(n)) continue;
            if (fusions.TryGetValue(n, out var fusion))
            {
                steps.Add(FusedStep(session, graph, fusion, SlotOf, slotBase, placement, uses, pinned, constants, fed));
                continue;
            }
            var node = graph.Nodes[n];
            var device = placement.DeviceOf[n];
            // A node may call a library function by its name instead of through PartitionedCall.
            IOpKernel kernel = !session.Kernels.Contains(node.Op) && graph.Library.Contains(node.Op)
                ? FunctionKernels.Call(node.Op)
                : session.Kernels.Create(node);
            int[] inputSlots = [.. node.Inputs.Select(SlotOf)];
            if (kernel is IConstantInputAware aware)
                for (int i = 0; i < inputSlots.Length; i++)
                    if (constants.TryGetValue(inputSlots[i], out var constant) && constant.Tensor is { } tensor) aware.OnConstantInput(i, tensor);
            if (kernel is IVariableInputAware variableAware)
                for (int i = 0; i < node.Inputs.Count; i++)
                    if (ReadsVariable(graph, node.Inputs[i], fed)) variableAware.OnVariableInput(i);
            foreach (var input in node.Inputs)
                if (!fed.Contains(input) && placement.DeviceOf[input.Node] != device) crossDevice++;
            bool[] outputFed = [.. Enumerable.Range(0, node.OutputTypes.Count).Select(i => fed.Contains(new Edge(n, i)))];

            if (CanFold(graph, node, inputSlots, constants, fed, n))
            {
                var inputs = inputSlots.Select(s => constants[s]).ToArray();
                var outputs = new Value[node.OutputTypes.Count];
                GraphSession.Invoke(kernel, new KernelContext(node, inputs, outputs, frame));
                for (int i = 0; i < outputs.Length; i++) constants[slotBase[n] + i] = outputs[i];
                folded++;
                continue;
            }

            steps.Add(new PlanStep(node, kernel, inputSlots, slotBase[n], outputFed, LastUses(inputSlots, uses, pinned, constants), device));
        }
        var (returnable, arenaLifetimes) = MarkRecyclable(steps, feedSlots, pinned);
        int[] borrowSlots = MarkBorrowingReads(steps, feedSlots, pinned);
        return new ExecutionPlan
        {
            BorrowSlots = borrowSlots, ArenaLifetimes = arenaLifetimes,
            Steps = steps, SlotCount = slots, Constants = constants, FeedSlots = feedSlots, FetchSlots = fetchSlots,
            ReturnableFetches = [.. fetchSlots.Select(returnable.Contains)],
            FoldedNodes = folded, CrossDeviceEdges = crossDevice, FusedNodes = fusedAway.Count,
        };
    }

    private sealed record Fusion(GraphNode Product, GraphNode? BiasAdd, GraphNode? BatchNorm, GraphNode? Relu, GraphNode? Pool)
    {
        private GraphNode[] Chain => [.. new[] { Product, BiasAdd, BatchNorm, Relu, Pool }.OfType<GraphNode>()];
        public IEnumerable<int> Absorbed => Chain[..^1].Select(n => n.Index);
        public GraphNode Last => Chain[^1];
    }

    /// <summary>
    /// Float32 MatMul or Conv2D → BiasAdd (→ Relu) chains whose intermediate tensors feed nothing else, keyed by the
    /// chain's last node (where the fused step runs, once every input of the chain is ready). After a convolution,
    /// an inference-mode FusedBatchNormV3 (with or without the BiasAdd) folds into the filter and bias, and a MaxPool
    /// whose windows tile the output joins the chain.
    /// </summary>
    private static Dictionary<int, Fusion> FindFusions(Graph graph, Placement placement, List<int> order, bool[] needed, HashSet<Edge> fed, HashSet<int> pinned, Func<Edge, int> slotOf)
    {
        var dataConsumers = new Dictionary<int, List<(GraphNode Node, int Input)>>();
        var controlled = new HashSet<int>();
        foreach (int n in order)
        {
            var node = graph.Nodes[n];
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                int slot = slotOf(node.Inputs[i]);
                if (!dataConsumers.TryGetValue(slot, out var list)) dataConsumers[slot] = list = [];
                list.Add((node, i));
            }
            foreach (int c in node.ControlInputs) controlled.Add(c);
        }

        GraphNode? SoleConsumer(GraphNode producer, string op)
        {
            var edge = new Edge(producer.Index, 0);
            if (fed.Contains(edge) || pinned.Contains(slotOf(edge)) || controlled.Contains(producer.Index)) return null;
            if (!dataConsumers.TryGetValue(slotOf(edge), out var list) || list.Count != 1) return null;
            var (consumer, input) = list[0];
            return consumer.Op == op && input == 0 && placement.DeviceOf[consumer.Index] == placement.DeviceOf[producer.Index] ? consumer : null;
        }

        // A batch normalization that folds into the convolution before it: inference mode (moving statistics as
        // inputs), NHWC, float32, no control inputs, its parameters not fed, and only its normalized output used.
        bool FoldableBatchNorm(GraphNode batchNorm)
        {
            if (batchNorm.ControlInputs.Count > 0 || batchNorm.Attr("is_training").B || batchNorm.Attr("data_format").S.ToStringUtf8() != "NHWC"
                || batchNorm.Attr("T").Type != Protos.DataType.DtFloat || batchNorm.Attr("U").Type != Protos.DataType.DtFloat)
                return false;
            if (batchNorm.Inputs.Skip(1).Any(fed.Contains)) return false;
            for (int k = 1; k < batchNorm.OutputTypes.Count; k++)
            {
                var edge = new Edge(batchNorm.Index, k);
                if (fed.Contains(edge) || pinned.Contains(slotOf(edge)) || dataConsumers.ContainsKey(slotOf(edge))) return false;
            }
            return true;
        }

        var fusions = new Dictionary<int, Fusion>();
        foreach (int n in order)
        {
            var node = graph.Nodes[n];
            if (node.Op is not ("MatMul" or "Conv2D") || node.Attr("T").Type != Protos.DataType.DtFloat || node.ControlInputs.Count > 0) continue;
            var bias = SoleConsumer(node, "BiasAdd");
            if (bias is not null && (bias.ControlInputs.Count > 0 || fed.Contains(bias.Inputs[1]))) continue;
            // The product's columns are its last axis: an NCHW BiasAdd of a convolution adds along another one.
            if (bias is not null && bias.Attrs.TryGetValue("data_format", out var format) && format.S.ToStringUtf8() == "NCHW" && node.Op == "Conv2D") continue;
            var batchNorm = node.Op == "Conv2D" ? SoleConsumer(bias ?? node, "FusedBatchNormV3") : null;
            if (batchNorm is not null && !FoldableBatchNorm(batchNorm)) batchNorm = null;
            var last = batchNorm ?? bias;
            if (last is null) continue;
            var relu = SoleConsumer(last, "Relu");
            if (relu is not null && relu.ControlInputs.Count > 0) relu = null;
            var pool = node.Op == "Conv2D" ? SoleConsumer(relu ?? last, "MaxPool") : null;
            if (pool is not null && (pool.ControlInputs.Count > 0 || !ConvolutionGemmKernel.CanPool(pool))) pool = null;
            var fusion = new Fusion(node, bias, batchNorm, relu, pool);
            fusions[fusion.Last.Index] = fusion;
        }
        return fusions;
    }

    private static PlanStep FusedStep(GraphSession session, Graph graph, Fusion fusion, Func<Edge, int> slotOf, int[] slotBase, Placement placement,
        int[] uses, HashSet<int> pinned, Dictionary<int, Value> constants, HashSet<Edge> fed)
    {
        var kernel = new FusedProductKernel(fusion.Product, session.Kernels.Create(fusion.Product), fusion.BiasAdd, fusion.BatchNorm, fusion.Relu is not null,
            fusion.Pool is null ? null : (fusion.Pool, session.Kernels.Create(fusion.Pool)));
        // The image (or a) and the filter (or b), then the bias, then the normalization's scale, offset, mean and variance.
        int[] inputSlots = [slotOf(fusion.Product.Inputs[0]), slotOf(fusion.Product.Inputs[1]),
            .. fusion.BiasAdd is { } biasAdd ? [slotOf(biasAdd.Inputs[1])] : Array.Empty<int>(),
            .. fusion.BatchNorm is { } batchNorm ? batchNorm.Inputs.Skip(1).Take(4).Select(slotOf) : []];
        for (int i = 0; i < inputSlots.Length; i++)
            if (constants.TryGetValue(inputSlots[i], out var constant) && constant.Tensor is { } tensor) kernel.OnConstantInput(i, tensor);
        if (ReadsVariable(graph, fusion.Product.Inputs[1], fed)) kernel.OnVariableInput(1);
        var last = fusion.Last;
        return new PlanStep(last, kernel, inputSlots, slotBase[last.Index], [fed.Contains(new Edge(last.Index, 0))],
            LastUses(inputSlots, uses, pinned, constants), placement.DeviceOf[last.Index]);
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

    // Pure nodes whose inputs are all known ahead of time compute once, at plan time.
    private static bool CanFold(Graph graph, GraphNode node, int[] inputSlots, Dictionary<int, Value> constants, HashSet<Edge> fed, int n)
    {
        if (node.IsStateful || node.Op is "Placeholder" or "PlaceholderWithDefault") return false;
        // Calls (If, While, PartitionedCall, a function by name) can run for as long as their functions do; folding
        // them would run that work while the plan is built, outside any run's cancellation and deadline.
        if (CallsFunctions(graph, node)) return false;
        if (node.ControlInputs.Count > 0 || node.OutputTypes.Count == 0) return false;
        for (int i = 0; i < node.OutputTypes.Count; i++)
            if (fed.Contains(new Edge(n, i))) return false;
        foreach (int slot in inputSlots)
            if (!constants.TryGetValue(slot, out var value) || value.Tensor is null) return false;
        return true;
    }

    private static bool CallsFunctions(Graph graph, GraphNode node) =>
        graph.Library.Contains(node.Op) ||
        node.Attrs.Values.Any(a => a.Func is not null || a.List?.Func.Count > 0);
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
