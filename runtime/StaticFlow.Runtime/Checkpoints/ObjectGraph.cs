using StaticFlow.Protos;

namespace StaticFlow.Checkpoints;

/// <summary>One saved value of a TF2 object-based checkpoint.</summary>
/// <param name="ObjectPath">The object's path from the root, local names joined by '/' (<c>dense/kernel</c>).</param>
/// <param name="Attribute">The attribute name, <c>VARIABLE_VALUE</c> for a variable.</param>
/// <param name="CheckpointKey">The key of the tensor in the bundle.</param>
/// <param name="FullName">The variable's name in its graph, when TensorFlow recorded one.</param>
public sealed record ObjectGraphValue(string ObjectPath, string Attribute, string CheckpointKey, string FullName);

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
        for (int id = 0; id < graph.Nodes.Count; id++)
            foreach (var attribute in graph.Nodes[id].Attributes)
                values.Add(new ObjectGraphValue(paths[id] ?? $"<unreachable node {id}>", attribute.Name, attribute.CheckpointKey, attribute.FullName));
        return values;
    }

    /// <summary>
    /// Builds the object graph of a set of variables named by their object paths (<c>dense/kernel</c>),
    /// creating the intermediate objects, as <c>tf.train.Checkpoint</c> would for nested modules.
    /// </summary>
    public static TrackableObjectGraph Build(IEnumerable<string> variablePaths)
    {
        var graph = new TrackableObjectGraph();
        graph.Nodes.Add(new TrackableObjectGraph.Types.TrackableObject());
        var nodeOfPath = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        foreach (string path in variablePaths.OrderBy(p => p, StringComparer.Ordinal))
        {
            string[] parts = path.Split('/');
            string current = "";
            int parent = 0;
            foreach (string part in parts)
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
            graph.Nodes[parent].Attributes.Add(new TrackableObjectGraph.Types.TrackableObject.Types.SerializedTensor
            {
                Name = VariableValue,
                FullName = path,
                CheckpointKey = CheckpointKey(parts),
            });
        }
        return graph;
    }
}
