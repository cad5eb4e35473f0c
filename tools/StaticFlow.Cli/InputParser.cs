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
        if (dtype == DType.String)
            return Tensor.FromStrings([.. leaves.Select(l => l.ValueKind == JsonValueKind.String
                ? Encoding.UTF8.GetBytes(l.GetString()!)
                : throw new FormatException($"input '{key}' is a string tensor: {l} is not a JSON string"))], [.. dims]);
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

/// <summary>
/// NumPy's <c>.npy</c> format (versions 1 to 3): little-endian C-order arrays of the common dtypes. Every header field
/// is validated as NumPy's own reader does (a dict literal with exactly <c>descr</c>, <c>fortran_order</c> and
/// <c>shape</c>); the data must fill the shape exactly, so nothing is allocated beyond the file's own size.
/// </summary>
internal static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // NumPy's reader refuses headers over 10,000 bytes unless told otherwise; we allow more, but not without bound.
    private const int MaxHeaderBytes = 1 << 20;

    public static Tensor Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> preamble = stackalloc byte[12];
        if (ReadFully(file, preamble[..8]) < 8 || !preamble[..6].SequenceEqual(Magic))
            throw new IO.StaticFlowFormatException(path, "not a .npy file (bad magic)");
        int major = preamble[6];
        if (major is < 1 or > 3) throw new IO.StaticFlowFormatException(path, $".npy format version {major}.{preamble[7]} is not 1, 2 or 3");
        int lengthBytes = major == 1 ? 2 : 4;
        if (ReadFully(file, preamble.Slice(8, lengthBytes)) < lengthBytes) throw new IO.StaticFlowFormatException(path, "truncated .npy header length");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(preamble[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
        long headerStart = 8 + lengthBytes;
        if (headerLength > MaxHeaderBytes) throw new IO.StaticFlowFormatException(path, $".npy header of {headerLength} bytes is over the limit of {MaxHeaderBytes}");
        if (headerStart + headerLength > file.Length) throw new IO.StaticFlowFormatException(path, $"truncated .npy header: {headerLength} bytes announced, {file.Length - headerStart} present");
        byte[] headerBytes = new byte[headerLength];
        ReadFully(file, headerBytes);
        // Version 3 headers are UTF-8; 1 and 2 are Latin-1.
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var fields = new NpyHeaderParser(header, path).ParseDict();
        string descr = fields.TryGetValue("descr", out var d) && d is string text ? text : throw Bad(path, "'descr' must be a string such as '<f4'");
        if (!fields.TryGetValue("fortran_order", out var f) || f is not bool fortran) throw Bad(path, "'fortran_order' must be True or False");
        if (!fields.TryGetValue("shape", out var sh) || sh is not long[] dims) throw Bad(path, "'shape' must be a tuple of non-negative integers");
        if (fields.Count != 3) throw Bad(path, $"the header must have exactly 'descr', 'fortran_order' and 'shape', it has {string.Join(", ", fields.Keys.Select(k => $"'{k}'"))}");
        if (fortran && dims.Count(x => x > 1) > 1) throw Bad(path, "Fortran-order arrays are not supported");
        if (dims.Length > TensorShape.MaxRank) throw Bad(path, $"rank {dims.Length} is over the limit of {TensorShape.MaxRank}");
        DType dtype = descr switch
        {
            "<f4" => DType.Float32, "<f8" => DType.Float64, "<f2" => DType.Float16,
            "<i4" => DType.Int32, "<i8" => DType.Int64, "<i2" => DType.Int16, "|i1" => DType.Int8,
            "|u1" => DType.UInt8, "<u2" => DType.UInt16, "<u4" => DType.UInt32, "<u8" => DType.UInt64, "|b1" => DType.Bool,
            _ when descr.StartsWith('>') => throw Bad(path, $"big-endian dtype '{descr}' is not supported (save with '<' byte order)"),
            _ => throw Bad(path, $"unsupported .npy dtype '{descr}'"),
        };
        var shape = new TensorShape(dims);
        long dataStart = headerStart + headerLength, available = file.Length - dataStart;
        if (!shape.TryGetElementCount(out long count) || count > available / dtype.SizeOf() || count * dtype.SizeOf() != available)
            throw Bad(path, $"shape {shape} of {descr} does not match the {available} data bytes the file holds");
        var tensor = Tensor.Zeros(dtype, shape);
        ReadFully(file, tensor.AsBytes());
        return tensor;
    }

    private static IO.StaticFlowFormatException Bad(string path, string reason) => new(path, $".npy header: {reason}");

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        for (int n; total < buffer.Length && (n = stream.Read(buffer[total..])) > 0;) total += n;
        return total;
    }

    /// <summary>The small part of Python literal syntax a <c>.npy</c> header uses: one dict of strings, booleans and an integer tuple.</summary>
    private ref struct NpyHeaderParser(string text, string path)
    {
        private int _at;

        public Dictionary<string, object> ParseDict()
        {
            var fields = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (!TryTake('}'))
            {
                string key = ParseString();
                Expect(':');
                object value = Peek() switch
                {
                    '\'' or '"' => ParseString(),
                    '(' => ParseShape(),
                    _ => ParseBool(),
                };
                if (!fields.TryAdd(key, value)) throw Bad(path, $"key '{key}' appears twice");
                if (!TryTake(',')) { Expect('}'); break; }
            }
            SkipSpace();
            if (_at != text.Length) throw Bad(path, $"unexpected text after the dict at offset {_at}");
            return fields;
        }

        private long[] ParseShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (!TryTake(')'))
            {
                SkipSpace();
                int start = _at;
                while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
                // NumPy writes plain non-negative integers, sometimes with an 'L' suffix (Python 2).
                if (_at == start || !long.TryParse(text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out long dim))
                    throw Bad(path, $"shape entry at offset {start} is not a non-negative integer that fits 64 bits");
                if (_at < text.Length && text[_at] == 'L') _at++;
                dims.Add(dim);
                if (dims.Count > TensorShape.MaxRank) throw Bad(path, $"shape has more than {TensorShape.MaxRank} dimensions");
                if (!TryTake(',')) { Expect(')'); break; }
            }
            return [.. dims];
        }

        private bool ParseBool()
        {
            SkipSpace();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
                if (string.CompareOrdinal(text, _at, word, 0, word.Length) == 0)
                {
                    _at += word.Length;
                    return value;
                }
            throw Bad(path, $"expected a string, True, False or a tuple at offset {_at}");
        }

        private string ParseString()
        {
            SkipSpace();
            char quote = Peek();
            if (quote is not ('\'' or '"')) throw Bad(path, $"expected a quoted string at offset {_at}");
            int end = text.IndexOf(quote, _at + 1);
            if (end < 0) throw Bad(path, $"unterminated string at offset {_at}");
            string value = text[(_at + 1)..end];
            _at = end + 1;
            return value;
        }

        private char Peek()
        {
            SkipSpace();
            return _at < text.Length ? text[_at] : '\0';
        }

        private bool TryTake(char c)
        {
            if (Peek() != c) return false;
            _at++;
            return true;
        }

        private void Expect(char c)
        {
            if (!TryTake(c)) throw Bad(path, $"expected '{c}' at offset {_at}");
        }

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }
    }
}
