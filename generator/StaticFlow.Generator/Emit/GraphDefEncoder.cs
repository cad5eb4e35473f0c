using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticFlow.Generator.Lowering;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Emit;

/// <summary>
/// Serializes a lowered module as a TensorFlow <c>GraphDef</c> (tensorflow/core/framework/graph.proto) with its
/// function library. Field numbers are TensorFlow's; attr maps are written sorted by key, so the bytes are
/// deterministic.
/// </summary>
internal static class GraphDefEncoder
{
    /// <summary>GraphDef <c>versions.producer</c>; the runtime's <c>GraphVersions.Producer</c> has the same value.</summary>
    public const int Producer = 149;

    public static byte[] Encode(ModuleModel module)
    {
        var writer = new ProtoWriter();
        foreach (var node in module.Nodes) writer.Message(1, w => WriteNode(w, node));
        if (module.Library.Count > 0)
            writer.Message(2, library => { foreach (var function in module.Library) library.Message(1, w => WriteFunction(w, function)); });
        writer.Message(4, versions => versions.Int64(1, Producer));
        return writer.ToArray();
    }

    private static void WriteNode(ProtoWriter writer, NodeModel node)
    {
        writer.String(1, node.Name);
        writer.String(2, node.Op);
        foreach (string input in node.Inputs) writer.String(3, input);
        if (node.Device.Length > 0) writer.String(4, node.Device);
        foreach (var attr in node.Attrs.OrderBy(a => a.Name, StringComparer.Ordinal))
            writer.Message(5, entry => { entry.String(1, attr.Name); entry.Message(2, value => WriteAttrValue(value, attr)); });
    }

    private static void WriteAttrValue(ProtoWriter writer, AttrModel attr)
    {
        // AttrValue is a oneof: each case is written even at its default value, or the attr would have no value.
        switch (attr.Kind)
        {
            case AttrKind.String: writer.String(2, attr.Text); break;
            case AttrKind.Int: writer.Int64(3, (long)attr.Number); break;
            case AttrKind.Float: writer.Float(4, (float)attr.Number); break;
            case AttrKind.Bool: writer.Bool(5, attr.Number != 0); break;
            case AttrKind.Type: writer.Varint(6, (ulong)DTypeNames.EnumValue(attr.Text)); break;
            case AttrKind.Shape: writer.Message(7, shape => WriteShape(shape, attr.HasRank, attr.Dims)); break;
            case AttrKind.Tensor: writer.Message(8, tensor => WriteTensor(tensor, attr)); break;
            case AttrKind.Func: writer.Message(10, func => func.String(1, attr.Text)); break;
            case AttrKind.IntList:
                writer.Message(1, list => { if (attr.Items.Count > 0) list.PackedVarints(3, attr.Items.Select(i => long.Parse(i, CultureInfo.InvariantCulture))); });
                break;
            case AttrKind.TypeList:
                writer.Message(1, list => { if (attr.Items.Count > 0) list.PackedVarints(6, attr.Items.Select(t => (long)DTypeNames.EnumValue(t))); });
                break;
            default:
                throw new InvalidOperationException($"Attr kind {attr.Kind} cannot be encoded.");
        }
    }

    private static void WriteShape(ProtoWriter writer, bool hasRank, IEnumerable<long> dims)
    {
        if (!hasRank) { writer.Bool(3, true); return; }
        foreach (long dim in dims) writer.Message(2, d => { if (dim != 0) d.Int64(1, dim); });
    }

    private static void WriteTensor(ProtoWriter writer, AttrModel attr)
    {
        writer.Varint(1, (ulong)DTypeNames.EnumValue(attr.Text));
        writer.Message(2, shape => WriteShape(shape, true, attr.Dims));
        // Strings have no tensor_content layout: each goes into string_val as its UTF-8 bytes.
        if (attr.Text == "string")
        {
            foreach (string item in attr.Items) writer.String(8, item);
            return;
        }
        writer.Bytes(4, TensorContent(attr.Text, attr.Items));
    }

    /// <summary>The little-endian element bytes of <c>tensor_content</c>.</summary>
    internal static byte[] TensorContent(string dtype, IReadOnlyList<string> values)
    {
        var bytes = new List<byte>();
        foreach (string text in values)
        {
            byte[] element = dtype switch
            {
                "float" => BitConverter.GetBytes(float.Parse(text, CultureInfo.InvariantCulture)),
                "double" => BitConverter.GetBytes(double.Parse(text, CultureInfo.InvariantCulture)),
                "int32" => BitConverter.GetBytes(int.Parse(text, CultureInfo.InvariantCulture)),
                "int64" => BitConverter.GetBytes(long.Parse(text, CultureInfo.InvariantCulture)),
                "int16" => BitConverter.GetBytes(short.Parse(text, CultureInfo.InvariantCulture)),
                "uint16" => BitConverter.GetBytes(ushort.Parse(text, CultureInfo.InvariantCulture)),
                "uint32" => BitConverter.GetBytes(uint.Parse(text, CultureInfo.InvariantCulture)),
                "uint64" => BitConverter.GetBytes(ulong.Parse(text, CultureInfo.InvariantCulture)),
                "int8" => new[] { unchecked((byte)sbyte.Parse(text, CultureInfo.InvariantCulture)) },
                "uint8" => new[] { byte.Parse(text, CultureInfo.InvariantCulture) },
                "bool" => new[] { text == "0" ? (byte)0 : (byte)1 },
                _ => throw new InvalidOperationException($"Constants of dtype {dtype} cannot be written at compile time."),
            };
            if (!BitConverter.IsLittleEndian) Array.Reverse(element);
            bytes.AddRange(element);
        }
        return bytes.ToArray();
    }

    private static void WriteFunction(ProtoWriter writer, FunctionDefModel function)
    {
        writer.Message(1, signature =>
        {
            signature.String(1, function.Name);
            foreach (var arg in function.InputArgs) signature.Message(2, a => { a.String(1, arg.Name); a.Varint(3, (ulong)DTypeNames.EnumValue(arg.DType)); });
            foreach (var arg in function.OutputArgs) signature.Message(3, a => { a.String(1, arg.Name); a.Varint(3, (ulong)DTypeNames.EnumValue(arg.DType)); });
            if (function.IsStateful) signature.Bool(17, true);
        });
        foreach (var node in function.Nodes) writer.Message(3, w => WriteNode(w, node));
        foreach (string ret in function.Returns.OrderBy(r => r, StringComparer.Ordinal))
        {
            int equals = ret.IndexOf('=');
            writer.Message(4, entry => { entry.String(1, ret.Substring(0, equals)); entry.String(2, ret.Substring(equals + 1)); });
        }
    }
}
