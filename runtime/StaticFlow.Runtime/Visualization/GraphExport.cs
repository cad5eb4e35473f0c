using System.Globalization;
using System.Text;
using System.Text.Json;
using StaticFlow.Formats.Text;
using StaticFlow.Protos;

namespace StaticFlow.Visualization;

/// <summary>Formats a graph can be exported in.</summary>
public enum GraphFormat
{
    /// <summary>Graphviz: name scopes as nested clusters, data edges solid, control edges dashed, devices as colours.</summary>
    Dot,
    /// <summary>TensorFlow's text format of the GraphDef.</summary>
    Pbtxt,
    /// <summary>Nodes and edges as JSON, for scripts.</summary>
    Json,
    /// <summary>A static SVG drawing (layered layout), see <see cref="SvgExport"/>.</summary>
    Svg,
}

/// <summary>Writes a GraphDef for people who prefer Graphviz or scripts to the viewer.</summary>
public static class GraphExport
{
    /// <summary>The graph in <paramref name="format"/>.</summary>
    public static string Export(GraphDef graph, GraphFormat format) => format switch
    {
        GraphFormat.Dot => ToDot(graph),
        GraphFormat.Pbtxt => TextFormat.Print(graph),
        GraphFormat.Json => ToJson(graph),
        GraphFormat.Svg => SvgExport.Export(graph),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Edges of a node: (source node, output index, is control).</summary>
    public static IEnumerable<(string Source, int Output, bool Control)> Inputs(NodeDef node)
    {
        foreach (string input in node.Input)
        {
            if (input.StartsWith('^')) { yield return (input[1..], 0, true); continue; }
            int colon = input.LastIndexOf(':');
            yield return colon > 0 && int.TryParse(input.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int output)
                ? (input[..colon], output, false)
                : (input, 0, false);
        }
    }

    /// <summary>
    /// The deepest name scope drawn as a cluster (the viewer page uses the same): real models nest a handful of
    /// scopes, and a name with thousands of '/' must not cost the square of its depth.
    /// </summary>
    public const int MaxScopeDepth = 32;

    private static string ToDot(GraphDef graph)
    {
        var builder = new StringBuilder("digraph G {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fillcolor=\"#eeeeee\"];\n");
        var palette = new[] { "#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99" };
        var deviceColours = new Dictionary<string, string>(StringComparer.Ordinal);

        // Nest nodes in clusters by name scope (dense1/MatMul goes in cluster dense1), at most MaxScopeDepth deep.
        var root = new Scope("");
        foreach (var node in graph.Node)
        {
            var scope = root;
            int end = -1;
            for (int depth = 0; depth < MaxScopeDepth && (end = node.Name.IndexOf('/', end + 1)) > 0; depth++)
                scope = scope.Child(node.Name[..end]);
            scope.Nodes.Add(node);
        }
        int clusters = 0;
        void Emit(Scope scope, int depth)
        {
            string indent = new(' ', 2 * depth);
            foreach (var node in scope.Nodes)
            {
                string colour = node.Device.Length == 0 ? "#eeeeee"
                    : deviceColours.TryGetValue(node.Device, out var c) ? c : deviceColours[node.Device] = palette[deviceColours.Count % palette.Length];
                builder.Append(indent).Append(Quote(node.Name)).Append(" [label=").Append(Quote($"{Last(node.Name)}\n{node.Op}"))
                    .Append(", fillcolor=\"").Append(colour).Append("\"];\n");
            }
            foreach (var child in scope.Children.Values)
            {
                // Numbered, not named by path: a path per cluster would make the output grow with the square of the depth.
                builder.Append(indent).Append("subgraph cluster_").Append(clusters++).Append(" {\n")
                    .Append(indent).Append("  label=").Append(Quote(Last(child.Name))).Append(";\n");
                Emit(child, depth + 1);
                builder.Append(indent).Append("}\n");
            }
        }
        Emit(root, 1);
        foreach (var node in graph.Node)
            foreach (var (source, output, control) in Inputs(node))
                builder.Append("  ").Append(Quote(source)).Append(" -> ").Append(Quote(node.Name))
                    .Append(control ? " [style=dashed]" : output > 0 ? $" [label=\"{output}\"]" : "").Append(";\n");
        return builder.Append("}\n").ToString();
    }

    private static string ToJson(GraphDef graph)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("nodes");
            foreach (var node in graph.Node)
            {
                writer.WriteStartObject();
                writer.WriteString("name", node.Name);
                writer.WriteString("op", node.Op);
                if (node.Device.Length > 0) writer.WriteString("device", node.Device);
                writer.WriteStartArray("inputs");
                foreach (string input in node.Input) writer.WriteStringValue(input);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteStartArray("functions");
            foreach (var function in graph.Library?.Function ?? [])
            {
                writer.WriteStartObject();
                writer.WriteString("name", function.Signature?.Name ?? "");
                writer.WriteNumber("nodes", function.NodeDef.Count);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Last(string name) => name[(name.LastIndexOf('/') + 1)..];

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private sealed class Scope(string name)
    {
        public string Name { get; } = name;
        public List<NodeDef> Nodes { get; } = [];
        public SortedDictionary<string, Scope> Children { get; } = new(StringComparer.Ordinal);
        public Scope Child(string name) => Children.TryGetValue(name, out var s) ? s : Children[name] = new Scope(name);
    }
}
