using StaticFlow.Protos;

namespace StaticFlow.Tensors;

/// <summary>
/// Element types of a <see cref="Tensor"/>. The numeric values are TensorFlow's <c>DataType</c> enum values,
/// so a <see cref="DType"/> and a <see cref="DataType"/> convert by a plain cast.
/// </summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>tf.float32</c>).</summary>
    Float32 = DataType.DtFloat,
    /// <summary>64-bit IEEE float (<c>tf.float64</c>).</summary>
    Float64 = DataType.DtDouble,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = DataType.DtInt32,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = DataType.DtUint8,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = DataType.DtInt16,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = DataType.DtInt8,
    /// <summary>Byte string (TensorFlow strings are arbitrary bytes, not text).</summary>
    String = DataType.DtString,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = DataType.DtInt64,
    /// <summary>Boolean, one byte per element.</summary>
    Bool = DataType.DtBool,
    /// <summary>Brain float: the upper 16 bits of a float32.</summary>
    BFloat16 = DataType.DtBfloat16,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = DataType.DtUint16,
    /// <summary>IEEE half precision (<c>tf.float16</c>).</summary>
    Float16 = DataType.DtHalf,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = DataType.DtUint32,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = DataType.DtUint64,
    /// <summary>
    /// An opaque run-time object per element, such as a <see cref="Execution.TensorList"/>; it flows through graphs
    /// (loop variables, function arguments) but has no numeric storage and is never serialized.
    /// </summary>
    Variant = DataType.DtVariant,
}

/// <summary>Facts about each <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element, or 0 for <see cref="DType.String"/> and <see cref="DType.Variant"/>, whose elements are objects.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float64 or DType.Int64 or DType.UInt64 => 8,
        DType.Float32 or DType.Int32 or DType.UInt32 => 4,
        DType.Float16 or DType.BFloat16 or DType.Int16 or DType.UInt16 => 2,
        DType.Int8 or DType.UInt8 or DType.Bool => 1,
        DType.String or DType.Variant => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>TensorFlow's Python name of the dtype (<c>float32</c>, <c>int64</c>, <c>string</c>, ...).</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Int8 => "int8",
        DType.Int16 => "int16",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.UInt8 => "uint8",
        DType.UInt16 => "uint16",
        DType.UInt32 => "uint32",
        DType.UInt64 => "uint64",
        DType.Bool => "bool",
        DType.String => "string",
        DType.Variant => "variant",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>True for every dtype a <see cref="Tensor"/> can hold.</summary>
    public static bool IsSupported(DataType dataType) => Enum.IsDefined((DType)(int)dataType);

    /// <summary>Converts a TensorFlow <see cref="DataType"/>, or fails naming <paramref name="context"/> when tensors cannot hold it.</summary>
    /// <exception cref="NotSupportedException">The dtype is unknown, a reference type, not yet supported (complex, quantized, resource), or a variant (which exists only at run time).</exception>
    public static DType FromProto(DataType dataType, string context) =>
        dataType == DataType.DtVariant
            ? throw new NotSupportedException($"{context}: dtype DT_VARIANT values (tensor lists) exist only while a graph runs; StaticFlow does not read or write them in files.")
            : IsSupported(dataType)
                ? (DType)(int)dataType
                : throw new NotSupportedException($"{context}: dtype {DescribeProto(dataType)} is not supported by StaticFlow tensors.");

    /// <summary>The TensorFlow <see cref="DataType"/> of a dtype.</summary>
    public static DataType ToProto(this DType dtype) => (DataType)(int)dtype;

    /// <summary>The dtype of a CLR element type, for the generic tensor APIs.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(int) ? DType.Int32 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(byte) ? DType.UInt8 :
        typeof(T) == typeof(sbyte) ? DType.Int8 :
        typeof(T) == typeof(short) ? DType.Int16 :
        typeof(T) == typeof(ushort) ? DType.UInt16 :
        typeof(T) == typeof(uint) ? DType.UInt32 :
        typeof(T) == typeof(ulong) ? DType.UInt64 :
        typeof(T) == typeof(bool) ? DType.Bool :
        typeof(T) == typeof(Half) ? DType.Float16 :
        typeof(T) == typeof(BFloat16) ? DType.BFloat16 :
        typeof(T) == typeof(TString) ? DType.String :
        typeof(T) == typeof(TVariant) ? DType.Variant :
        throw new NotSupportedException($"{typeof(T)} is not a tensor element type.");

    /// <summary>The short name of a supported dtype (<c>float32</c>), else TensorFlow's enum name (<c>DT_VARIANT</c>).</summary>
    public static string DisplayName(DataType dataType) => IsSupported(dataType) ? ((DType)(int)dataType).Name() : ProtoName(dataType);

    /// <summary>TensorFlow's enum name of a <see cref="DataType"/> (<c>DT_FLOAT</c>), as saved_model_cli and error messages print it.</summary>
    public static string ProtoName(DataType dataType) =>
        TypesReflection.Descriptor.EnumTypes[0].FindValueByNumber((int)dataType)?.Name ?? $"dtype {(int)dataType}";

    internal static string DescribeProto(DataType dataType) =>
        Enum.IsDefined(dataType) ? $"{dataType} ({(int)dataType})" : $"unknown ({(int)dataType})";
}
