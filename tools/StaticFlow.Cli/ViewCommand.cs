using System.CommandLine;
using System.Net;
using System.Text;
using StaticFlow.Visualization;

namespace StaticFlow.Cli;

/// <summary>
/// <c>view PATH [--diff OTHER] [--port 6006] [--output FILE]</c>: the graph viewer, served on 127.0.0.1 like
/// TensorBoard, or written as one self-contained HTML file that works offline.
/// </summary>
internal static class ViewCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("PATH") { Description = "A SavedModel directory, a GraphDef file (.pb, .pbtxt), a TensorBoard log directory, or a checkpoint." };
        var diff = new Option<string?>("--diff") { Description = "A second graph to compare side by side (PATH is the old one)." };
        var port = new Option<int>("--port") { Description = "The port on 127.0.0.1 to serve the page on.", DefaultValueFactory = _ => 6006 };
        var file = new Option<string?>("--output") { Description = "Write the page to this HTML file instead of serving it." };
        var tagSet = new Option<string>("--tag_set") { Description = "Comma-separated tags of the SavedModel meta graph.", DefaultValueFactory = _ => "serve" };
        var command = new Command("view", "Show a graph in the browser: scopes, functions, details, search, colours, diff.") { path, diff, port, file, tagSet };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            string[] tags = result.GetValue(tagSet)!.Split(',', StringSplitOptions.TrimEntries);
            var sources = new List<ViewerSource> { ViewerSource.Load(result.GetValue(path)!, tags) };
            if (result.GetValue(diff) is { } other) sources.Add(ViewerSource.Load(other, tags));
            string title = string.Join(" vs ", sources.Select(s => s.Label));
            string html = ViewerPage.Render(title, sources);
            if (result.GetValue(file) is { } target)
            {
                IO.AtomicFile.WriteAllText(target, html);
                output.WriteLine($"wrote the viewer for {title} ({sources[0].Graph.Node.Count} nodes) to {Path.GetFullPath(target)}");
                return 0;
            }
            using var server = ViewerServer.Start(html, result.GetValue(port));
            output.WriteLine($"StaticFlow viewer for {title} at {server.Url} (Ctrl+C to stop)");
            var stop = new ManualResetEventSlim();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
            stop.Wait();
            return 0;
        }));
        return command;
    }
}

/// <summary>Serves one viewer page on 127.0.0.1 (only the local machine can reach it) until disposed.</summary>
public sealed class ViewerServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly byte[] _page;
    private readonly Task _loop;

    private ViewerServer(string html, int port)
    {
        _page = Encoding.UTF8.GetBytes(html);
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        try { _listener.Start(); }
        catch (HttpListenerException e) { throw new IOException($"cannot serve on 127.0.0.1:{port}: {e.Message} (choose another --port)", e); }
        Url = $"http://127.0.0.1:{port}/";
        _loop = Task.Run(Serve);
    }

    /// <summary>The page's address.</summary>
    public string Url { get; }

    /// <summary>Starts serving <paramref name="html"/> at <c>http://127.0.0.1:port/</c>.</summary>
    public static ViewerServer Start(string html, int port) => new(html, port);

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try
            {
                var response = context.Response;
                if (context.Request.Url?.AbsolutePath is "/" or "/index.html")
                {
                    response.ContentType = "text/html; charset=utf-8";
                    response.ContentLength64 = _page.Length;
                    await response.OutputStream.WriteAsync(_page).ConfigureAwait(false);
                }
                else response.StatusCode = 404;
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
    }
}
