using StaticFlow.Formats.Text;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Visualization;

namespace StaticFlow.Tests;

public class GraphExportTests
{
    private static GraphDef RealGraph() => SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1)).GetMetaGraph().GraphDef;

    [Fact]
    public void DotHasEveryNodeEveryEdgeAndScopesAsClusters()
    {
        var graph = RealGraph();
        string dot = GraphExport.Export(graph, GraphFormat.Dot);
        Assert.StartsWith("digraph G {", dot);
        foreach (var node in graph.Node) Assert.Contains($"\"{node.Name}\" [label=", dot);
        int edges = graph.Node.Sum(n => n.Input.Count);
        Assert.Equal(edges, dot.Split('\n').Count(l => l.Contains(" -> ", StringComparison.Ordinal)));
        Assert.Matches("subgraph cluster_[0-9]+ \\{\n *label=\"save\";", dot);
        Assert.Contains("[style=dashed]", dot); // the saver's control edges
        Assert.Equal(dot.Count(c => c == '{'), dot.Count(c => c == '}'));
    }

    [Fact]
    public void PbtxtAndJsonRoundTrip()
    {
        var graph = RealGraph();
        Assert.Equal(graph, TextFormat.Parse<GraphDef>(GraphExport.Export(graph, GraphFormat.Pbtxt)));
        var json = System.Text.Json.JsonDocument.Parse(GraphExport.Export(graph, GraphFormat.Json)).RootElement;
        Assert.Equal(graph.Node.Count, json.GetProperty("nodes").GetArrayLength());
        Assert.Equal("tf_example", json.GetProperty("nodes").EnumerateArray().First(n => n.GetProperty("op").GetString() == "Placeholder").GetProperty("name").GetString());
    }

    [Fact]
    public void TheToolExportsToAFile()
    {
        string target = Path.Combine(TempDirectory.Create(), "graph.dot");
        var (code, _, error) = CliRunner.Run("graph", TestData.CopyModel(TestData.HalfPlusTwoTf2), "--format", "dot", "--output", target);
        Assert.True(code == 0, error);
        Assert.Contains("StatefulPartitionedCall", File.ReadAllText(target));
    }

    [Fact]
    public void ScopesNestNoDeeperThanTheLimitSoDeepNamesCostLinearly()
    {
        // 20,000 nested scopes overflowed the stack after 22 s and 3 GB.
        string deep = string.Join('/', Enumerable.Repeat("s", 20_000));
        var graph = new GraphDef { Node = { new NodeDef { Name = deep, Op = "NoOp" }, new NodeDef { Name = deep + "/b", Op = "NoOp", Input = { "^" + deep } } } };
        string dot = GraphExport.Export(graph, GraphFormat.Dot);
        Assert.Equal(GraphExport.MaxScopeDepth, dot.Split('\n').Count(l => l.TrimStart().StartsWith("subgraph ", StringComparison.Ordinal)));
        Assert.True(dot.Length < 4 * (deep.Length * 2 + 10_000), $"{dot.Length} characters");
    }
}

public class ViewerDocumentLimitTests
{
    [Fact]
    public void AConstantDeclaringASplatOfGigabytesIsDescribedNotDecoded()
    {
        // 190 bytes of text declare 400 million floats; showing the node once took 8 s and 1.6 GB.
        string file = Path.Combine(TempDirectory.Create(), "splat.pbtxt");
        File.WriteAllText(file, """
            node { name: "big" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
              attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 20000 } dim { size: 20000 } } float_val: 1 } } } }
            """);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string json = ViewerDocument.ToJson("splat", [ViewerSource.Load(file)]);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64L << 20, "the splat must not be expanded");
        Assert.Contains("float32[20000,20000] {not shown: over 1048576 elements}", json);
    }
}
