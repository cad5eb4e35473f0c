using StaticFlow.Protos;

namespace StaticFlow.Graphs;

/// <summary>A data edge: output <see cref="Output"/> of node <see cref="Node"/> (indices into <see cref="Graph.Nodes"/>).</summary>
public readonly record struct Edge(int Node, int Output);

/// <summary>One validated node of a <see cref="Graph"/>.</summary>
public sealed class GraphNode
{
    internal GraphNode(int index, NodeDef def, OpDef op, IReadOnlyDictionary<string, AttrValue> attrs, Edge[] inputs, int[] controlInputs, DataType[] inputTypes, DataType[] outputTypes)
    {
        Index = index;
        Def = def;
        OpDef = op;
        Attrs = attrs;
        Inputs = inputs;
        ControlInputs = controlInputs;
        InputTypes = inputTypes;
        OutputTypes = outputTypes;
    }

    /// <summary>Position in <see cref="Graph.Nodes"/>.</summary>
    public int Index { get; }

    /// <summary>The node as stored in the GraphDef.</summary>
    public NodeDef Def { get; }

    /// <summary>The node's name.</summary>
    public string Name => Def.Name;

    /// <summary>The op's name.</summary>
    public string Op => Def.Op;

    /// <summary>The op's schema.</summary>
    public OpDef OpDef { get; }

    /// <summary>Attrs, including the op's defaults for those the NodeDef leaves out.</summary>
    public IReadOnlyDictionary<string, AttrValue> Attrs { get; }

    /// <summary>Data inputs in order.</summary>
    public IReadOnlyList<Edge> Inputs { get; }

    /// <summary>Nodes that must run before this one.</summary>
    public IReadOnlyList<int> ControlInputs { get; }

    /// <summary>Each output's statically known shape (-1 for unknown dimensions; unknown rank when nothing is known).</summary>
    public IReadOnlyList<Tensors.TensorShape> OutputShapes { get; internal set; } = [];

    /// <summary>Expected dtype of each input (reference types reduced to their value type).</summary>
    public IReadOnlyList<DataType> InputTypes { get; }

    /// <summary>Dtype of each output (reference types reduced to their value type).</summary>
    public IReadOnlyList<DataType> OutputTypes { get; }

    /// <summary>The device the NodeDef asks for (may be empty or partial).</summary>
    public string RequestedDevice => Def.Device;

    /// <summary>True for ops with side effects or state, which are never folded or pruned as duplicates.</summary>
    public bool IsStateful => OpDef.IsStateful;

    /// <summary>An attr by name.</summary>
    /// <exception cref="GraphException">The node has no such attr.</exception>
    public AttrValue Attr(string name) =>
        Attrs.TryGetValue(name, out var value) ? value : throw new GraphException(Name, Op, $"missing attr '{name}'");

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Op})";
}

/// <summary>
/// A validated, immutable TensorFlow graph: nodes with resolved edges, complete attrs and output dtypes, plus
/// the function library it calls into. Built by <see cref="GraphImporter"/>.
/// </summary>
public sealed class Graph
{
    private readonly Dictionary<string, int> _byName;

    internal Graph(IReadOnlyList<GraphNode> nodes, IReadOnlyList<int> topologicalOrder, FunctionLibrary library, GraphDef source)
    {
        Nodes = nodes;
        TopologicalOrder = topologicalOrder;
        Library = library;
        Source = source;
        _byName = nodes.ToDictionary(n => n.Name, n => n.Index, StringComparer.Ordinal);
    }

    /// <summary>The nodes, in GraphDef order.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Node indices in an order where every node follows its inputs.</summary>
    public IReadOnlyList<int> TopologicalOrder { get; }

    /// <summary>Functions callable from this graph.</summary>
    public FunctionLibrary Library { get; }

    /// <summary>The GraphDef this graph was imported from.</summary>
    public GraphDef Source { get; }

    /// <summary>The node named <paramref name="name"/>, or null.</summary>
    public GraphNode? Find(string name) => _byName.TryGetValue(name, out int i) ? Nodes[i] : null;

    /// <summary>Resolves <c>node:output</c> to an edge.</summary>
    /// <exception cref="FeedException">No such node or output.</exception>
    public Edge ResolveTensor(string tensorName)
    {
        TensorName name;
        try { name = TensorName.Parse(tensorName); }
        catch (FormatException e) { throw new FeedException(e.Message); }
        GraphNode node = Find(name.Node) ?? throw new FeedException($"The graph has no node '{name.Node}' (tensor '{tensorName}').");
        if (name.Output >= node.OutputTypes.Count)
            throw new FeedException($"Node '{node.Name}' ({node.Op}) has {node.OutputTypes.Count} outputs; '{tensorName}' asks for output {name.Output}.");
        return new Edge(node.Index, name.Output);
    }
}
