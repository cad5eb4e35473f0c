using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace StaticFlow.Formats.Text;

/// <summary>
/// Protocol buffer text format (<c>.pbtxt</c>, the <c>checkpoint</c> state file) as TensorFlow's C++ and
/// Python libraries print and parse it. Google.Protobuf for C# has no text format, so this works from the
/// message descriptors.
/// </summary>
public static partial class TextFormat
{
    /// <summary>
    /// Prints <paramref name="message"/> as text: fields in field-number order, map entries sorted by key,
    /// bytes escaped as C++ does (octal for non-printable bytes).
    /// </summary>
    public static string Print(IMessage message)
    {
        var builder = new StringBuilder();
        PrintMessage(builder, message, indent: 0);
        return builder.ToString();
    }

    /// <summary>Parses text into a new <typeparamref name="T"/>.</summary>
    /// <exception cref="FormatException">The text is not valid for the message type; the message gives line and column.</exception>
    public static T Parse<T>(string text) where T : IMessage<T>, new()
    {
        var message = new T();
        Merge(text, message);
        return message;
    }

    /// <summary>Parses text into <paramref name="message"/>, merging with what it holds.</summary>
    /// <exception cref="FormatException">The text is not valid for the message type; the message gives line and column.</exception>
    public static void Merge(string text, IMessage message)
    {
        var parser = new Parser(new Tokenizer(text));
        parser.ParseFields(message, closing: null);
    }

    private static void PrintMessage(StringBuilder builder, IMessage message, int indent)
    {
        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            object? value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                var entries = new List<DictionaryEntry>();
                var enumerator = ((IDictionary)value!).GetEnumerator();
                while (enumerator.MoveNext()) entries.Add(enumerator.Entry);
                entries.Sort((x, y) => MapKeyComparer.Instance.Compare(x.Key, y.Key));
                FieldDescriptor keyField = field.MessageType.FindFieldByNumber(1);
                FieldDescriptor valueField = field.MessageType.FindFieldByNumber(2);
                foreach (DictionaryEntry entry in entries)
                {
                    Indent(builder, indent).Append(field.Name).Append(" {\n");
                    PrintField(builder, keyField, entry.Key, indent + 1);
                    PrintField(builder, valueField, entry.Value, indent + 1);
                    Indent(builder, indent).Append("}\n");
                }
            }
            else if (field.IsRepeated)
            {
                foreach (object item in (IList)value!) PrintField(builder, field, item, indent);
            }
            else if (IsPresent(message, field, value))
            {
                PrintField(builder, field, value, indent);
            }
        }
    }

    private static bool IsPresent(IMessage message, FieldDescriptor field, object? value)
    {
        if (field.RealContainingOneof is { } oneof) return oneof.Accessor.GetCaseFieldDescriptor(message) == field;
        if (field.HasPresence) return field.Accessor.HasValue(message);
        return value switch
        {
            null => false,
            string s => s.Length > 0,
            ByteString b => !b.IsEmpty,
            bool b => b,
            float f => BitConverter.SingleToInt32Bits(f) != 0,
            double d => BitConverter.DoubleToInt64Bits(d) != 0,
            Enum e => Convert.ToInt32(e, CultureInfo.InvariantCulture) != 0,
            IMessage => true,
            _ => Convert.ToDecimal(value, CultureInfo.InvariantCulture) != 0,
        };
    }

    private static void PrintField(StringBuilder builder, FieldDescriptor field, object? value, int indent)
    {
        Indent(builder, indent).Append(field.Name);
        if (field.FieldType is FieldType.Message or FieldType.Group)
        {
            builder.Append(" {\n");
            if (value is IMessage nested) PrintMessage(builder, nested, indent + 1);
            Indent(builder, indent).Append("}\n");
            return;
        }
        builder.Append(": ");
        switch (value)
        {
            case string s: AppendEscaped(builder, Encoding.UTF8.GetBytes(s)); break;
            case ByteString b: AppendEscaped(builder, b.Span); break;
            case bool b: builder.Append(b ? "true" : "false"); break;
            case float f: builder.Append(FormatFloat(f)); break;
            case double d: builder.Append(FormatDouble(d)); break;
            case Enum e:
                int number = Convert.ToInt32(e, CultureInfo.InvariantCulture);
                builder.Append(field.EnumType.FindValueByNumber(number)?.Name ?? number.ToString(CultureInfo.InvariantCulture));
                break;
            default: builder.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
        builder.Append('\n');
    }

    private static string FormatFloat(float value) =>
        float.IsNaN(value) ? "nan" : float.IsPositiveInfinity(value) ? "inf" : float.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static string FormatDouble(double value) =>
        double.IsNaN(value) ? "nan" : double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<byte> bytes)
    {
        builder.Append('"');
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\n': builder.Append("\\n"); break;
                case (byte)'\r': builder.Append("\\r"); break;
                case (byte)'\t': builder.Append("\\t"); break;
                case (byte)'"': builder.Append("\\\""); break;
                case (byte)'\'': builder.Append("\\'"); break;
                case (byte)'\\': builder.Append("\\\\"); break;
                default:
                    if (b is >= 0x20 and < 0x7F) builder.Append((char)b);
                    else builder.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    break;
            }
        }
        builder.Append('"');
    }

    private static StringBuilder Indent(StringBuilder builder, int indent) => builder.Append(' ', indent * 2);

    private sealed class MapKeyComparer : IComparer<object>
    {
        public static readonly MapKeyComparer Instance = new();

        public int Compare(object? x, object? y) => (x, y) switch
        {
            (string a, string b) => string.CompareOrdinal(a, b),
            (IComparable a, _) => a.CompareTo(y),
            _ => 0,
        };
    }
}
