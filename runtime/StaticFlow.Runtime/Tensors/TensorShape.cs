using StaticFlow.Protos;

namespace StaticFlow.Tensors;

/// <summary>
/// The dimensions of a tensor. A concrete shape has every dimension known; a partial shape (signatures,
/// placeholders) may hold -1 for unknown dimensions or be of unknown rank.
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly long[] _dims;

    /// <summary>A shape with the given dimensions (-1 for unknown).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is below -1, or there are more than <see cref="MaxRank"/>.</exception>
    public TensorShape(params long[] dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentOutOfRangeException(nameof(dims), dims.Length, $"A shape has at most {MaxRank} dimensions, as in TensorFlow.");
        foreach (long d in dims)
            if (d < -1) throw new ArgumentOutOfRangeException(nameof(dims), d, "A dimension is -1 (unknown) or non-negative.");
        _dims = (long[])dims.Clone();
    }

    private TensorShape(bool unknownRank)
    {
        _dims = [];
        IsUnknownRank = unknownRank;
    }

    /// <summary>The shape of a scalar.</summary>
    public static TensorShape Scalar { get; } = new();

    /// <summary>A shape of which nothing is known, not even the rank.</summary>
    public static TensorShape UnknownRank { get; } = new(unknownRank: true);

    /// <summary>True when the rank itself is unknown.</summary>
    public bool IsUnknownRank { get; }

    /// <summary>The number of dimensions (-1 when unknown).</summary>
    public int Rank => IsUnknownRank ? -1 : _dims.Length;

    /// <summary>The dimensions; -1 marks an unknown one.</summary>
    public ReadOnlySpan<long> Dims => _dims;

    /// <summary>Dimension <paramref name="axis"/>.</summary>
    public long this[int axis] => _dims[axis];

    /// <summary>
    /// True when a tensor of the fully known shape <paramref name="actual"/> fits this partially known shape: same
    /// rank (unless this rank is unknown) and equal dimensions wherever this one is known.
    /// </summary>
    public bool IsCompatibleWith(TensorShape actual)
    {
        if (IsUnknownRank) return true;
        if (Rank != actual.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dims[i] >= 0 && _dims[i] != actual[i]) return false;
        return true;
    }

    /// <summary>True when the rank and every dimension are known.</summary>
    public bool IsFullyDefined => !IsUnknownRank && Array.TrueForAll(_dims, d => d >= 0);

    /// <summary>
    /// The number of elements of a fully defined shape.
    /// </summary>
    /// <exception cref="InvalidOperationException">The shape is not fully defined.</exception>
    /// <exception cref="OverflowException">The product of the dimensions does not fit in 63 bits.</exception>
    public long ElementCount
    {
        get
        {
            if (!IsFullyDefined) throw new InvalidOperationException($"Shape {this} is not fully defined.");
            long count = 1;
            foreach (long d in _dims) count = checked(count * d);
            return count;
        }
    }

    /// <summary>Element count, or false when it overflows (for validating untrusted shapes before allocating).</summary>
    public bool TryGetElementCount(out long count)
    {
        count = 0;
        if (!IsFullyDefined) return false;
        long product = 1;
        foreach (long d in _dims)
        {
            if (d != 0 && product > long.MaxValue / d) return false;
            product *= d;
        }
        count = product;
        return true;
    }

    /// <summary>The largest rank TensorFlow allows (<c>TensorShape::MaxDimensions()</c>); larger shapes are refused on read.</summary>
    public const int MaxRank = 254;

    /// <summary>Reads a <see cref="TensorShapeProto"/>.</summary>
    /// <exception cref="FormatException">A dimension is below -1 or the rank is above <see cref="MaxRank"/>.</exception>
    public static TensorShape FromProto(TensorShapeProto? proto)
    {
        if (proto is null) return Scalar;
        if (proto.UnknownRank) return UnknownRank;
        if (proto.Dim.Count > MaxRank)
            throw new FormatException($"A shape has rank {proto.Dim.Count}; TensorFlow allows at most {MaxRank} dimensions.");
        var dims = new long[proto.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = proto.Dim[i].Size;
            if (dims[i] < -1) throw new FormatException($"Dimension {i} of a shape is {dims[i]}; dimensions are -1 (unknown) or non-negative.");
        }
        return new TensorShape(dims);
    }

    /// <summary>Writes the shape as TensorFlow does (scalars have no dims; unknown rank sets <c>unknown_rank</c>).</summary>
    public TensorShapeProto ToProto()
    {
        var proto = new TensorShapeProto { UnknownRank = IsUnknownRank };
        foreach (long d in _dims) proto.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return proto;
    }

    /// <summary>Formats like TensorFlow: <c>[2,3]</c>, <c>[]</c> for a scalar, <c>[?,5]</c>, <c>&lt;unknown&gt;</c>.</summary>
    public override string ToString() =>
        IsUnknownRank ? "<unknown>" : "[" + string.Join(",", Array.ConvertAll(_dims, d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc/>
    public bool Equals(TensorShape? other) =>
        other is not null && IsUnknownRank == other.IsUnknownRank && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as TensorShape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(IsUnknownRank);
        foreach (long d in _dims) hash.Add(d);
        return hash.ToHashCode();
    }
}
