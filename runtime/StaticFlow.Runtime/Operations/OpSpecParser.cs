using System.Globalization;
using Google.Protobuf;
using StaticFlow.Protos;

namespace StaticFlow.Operations;

/// <summary>
/// Turns the shared <see cref="OpSchema"/> signatures into TensorFlow <see cref="OpDef"/>s, parsing each attr's
/// default into an <see cref="AttrValue"/>.
/// </summary>
internal static class OpSpecParser
{
    public static OpDef ToOpDef(OpSchema schema)
    {
        var op = new OpDef { Name = schema.Name, IsStateful = schema.IsStateful };
        foreach (var attr in schema.Attrs)
        {
            var def = new OpDef.Types.AttrDef { Name = attr.Name, Type = attr.Type };
            if (attr.Minimum is { } minimum) { def.HasMinimum = true; def.Minimum = minimum; }
            if (attr.DefaultText is { } text) def.DefaultValue = ParseValue(schema.Name, attr.Type, text);
            op.Attr.Add(def);
        }
        foreach (var input in schema.Inputs) op.InputArg.Add(ToArgDef(schema, input));
        foreach (var output in schema.Outputs) op.OutputArg.Add(ToArgDef(schema, output));
        return op;
    }

    private static OpDef.Types.ArgDef ToArgDef(OpSchema op, ArgSchema arg)
    {
        var def = new OpDef.Types.ArgDef { Name = arg.Name, IsRef = arg.IsRef, NumberAttr = arg.NumberAttr ?? "" };
        if (arg.TypeAttr is { } typeAttr) def.TypeAttr = typeAttr;
        else if (arg.TypeListAttr is { } listAttr) def.TypeListAttr = listAttr;
        else def.Type = ParseDType(arg.FixedType!, op.Name);
        return def;
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
