using System.Globalization;
using System.Net;
using System.Text;
using StaticFlow.Protos;

namespace StaticFlow.Visualization;

/// <summary>
/// A static SVG drawing of a whole graph, for documents and scripts (the viewer draws interactively): a layered
/// top-down layout (longest-path layers, barycenter ordering), one box per node coloured by op, edges as lines,
/// control edges dashed, each node's name, op and device in its tooltip.
/// </summary>
public static class SvgExport
{
    private const int BoxHeight = 26, LayerGap = 56, BoxGap = 14, Margin = 16;
    private static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>The SVG document of <paramref name="graph"/>'s nodes (library functions are not drawn).</summary>
    public static string Export(GraphDef graph)
    {
        var nodes = graph.Node.ToList();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++) index.TryAdd(nodes[i].Name, i);
        var edges = new List<(int From, int To, bool Control)>();
        for (int i = 0; i < nodes.Count; i++)
            foreach (var (source, _, control) in GraphExport.Inputs(nodes[i]))
                if (index.TryGetValue(source, out int from) && from != i) edges.Add((from, i, control));

        int[] layer = Layers(nodes.Count, edges);
        var layers = Enumerable.Range(0, layer.Length == 0 ? 0 : layer.Max() + 1).Select(l => new List<int>()).ToList();
        for (int i = 0; i < nodes.Count; i++) layers[layer[i]].Add(i);
        var order = new double[nodes.Count];
        OrderByBarycenter(layers, edges, order);

        var width = nodes.Select(n => 20 + 7 * Math.Min(36, Label(n).Length)).ToArray();
        var x = new double[nodes.Count];
        var y = new double[nodes.Count];
        double totalWidth = 0;
        foreach (var row in layers)
        {
            double cursor = Margin;
            foreach (int i in row)
            {
                x[i] = cursor;
                y[i] = Margin + layer[i] * (BoxHeight + LayerGap);
                cursor += width[i] + BoxGap;
            }
            totalWidth = Math.Max(totalWidth, cursor);
        }
        double totalHeight = Margin * 2 + layers.Count * (BoxHeight + LayerGap);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{totalWidth + Margin:0}\" height=\"{totalHeight:0}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append("<style>.edge{stroke:#7b8490;fill:none}.control{stroke-dasharray:4 3;stroke:#b0b6bd}.node rect{stroke:#3c4450}</style>\n");
        foreach (var (from, to, control) in edges)
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"edge{(control ? " control" : "")}\" x1=\"{x[from] + width[from] / 2.0:0.#}\" y1=\"{y[from] + BoxHeight:0.#}\" x2=\"{x[to] + width[to] / 2.0:0.#}\" y2=\"{y[to]:0.#}\"/>\n");
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            string colour = Palette[(int)(StableHash(node.Op) % (uint)Palette.Length)];
            string tooltip = WebUtility.HtmlEncode($"{node.Name} ({node.Op}){(node.Device.Length > 0 ? " on " + node.Device : "")}");
            svg.Append(CultureInfo.InvariantCulture,
                $"<g class=\"node\" data-name=\"{WebUtility.HtmlEncode(node.Name)}\"><title>{tooltip}</title><rect x=\"{x[i]:0.#}\" y=\"{y[i]:0.#}\" width=\"{width[i]}\" height=\"{BoxHeight}\" rx=\"12\" fill=\"{colour}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x[i] + width[i] / 2.0:0.#}\" y=\"{y[i] + 17:0.#}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(Label(node))}</text></g>\n");
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static string Label(NodeDef node)
    {
        string name = node.Name[(node.Name.LastIndexOf('/') + 1)..];
        return name.Length > 36 ? name[..35] + "…" : name;
    }

    /// <summary>Longest-path layers from the sources; edges closing a cycle (TF1 loops) are ignored.</summary>
    private static int[] Layers(int count, List<(int From, int To, bool Control)> edges)
    {
        var incoming = new int[count];
        var outgoing = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        foreach (var (from, to, _) in edges) { outgoing[from].Add(to); incoming[to]++; }
        var layer = new int[count];
        var ready = new Queue<int>(Enumerable.Range(0, count).Where(i => incoming[i] == 0));
        var done = new bool[count];
        int placed = 0;
        while (placed < count)
        {
            if (ready.Count == 0)
            {
                // A cycle: release its first unplaced node.
                int stuck = Array.FindIndex(done, d => !d);
                incoming[stuck] = 0;
                ready.Enqueue(stuck);
            }
            int node = ready.Dequeue();
            if (done[node]) continue;
            done[node] = true;
            placed++;
            foreach (int next in outgoing[node])
            {
                if (done[next]) continue;
                layer[next] = Math.Max(layer[next], layer[node] + 1);
                if (--incoming[next] == 0) ready.Enqueue(next);
            }
        }
        return layer;
    }

    private static void OrderByBarycenter(List<List<int>> layers, List<(int From, int To, bool Control)> edges, double[] order)
    {
        foreach (var row in layers)
            for (int i = 0; i < row.Count; i++) order[row[i]] = i;
        var parents = edges.GroupBy(e => e.To).ToDictionary(g => g.Key, g => g.Select(e => e.From).ToArray());
        var children = edges.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToArray());
        for (int sweep = 0; sweep < 4; sweep++)
        {
            var neighbours = sweep % 2 == 0 ? parents : children;
            var sequence = sweep % 2 == 0 ? layers.Skip(1) : Enumerable.Reverse(layers).Skip(1);
            foreach (var row in sequence)
            {
                double Key(int n) => neighbours.TryGetValue(n, out var adjacent) && adjacent.Length > 0 ? adjacent.Average(a => order[a]) : order[n];
                var sorted = row.OrderBy(Key).ThenBy(n => order[n]).ToList();
                row.Clear();
                row.AddRange(sorted);
                for (int i = 0; i < row.Count; i++) order[row[i]] = i;
            }
        }
    }

    private static uint StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text) hash = (hash ^ c) * 16777619;
        return hash;
    }
}
