using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StaticFlow.Tensors;

/// <summary>Prints tensor values in full, never elided: nested brackets like NumPy, or JSON.</summary>
public static class TensorFormatter
{
    /// <summary>Nested-bracket text, e.g. <c>[[1, 2], [3, 4]]</c>; a scalar prints as its value. Strings print as Python bytes literals.</summary>
    public static string ToText(Tensor tensor)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteText(writer, tensor);
        return writer.ToString();
    }

    /// <summary>Writes <see cref="ToText"/>'s text to <paramref name="writer"/> as it goes, so a large tensor is never held as one string.</summary>
    public static void WriteText(TextWriter writer, Tensor tensor)
    {
        long index = 0;
        WriteText(writer, tensor, 0, ref index);
    }

    /// <summary>
    /// Writes <c>{"name", "dtype", "shape", "values"}</c>, values nested by dimension. String elements are UTF-8
    /// text when every element is valid UTF-8; otherwise all are base64 and <c>"encoding": "base64"</c> says so.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, string name, Tensor tensor)
    {
        bool base64 = tensor.DType == DType.String && !AllUtf8(tensor.Strings);
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("dtype", tensor.DType.Name());
        writer.WriteStartArray("shape");
        foreach (long d in tensor.Shape.Dims) writer.WriteNumberValue(d);
        writer.WriteEndArray();
        if (base64) writer.WriteString("encoding", "base64");
        writer.WritePropertyName("values");
        long index = 0;
        WriteJsonValues(writer, tensor, 0, ref index, base64);
        writer.WriteEndObject();
    }

    private static void WriteText(TextWriter writer, Tensor tensor, int axis, ref long index)
    {
        if (axis == tensor.Shape.Rank)
        {
            writer.Write(FormatElement(tensor, index++));
            return;
        }
        writer.Write('[');
        for (long i = 0; i < tensor.Shape[axis]; i++)
        {
            if (i > 0) writer.Write(", ");
            WriteText(writer, tensor, axis + 1, ref index);
        }
        writer.Write(']');
    }

    private static void WriteJsonValues(Utf8JsonWriter writer, Tensor tensor, int axis, ref long index, bool base64)
    {
        if (axis == tensor.Shape.Rank)
        {
            WriteJsonElement(writer, tensor, index++, base64);
            // Hand what is written on to the output as it goes (Utf8JsonWriter otherwise buffers the whole document).
            if (writer.BytesPending > 1 << 16) writer.Flush();
            return;
        }
        writer.WriteStartArray();
        for (long i = 0; i < tensor.Shape[axis]; i++) WriteJsonValues(writer, tensor, axis + 1, ref index, base64);
        writer.WriteEndArray();
    }

    private static void WriteJsonElement(Utf8JsonWriter writer, Tensor tensor, long index, bool base64)
    {
        switch (tensor.DType)
        {
            case DType.String:
                byte[] s = tensor.Strings[(int)index];
                if (base64) writer.WriteBase64StringValue(s); else writer.WriteStringValue(Encoding.UTF8.GetString(s));
                break;
            case DType.Variant: writer.WriteStringValue(VariantText(tensor, index)); break;
            case DType.Bool: writer.WriteBooleanValue(tensor.AsSpan<bool>()[(int)index]); break;
            case DType.Int64: writer.WriteNumberValue(tensor.AsSpan<long>()[(int)index]); break;
            case DType.UInt64: writer.WriteNumberValue(tensor.AsSpan<ulong>()[(int)index]); break;
            default:
                double value = tensor.GetDouble(index);
                // JSON has no NaN or infinity; write them as the strings Python's json module would parse back.
                if (double.IsFinite(value)) writer.WriteNumberValue(value);
                else writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
                break;
        }
    }

    private static string VariantText(Tensor tensor, long index) => tensor.Variants[(int)index]?.ToString() ?? "<empty variant>";

    private static string FormatElement(Tensor tensor, long index) => tensor.DType switch
    {
        DType.String => BytesLiteral(tensor.Strings[(int)index]),
        DType.Variant => VariantText(tensor, index),
        DType.Bool => tensor.AsSpan<bool>()[(int)index] ? "True" : "False",
        DType.Float32 => FormatFloat(tensor.AsSpan<float>()[(int)index].ToString("R", CultureInfo.InvariantCulture)),
        DType.Int64 => tensor.AsSpan<long>()[(int)index].ToString(CultureInfo.InvariantCulture),
        DType.UInt64 => tensor.AsSpan<ulong>()[(int)index].ToString(CultureInfo.InvariantCulture),
        DType.Float64 or DType.Float16 or DType.BFloat16 => FormatFloat(tensor.GetDouble(index).ToString("R", CultureInfo.InvariantCulture)),
        _ => tensor.GetDouble(index).ToString(CultureInfo.InvariantCulture),
    };

    private static string FormatFloat(string text) => text switch
    {
        "NaN" => "nan",
        "∞" or "Infinity" => "inf",
        "-∞" or "-Infinity" => "-inf",
        _ => text.Contains('.') || text.Contains('E') ? text.Replace("E", "e", StringComparison.Ordinal) : text + ".0",
    };

    private static string BytesLiteral(byte[] bytes)
    {
        var builder = new StringBuilder("b'");
        foreach (byte b in bytes)
        {
            if (b == '\\' || b == '\'') builder.Append('\\').Append((char)b);
            else if (b == '\n') builder.Append("\\n");
            else if (b == '\r') builder.Append("\\r");
            else if (b == '\t') builder.Append("\\t");
            else if (b is >= 0x20 and < 0x7F) builder.Append((char)b);
            else builder.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return builder.Append('\'').ToString();
    }

    private static bool AllUtf8(ReadOnlySpan<byte[]> strings)
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (byte[] s in strings)
        {
            try { strict.GetCharCount(s); }
            catch (DecoderFallbackException) { return false; }
        }
        return true;
    }
}
