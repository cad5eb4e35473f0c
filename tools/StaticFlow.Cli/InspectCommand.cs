using System.CommandLine;
using StaticFlow.Checkpoints;
using StaticFlow.Tensors;

namespace StaticFlow.Cli;

/// <summary><c>inspect PREFIX [--tensor NAME] [--json]</c>, like TensorFlow's inspect_checkpoint.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("PREFIX") { Description = "A checkpoint: its prefix, its .index file, or a directory (latest checkpoint; a SavedModel's variables)." };
        var tensor = new Option<string?>("--tensor") { Description = "Print every value of this tensor (a checkpoint key or a TF2 object path)." };
        var all = new Option<bool>("--all") { Description = "Print every value of every tensor." };
        var json = new Option<bool>("--json") { Description = "Write JSON instead of text." };
        var command = new Command("inspect", "List a checkpoint's variables as 'name dtype shape', or print a tensor's values.") { path, tensor, all, json };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            using var reader = CheckpointReader.Open(result.GetValue(path)!);
            string? name = result.GetValue(tensor);
            IEnumerable<string> names = name is not null ? [name] : result.GetValue(all) ? reader.ListVariables().Select(v => v.Name) : [];
            if (name is not null && !reader.Contains(name))
                throw new KeyNotFoundException($"{reader.Prefix}: no tensor named '{name}'. Run 'staticflow inspect {reader.Prefix}' to list them.");

            if (result.GetValue(json))
            {
                CommandLineApp.WriteJson(output, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("checkpoint", reader.Prefix);
                    writer.WriteStartArray("variables");
                    foreach (var v in reader.ListVariables())
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", v.Name);
                        writer.WriteString("dtype", v.DTypeName);
                        writer.WriteStartArray("shape");
                        foreach (long d in v.Shape.Dims) writer.WriteNumberValue(d);
                        writer.WriteEndArray();
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    if (name is not null || result.GetValue(all))
                    {
                        writer.WriteStartArray("tensors");
                        foreach (string n in names) TensorFormatter.WriteJson(writer, n, reader.Read(n));
                        writer.WriteEndArray();
                    }
                    writer.WriteEndObject();
                });
                return 0;
            }

            if (name is null)
                foreach (var v in reader.ListVariables()) output.WriteLine($"{v.Name} {v.DTypeName} {v.Shape}");
            foreach (string n in names)
            {
                Tensor value = reader.Read(n);
                output.WriteLine($"tensor_name: {n} ({value.DType.Name()}{value.Shape})");
                TensorFormatter.WriteText(output, value);
                output.WriteLine();
            }
            return 0;
        }));
        return command;
    }
}
