using StaticFlow.Protos;

namespace StaticFlow.Checkpoints;

/// <summary>One saved value of a TF2 object-based checkpoint.</summary>
/// <param name="ObjectPath">The object's path from the root, local names joined by '/' (<c>dense/kernel</c>).</param>
/// <param name="Attribute">The attribute name, <c>VARIABLE_VALUE</c> for a variable.</param>
/// <param name="CheckpointKey">The key of the tensor in the bundle.</param>
/// <param name="FullName">The variable's name in its graph, when TensorFlow recorded one.</param>
public sealed record ObjectGraphValue(string ObjectPath, string Attribute, string CheckpointKey, string FullName);

/// <summary>
/// An optimizer's slot variable (Adam's <c>m</c> for variable <c>dense/kernel</c>): StaticFlow names it
/// <c>&lt;optimizer&gt;/&lt;variable&gt;/&lt;slot&gt;</c> (<c>Adam/dense/kernel/m</c>, Keras' TF1 name); a TF2 checkpoint keys
/// it under the variable it belongs to, <c>dense/kernel/.OPTIMIZER_SLOT/Adam/m/.ATTRIBUTES/VARIABLE_VALUE</c>, and
/// records it in the optimizer object's <c>slot_variables</c> (tensorflow/python/checkpoint/util.py, slot_variable_key).
/// </summary>
/// <param name="Optimizer">The optimizer's object path (<c>Adam</c>, Keras' <c>optimizer</c>).</param>
/// <param name="Variable">The object path of the variable the slot belongs to.</param>
/// <param name="Slot">The slot's name (<c>m</c>, <c>v</c>, <c>momentum</c>, <c>rms</c>, <c>accumulator</c>).</param>
public sealed record OptimizerSlot(string Optimizer, string Variable, string Slot)
{
    /// <summary>The slot variable's name: <c>&lt;optimizer&gt;/&lt;variable&gt;/&lt;slot&gt;</c>.</summary>
    public string Name => $"{Optimizer}/{Variable}/{Slot}";

    /// <summary>Its TF2 checkpoint key.</summary>
    public string CheckpointKey =>
        string.Join("/", Variable.Split('/').Select(ObjectGraph.EscapeLocalName)) + "/" + ObjectGraph.OptimizerSlotName + "/"
        + string.Join("/", Optimizer.Split('/').Select(ObjectGraph.EscapeLocalName)) + "/" + ObjectGraph.EscapeLocalName(Slot) + "/.ATTRIBUTES/" + ObjectGraph.VariableValue;

    /// <summary>
    /// The slots among <paramref name="optimizerState"/> names (<c>Adam/w1/m</c>) whose middle part is one of
    /// <paramref name="variables"/>; other optimizer state (<c>Adam/iter</c>, <c>Adam/learning_rate</c>) is not a slot.
    /// </summary>
    public static IReadOnlyList<OptimizerSlot> Find(IEnumerable<string> optimizerState, IReadOnlyCollection<string> variables)
    {
        var known = new HashSet<string>(variables, StringComparer.Ordinal);
        var slots = new List<OptimizerSlot>();
        foreach (string name in optimizerState)
        {
            int first = name.IndexOf('/'), last = name.LastIndexOf('/');
            if (first <= 0 || last <= first + 1) continue;
            string variable = name[(first + 1)..last];
            if (known.Contains(variable)) slots.Add(new OptimizerSlot(name[..first], variable, name[(last + 1)..]));
        }
        return slots;
    }
}

/// <summary>
/// TF2 object-based checkpoint keys and the <c>_CHECKPOINTABLE_OBJECT_GRAPH</c> that maps objects to them
/// (tensorflow/python/trackable/trackable_utils.py, trackable_object_graph.proto).
/// </summary>
public static class ObjectGraph
{
    /// <summary>The bundle key holding the serialized <see cref="TrackableObjectGraph"/>.</summary>
    public const string ObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

    /// <summary>The attribute name of a variable's value.</summary>
    public const string VariableValue = "VARIABLE_VALUE";

    /// <summary>The path segment between a variable and its optimizer in a slot variable's key.</summary>
    public const string OptimizerSlotName = ".OPTIMIZER_SLOT";

    /// <summary>
    /// The checkpoint key of an attribute: the object path, <c>/.ATTRIBUTES/</c>, then the escaped attribute name.
    /// </summary>
    /// <param name="objectPath">Local names from the root (each escaped here: '.' becomes '..', '/' becomes '.S').</param>
    /// <param name="attribute">The attribute, usually <see cref="VariableValue"/>.</param>
    public static string CheckpointKey(IEnumerable<string> objectPath, string attribute = VariableValue) =>
        string.Join("/", objectPath.Select(EscapeLocalName)) + "/.ATTRIBUTES/" + EscapeLocalName(attribute);

    /// <summary>Escapes one local name as TensorFlow does, so '/' in a name cannot be mistaken for a path separator.</summary>
    public static string EscapeLocalName(string name) => name.Replace(".", "..", StringComparison.Ordinal).Replace("/", ".S", StringComparison.Ordinal);

    /// <summary>Every saved value of the object graph with the path of the object that owns it.</summary>
    /// <exception cref="FormatException">The graph references a node that does not exist.</exception>
    public static IReadOnlyList<ObjectGraphValue> Values(TrackableObjectGraph graph)
    {
        var paths = new string?[graph.Nodes.Count];
        var values = new List<ObjectGraphValue>();
        if (graph.Nodes.Count == 0) return values;
        paths[0] = "";
        var queue = new Queue<int>([0]);
        // Breadth-first from the root gives each object its shortest path, as TensorFlow names them.
        while (queue.Count > 0)
        {
            int id = queue.Dequeue();
            var node = graph.Nodes[id];
            foreach (var child in node.Children)
            {
                if (child.NodeId < 0 || child.NodeId >= graph.Nodes.Count)
                    throw new FormatException($"Object graph node {id} names child {child.NodeId}, but there are {graph.Nodes.Count} nodes.");
                if (paths[child.NodeId] is not null) continue;
                paths[child.NodeId] = paths[id]!.Length == 0 ? child.LocalName : paths[id] + "/" + child.LocalName;
                queue.Enqueue(child.NodeId);
            }
        }
        // Slot variables are no object's children: name them <optimizer path>/<variable path>/<slot>, as OptimizerSlot does.
        foreach (var (node, id) in graph.Nodes.Select((n, i) => (n, i)))
            foreach (var slot in node.SlotVariables)
            {
                if (slot.OriginalVariableNodeId < 0 || slot.OriginalVariableNodeId >= graph.Nodes.Count || slot.SlotVariableNodeId < 0 || slot.SlotVariableNodeId >= graph.Nodes.Count)
                    throw new FormatException($"Object graph node {id} names a slot variable of nodes {slot.OriginalVariableNodeId} and {slot.SlotVariableNodeId}, but there are {graph.Nodes.Count} nodes.");
                if (paths[slot.SlotVariableNodeId] is null && paths[id] is { } optimizer && paths[slot.OriginalVariableNodeId] is { } variable)
                    paths[slot.SlotVariableNodeId] = new OptimizerSlot(optimizer, variable, slot.SlotName).Name;
            }
        for (int id = 0; id < graph.Nodes.Count; id++)
            foreach (var attribute in graph.Nodes[id].Attributes)
                values.Add(new ObjectGraphValue(paths[id] ?? $"<unreachable node {id}>", attribute.Name, attribute.CheckpointKey, attribute.FullName));
        return values;
    }

    /// <summary>
    /// Builds the object graph of a set of variables named by their object paths (<c>dense/kernel</c>),
    /// creating the intermediate objects, as <c>tf.train.Checkpoint</c> would for nested modules.
    /// </summary>
    /// <param name="variablePaths">Every saved variable's object path; the names of <paramref name="slots"/> among them are saved as slots.</param>
    /// <param name="slots">Optimizer slot variables: each becomes a node the optimizer's <c>slot_variables</c> names, keyed under its variable.</param>
    public static TrackableObjectGraph Build(IEnumerable<string> variablePaths, IReadOnlyCollection<OptimizerSlot>? slots = null)
    {
        var graph = new TrackableObjectGraph();
        graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
        var nodeOfPath = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        var paths = variablePaths.ToList();
        var saved = new HashSet<string>(paths, StringComparer.Ordinal);
        // A slot is saved as one when it and its variable are both saved; otherwise it stays a plain path.
        var slotOfName = (slots ?? []).Where(s => saved.Contains(s.Variable) && saved.Contains(s.Name)).ToDictionary(s => s.Name, StringComparer.Ordinal);
        int NodeOf(string path)
        {
            string current = "";
            int parent = 0;
            foreach (string part in path.Split('/'))
            {
                current = current.Length == 0 ? part : current + "/" + part;
                if (!nodeOfPath.TryGetValue(current, out int id))
                {
                    id = graph.Nodes.Count;
                    graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
                    graph.Nodes[parent].Children.Add(new TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference { NodeId = id, LocalName = part });
                    nodeOfPath.Add(current, id);
                }
                parent = id;
            }
            return parent;
        }
        foreach (string path in paths.Where(p => !slotOfName.ContainsKey(p)).OrderBy(p => p, StringComparer.Ordinal))
        {
            graph.Nodes[NodeOf(path)].Attributes.Add(new TrackableObjectGraph.Types.TrackableObject.Types.SerializedTensor
            {
                Name = VariableValue,
                FullName = path,
                CheckpointKey = CheckpointKey(path.Split('/')),
            });
        }
        foreach (var slot in slotOfName.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            int id = graph.Nodes.Count;
            graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
            graph.Nodes[id].Attributes.Add(new TrackableObjectGraph.Types.TrackableObject.Types.SerializedTensor
            {
                Name = VariableValue,
                FullName = slot.Name,
                CheckpointKey = slot.CheckpointKey,
            });
            graph.Nodes[NodeOf(slot.Optimizer)].SlotVariables.Add(new TrackableObjectGraph.Types.TrackableObject.Types.SlotVariableReference
            {
                OriginalVariableNodeId = nodeOfPath[slot.Variable],
                SlotName = slot.Slot,
                SlotVariableNodeId = id,
            });
        }
        return graph;
    }
}
