using System.CommandLine;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;
using StaticFlow.Visualization;

namespace StaticFlow.Cli;

/// <summary><c>tensorboard PATH --logdir DIR</c>: writes the graph of a SavedModel or GraphDef file as a TensorBoard event file.</summary>
internal static class TensorBoardCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("PATH") { Description = "A SavedModel directory, a GraphDef file (.pb, .pbtxt), a TensorBoard log directory, or a checkpoint." };
        var logdir = new Option<string>("--logdir") { Description = "The log directory to write into (TensorBoard's --logdir).", Required = true };
        var tagSet = new Option<string>("--tag_set") { Description = "Comma-separated tags of the SavedModel meta graph.", DefaultValueFactory = _ => "serve" };
        var command = new Command("tensorboard", "Write a model's graph into a TensorBoard log directory (see it with: tensorboard --logdir DIR).") { path, logdir, tagSet };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            string source = result.GetValue(path)!;
            // The same sources the viewer opens: SavedModels, GraphDef files, log directories, checkpoints.
            GraphDef graph = ViewerSource.Load(source, result.GetValue(tagSet)!.Split(',', StringSplitOptions.TrimEntries)).Graph;
            using var writer = new SummaryWriter(result.GetValue(logdir)!);
            writer.AddGraph(graph);
            output.WriteLine($"wrote the graph ({graph.Node.Count} nodes, {graph.Library?.Function.Count ?? 0} functions) to {writer.FilePath}");
            return 0;
        }));
        return command;
    }
}
