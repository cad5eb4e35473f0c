using StaticFlow.Operations;

namespace StaticFlow;

/// <summary>
/// One position of an index expression on a <see cref="Tensor{T}"/>: an element (<c>2</c>, <c>-1</c>, <c>^1</c>,
/// which removes the dimension), a range (<c>1..3</c>, <c>..^1</c>, <c>..</c>, which keeps it),
/// <see cref="NewAxis"/> or <see cref="Ellipsis"/>. <c>x[.., 1..3]</c> is TensorFlow's <c>x[:, 1:3]</c>, one
/// <c>StridedSlice</c>, eagerly and in graph functions alike.
/// </summary>
public readonly struct TensorIndex
{
    private TensorIndex(SliceItem item) => Item = item;

    internal SliceItem Item { get; }

    /// <summary>A new dimension of size 1 (<c>tf.newaxis</c>).</summary>
    public static TensorIndex NewAxis => new(SliceItem.NewAxis);

    /// <summary>As many whole dimensions as the other positions leave (Python's <c>...</c>).</summary>
    public static TensorIndex Ellipsis => new(SliceItem.Ellipsis);

    /// <summary>One element; a negative index counts from the end, as in TensorFlow.</summary>
    public static implicit operator TensorIndex(int index) => new(SliceItem.Point(index, fromEnd: false));

    /// <summary>One element; <c>^1</c> is the last.</summary>
    public static implicit operator TensorIndex(Index index) => new(SliceItem.Point(index.Value, index.IsFromEnd));

    /// <summary>A range of elements, end excluded; <c>..</c> is the whole dimension.</summary>
    public static implicit operator TensorIndex(Range range) => new(SliceItem.Between(range.Start.Value, range.Start.IsFromEnd, range.End.Value, range.End.IsFromEnd));
}
