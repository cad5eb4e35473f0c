using StaticFlow.Devices;
using StaticFlow.Graphs;
using StaticFlow.Kernels;

namespace StaticFlow.Execution;

/// <summary>
/// What a run of a plan needs, before any rewrite: the nodes the fetches and targets reach (stopping at feeds), in
/// dependency order, and a numbered slot for every output of every node (a fed tensor lives in its producer's slot).
/// </summary>
internal sealed class PlanScope
{
    private PlanScope(IReadOnlyList<int> order, int[] slotBase, int slotCount, HashSet<Edge> fed, int[] feedSlots, int[] fetchSlots)
    {
        Order = order;
        SlotBase = slotBase;
        SlotCount = slotCount;
        Fed = fed;
        FeedSlots = feedSlots;
        FetchSlots = fetchSlots;
        Pinned = [.. fetchSlots];
    }

    /// <summary>The needed nodes in topological order.</summary>
    public IReadOnlyList<int> Order { get; }

    /// <summary>Each node's first slot; output i of node n is in slot <c>SlotBase[n] + i</c>.</summary>
    public int[] SlotBase { get; }

    public int SlotCount { get; }

    public HashSet<Edge> Fed { get; }

    public int[] FeedSlots { get; }

    public int[] FetchSlots { get; }

    /// <summary>The fetched slots, whose values the run hands out and so never releases or recycles.</summary>
    public HashSet<int> Pinned { get; }

    public int SlotOf(Edge edge) => SlotBase[edge.Node] + edge.Output;

    /// <summary>How many needed nodes read each slot, to release a value after its last reader.</summary>
    public int[] CountUses(Graph graph)
    {
        var uses = new int[SlotCount];
        foreach (int n in Order)
            foreach (var input in graph.Nodes[n].Inputs) uses[SlotOf(input)]++;
        return uses;
    }

    public static PlanScope Of(Graph graph, Edge[] feeds, Edge[] fetches, int[] targets)
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
        var slotBase = new int[graph.Nodes.Count];
        int slots = 0;
        foreach (var node in graph.Nodes)
        {
            slotBase[node.Index] = slots;
            slots += node.OutputTypes.Count;
        }
        var order = graph.TopologicalOrder.Where(n => needed[n]).ToList();
        return new PlanScope(order, slotBase, slots, fed, [.. feeds.Select(e => slotBase[e.Node] + e.Output)], [.. fetches.Select(e => slotBase[e.Node] + e.Output)]);
    }
}

/// <summary>
/// The rewrites a plan makes before its steps are bound, each a pass over the <see cref="PlanScope"/>: constant
/// folding, then the fusion of product chains among the nodes left to run. They decide what runs; the plan
/// (<see cref="ExecutionPlan.Build"/>) decides how.
/// </summary>
internal static class PlanRewrites
{
    /// <summary>
    /// Runs, once, every pure node whose inputs are all constants (Const nodes first of all), in order, so later
    /// nodes see earlier results as constants. Returns the values by slot and the folded nodes. A failing constant
    /// expression fails here, before any run.
    /// </summary>
    public static (Dictionary<int, Value> Constants, HashSet<int> Folded) FoldConstants(GraphSession session, Graph graph, PlanScope scope)
    {
        var constants = new Dictionary<int, Value>();
        var folded = new HashSet<int>();
        var frame = new RunFrame(session, [], [], CancellationToken.None);
        foreach (int n in scope.Order)
        {
            var node = graph.Nodes[n];
            int[] inputSlots = [.. node.Inputs.Select(scope.SlotOf)];
            if (!CanFold(graph, node, inputSlots, constants, scope.Fed)) continue;
            var kernel = KernelFor(session, graph, node);
            var inputs = inputSlots.Select(s => constants[s]).ToArray();
            var outputs = new Value[node.OutputTypes.Count];
            GraphSession.Invoke(kernel, new KernelContext(node, inputs, outputs, frame));
            for (int i = 0; i < outputs.Length; i++) constants[scope.SlotBase[n] + i] = outputs[i];
            folded.Add(n);
        }
        return (constants, folded);
    }

    /// <summary>The kernel of <paramref name="node"/>: its op's, or a call of the library function it names instead of PartitionedCall.</summary>
    public static IOpKernel KernelFor(GraphSession session, Graph graph, GraphNode node) =>
        !session.Kernels.Contains(node.Op) && graph.Library.Contains(node.Op) ? FunctionKernels.Call(node.Op) : session.Kernels.Create(node);

    // Pure nodes whose inputs are all known ahead of time compute once, at plan time.
    private static bool CanFold(Graph graph, GraphNode node, int[] inputSlots, Dictionary<int, Value> constants, HashSet<Edge> fed)
    {
        if (node.IsStateful || node.Op is "Placeholder" or "PlaceholderWithDefault") return false;
        // Calls (If, While, PartitionedCall, a function by name) can run for as long as their functions do; folding
        // them would run that work while the plan is built, outside any run's cancellation and deadline.
        if (CallsFunctions(graph, node)) return false;
        if (node.ControlInputs.Count > 0 || node.OutputTypes.Count == 0) return false;
        for (int i = 0; i < node.OutputTypes.Count; i++)
            if (fed.Contains(new Edge(node.Index, i))) return false;
        foreach (int slot in inputSlots)
            if (!constants.TryGetValue(slot, out var value) || value.Tensor is null) return false;
        return true;
    }

    private static bool CallsFunctions(Graph graph, GraphNode node) =>
        graph.Library.Contains(node.Op) ||
        node.Attrs.Values.Any(a => a.Func is not null || a.List?.Func.Count > 0);

    public sealed record Fusion(GraphNode Product, GraphNode? BiasAdd, GraphNode? BatchNorm, GraphNode? Relu, GraphNode? Pool)
    {
        private GraphNode[] Chain => [.. new[] { Product, BiasAdd, BatchNorm, Relu, Pool }.OfType<GraphNode>()];
        public IEnumerable<int> Absorbed => Chain[..^1].Select(n => n.Index);
        public GraphNode Last => Chain[^1];
    }

    /// <summary>
    /// Float32 MatMul or Conv2D → BiasAdd (→ Relu) chains whose intermediate tensors feed nothing else, keyed by the
    /// chain's last node (where the fused step runs, once every input of the chain is ready). After a convolution,
    /// an inference-mode FusedBatchNormV3 (with or without the BiasAdd) folds into the filter and bias, and a MaxPool
    /// whose windows tile the output joins the chain. Runs after folding, so a chain whose inputs are all constants is
    /// a constant, not a fused step.
    /// </summary>
    public static Dictionary<int, Fusion> FindFusions(Graph graph, Placement placement, PlanScope scope, HashSet<int> folded)
    {
        var (fed, pinned) = (scope.Fed, scope.Pinned);
        Func<Edge, int> slotOf = scope.SlotOf;
        // Only what runs: a folded node's value is a constant already.
        var order = scope.Order.Where(n => !folded.Contains(n)).ToList();
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
}
