using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using StaticFlow.Cli;
using StaticFlow.SavedModels;
using StaticFlow.Tests;
using StaticFlow.Visualization;
using Xunit.Abstractions;

namespace StaticFlow.Viewer.Tests;

/// <summary>The real viewer page in headless chromium: the shared TF2 model, the QuickStart model, a diff, exports, offline use.</summary>
[Collection(BrowserCollection.Name)]
public class ViewerBrowserTests(BrowserFixture browser, ITestOutputHelper log)
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string QuickStartExport(SavedModelExportOptions? options = null)
    {
        var regressor = new QuickStart.Regressor();
        return regressor.ExportSavedModel(Path.Combine(TempDirectory.Create(), "regressor"), options);
    }

    /// <summary>Serves the viewer for <paramref name="paths"/> the way <c>view</c> does and opens it.</summary>
    private async Task<(IPage Page, ViewerServer Server)> OpenServedAsync(params string[] paths)
    {
        var sources = paths.Select(p => ViewerSource.Load(p)).ToList();
        var server = ViewerServer.Start(ViewerPage.Render(string.Join(" vs ", sources.Select(s => s.Label)), sources), FreePort());
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.Url);
        await page.WaitForSelectorAsync("body[data-ready='1']");
        return (page, server);
    }

    private static async Task<int> VisibleAsync(IPage page, int pane = 0) =>
        int.Parse(await page.Locator(".canvas").Nth(pane).GetAttributeAsync("data-visible") ?? "0", CultureInfo.InvariantCulture);

    [Fact]
    public async Task SharedTf2ModelWithItsFunctionExpanded()
    {
        string model = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        var graph = SavedModelDirectory.Open(model).GetMetaGraph("serve").GraphDef;
        var (page, server) = await OpenServedAsync(model);
        using (server)
        {
            Assert.Equal(graph.Node.Count.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("body", "data-nodes"));
            Assert.Contains($"{graph.Node.Count} nodes, {graph.Library.Function.Count} functions", await page.InnerTextAsync("#status"));

            // Open the serving signature's function call and read a node of the function's body.
            string call = graph.Node.First(n => n.Op == "StatefulPartitionedCall" && n.Name.Contains("serving", StringComparison.OrdinalIgnoreCase) || n.Op == "StatefulPartitionedCall").Name;
            string function = graph.Node.First(n => n.Name == call).Attr["f"].Func.Name;
            int before = await VisibleAsync(page);
            await page.Locator($".node[data-id='{call}']").DblClickAsync();
            await page.WaitForSelectorAsync($".cluster.function[data-id='f:{call}#{function}']");
            int bodyNodes = graph.Library.Function.Single(f => f.Signature.Name == function).NodeDef.Count;
            Assert.True(await VisibleAsync(page) >= before + bodyNodes, "the function's body is drawn");
            var bodyNode = page.Locator($".node.body[data-id^='f:{call}#{function}/']").Filter(new LocatorFilterOptions { HasNotText = "return:" }).Last;
            await bodyNode.ClickAsync();
            Assert.Equal("Function node", await page.InnerTextAsync("#details h3"));

            // A call inside the opened body opens too, nested in its cluster.
            var inner = graph.Library.Function.Single(f => f.Signature.Name == function).NodeDef.First(n => n.Op is "StatefulPartitionedCall" or "PartitionedCall");
            string innerId = $"f:{call}#{function}/{inner.Name}";
            await page.Locator($".node[data-id='{innerId}']").DblClickAsync();
            await page.WaitForSelectorAsync($".cluster.function[data-id='f:{innerId}#{inner.Attr["f"].Func.Name}']");

            // Signatures are entry points.
            Assert.True(await page.Locator("[data-signature='serving_default']").CountAsync() == 1);
            await BrowserFixture.ScreenshotAsync(page, "tf2-half-plus-two-function");
        }
    }

    [Fact]
    public async Task QuickStartModelWithItsDense1ScopeAndDeviceColours()
    {
        var (page, server) = await OpenServedAsync(QuickStartExport());
        using (server)
        {
            // Scopes start collapsed; open Predict, then dense1.
            await page.Locator(".node[data-id='g:Predict']").DblClickAsync();
            await page.WaitForSelectorAsync(".cluster[data-id='g:Predict']");
            await page.Locator(".node[data-id='g:Predict/dense1']").DblClickAsync();
            await page.WaitForSelectorAsync(".node[data-id='Predict/dense1/MatMul']");

            await page.Locator(".node[data-id='Predict/dense1/MatMul']").ClickAsync();
            Assert.Equal("Predict/dense1/MatMul", await page.InnerTextAsync("#details-name"));
            Assert.Equal("MatMul", await page.InnerTextAsync("#details [data-prop='op']"));
            Assert.Equal("/device:GPU:0", await page.InnerTextAsync("#details [data-prop='device']"));
            Assert.Contains("0: DT_FLOAT [?,10]", await page.InnerTextAsync("#details"));

            // Inputs upstream: x, the kernel read, w1.
            await page.ClickAsync("#show-upstream");
            Assert.True(await page.Locator(".node.lineage").CountAsync() >= 3);

            // A variable's details summarise its value from the checkpoint.
            await page.ClickAsync("#fit");
            await page.Locator(".node[data-id='w1']").ClickAsync();
            Assert.Matches(@"min -?\d.*max -?\d.*mean", await page.InnerTextAsync("#variable-summary"));

            await page.SelectOptionAsync("#colour-mode", "device");
            Assert.Equal(1, await page.Locator("#legend [data-legend='/device:GPU:0']").CountAsync());
            Assert.Equal(1, await page.Locator("#legend [data-legend='(no device)']").CountAsync());
            await BrowserFixture.ScreenshotAsync(page, "quickstart-dense1-devices");
        }
    }

    [Fact]
    public async Task SearchFindsNodesByNameAndOpAndRevealsThem()
    {
        var (page, server) = await OpenServedAsync(QuickStartExport());
        using (server)
        {
            await page.FillAsync("#search", "MatMul");
            // Predict's two, the two of the inlined Predict in Train, and Train's four gradient MatMuls.
            Assert.Equal("8", await page.GetAttributeAsync("#results", "data-count"));
            Assert.True(await page.Locator(".node.match").CountAsync() >= 1, "the collapsed scope holding the matches is marked");
            await page.ClickAsync("[data-result='Predict/dense2/MatMul']");
            await page.WaitForSelectorAsync(".node.selected[data-id='Predict/dense2/MatMul']");
            await page.FillAsync("#search", "relu");
            Assert.Equal("3", await page.GetAttributeAsync("#results", "data-count")); // Relu twice, and ReluGrad

        }
    }

    [Fact]
    public async Task ExportsSvgAndPngAndZooms()
    {
        var (page, server) = await OpenServedAsync(QuickStartExport());
        using (server)
        {
            string zoom = (await page.GetAttributeAsync(".canvas", "data-zoom"))!;
            await page.ClickAsync("#zoom-in");
            Assert.NotEqual(zoom, await page.GetAttributeAsync(".canvas", "data-zoom"));
            await page.ClickAsync("#fit");

            var svg = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-svg"));
            string svgPath = Path.Combine(BrowserFixture.ArtifactDirectory, "quickstart.svg");
            await svg.SaveAsAsync(svgPath);
            string text = await File.ReadAllTextAsync(svgPath);
            Assert.StartsWith("<svg", text);
            Assert.Contains("data-id=\"g:Predict\"", text);

            var png = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#export-png"));
            string pngPath = Path.Combine(BrowserFixture.ArtifactDirectory, "quickstart.png");
            await png.SaveAsAsync(pngPath);
            byte[] header = (await File.ReadAllBytesAsync(pngPath))[..8];
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, header);
        }
    }

    [Fact]
    public async Task DiffShowsTwoGraphsSideBySide()
    {
        string placed = QuickStartExport();
        string cleared = QuickStartExport(new SavedModelExportOptions { ClearDevices = true });
        var (page, server) = await OpenServedAsync(placed, cleared);
        using (server)
        {
            Assert.Equal(2, await page.Locator(".canvas").CountAsync());
            string summary = (await page.GetAttributeAsync("body", "data-diff"))!;
            // Clearing devices changes exactly the nodes of Predict (11) and of Predict inlined into Train (9: its
            // placeholder and output are Train's); nothing is added or removed.
            Assert.Equal("{\"removed\":0,\"added\":0,\"changed\":20}", summary);
            await BrowserFixture.ScreenshotAsync(page, "quickstart-diff-devices-cleared");
        }
    }

    [Fact]
    public async Task TheHtmlFileWorksOfflineWithNoRequests()
    {
        string html = Path.Combine(TempDirectory.Create(), "viewer.html");
        var output = new StringWriter();
        Assert.Equal(0, CommandLineApp.Run(["view", QuickStartExport(), "--output", html], output, new StringWriter()));
        var page = await browser.NewPageAsync();
        var requests = new List<string>();
        await page.RouteAsync("**/*", async route =>
        {
            if (!route.Request.Url.StartsWith("file:", StringComparison.Ordinal)) requests.Add(route.Request.Url);
            await route.ContinueAsync();
        });
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        await page.WaitForSelectorAsync("body[data-ready='1']");
        Assert.Empty(requests);
        // Predict, Loss and Train (forward, gradients and Adam) with the variables and their optimizer slots. (177
        // before calls carried their callee's static output shapes: the gradient's broadcast reductions now fold.)
        Assert.Equal("174", await page.GetAttributeAsync("body", "data-nodes"));
    }

    [Fact]
    public async Task ControlFlowOpensBothBranches()
    {
        string file = Path.Combine(TempDirectory.Create(), "branches.pbtxt");
        File.WriteAllText(file, LargeGraphs.IfGraphText);
        string html = Path.Combine(TempDirectory.Create(), "branches.html");
        Assert.Equal(0, CommandLineApp.Run(["view", file, "--output", html], new StringWriter(), new StringWriter()));
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        await page.WaitForSelectorAsync("body[data-ready='1']");
        await page.Locator(".node[data-id='choose']").DblClickAsync();
        await page.WaitForSelectorAsync(".cluster.function[data-id='f:choose#then_fn']");
        await page.WaitForSelectorAsync(".cluster.function[data-id='f:choose#else_fn']");
        Assert.Equal(1, await page.Locator(".node.body[data-op='Neg']").CountAsync());
        Assert.Equal(1, await page.Locator(".node.body[data-op='Abs']").CountAsync());
        await BrowserFixture.ScreenshotAsync(page, "if-branches-open");
    }

    [Fact]
    public async Task TenThousandNodesOpenAndAScopeExpands()
    {
        string file = Path.Combine(TempDirectory.Create(), "large.pb");
        GraphDefFile.Write(file, LargeGraphs.Chains(blocks: 100, nodesPerBlock: 100));
        string html = Path.Combine(TempDirectory.Create(), "large.html");
        Assert.Equal(0, CommandLineApp.Run(["view", file, "--output", html], new StringWriter(), new StringWriter()));

        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        await page.WaitForSelectorAsync("body[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 60_000 });
        Assert.Equal("10000", await page.GetAttributeAsync("body", "data-nodes"));
        Assert.Equal(100, await VisibleAsync(page));
        double openMs = double.Parse((await page.GetAttributeAsync("body", "data-open-ms"))!, CultureInfo.InvariantCulture);

        double expandMs = await page.EvaluateAsync<double>("() => window.staticflow.expand('g:block_042')");
        Assert.Equal(199, await VisibleAsync(page));
        string line = string.Create(CultureInfo.InvariantCulture, $"10,000-node graph in headless chromium: open {openMs:0} ms, expand a 100-node scope {expandMs:0} ms");
        log.WriteLine(line);
        await File.WriteAllTextAsync(Path.Combine(BrowserFixture.ArtifactDirectory, "large-graph-timings.txt"), line + Environment.NewLine);
        await BrowserFixture.ScreenshotAsync(page, "large-graph-one-scope-open");
    }

    [Fact]
    public async Task ANameTwentyThousandScopesDeepOpensWithScopesCappedAtTheLimit()
    {
        string deep = string.Join('/', Enumerable.Repeat("s", 20_000));
        string file = Path.Combine(TempDirectory.Create(), "deep.pbtxt");
        File.WriteAllText(file, $"node {{ name: \"{deep}\" op: \"NoOp\" }}\nnode {{ name: \"{deep}/b\" op: \"NoOp\" input: \"^{deep}\" }}\n");
        string html = Path.Combine(TempDirectory.Create(), "deep.html");
        Assert.Equal(0, CommandLineApp.Run(["view", file, "--output", html], new StringWriter(), new StringWriter()));

        var page = await browser.NewPageAsync();
        // Generous for a loaded 2-core CI machine: dagre lays 32 nested clusters out in about 2 s there.
        await page.GotoAsync(new Uri(html).AbsoluteUri, new PageGotoOptions { Timeout = 120_000 });
        await page.WaitForSelectorAsync("body[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 120_000 });
        Assert.Equal("2", await page.GetAttributeAsync("body", "data-nodes"));
        int groups = await page.EvaluateAsync<int>("() => window.staticflow.app.models[0].groups.size");
        Assert.Equal(GraphExport.MaxScopeDepth + 1, groups); // the root and one group per level
    }
}

/// <summary>Generated graphs for the viewer's tests.</summary>
internal static class LargeGraphs
{
    /// <summary>An If whose branches are two library functions, in GraphDef text format.</summary>
    public const string IfGraphText = """
        node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
        node { name: "c" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }
        node {
          name: "choose" op: "If" input: "c" input: "x"
          attr { key: "Tcond" value { type: DT_BOOL } }
          attr { key: "Tin" value { list { type: DT_FLOAT } } }
          attr { key: "Tout" value { list { type: DT_FLOAT } } }
          attr { key: "then_branch" value { func { name: "then_fn" } } }
          attr { key: "else_branch" value { func { name: "else_fn" } } }
        }
        library {
          function {
            signature { name: "then_fn" input_arg { name: "v" type: DT_FLOAT } output_arg { name: "out" type: DT_FLOAT } }
            node_def { name: "neg" op: "Neg" input: "v" attr { key: "T" value { type: DT_FLOAT } } }
            ret { key: "out" value: "neg:y:0" }
          }
          function {
            signature { name: "else_fn" input_arg { name: "v" type: DT_FLOAT } output_arg { name: "out" type: DT_FLOAT } }
            node_def { name: "abs" op: "Abs" input: "v" attr { key: "T" value { type: DT_FLOAT } } }
            ret { key: "out" value: "abs:y:0" }
          }
        }
        versions { producer: 27 }
        """;

    /// <summary><paramref name="blocks"/> scopes of <paramref name="nodesPerBlock"/> chained nodes, each block fed by the one before.</summary>
    public static StaticFlow.Protos.GraphDef Chains(int blocks, int nodesPerBlock)
    {
        var graph = new StaticFlow.Protos.GraphDef();
        string previous = "";
        for (int b = 0; b < blocks; b++)
        {
            for (int n = 0; n < nodesPerBlock; n++)
            {
                string name = $"block_{b:000}/op_{n:000}";
                var node = new StaticFlow.Protos.NodeDef { Name = name, Op = n % 3 == 0 ? "Relu" : n % 3 == 1 ? "Tanh" : "Identity" };
                if (previous.Length > 0) node.Input.Add(previous);
                graph.Node.Add(node);
                previous = name;
            }
        }
        return graph;
    }
}
