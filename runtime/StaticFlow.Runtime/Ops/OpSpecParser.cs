using System.Globalization;
using Google.Protobuf;
using StaticFlow.Protos;

namespace StaticFlow.Ops;

/// <summary>
/// Builds <see cref="OpDef"/>s from compact signatures in the style of TensorFlow's <c>REGISTER_OP</c>:
/// inputs <c>"a: T, b: T"</c>, outputs <c>"product: T"</c>, attrs <c>"transpose_a: bool = false; T: type"</c>.
/// An argument's type is a fixed dtype (<c>float</c>), a type attr (<c>T</c>), a count times a type
/// (<c>N * T</c>), a list(type) attr (<c>Tout</c>), or a reference (<c>Ref(T)</c>).
/// </summary>
internal static class OpSpecParser
{
    public static OpDef Parse(string name, string inputs, string outputs, string attrs, bool stateful)
    {
        var op = new OpDef { Name = name, IsStateful = stateful };
        foreach (string attr in SplitTrim(attrs, ';')) op.Attr.Add(ParseAttr(name, attr));
        foreach (string input in SplitTrim(inputs, ',')) op.InputArg.Add(ParseArg(op, input));
        foreach (string output in SplitTrim(outputs, ',')) op.OutputArg.Add(ParseArg(op, output));
        return op;
    }

    private static OpDef.Types.ArgDef ParseArg(OpDef op, string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0) throw new FormatException($"Op {op.Name}: argument '{spec}' has no type.");
        var arg = new OpDef.Types.ArgDef { Name = spec[..colon].Trim() };
        string type = spec[(colon + 1)..].Trim();
        if (type.StartsWith("Ref(", StringComparison.Ordinal) && type.EndsWith(')'))
        {
            arg.IsRef = true;
            type = type[4..^1].Trim();
        }
        int star = type.IndexOf('*');
        if (star >= 0)
        {
            arg.NumberAttr = type[..star].Trim();
            type = type[(star + 1)..].Trim();
        }
        if (op.Attr.FirstOrDefault(a => a.Name == type) is { } attr)
        {
            if (attr.Type == "type") arg.TypeAttr = type;
            else if (attr.Type == "list(type)") arg.TypeListAttr = type;
            else throw new FormatException($"Op {op.Name}: argument '{arg.Name}' names attr '{type}' of type {attr.Type}.");
        }
        else arg.Type = ParseDType(type, op.Name);
        return arg;
    }

    private static OpDef.Types.AttrDef ParseAttr(string op, string spec)
    {
        int colon = spec.IndexOf(':');
        var attr = new OpDef.Types.AttrDef { Name = spec[..colon].Trim() };
        string rest = spec[(colon + 1)..].Trim();
        string? defaultText = null;
        int equals = rest.IndexOf('=');
        int minimum = rest.IndexOf(">=", StringComparison.Ordinal);
        if (equals >= 0 && (minimum < 0 || equals != minimum + 1))
        {
            defaultText = rest[(equals + 1)..].Trim();
            rest = rest[..equals].Trim();
        }
        minimum = rest.IndexOf(">=", StringComparison.Ordinal);
        if (minimum >= 0)
        {
            attr.HasMinimum = true;
            attr.Minimum = long.Parse(rest[(minimum + 2)..].Trim(), CultureInfo.InvariantCulture);
            rest = rest[..minimum].Trim();
        }
        attr.Type = rest;
        if (defaultText is not null) attr.DefaultValue = ParseValue(op, attr.Type, defaultText);
        return attr;
    }

    private static AttrValue ParseValue(string op, string type, string text)
    {
        switch (type)
        {
            case "bool": return new AttrValue { B = text == "true" };
            case "int": return new AttrValue { I = long.Parse(text, CultureInfo.InvariantCulture) };
            case "float": return new AttrValue { F = float.Parse(text, CultureInfo.InvariantCulture) };
            case "string": return new AttrValue { S = ByteString.CopyFromUtf8(text.Trim('"')) };
            case "type": return new AttrValue { Type = ParseDType(text, op) };
            case "shape":
                return text == "unknown"
                    ? new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } }
                    : throw new FormatException($"Op {op}: unsupported shape default '{text}'.");
        }
        if (type.StartsWith("list(", StringComparison.Ordinal))
        {
            var list = new AttrValue.Types.ListValue();
            foreach (string item in SplitTrim(text.Trim('[', ']'), ','))
            {
                switch (type)
                {
                    case "list(int)": list.I.Add(long.Parse(item, CultureInfo.InvariantCulture)); break;
                    case "list(string)": list.S.Add(ByteString.CopyFromUtf8(item.Trim('"'))); break;
                    case "list(type)": list.Type.Add(ParseDType(item, op)); break;
                    default: throw new FormatException($"Op {op}: unsupported default for {type}.");
                }
            }
            return new AttrValue { List = list };
        }
        throw new FormatException($"Op {op}: unsupported default for attr type {type}.");
    }

    internal static DataType ParseDType(string name, string op) => name switch
    {
        "float" => DataType.DtFloat,
        "double" => DataType.DtDouble,
        "half" => DataType.DtHalf,
        "bfloat16" => DataType.DtBfloat16,
        "int8" => DataType.DtInt8,
        "int16" => DataType.DtInt16,
        "int32" => DataType.DtInt32,
        "int64" => DataType.DtInt64,
        "uint8" => DataType.DtUint8,
        "uint16" => DataType.DtUint16,
        "uint32" => DataType.DtUint32,
        "uint64" => DataType.DtUint64,
        "bool" => DataType.DtBool,
        "string" => DataType.DtString,
        "resource" => DataType.DtResource,
        "variant" => DataType.DtVariant,
        _ => throw new FormatException($"Op {op}: unknown type '{name}'."),
    };

    private static IEnumerable<string> SplitTrim(string text, char separator) =>
        text.Split(separator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
