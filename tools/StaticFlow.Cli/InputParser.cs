using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Cli;

/// <summary>Turns <c>run</c>'s command-line inputs into tensors: nested JSON lists, <c>.npy</c> files, or tf.Example feature dicts.</summary>
internal static class InputParser
{
    /// <summary>Parses <c>KEY=VALUE</c>; VALUE is a nested list (<c>[[1],[2]]</c>), a scalar, or a path to a <c>.npy</c> file.</summary>
    public static (string Key, Tensor Value) ParseInput(string argument, Signature signature)
    {
        var (key, text) = SplitAssignment(argument);
        TensorSpec spec = signature.Inputs.FirstOrDefault(i => i.Key == key)
            ?? throw new Graphs.FeedException($"signature '{signature.Key}' has no input '{key}'; its inputs are: {string.Join(", ", signature.Inputs.Select(i => i.Key))}");
        if (text.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) && File.Exists(text)) return (key, Npy.Read(text));
        if (!DTypes.IsSupported(spec.DataType)) throw new NotSupportedException($"input '{key}' has dtype {spec.DTypeName}, which 'run' cannot build");
        DType dtype = (DType)(int)spec.DataType;
        using var document = ParseJson(text, key);
        return (key, FromJson(document.RootElement, dtype, key));
    }

    /// <summary>Parses <c>KEY=[{"x":[1.0]},...]</c> into a vector of serialized tf.Example protos.</summary>
    public static (string Key, Tensor Value) ParseExamples(string argument)
    {
        var (key, text) = SplitAssignment(argument);
        using var document = ParseJson(text, key);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException($"--input_examples {key}: expected a list of feature dicts");
        var serialized = new List<byte[]>();
        foreach (JsonElement dict in document.RootElement.EnumerateArray())
        {
            if (dict.ValueKind != JsonValueKind.Object) throw new FormatException($"--input_examples {key}: each example is a dict of feature lists");
            var example = new Example { Features = new Features() };
            foreach (JsonProperty feature in dict.EnumerateObject())
                example.Features.Feature[feature.Name] = ToFeature(feature.Value, feature.Name);
            serialized.Add(example.ToByteArray());
        }
        return (key, Tensor.FromStrings([.. serialized], serialized.Count));
    }

    private static Feature ToFeature(JsonElement value, string name)
    {
        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToArray() : [value];
        if (items.All(i => i.ValueKind == JsonValueKind.String))
            return new Feature { BytesList = new BytesList { Value = { items.Select(i => ByteString.CopyFromUtf8(i.GetString()!)) } } };
        if (items.All(i => i.ValueKind == JsonValueKind.Number))
        {
            // Integers stay int64 features unless any value has a fraction or exponent, as saved_model_cli does.
            bool integral = items.All(i => i.TryGetInt64(out _) && !i.GetRawText().Contains('.') && !i.GetRawText().Contains('e', StringComparison.OrdinalIgnoreCase));
            return integral
                ? new Feature { Int64List = new Int64List { Value = { items.Select(i => i.GetInt64()) } } }
                : new Feature { FloatList = new FloatList { Value = { items.Select(i => (float)i.GetDouble()) } } };
        }
        throw new FormatException($"feature '{name}' must be a list of numbers or of strings");
    }

    private static (string Key, string Value) SplitAssignment(string argument)
    {
        int equals = argument.IndexOf('=');
        if (equals <= 0) throw new FormatException($"'{argument}' is not KEY=VALUE");
        return (argument[..equals], argument[(equals + 1)..]);
    }

    private static JsonDocument ParseJson(string text, string key)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException e) { throw new FormatException($"input '{key}': '{text}' is neither a JSON value nor an existing .npy file ({e.Message})", e); }
    }

    private static Tensor FromJson(JsonElement root, DType dtype, string key)
    {
        var dims = new List<long>();
        for (JsonElement e = root; e.ValueKind == JsonValueKind.Array; e = e.GetArrayLength() > 0 ? e[0] : default)
        {
            dims.Add(e.GetArrayLength());
            if (e.GetArrayLength() == 0) break;
        }
        var leaves = new List<JsonElement>();
        Collect(root, 0, dims, leaves, key);
        if (dtype == DType.String) return Tensor.FromStrings([.. leaves.Select(l => Encoding.UTF8.GetBytes(l.GetString() ?? ""))], [.. dims]);
        var doubles = Tensor.FromArray<double>([.. leaves.Select(l => l.ValueKind switch
        {
            JsonValueKind.Number => l.GetDouble(),
            JsonValueKind.True => 1,
            JsonValueKind.False => 0,
            _ => throw new FormatException($"input '{key}': {l} is not a number"),
        })], [.. dims]);
        return doubles.Cast(dtype);
    }

    private static void Collect(JsonElement e, int depth, List<long> dims, List<JsonElement> leaves, string key)
    {
        if (depth == dims.Count)
        {
            if (e.ValueKind == JsonValueKind.Array) throw new FormatException($"input '{key}': ragged nesting");
            leaves.Add(e);
            return;
        }
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != dims[depth]) throw new FormatException($"input '{key}': ragged nesting (lists of different lengths)");
        foreach (var item in e.EnumerateArray()) Collect(item, depth + 1, dims, leaves, key);
    }
}

/// <summary>NumPy's <c>.npy</c> format (versions 1 to 3), little-endian C-order arrays of the common dtypes.</summary>
internal static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static Tensor Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new IO.StaticFlowFormatException(path, "not a .npy file (bad magic)");
        int major = bytes[6];
        int headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = major == 1 ? 10 : 12;
        if (headerStart + headerLength > bytes.Length) throw new IO.StaticFlowFormatException(path, "truncated .npy header");
        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        string descr = Field(header, "descr", path).Trim('\'', '"');
        if (Field(header, "fortran_order", path).StartsWith("True", StringComparison.Ordinal))
            throw new IO.StaticFlowFormatException(path, "Fortran-order arrays are not supported");
        string shapeText = Field(header, "shape", path);
        long[] dims = [.. shapeText.Trim('(', ')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(d => long.Parse(d, CultureInfo.InvariantCulture))];
        DType dtype = descr switch
        {
            "<f4" => DType.Float32, "<f8" => DType.Float64, "<f2" => DType.Float16,
            "<i4" => DType.Int32, "<i8" => DType.Int64, "<i2" => DType.Int16, "|i1" => DType.Int8,
            "|u1" => DType.UInt8, "<u2" => DType.UInt16, "<u4" => DType.UInt32, "<u8" => DType.UInt64, "|b1" => DType.Bool,
            _ => throw new IO.StaticFlowFormatException(path, $"unsupported .npy dtype '{descr}'"),
        };
        var shape = new TensorShape(dims);
        long count = shape.ElementCount;
        int dataStart = headerStart + headerLength;
        if (count * dtype.SizeOf() != bytes.Length - dataStart)
            throw new IO.StaticFlowFormatException(path, $"shape {shape} of {descr} needs {count * dtype.SizeOf()} bytes, the file has {bytes.Length - dataStart}");
        var tensor = Tensor.Zeros(dtype, shape);
        bytes.AsSpan(dataStart).CopyTo(tensor.AsBytes());
        return tensor;
    }

    private static string Field(string header, string name, string path)
    {
        int at = header.IndexOf($"'{name}'", StringComparison.Ordinal);
        if (at < 0) throw new IO.StaticFlowFormatException(path, $".npy header has no '{name}'");
        int colon = header.IndexOf(':', at);
        int end = name == "shape" ? header.IndexOf(')', colon) + 1 : header.IndexOf(',', colon);
        return header[(colon + 1)..end].Trim();
    }
}
