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
        var timeout = new Option<double?>("--timeout") { Description = "Stop the run after this many seconds (exit code 6)." };
        var memoryLimit = new Option<string?>("--memory_limit") { Description = "The most memory the run may use, e.g. 512M or 2G (default: three quarters of what the process may use; exit code 5 past it)." };
        var allowAnyPath = new Option<bool>("--allow_any_path") { Description = "Let the model's ops read and write files anywhere, as TensorFlow does. Only for models you trust: by default they may read only the model's folder and write nowhere." };
        var writable = new Option<string[]>("--writable") { Description = "A folder the model's ops may write in (e.g. to save a checkpoint). Repeat for several." };
        var ignoreFingerprint = new Option<bool>("--ignore_fingerprint") { Description = "Load the model even when fingerprint.pb says its files changed since it was written." };
        var command = new Command("run", "Run a SavedModel signature and print its outputs as JSON.") { dir, tagSet, signature, input, examples, placement, strict, timeout, memoryLimit, allowAnyPath, writable, ignoreFingerprint };
        command.SetAction(result =>
        {
            double seconds = result.GetValue(timeout) ?? 0;
            if (seconds < 0 || double.IsNaN(seconds)) return CommandLineApp.Guarded(error, () => throw new UsageException($"--timeout {seconds} must be a positive number of seconds"));
            using var deadline = seconds > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue / 1000.0))) : new CancellationTokenSource();
            return CommandLineApp.Guarded(error, () => Run(result, deadline.Token), deadline.Token, seconds);
        });
        return command;

        int Run(ParseResult result, CancellationToken cancellation)
        {
            var options = new SessionOptions
            {
                Placement = new PlacementOptions { AllowSoftPlacement = !result.GetValue(strict) },
                MemoryLimitBytes = result.GetValue(memoryLimit) is { } limit ? CommandLineApp.ParseBytes(limit, "--memory_limit") : 0,
                FileAccess = result.GetValue(allowAnyPath) ? IO.FileAccessPolicy.Unrestricted : IO.FileAccessPolicy.Confined(result.GetValue(writable) ?? []),
            };
            var bundle = SavedModelBundle.Load(SavedModelDirectory.Open(result.GetValue(dir)!, verifyFingerprint: !result.GetValue(ignoreFingerprint)), result.GetValue(tagSet)!.Split(',', StringSplitOptions.TrimEntries), options, cancellation);
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
            var outputs = chosen.Run(feeds, cancellation);

            CommandLineApp.WriteJson(output, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("signature", chosen.Key);
                writer.WriteStartArray("outputs");
                foreach (var (key, value) in outputs.OrderBy(o => o.Key, StringComparer.Ordinal)) TensorFormatter.WriteJson(writer, key, value);
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return ExitCodes.Success;
        }
    }
}
