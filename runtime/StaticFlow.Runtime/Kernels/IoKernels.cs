using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using StaticFlow.Formats.Bundles;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>TensorFlow's saver subgraph: SaveV2, RestoreV2, MergeV2Checkpoints, ShardedFilename, StringJoin, StaticRegexFullMatch.</summary>
internal static class IoKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("SaveV2", _ => new DelegateKernel(c =>
        {
            string prefix = ScalarString(c, 0);
            Tensor names = c.Input(1), slices = c.Input(2);
            int count = c.InputCount - 3;
            if (names.ElementCount != count || slices.ElementCount != count) throw c.Error($"{count} tensors but {names.ElementCount} names and {slices.ElementCount} slice specs");
            CheckAccess(c, prefix, write: true);
            using var writer = new TensorBundleWriter(prefix);
            for (int i = 0; i < count; i++)
            {
                if (slices.Strings[i].Length > 0) throw c.Error("saving slices of partitioned variables is not supported");
                writer.Add(Encoding.UTF8.GetString(names.Strings[i]), c.Input(3 + i));
            }
            writer.Finish();
        }));
        add.Add("RestoreV2", node =>
        {
            var dtypes = KernelHelpers.TypeListAttr(node, "dtypes").ToArray();
            return new DelegateKernel(c =>
            {
                string prefix = ScalarString(c, 0);
                Tensor names = c.Input(1), slices = c.Input(2);
                if (names.ElementCount != dtypes.Length) throw c.Error($"{names.ElementCount} names for {dtypes.Length} dtypes");
                CheckAccess(c, prefix, write: false);
                using var reader = TensorBundleReader.Open(prefix);
                for (int i = 0; i < dtypes.Length; i++)
                {
                    if (slices.Strings[i].Length > 0) throw c.Error("restoring slices of partitioned variables is not supported");
                    string name = Encoding.UTF8.GetString(names.Strings[i]);
                    Tensor value = reader.Read(name);
                    if (value.DType.ToProto() != dtypes[i])
                        throw c.Error($"checkpoint tensor '{name}' is {value.DType.Name()}, expected {GraphImporter.DTypeName(dtypes[i])}");
                    c.SetOutput(i, value);
                }
            });
        });
        add.Add("MergeV2Checkpoints", node =>
        {
            bool deleteOldDirs = KernelHelpers.BoolAttr(node, "delete_old_dirs");
            return new DelegateKernel(c =>
            {
                Tensor sources = c.Input(0);
                string destination = ScalarString(c, 1);
                if (sources.DType != DType.String) throw c.Error($"checkpoint_prefixes must be strings, got {sources}");
                // The sources are deleted after the merge: writing rights on them too.
                foreach (byte[] source in sources.Strings) CheckAccess(c, Encoding.UTF8.GetString(source), write: true);
                CheckAccess(c, destination, write: true);
                using (var writer = new TensorBundleWriter(destination))
                {
                    foreach (byte[] source in sources.Strings)
                    {
                        using var reader = TensorBundleReader.Open(Encoding.UTF8.GetString(source));
                        foreach (string name in reader.Names) writer.Add(name, reader.Read(name));
                    }
                    writer.Finish();
                }
                foreach (byte[] raw in sources.Strings)
                {
                    string source = Encoding.UTF8.GetString(raw);
                    if (source == destination) continue;
                    using (var reader = TensorBundleReader.Open(source))
                        foreach (string file in BundleFiles.AllPaths(source, reader.Header.NumShards)) File.Delete(file);
                    string? directory = Path.GetDirectoryName(source);
                    if (deleteOldDirs && directory is not null && Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
                        Directory.Delete(directory);
                }
            });
        });
        add.Add("ShardedFilename", _ => new DelegateKernel(c =>
        {
            string basename = ScalarString(c, 0);
            int shard = c.Input(1).AsSpan<int>()[0], shards = c.Input(2).AsSpan<int>()[0];
            c.SetOutput(0, Tensor.Scalar(string.Create(CultureInfo.InvariantCulture, $"{basename}-{shard:D5}-of-{shards:D5}")));
        }));
        add.Add("StringJoin", node =>
        {
            byte[] separator = node.Attr("separator").S.ToByteArray();
            return new DelegateKernel(c =>
            {
                var inputs = Enumerable.Range(0, c.InputCount).Select(c.Input).ToArray();
                Tensor? shaped = inputs.FirstOrDefault(t => t.Shape.Rank > 0);
                TensorShape shape = shaped?.Shape ?? TensorShape.Scalar;
                foreach (var t in inputs)
                    if (t.Shape.Rank > 0 && !t.Shape.Equals(shape)) throw c.Error($"inputs of shapes {shape} and {t.Shape} cannot be joined");
                var output = new byte[shape.ElementCount][];
                for (long i = 0; i < output.Length; i++)
                {
                    var bytes = new List<byte>();
                    for (int k = 0; k < inputs.Length; k++)
                    {
                        if (k > 0) bytes.AddRange(separator);
                        bytes.AddRange(inputs[k].Strings[inputs[k].Shape.Rank == 0 ? 0 : (int)i]);
                    }
                    output[i] = [.. bytes];
                }
                c.SetOutput(0, Tensor.FromStrings(output, [.. shape.Dims]));
            });
        });
        add.Add("StaticRegexFullMatch", node =>
        {
            var regex = new Regex("^(?:" + KernelHelpers.StringAttr(node, "pattern") + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            return new DelegateKernel(c =>
            {
                Tensor input = c.Input(0);
                var result = Tensor.Zeros(DType.Bool, input.Shape);
                var flags = result.AsSpan<bool>();
                for (int i = 0; i < flags.Length; i++) flags[i] = regex.IsMatch(Encoding.UTF8.GetString(input.Strings[i]));
                c.SetOutput(0, result);
            });
        });
    }

    private static void CheckAccess(KernelContext c, string prefix, bool write)
    {
        if (c.Frame.Session.Options.FileAccess.Refusal(prefix, write) is { } reason)
            throw new IO.ModelAccessException(c.Node.Name, c.Node.Op, reason);
    }

    private static string ScalarString(KernelContext c, int input)
    {
        Tensor t = c.Input(input);
        if (t.DType != DType.String || t.ElementCount != 1) throw c.Error($"input {input} must be a scalar string, got {t}");
        return Encoding.UTF8.GetString(t.Strings[0]);
    }
}
