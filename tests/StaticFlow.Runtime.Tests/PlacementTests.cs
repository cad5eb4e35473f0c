using StaticFlow.Devices;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

public class PlacementTests
{
    private static Protos.GraphDef GpuGraph()
    {
        var x = Placeholder("x", DType.Float32);
        var w = Const("w", Tensor.FromArray<float>([2, 0, 0, 2], 2, 2));
        w.Device = "/device:GPU:0";
        var y = Node("y", "MatMul", ["x", "w"], ("T", Type(DType.Float32)));
        y.Device = "/job:localhost/replica:0/task:0/device:GPU:0";
        var z = Node("z", "Relu", ["y"], ("T", Type(DType.Float32)), ("_class", new Protos.AttrValue { List = new() { S = { Google.Protobuf.ByteString.CopyFromUtf8("loc:@y") } } }));
        return Graph(x, w, y, z);
    }

    [Fact]
    public void GpuNodesRunOnTheCpuWithSoftPlacementAndTheReportShowsTheMoves()
    {
        var session = new GraphSession(GraphImporter.Import(GpuGraph()));
        var result = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1, -1], 1, 2) }, ["z"]);
        Assert.Equal([2f, 0f], result[0].ToArray<float>());

        var y = session.Placement.Entries.Single(e => e.Node == "y");
        Assert.Equal("/job:localhost/replica:0/task:0/device:CPU:0", y.Assigned);
        Assert.True(y.Moved);
        Assert.Contains("soft placement", y.Reason);
        Assert.Equal("colocated with y", session.Placement.Entries.Single(e => e.Node == "z").Reason);
        Assert.Contains("y: (MatMul): /job:localhost/replica:0/task:0/device:CPU:0 [requested /job:localhost/replica:0/task:0/device:GPU:0; soft placement", session.Placement.ToString());
    }

    [Fact]
    public void StrictPlacementNamesTheNodeAndDevice()
    {
        var options = new SessionOptions { Placement = new PlacementOptions { AllowSoftPlacement = false } };
        var e = Assert.Throws<PlacementException>(() => new GraphSession(GraphImporter.Import(GpuGraph()), options));
        Assert.Equal("w", e.NodeName);
        Assert.Contains("'/device:GPU:0' is not available", e.Message);
    }

    [Fact]
    public void DeviceMapRemapsRequestsBeforePlacement()
    {
        var options = new SessionOptions { Placement = new PlacementOptions { AllowSoftPlacement = false, DeviceMap = new Dictionary<string, string> { ["/GPU:0"] = "/CPU:1" }, Devices = new DeviceRegistry(cpuCount: 2) } };
        var session = new GraphSession(GraphImporter.Import(GpuGraph()), options);
        Assert.Equal("/job:localhost/replica:0/task:0/device:CPU:1", session.Placement.Entries.Single(e => e.Node == "y").Assigned);
        Assert.Contains("remapped", session.Placement.Entries.Single(e => e.Node == "y").Reason);
        var result = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([3, 4], 1, 2) }, ["z"]);
        Assert.Equal([6f, 8f], result[0].ToArray<float>());
    }

    [Fact]
    public void EdgesBetweenCpuDevicesAreCounted()
    {
        var first = Node("first", "Identity", ["x"], ("T", Type(DType.Float32)));
        first.Device = "/CPU:0";
        var second = Node("second", "Neg", ["first"], ("T", Type(DType.Float32)));
        second.Device = "/CPU:1";
        var options = new SessionOptions { Placement = new PlacementOptions { AllowSoftPlacement = false, Devices = new DeviceRegistry(cpuCount: 2) } };
        var session = new GraphSession(GraphImporter.Import(Graph(Placeholder("x", DType.Float32), first, second)), options);
        Assert.Equal(new PlanStatistics(Steps: 2, FoldedNodes: 0, FusedNodes: 0, CrossDeviceEdges: 1), session.Explain(["x"], ["second"]));
        Assert.Equal([-2f], session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Vector(2f) }, ["second"])[0].ToArray<float>());
    }

    [Theory]
    [InlineData("/job:localhost/replica:0/task:0/device:GPU:0", "localhost", 0, 0, "GPU", 0)]
    [InlineData("/GPU:1", null, null, null, "GPU", 1)]
    [InlineData("/device:CPU:*", null, null, null, "CPU", null)]
    [InlineData("/cpu:0", null, null, null, "CPU", 0)]
    public void DeviceStringsParse(string text, string? job, int? replica, int? task, string type, int? id) =>
        Assert.Equal(new DeviceSpec(job, replica, task, type, id), DeviceSpec.Parse(text));

    [Theory]
    [InlineData("GPU:0")]
    [InlineData("/device:GPU:x")]
    [InlineData("/replica:a")]
    public void InvalidDeviceStringsAreRejected(string text)
    {
        Assert.False(DeviceSpec.TryParse(text, out _));
        var node = Const("c", Tensor.Scalar(1f));
        node.Device = text;
        Assert.Contains("invalid device string", Assert.Throws<PlacementException>(() => new GraphSession(GraphImporter.Import(Graph(node)))).Message);
    }
}
