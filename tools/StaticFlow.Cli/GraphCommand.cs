using System.CommandLine;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Visualization;

namespace StaticFlow.Cli;

/// <summary><c>graph PATH --format dot|svg|pbtxt|json [--output FILE]</c>: export a model's graph.</summary>
internal static class GraphCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("PATH") { Description = "A SavedModel directory, a GraphDef file (.pb, .pbtxt), a TensorBoard log directory, or a checkpoint." };
        var format = new Option<GraphFormat>("--format") { Description = "dot (Graphviz), svg, pbtxt or json.", DefaultValueFactory = _ => GraphFormat.Dot };
        var file = new Option<string?>("--output") { Description = "Write to this file instead of standard output." };
        var tagSet = new Option<string>("--tag_set") { Description = "Comma-separated tags of the SavedModel meta graph.", DefaultValueFactory = _ => "serve" };
        var command = new Command("graph", "Export a model's graph as Graphviz dot, SVG, text proto or JSON.") { path, format, file, tagSet };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            string source = result.GetValue(path)!;
            // The same sources the viewer opens: SavedModels, GraphDef files, log directories, checkpoints.
            GraphDef graph = ViewerSource.Load(source, result.GetValue(tagSet)!.Split(',', StringSplitOptions.TrimEntries)).Graph;
            string text = GraphExport.Export(graph, result.GetValue(format));
            if (result.GetValue(file) is { } target) IO.AtomicFile.WriteAllText(target, text);
            else output.Write(text);
            return 0;
        }));
        return command;
    }
}
