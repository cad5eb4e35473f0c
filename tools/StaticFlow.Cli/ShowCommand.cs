using System.CommandLine;
using StaticFlow.Protos;
using StaticFlow.SavedModels;

namespace StaticFlow.Cli;

/// <summary><c>show DIR [--all] [--tag_set TAGS] [--signature_def KEY]</c>, like <c>saved_model_cli show</c>.</summary>
internal static class ShowCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var dir = new Argument<string>("DIR") { Description = "A SavedModel directory (or a TensorFlow Serving base directory: the newest version)." };
        var all = new Option<bool>("--all") { Description = "Print every tag set and every signature with its inputs and outputs." };
        var tagSet = new Option<string?>("--tag_set") { Description = "Comma-separated tags of one meta graph, e.g. 'serve'." };
        var signature = new Option<string?>("--signature_def") { Description = "Print one signature of the meta graph chosen by --tag_set." };
        var ignoreFingerprint = new Option<bool>("--ignore_fingerprint") { Description = "Show the model even when fingerprint.pb says its files changed since it was written." };
        var command = new Command("show", "Show a SavedModel's tag sets and signatures.") { dir, all, tagSet, signature, ignoreFingerprint };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            var model = SavedModelDirectory.Open(result.GetValue(dir)!, verifyFingerprint: !result.GetValue(ignoreFingerprint));
            string? tags = result.GetValue(tagSet);
            string? key = result.GetValue(signature);
            if (result.GetValue(all))
            {
                foreach (var metaGraph in model.Model.MetaGraphs)
                {
                    output.WriteLine();
                    output.WriteLine($"MetaGraphDef with tag-set: '{string.Join(", ", metaGraph.MetaInfoDef?.Tags ?? [])}' contains the following SignatureDefs:");
                    foreach (var (name, def) in metaGraph.SignatureDef.OrderBy(s => s.Key, StringComparer.Ordinal))
                    {
                        output.WriteLine();
                        output.WriteLine($"signature_def['{name}']:");
                        PrintSignature(output, def, "  ");
                    }
                }
                return 0;
            }
            if (tags is null)
            {
                output.WriteLine("The given SavedModel contains the following tag-sets:");
                foreach (var t in model.TagSets) output.WriteLine($"'{string.Join(", ", t)}'");
                return 0;
            }
            var chosen = model.GetMetaGraph(tags.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            if (key is null)
            {
                output.WriteLine($"The given SavedModel MetaGraphDef contains SignatureDefs with the following keys:");
                foreach (string name in chosen.SignatureDef.Keys.Order(StringComparer.Ordinal)) output.WriteLine($"SignatureDef key: \"{name}\"");
                return 0;
            }
            if (!chosen.SignatureDef.TryGetValue(key, out var found))
                throw new KeyNotFoundException($"{model.Path}: no signature '{key}'; the meta graph has: {string.Join(", ", chosen.SignatureDef.Keys)}");
            PrintSignature(output, found, "");
            return 0;
        }));
        return command;
    }

    private static void PrintSignature(TextWriter output, SignatureDef def, string indent)
    {
        output.WriteLine($"{indent}The given SavedModel SignatureDef contains the following input(s):");
        foreach (var (name, info) in def.Inputs.OrderBy(i => i.Key, StringComparer.Ordinal)) PrintTensorInfo(output, "inputs", name, info, indent + "  ");
        output.WriteLine($"{indent}The given SavedModel SignatureDef contains the following output(s):");
        foreach (var (name, info) in def.Outputs.OrderBy(i => i.Key, StringComparer.Ordinal)) PrintTensorInfo(output, "outputs", name, info, indent + "  ");
        output.WriteLine($"{indent}Method name is: {def.MethodName}");
    }

    private static void PrintTensorInfo(TextWriter output, string kind, string name, TensorInfo info, string indent)
    {
        output.WriteLine($"{indent}{kind}['{name}'] tensor_info:");
        output.WriteLine($"{indent}    dtype: {Tensors.DTypes.ProtoName(info.Dtype)}");
        output.WriteLine($"{indent}    shape: {ShapeText(info.TensorShape)}");
        string location = info.EncodingCase switch
        {
            TensorInfo.EncodingOneofCase.Name => $"name: {info.Name}",
            TensorInfo.EncodingOneofCase.CooSparse => $"sparse: values {info.CooSparse.ValuesTensorName}, indices {info.CooSparse.IndicesTensorName}, dense_shape {info.CooSparse.DenseShapeTensorName}",
            TensorInfo.EncodingOneofCase.CompositeTensor => $"composite tensor of {info.CompositeTensor.Components.Count} components",
            _ => "name: <none>",
        };
        output.WriteLine($"{indent}    {location}");
    }

    /// <summary>Python's tuple notation of saved_model_cli: (-1, 1), () for a scalar, unknown_rank.</summary>
    private static string ShapeText(TensorShapeProto? shape)
    {
        if (shape is null || shape.UnknownRank) return "unknown_rank";
        return shape.Dim.Count == 1 ? $"({shape.Dim[0].Size},)" : "(" + string.Join(", ", shape.Dim.Select(d => d.Size)) + ")";
    }
}
