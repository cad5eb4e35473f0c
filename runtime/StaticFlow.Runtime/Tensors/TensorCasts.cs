using System.Numerics;

namespace StaticFlow.Tensors;

/// <summary>Dtype conversion of whole tensors.</summary>
public static class TensorCasts
{
    /// <summary>
    /// The elements converted to <paramref name="destination"/>, as TensorFlow's Cast does (float to integer
    /// truncates toward zero; to bool is "not zero"). Returns the tensor itself when the dtype already matches.
    /// </summary>
    /// <exception cref="NotSupportedException">Either dtype is string.</exception>
    public static Tensor Cast(this Tensor x, DType destination)
    {
        if (x.DType == destination) return x;
        if (x.DType == DType.String || destination == DType.String) throw new NotSupportedException($"cannot cast {x.DType.Name()} to {destination.Name()}");
        // bool and bfloat16 are not .NET number types: go through byte and float.
        if (x.DType == DType.Bool)
        {
            var bytes = Tensor.Uninitialized(DType.UInt8, x.Shape);
            x.AsBytes().CopyTo(bytes.AsBytes());
            return destination == DType.UInt8 ? bytes : bytes.Cast(destination);
        }
        if (x.DType == DType.BFloat16)
        {
            var widened = Tensor.Uninitialized(DType.Float32, x.Shape);
            var source = x.AsSpan<BFloat16>();
            var target = widened.AsSpan<float>();
            for (int i = 0; i < source.Length; i++) target[i] = source[i];
            return destination == DType.Float32 ? widened : widened.Cast(destination);
        }
        if (destination == DType.Bool)
        {
            var result = Tensor.Uninitialized(DType.Bool, x.Shape);
            var flags = result.AsSpan<bool>();
            for (int i = 0; i < flags.Length; i++) flags[i] = x.GetDouble(i) != 0;
            return result;
        }
        if (destination == DType.BFloat16)
        {
            Tensor asFloat = x.DType == DType.Float32 ? x : x.Cast(DType.Float32);
            var result = Tensor.Uninitialized(DType.BFloat16, x.Shape);
            var source = asFloat.AsSpan<float>();
            var target = result.AsSpan<BFloat16>();
            for (int i = 0; i < source.Length; i++) target[i] = (BFloat16)source[i];
            return result;
        }
        return x.DType switch
        {
            DType.Float32 => From<float>(x, destination),
            DType.Float64 => From<double>(x, destination),
            DType.Float16 => From<Half>(x, destination),
            DType.Int8 => From<sbyte>(x, destination),
            DType.Int16 => From<short>(x, destination),
            DType.Int32 => From<int>(x, destination),
            DType.Int64 => From<long>(x, destination),
            DType.UInt8 => From<byte>(x, destination),
            DType.UInt16 => From<ushort>(x, destination),
            DType.UInt32 => From<uint>(x, destination),
            DType.UInt64 => From<ulong>(x, destination),
            _ => throw new NotSupportedException($"cannot cast from {x.DType.Name()}"),
        };
    }

    private static Tensor From<TSrc>(Tensor x, DType destination) where TSrc : unmanaged, INumberBase<TSrc> => destination switch
    {
        DType.Float32 => Convert<TSrc, float>(x),
        DType.Float64 => Convert<TSrc, double>(x),
        DType.Float16 => Convert<TSrc, Half>(x),
        DType.Int8 => Convert<TSrc, sbyte>(x),
        DType.Int16 => Convert<TSrc, short>(x),
        DType.Int32 => Convert<TSrc, int>(x),
        DType.Int64 => Convert<TSrc, long>(x),
        DType.UInt8 => Convert<TSrc, byte>(x),
        DType.UInt16 => Convert<TSrc, ushort>(x),
        DType.UInt32 => Convert<TSrc, uint>(x),
        DType.UInt64 => Convert<TSrc, ulong>(x),
        _ => throw new NotSupportedException($"cannot cast to {destination.Name()}"),
    };

    private static Tensor Convert<TSrc, TDst>(Tensor x) where TSrc : unmanaged, INumberBase<TSrc> where TDst : unmanaged, INumberBase<TDst>
    {
        var result = Tensor.Uninitialized(DTypes.Of<TDst>(), x.Shape);
        ReadOnlySpan<TSrc> source = x.AsSpan<TSrc>();
        Span<TDst> target = result.AsSpan<TDst>();
        for (int i = 0; i < source.Length; i++) target[i] = TDst.CreateTruncating(source[i]);
        return result;
    }
}
