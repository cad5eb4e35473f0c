using System.CommandLine;
using StaticFlow.Devices;
using StaticFlow.Execution;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Cli;

/// <summary><c>run DIR --signature_def KEY --input 'x=[[1],[2]]' [--input_examples 'inputs=[{"x":[1.0]}]']</c>, like <c>saved_model_cli run</c>.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var dir = new Argument<string>("DIR") { Description = "A SavedModel directory (or a TensorFlow Serving base directory)." };
        var tagSet = new Option<string>("--tag_set") { Description = "Comma-separated tags of the meta graph.", DefaultValueFactory = _ => "serve" };
        var signature = new Option<string>("--signature_def", "--signature-def") { Description = "The signature to run.", DefaultValueFactory = _ => SavedModelDirectory.DefaultSignatureKey };
        var input = new Option<string[]>("--input") { Description = "KEY=VALUE: a nested list like [[1],[2]], a scalar, or a .npy file. Repeat for several inputs.", AllowMultipleArgumentsPerToken = false };
        var examples = new Option<string[]>("--input_examples") { Description = "KEY=[{\"feature\":[values]},...]: serialized tf.Example protos." };
        var placement = new Option<bool>("--log_device_placement") { Description = "Print where each node runs (to stderr)." };
        var strict = new Option<bool>("--strict_placement") { Description = "Fail when a node's requested device is missing instead of placing it softly." };
        var command = new Command("run", "Run a SavedModel signature and print its outputs as JSON.") { dir, tagSet, signature, input, examples, placement, strict };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            var options = new SessionOptions { Placement = new PlacementOptions { AllowSoftPlacement = !result.GetValue(strict) } };
            var bundle = SavedModelBundle.Load(result.GetValue(dir)!, result.GetValue(tagSet)!.Split(',', StringSplitOptions.TrimEntries), options);
            var chosen = bundle.GetSignature(result.GetValue(signature)!);
            var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (string text in result.GetValue(input) ?? [])
            {
                var (key, value) = InputParser.ParseInput(text, chosen);
                feeds[key] = value;
            }
            foreach (string text in result.GetValue(examples) ?? [])
            {
                var (key, value) = InputParser.ParseExamples(text);
                feeds[key] = value;
            }
            if (result.GetValue(placement))
                foreach (var entry in bundle.Session.Placement.Entries) error.WriteLine(entry);
            var outputs = chosen.Run(feeds);

            CommandLineApp.WriteJson(output, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("signature", chosen.Key);
                writer.WriteStartArray("outputs");
                foreach (var (key, value) in outputs.OrderBy(o => o.Key, StringComparer.Ordinal)) TensorFormatter.WriteJson(writer, key, value);
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return 0;
        }));
        return command;
    }
}
