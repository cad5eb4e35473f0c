using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>TensorFlow's (NumPy's) broadcasting: shapes align on the right; a dimension of 1 stretches.</summary>
public static class Broadcast
{
    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, or null when they are incompatible.</summary>
    public static long[]? Shape(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) result[i] = da;
            else if (da == 1) result[i] = db;
            else return null;
        }
        return result;
    }

    /// <summary>Element strides of a tensor of <paramref name="shape"/> read as <paramref name="outShape"/>: 0 where it broadcasts.</summary>
    public static long[] Strides(ReadOnlySpan<long> shape, ReadOnlySpan<long> outShape)
    {
        var strides = new long[outShape.Length];
        long stride = 1;
        for (int i = outShape.Length - 1; i >= 0; i--)
        {
            int j = i - (outShape.Length - shape.Length);
            long dim = j >= 0 ? shape[j] : 1;
            strides[i] = dim == 1 ? 0 : stride;
            stride *= dim;
        }
        return strides;
    }

    /// <summary>The broadcast output shape of two tensors, or an error naming both shapes.</summary>
    internal static long[] OutputShape(KernelContext context, Tensor a, Tensor b) =>
        Shape(a.Shape.Dims, b.Shape.Dims) ?? throw context.Error($"shapes {a.Shape} and {b.Shape} are incompatible for broadcasting");

}

/// <summary>
/// Walks the innermost rows of a broadcast output, giving the element offsets of both inputs for each row, so
/// the per-element loop over a row stays simple and vectorizable.
/// </summary>
internal struct BroadcastRows
{
    private readonly long[] _shape;
    private readonly long[] _aStrides;
    private readonly long[] _bStrides;
    private readonly long[] _index;
    private readonly long _rows;
    private long _row;
    private long _aOffset;
    private long _bOffset;

    public BroadcastRows(long[] outShape, long[] aStrides, long[] bStrides)
    {
        _shape = outShape;
        _aStrides = aStrides;
        _bStrides = bStrides;
        _index = new long[Math.Max(outShape.Length, 1)];
        RowLength = outShape.Length == 0 ? 1 : outShape[^1];
        AStride = outShape.Length == 0 ? 0 : aStrides[^1];
        BStride = outShape.Length == 0 ? 0 : bStrides[^1];
        long rows = 1;
        for (int i = 0; i < outShape.Length - 1; i++) rows *= outShape[i];
        _rows = RowLength == 0 ? 0 : rows;
        _row = -1;
    }

    /// <summary>Elements per row (the output's last dimension).</summary>
    public long RowLength { get; }

    /// <summary>Innermost stride of input a (0 when it broadcasts along the row).</summary>
    public long AStride { get; }

    /// <summary>Innermost stride of input b.</summary>
    public long BStride { get; }

    /// <summary>Advances to the next row.</summary>
    public bool Next(out long outOffset, out long aOffset, out long bOffset)
    {
        if (++_row >= _rows)
        {
            outOffset = aOffset = bOffset = 0;
            return false;
        }
        if (_row > 0)
        {
            for (int d = _shape.Length - 2; d >= 0; d--)
            {
                _index[d]++;
                _aOffset += _aStrides[d];
                _bOffset += _bStrides[d];
                if (_index[d] < _shape[d]) break;
                _aOffset -= _aStrides[d] * _shape[d];
                _bOffset -= _bStrides[d] * _shape[d];
                _index[d] = 0;
            }
        }
        outOffset = _row * RowLength;
        aOffset = _aOffset;
        bOffset = _bOffset;
        return true;
    }
}
