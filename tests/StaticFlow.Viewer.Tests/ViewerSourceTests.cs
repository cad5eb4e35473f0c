using System.Xml.Linq;
using StaticFlow.Checkpoints;
using StaticFlow.Cli;
using StaticFlow.IO;
using StaticFlow.SavedModels;
using StaticFlow.Tests;
using StaticFlow.Visualization;

namespace StaticFlow.Viewer.Tests;

/// <summary>What the viewer and the static exports read, without a browser.</summary>
public class ViewerSourceTests
{
    [Fact]
    public void SvgExportDrawsEveryNode()
    {
        string model = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        string file = Path.Combine(TempDirectory.Create(), "graph.svg");
        Assert.Equal(0, CommandLineApp.Run(["graph", model, "--format", "svg", "--output", file], new StringWriter(), new StringWriter()));
        var svg = XDocument.Load(file);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var nodes = svg.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "node").ToList();
        var graph = SavedModelDirectory.Open(model).GetMetaGraph("serve").GraphDef;
        Assert.Equal(graph.Node.Count, nodes.Count);
        Assert.Equal(graph.Node.Select(n => n.Name).Order(), nodes.Select(n => (string)n.Attribute("data-name")!).Order());
        Assert.NotEmpty(svg.Descendants(ns + "line"));
    }

    [Fact]
    public void ReadsCheckpointsAsVariableGraphsWithValues()
    {
        var adder = new QuickStart.Adder();
        string prefix = adder.SaveCheckpoint(Path.Combine(TempDirectory.Create(), "ckpt-1"), CheckpointKeyStyle.ObjectBased);
        var source = ViewerSource.Load(prefix);
        Assert.Equal(["x", "y"], source.Graph.Node.Select(n => n.Name));
        string json = ViewerDocument.ToJson("ckpt", [source]);
        Assert.Contains("min 1, max 1, mean 1; first [1, 1, 1]", json);
    }

    [Fact]
    public void ReadsTheNewestGraphOfALogDirectory()
    {
        var regressor = new QuickStart.Regressor();
        string logdir = TempDirectory.Create();
        regressor.WriteGraph(logdir);
        var source = ViewerSource.Load(logdir);
        Assert.Contains(source.Graph.Node, n => n.Name == "Predict/dense1/MatMul");
    }

    [Fact]
    public void TheGraphVerbReadsWhatTheViewerReads()
    {
        var regressor = new QuickStart.Regressor();
        string logdir = TempDirectory.Create();
        regressor.WriteGraph(logdir);
        var output = new StringWriter();
        Assert.Equal(0, CommandLineApp.Run(["graph", logdir, "--format", "json"], output, new StringWriter()));
        Assert.Contains("\"name\": \"Predict/dense1/MatMul\"", output.ToString());
    }

    [Fact]
    public void UnknownPathsGiveATypedError()
    {
        string empty = TempDirectory.Create();
        var error = Assert.Throws<StaticFlowFormatException>(() => ViewerSource.Load(Path.Combine(empty, "nothing-here")));
        Assert.Contains("not a SavedModel, GraphDef file, log directory or checkpoint", error.Message);
        var output = new StringWriter();
        var errors = new StringWriter();
        Assert.Equal(ExitCodes.BadInput, CommandLineApp.Run(["view", Path.Combine(empty, "nothing-here"), "--output", Path.Combine(empty, "x.html")], output, errors));
        Assert.StartsWith("error: ", errors.ToString());
    }
}
