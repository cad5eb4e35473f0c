using StaticFlow.Operations;
using StaticFlow.Protos;

namespace StaticFlow.Graphs;

/// <summary>
/// Turns a <see cref="GraphDef"/> into a validated <see cref="Graph"/>: every input resolves, there is no cycle,
/// names are unique, every op is known, attrs are complete (defaults filled in) and every edge's dtype matches.
/// Each failure is a <see cref="GraphException"/> naming the node.
/// </summary>
public static class GraphImporter
{
    /// <summary>Imports a graph and its function library.</summary>
    /// <param name="graphDef">The graph.</param>
    /// <param name="catalog">Op schemas; <see cref="OpCatalog.Standard"/> by default. A meta graph's stripped op list can be merged in with <see cref="OpCatalog.With"/>.</param>
    public static Graph Import(GraphDef graphDef, OpCatalog? catalog = null)
    {
        catalog ??= OpCatalog.Standard;
        var library = new FunctionLibrary(graphDef.Library ?? new FunctionDefLibrary(), catalog);
        // Function bodies are validated when a plan first calls them, as TensorFlow instantiates them: a library may
        // hold functions of ops this runtime does not run (Keras's backward functions), which must not stop the rest.
        return Build(graphDef, library);
    }

    internal static Graph Build(GraphDef graphDef, FunctionLibrary library)
    {
        var nodeDefs = graphDef.Node;
        var index = new Dictionary<string, int>(nodeDefs.Count, StringComparer.Ordinal);
        for (int i = 0; i < nodeDefs.Count; i++)
        {
            string name = nodeDefs[i].Name;
            if (name.Length == 0) throw new GraphException($"#{i}", nodeDefs[i].Op, "node has an empty name");
            if (!index.TryAdd(name, i)) throw new GraphException(name, nodeDefs[i].Op, "duplicate node name");
        }

        // First pass: schemas, attrs and output types (inputs may refer to any node, in any order).
        var schemas = new OpDef[nodeDefs.Count];
        var attrs = new IReadOnlyDictionary<string, AttrValue>[nodeDefs.Count];
        var outputTypes = new DataType[nodeDefs.Count][];
        var inputTypes = new DataType[nodeDefs.Count][];
        for (int i = 0; i < nodeDefs.Count; i++)
        {
            NodeDef def = nodeDefs[i];
            OpDef op = library.FindOp(def.Op)
                ?? throw new KernelNotFoundException(def.Name, def.Op, $"unknown op '{def.Op}': it is neither a StaticFlow op nor a function in the graph's library");
            schemas[i] = op;
            attrs[i] = CompleteAttrs(def, op);
            try
            {
                inputTypes[i] = StripRefs(ArgTypes.Flatten(op.InputArg, attrs[i]));
                outputTypes[i] = StripRefs(ArgTypes.Flatten(op.OutputArg, attrs[i]));
            }
            catch (FormatException e)
            {
                throw new GraphException(def.Name, def.Op, e.Message, e);
            }
        }

        // Second pass: edges and dtype checks.
        var nodes = new GraphNode[nodeDefs.Count];
        for (int i = 0; i < nodeDefs.Count; i++)
        {
            NodeDef def = nodeDefs[i];
            var inputs = new List<Edge>();
            var controls = new List<int>();
            foreach (string input in def.Input)
            {
                if (input.StartsWith('^'))
                {
                    controls.Add(index.TryGetValue(input[1..], out int c) ? c
                        : throw new GraphException(def.Name, def.Op, $"control input '{input}' names no node of the graph"));
                    continue;
                }
                if (controls.Count > 0) throw new GraphException(def.Name, def.Op, $"data input '{input}' follows a control input");
                TensorName name;
                try { name = TensorName.Parse(input); }
                catch (FormatException e) { throw new GraphException(def.Name, def.Op, e.Message, e); }
                if (!index.TryGetValue(name.Node, out int producer))
                    throw new GraphException(def.Name, def.Op, $"input '{input}' names no node of the graph");
                if (name.Output >= outputTypes[producer].Length)
                    throw new GraphException(def.Name, def.Op, $"input '{input}' asks for output {name.Output} of '{name.Node}', which has {outputTypes[producer].Length}");
                int position = inputs.Count;
                if (position < inputTypes[i].Length && outputTypes[producer][name.Output] != inputTypes[i][position])
                    throw new GraphException(def.Name, def.Op,
                        $"input {position} ('{input}') is {DTypeName(outputTypes[producer][name.Output])} but the op expects {DTypeName(inputTypes[i][position])}");
                inputs.Add(new Edge(producer, name.Output));
            }
            if (inputs.Count != inputTypes[i].Length)
                throw new GraphException(def.Name, def.Op, $"has {inputs.Count} data inputs but the op expects {inputTypes[i].Length}");
            nodes[i] = new GraphNode(i, def, schemas[i], attrs[i], [.. inputs], [.. controls], inputTypes[i], outputTypes[i]);
        }
        int[] order = TopologicalOrder(nodes);
        var shapes = ShapeInference.Infer(nodes, order);
        foreach (var node in nodes) node.OutputShapes = shapes[node.Index];
        return new Graph(nodes, order, library, graphDef);
    }

    private static IReadOnlyDictionary<string, AttrValue> CompleteAttrs(NodeDef def, OpDef op)
    {
        var attrs = new Dictionary<string, AttrValue>(def.Attr, StringComparer.Ordinal);
        foreach (var attrDef in op.Attr)
        {
            if (attrs.ContainsKey(attrDef.Name)) continue;
            if (attrDef.DefaultValue is null)
                throw new GraphException(def.Name, def.Op, $"missing attr '{attrDef.Name}' ({attrDef.Type}), which has no default");
            attrs[attrDef.Name] = attrDef.DefaultValue;
        }
        return attrs;
    }

    private static int[] TopologicalOrder(GraphNode[] nodes)
    {
        var pending = new int[nodes.Length];
        var consumers = new List<int>[nodes.Length];
        for (int i = 0; i < nodes.Length; i++) consumers[i] = [];
        foreach (var node in nodes)
        {
            foreach (var edge in node.Inputs) consumers[edge.Node].Add(node.Index);
            foreach (int control in node.ControlInputs) consumers[control].Add(node.Index);
            pending[node.Index] = node.Inputs.Count + node.ControlInputs.Count;
        }
        var order = new List<int>(nodes.Length);
        var ready = new Queue<int>(Enumerable.Range(0, nodes.Length).Where(i => pending[i] == 0));
        while (ready.Count > 0)
        {
            int n = ready.Dequeue();
            order.Add(n);
            foreach (int consumer in consumers[n])
                if (--pending[consumer] == 0) ready.Enqueue(consumer);
        }
        if (order.Count != nodes.Length)
        {
            var stuck = nodes.First(n => pending[n.Index] > 0);
            throw new GraphException(stuck.Name, stuck.Op, "the graph has a cycle through this node (TF1 control flow is not supported; use functional If/While)");
        }
        return [.. order];
    }

    internal static DataType[] StripRefs(DataType[] types)
    {
        for (int i = 0; i < types.Length; i++)
            if ((int)types[i] > 100) types[i] = (DataType)((int)types[i] - 100);
        return types;
    }

    internal static string DTypeName(DataType type) => Tensors.DTypes.ProtoName(type);
}
