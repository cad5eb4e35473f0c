using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using StaticFlow.Formats.Hashing;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// String ops of imported graphs (Keras text preprocessing, feature columns): case, length, substrings, number
/// conversion, regular-expression replacement, whitespace stripping, splitting and hashing to buckets.
/// Regular expressions run on .NET's engine with a one-second timeout per match (TensorFlow uses RE2: patterns
/// with RE2-only syntax fail naming the node).
/// </summary>
internal static class StringKernels
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    public static void Register(KernelRegistrar add)
    {
        add.Add("StringLower", node => Map(node, text => ChangeCase(node, text, upper: false)));
        add.Add("StringUpper", node => Map(node, text => ChangeCase(node, text, upper: true)));
        add.Add("StringStrip", _ => new DelegateKernel(c => MapStrings(c, bytes => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(bytes).Trim(' ', '\t', '\n', '\v', '\f', '\r')))));
        add.Add("StringLength", node =>
        {
            bool characters = KernelHelpers.StringAttr(node, "unit") == "UTF8_CHAR";
            return new DelegateKernel(c =>
            {
                Tensor input = Strings(c, 0);
                var lengths = new int[input.ElementCount];
                for (int i = 0; i < lengths.Length; i++) lengths[i] = characters ? Encoding.UTF8.GetCharCount(input.Strings[i]) : input.Strings[i].Length;
                c.SetOutput(0, Tensor.FromArray<int>(lengths, [.. input.Shape.Dims]));
            });
        });
        add.Add("Substr", node =>
        {
            if (KernelHelpers.StringAttr(node, "unit") != "BYTE") throw new KernelNotFoundException(node.Name, node.Op, "only unit BYTE is supported on CPU");
            return new DelegateKernel(Substr);
        });
        // TensorFlow registers float, double, int32 and int64; the other numeric types parse the same way with their own range.
        add.Add("StringToNumber", KernelDTypes.Numeric, node => new DelegateKernel(c => StringToNumber(c, KernelHelpers.DTypeAttr(node, "out_type"))), dtypeAttr: "out_type");
        add.Add("AsString", node =>
        {
            long precision = KernelHelpers.IntAttr(node, "precision"), width = KernelHelpers.IntAttr(node, "width");
            if (KernelHelpers.BoolAttr(node, "scientific") || KernelHelpers.BoolAttr(node, "shortest") || width != -1 || KernelHelpers.StringAttr(node, "fill").Length > 0)
                throw new KernelNotFoundException(node.Name, node.Op, "only the default and precision formats are supported on CPU (not scientific, shortest, width or fill)");
            return new DelegateKernel(c => AsString(c, precision));
        });
        add.Add("StaticRegexReplace", node =>
        {
            var regex = Pattern(node, KernelHelpers.StringAttr(node, "pattern"));
            string rewrite = Rewrite(KernelHelpers.StringAttr(node, "rewrite"));
            bool global = KernelHelpers.BoolAttr(node, "replace_global");
            return new DelegateKernel(c => MapStrings(c, bytes => Replace(c, regex, bytes, rewrite, global)));
        });
        add.Add("RegexReplace", node =>
        {
            bool global = KernelHelpers.BoolAttr(node, "replace_global");
            return new DelegateKernel(c =>
            {
                var regex = Pattern(node, ScalarString(c, 1));
                string rewrite = Rewrite(ScalarString(c, 2));
                MapStrings(c, bytes => Replace(c, regex, bytes, rewrite, global));
            });
        });
        add.Add("StringToHashBucketFast", node =>
        {
            long buckets = KernelHelpers.IntAttr(node, "num_buckets");
            if (buckets < 1) throw new GraphException(node.Name, node.Op, $"num_buckets must be at least 1, got {buckets}");
            return new DelegateKernel(c =>
            {
                Tensor input = Strings(c, 0);
                var hashes = new long[input.ElementCount];
                for (int i = 0; i < hashes.Length; i++) hashes[i] = (long)(FarmHash.Fingerprint64(input.Strings[i]) % (ulong)buckets);
                c.SetOutput(0, Tensor.FromArray<long>(hashes, [.. input.Shape.Dims]));
            });
        });
        add.Add("StringSplitV2", node => new DelegateKernel(c => SplitV2(c, KernelHelpers.IntAttr(node, "maxsplit"))));
    }

    private static Tensor Strings(KernelContext c, int input)
    {
        Tensor t = c.Input(input);
        return t.DType == DType.String ? t : throw c.Error($"input {input} must be a string tensor, not {t.DType.Name()}");
    }

    private static string ScalarString(KernelContext c, int input)
    {
        Tensor t = Strings(c, input);
        return t.ElementCount == 1 ? Encoding.UTF8.GetString(t.Strings[0]) : throw c.Error($"input {input} must be one string, got shape {t.Shape}");
    }

    private static IOpKernel Map(GraphNode node, Func<byte[], byte[]> map) => new DelegateKernel(c => MapStrings(c, map));

    private static void MapStrings(KernelContext c, Func<byte[], byte[]> map)
    {
        Tensor input = Strings(c, 0);
        var output = new byte[input.ElementCount][];
        for (int i = 0; i < output.Length; i++) output[i] = map(input.Strings[i]);
        c.SetOutput(0, Tensor.FromStrings(output, [.. input.Shape.Dims]));
    }

    /// <summary>StringLower/Upper: ASCII letters only when <c>encoding</c> is empty (TensorFlow's default), every letter with <c>utf-8</c>.</summary>
    private static byte[] ChangeCase(GraphNode node, byte[] text, bool upper)
    {
        string encoding = KernelHelpers.StringAttr(node, "encoding");
        if (encoding.Length == 0)
        {
            var result = (byte[])text.Clone();
            for (int i = 0; i < result.Length; i++)
                if (upper ? result[i] is >= (byte)'a' and <= (byte)'z' : result[i] is >= (byte)'A' and <= (byte)'Z') result[i] ^= 0x20;
            return result;
        }
        if (!encoding.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) throw new GraphException(node.Name, node.Op, $"encoding '{encoding}' is not '' or 'utf-8'");
        string decoded = Encoding.UTF8.GetString(text);
        return Encoding.UTF8.GetBytes(upper ? decoded.ToUpperInvariant() : decoded.ToLowerInvariant());
    }

    private static void Substr(KernelContext c)
    {
        Tensor input = Strings(c, 0);
        long[] positions = c.ToLongs(1), lengths = c.ToLongs(2);
        if (positions.Length != lengths.Length || positions.Length != 1 && positions.Length != input.ElementCount)
            throw c.Error($"pos and len must be scalars or of the input's shape {input.Shape}");
        var output = new byte[input.ElementCount][];
        for (int i = 0; i < output.Length; i++)
        {
            byte[] text = input.Strings[i];
            long pos = positions[positions.Length == 1 ? 0 : i], len = lengths[lengths.Length == 1 ? 0 : i];
            if (pos < 0) pos += text.Length;
            if (pos < 0 || pos > text.Length) throw c.Error($"pos {positions[positions.Length == 1 ? 0 : i]} is out of range for a string of {text.Length} bytes");
            if (len < 0) throw c.Error($"len must be non-negative, got {len}");
            output[i] = text[(int)pos..(int)Math.Min(text.Length, pos + len)];
        }
        c.SetOutput(0, Tensor.FromStrings(output, [.. input.Shape.Dims]));
    }

    private static void StringToNumber(KernelContext c, DType type)
    {
        Tensor input = Strings(c, 0);
        bool integer = KernelDTypes.Integer.Contains(type);
        // Integers parse to long (exact up to int64), then must fit the type; reals parse to double.
        var (min, max) = type switch
        {
            DType.Int8 => (sbyte.MinValue, sbyte.MaxValue), DType.Int16 => (short.MinValue, short.MaxValue), DType.Int32 => (int.MinValue, int.MaxValue),
            DType.UInt8 => (0L, byte.MaxValue), DType.UInt16 => (0L, ushort.MaxValue), DType.UInt32 => (0L, uint.MaxValue), DType.UInt64 => (0L, long.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        var whole = new long[integer ? input.ElementCount : 0];
        var reals = new double[integer ? 0 : input.ElementCount];
        for (int i = 0; i < input.ElementCount; i++)
        {
            string text = Encoding.UTF8.GetString(input.Strings[i]).Trim();
            bool parsed = integer
                ? long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out whole[i]) && whole[i] >= min && whole[i] <= max
                : TryParseReal(text, out reals[i]);
            if (!parsed) throw c.Error($"could not convert string '{text}' to {type.Name()}");
        }
        c.SetOutput(0, (integer ? Tensor.FromArray<long>(whole, [.. input.Shape.Dims]) : Tensor.FromArray<double>(reals, [.. input.Shape.Dims])).Cast(type));
    }

    /// <summary>Reals in decimal or exponent form and <c>inf</c>/<c>nan</c> in any case, as TensorFlow's parser takes them.</summary>
    private static bool TryParseReal(string text, out double value)
    {
        value = 0;
        switch (text.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity" or "+infinity": value = double.PositiveInfinity; return true;
            case "-inf" or "-infinity": value = double.NegativeInfinity; return true;
            case "nan" or "+nan" or "-nan": value = double.NaN; return true;
            default: return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    /// <summary>AsString with TensorFlow's defaults: integers in decimal, floats as C's <c>%f</c> (six decimals or <c>precision</c>), bools as true/false.</summary>
    private static void AsString(KernelContext c, long precision)
    {
        Tensor input = c.Input(0);
        string format = "F" + (precision < 0 ? 6 : precision).ToString(CultureInfo.InvariantCulture);
        var output = new byte[input.ElementCount][];
        for (int i = 0; i < output.Length; i++)
        {
            string text = input.DType switch
            {
                DType.Bool => input.AsSpan<bool>()[i] ? "true" : "false",
                DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16 => FormatReal(input.Cast(DType.Float64).AsSpan<double>()[i], format),
                DType.String => throw c.Error("input is already a string tensor"),
                _ => input.Cast(DType.Int64).AsSpan<long>()[i].ToString(CultureInfo.InvariantCulture),
            };
            output[i] = Encoding.UTF8.GetBytes(text);
        }
        c.SetOutput(0, Tensor.FromStrings(output, [.. input.Shape.Dims]));
    }

    private static string FormatReal(double value, string format) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf" : value.ToString(format, CultureInfo.InvariantCulture);

    private static Regex Pattern(GraphNode node, string pattern)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout); }
        catch (ArgumentException e) { throw new GraphException(node.Name, node.Op, $"pattern '{pattern}' is not a regular expression StaticFlow can run: {e.Message}", e); }
    }

    /// <summary>RE2 rewrites name groups \1..\9; .NET's replacements write them $1 and take a literal $ as $$.</summary>
    private static string Rewrite(string rewrite) =>
        Regex.Replace(rewrite.Replace("$", "$$"), @"\\(\d)", "$${$1}");

    private static byte[] Replace(KernelContext c, Regex regex, byte[] bytes, string rewrite, bool global)
    {
        try
        {
            string text = Encoding.UTF8.GetString(bytes);
            return Encoding.UTF8.GetBytes(global ? regex.Replace(text, rewrite) : regex.Replace(text, rewrite, 1));
        }
        catch (RegexMatchTimeoutException) { throw c.Error($"the pattern took longer than {MatchTimeout.TotalSeconds} s on one string"); }
    }

    /// <summary>StringSplitV2: each string split at sep (at runs of whitespace when sep is empty), as a sparse [rows, max parts] tensor.</summary>
    private static void SplitV2(KernelContext c, long maxSplit)
    {
        Tensor input = Strings(c, 0);
        if (input.Shape.Rank != 1) throw c.Error($"input must be a vector, got {input.Shape}");
        string separator = ScalarString(c, 1);
        var indices = new List<long>();
        var values = new List<byte[]>();
        long widest = 0;
        for (int row = 0; row < input.ElementCount; row++)
        {
            string text = Encoding.UTF8.GetString(input.Strings[row]);
            int limit = maxSplit < 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, maxSplit + 1);
            string[] parts = separator.Length == 0
                ? text.Split((char[]?)null, limit, StringSplitOptions.RemoveEmptyEntries)
                : text.Split(separator, limit, StringSplitOptions.None);
            if (separator.Length == 0 && parts.Length > 0 && maxSplit >= 0) parts[^1] = parts[^1].TrimStart();
            for (int k = 0; k < parts.Length; k++)
            {
                indices.Add(row);
                indices.Add(k);
                values.Add(Encoding.UTF8.GetBytes(parts[k]));
            }
            widest = Math.Max(widest, parts.Length);
        }
        c.SetOutput(0, Tensor.FromArray<long>([.. indices], values.Count, 2));
        c.SetOutput(1, Tensor.FromStrings([.. values], values.Count));
        c.SetOutput(2, Tensor.Vector(input.ElementCount, widest));
    }
}
