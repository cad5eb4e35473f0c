using System.Runtime.InteropServices;
using Google.Protobuf;
using StaticFlow.Protos;

namespace StaticFlow.Tensors;

/// <summary>How <see cref="TensorProtos.ToProto"/> lays a tensor's values out.</summary>
public enum TensorProtoLayout
{
    /// <summary>Raw bytes in <c>tensor_content</c> (TensorFlow's <c>AsProtoTensorContent</c>); strings always use <c>string_val</c>.</summary>
    Content,
    /// <summary>The typed repeated fields (<c>float_val</c>, <c>int_val</c>, ...; TensorFlow's <c>AsProtoField</c>).</summary>
    TypedFields,
}

/// <summary>Conversion between <see cref="Tensor"/> and TensorFlow's <see cref="TensorProto"/>, in every form TensorFlow writes.</summary>
public static class TensorProtos
{
    /// <summary>
    /// Reads a <see cref="TensorProto"/>: <c>tensor_content</c>, or the typed repeated field of its dtype, where
    /// fewer values than elements are padded with the last value (a single value splats over the shape) and
    /// no values at all mean zeros.
    /// </summary>
    /// <param name="proto">The proto.</param>
    /// <param name="context">Names the proto in error messages (a node or file).</param>
    /// <exception cref="FormatException">The shape is invalid, or the values do not fit it.</exception>
    /// <exception cref="NotSupportedException">The dtype is not supported.</exception>
    public static Tensor FromProto(TensorProto proto, string context = "TensorProto")
    {
        DType dtype = DTypes.FromProto(proto.Dtype, context);
        TensorShape shape;
        try { shape = TensorShape.FromProto(proto.TensorShape); }
        catch (FormatException e) { throw new FormatException($"{context}: {e.Message}", e); }
        if (!shape.TryGetElementCount(out long count))
            throw new FormatException($"{context}: shape {shape} is not fully defined or its element count overflows.");
        if (!Tensor.FitsInStorage(count, dtype))
            throw new FormatException($"{context}: shape {shape} of {dtype.Name()} is larger than the largest tensor this runtime allocates.");

        if (dtype == DType.String)
        {
            var values = proto.StringVal;
            if (values.Count > count) throw TooMany(context, values.Count, shape);
            var strings = new byte[count][];
            for (long i = 0; i < count; i++)
                strings[i] = values.Count == 0 ? [] : values[(int)Math.Min(i, values.Count - 1)].ToByteArray();
            return Tensor.FromStrings(strings, [.. shape.Dims]);
        }

        int size = dtype.SizeOf();
        if (!proto.TensorContent.IsEmpty)
        {
            if (proto.TensorContent.Length != count * size)
                throw new FormatException($"{context}: tensor_content holds {proto.TensorContent.Length} bytes but shape {shape} of {dtype.Name()} needs {count * size}.");
            // The message's own array when tensor_content has one to itself (as parsing makes it): a model's weights
            // are not copied again on their way to the plan, which on a cold start costs page faults per megabyte.
            // Both stay unchanged: a ByteString is immutable, and kernels only read constants.
            byte[] bytes = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(proto.TensorContent.Memory, out ArraySegment<byte> segment)
                && segment.Offset == 0 && segment.Count == segment.Array!.Length
                    ? segment.Array
                    : proto.TensorContent.ToByteArray();
            return Tensor.WrapBytes(dtype, shape, bytes);
        }

        var tensor = Tensor.Zeros(dtype, shape);
        switch (dtype)
        {
            case DType.Float32: Fill(tensor.AsSpan<float>(), proto.FloatVal, v => v, context, shape); break;
            case DType.Float64: Fill(tensor.AsSpan<double>(), proto.DoubleVal, v => v, context, shape); break;
            case DType.Int32: Fill(tensor.AsSpan<int>(), proto.IntVal, v => v, context, shape); break;
            case DType.Int16: Fill(tensor.AsSpan<short>(), proto.IntVal, v => (short)v, context, shape); break;
            case DType.Int8: Fill(tensor.AsSpan<sbyte>(), proto.IntVal, v => (sbyte)v, context, shape); break;
            case DType.UInt8: Fill(tensor.AsSpan<byte>(), proto.IntVal, v => (byte)v, context, shape); break;
            case DType.UInt16: Fill(tensor.AsSpan<ushort>(), proto.IntVal, v => (ushort)v, context, shape); break;
            case DType.Int64: Fill(tensor.AsSpan<long>(), proto.Int64Val, v => v, context, shape); break;
            case DType.UInt32: Fill(tensor.AsSpan<uint>(), proto.Uint32Val, v => v, context, shape); break;
            case DType.UInt64: Fill(tensor.AsSpan<ulong>(), proto.Uint64Val, v => v, context, shape); break;
            case DType.Bool: Fill(tensor.AsSpan<bool>(), proto.BoolVal, v => v, context, shape); break;
            case DType.Float16 or DType.BFloat16:
                // Both keep their 16-bit patterns in half_val.
                Fill(MemoryMarshal.Cast<byte, ushort>(tensor.AsBytes()), proto.HalfVal, v => (ushort)v, context, shape);
                break;
        }
        return tensor;
    }

    /// <summary>Writes a tensor as a <see cref="TensorProto"/>.</summary>
    public static TensorProto ToProto(this Tensor tensor, TensorProtoLayout layout = TensorProtoLayout.Content)
    {
        if (tensor.DType == DType.Variant)
            throw new NotSupportedException($"A {tensor} tensor (tensor lists) exists only while a graph runs and cannot be serialized.");
        var proto = new TensorProto { Dtype = tensor.DType.ToProto(), TensorShape = tensor.Shape.ToProto() };
        if (tensor.DType == DType.String)
        {
            foreach (byte[] s in tensor.Strings) proto.StringVal.Add(ByteString.CopyFrom(s));
            return proto;
        }
        if (layout == TensorProtoLayout.Content)
        {
            proto.TensorContent = ByteString.CopyFrom(tensor.AsBytes());
            return proto;
        }
        switch (tensor.DType)
        {
            case DType.Float32: proto.FloatVal.Add(tensor.ToArray<float>()); break;
            case DType.Float64: proto.DoubleVal.Add(tensor.ToArray<double>()); break;
            case DType.Int32: proto.IntVal.Add(tensor.ToArray<int>()); break;
            case DType.Int16: foreach (short v in tensor.AsSpan<short>()) proto.IntVal.Add(v); break;
            case DType.Int8: foreach (sbyte v in tensor.AsSpan<sbyte>()) proto.IntVal.Add(v); break;
            case DType.UInt8: foreach (byte v in tensor.AsSpan<byte>()) proto.IntVal.Add(v); break;
            case DType.UInt16: foreach (ushort v in tensor.AsSpan<ushort>()) proto.IntVal.Add(v); break;
            case DType.Int64: proto.Int64Val.Add(tensor.ToArray<long>()); break;
            case DType.UInt32: proto.Uint32Val.Add(tensor.ToArray<uint>()); break;
            case DType.UInt64: proto.Uint64Val.Add(tensor.ToArray<ulong>()); break;
            case DType.Bool: proto.BoolVal.Add(tensor.ToArray<bool>()); break;
            case DType.Float16 or DType.BFloat16:
                foreach (ushort bits in MemoryMarshal.Cast<byte, ushort>(tensor.AsBytes())) proto.HalfVal.Add(bits);
                break;
        }
        return proto;
    }

    private static void Fill<TElement, TField>(Span<TElement> destination, IList<TField> values, Func<TField, TElement> convert, string context, TensorShape shape)
    {
        if (values.Count > destination.Length) throw TooMany(context, values.Count, shape);
        if (values.Count == 0) return;
        int i = 0;
        for (; i < values.Count; i++) destination[i] = convert(values[i]);
        destination[i..].Fill(destination[i - 1]);
    }

    private static FormatException TooMany(string context, int values, TensorShape shape) =>
        new($"{context}: {values} values are more than shape {shape} holds.");
}
