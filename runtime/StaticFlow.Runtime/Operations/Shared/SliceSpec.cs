// Shared source: compiled into the runtime (Tensor<T>'s indexer) and linked into the generator (index syntax in
// graph functions), so an eager x[.., 1..3] and its graph are one StridedSlice with the same operands.
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>What one position of a C# index expression on a tensor selects.</summary>
internal enum SliceItemKind
{
    /// <summary>One element (<c>2</c>, <c>-1</c>, <c>^1</c>): the dimension is removed, as TensorFlow's <c>x[2]</c>.</summary>
    Point,
    /// <summary>A range (<c>1..3</c>, <c>..^1</c>, <c>..</c>): the dimension stays.</summary>
    Range,
    /// <summary>A new dimension of size 1 (<c>tf.newaxis</c>).</summary>
    NewAxis,
    /// <summary>As many whole dimensions as the other positions leave (Python's <c>...</c>).</summary>
    Ellipsis,
}

/// <summary>
/// One position of an index expression. Bounds are C# <see cref="System.Index"/>es: <c>FromEnd</c> counts from the
/// end (<c>^1</c> is the last element); an int point may also be negative, as in TensorFlow.
/// </summary>
internal readonly struct SliceItem
{
    public SliceItem(SliceItemKind kind, long start, bool startFromEnd, long end, bool endFromEnd)
    {
        Kind = kind;
        Start = start;
        StartFromEnd = startFromEnd;
        End = end;
        EndFromEnd = endFromEnd;
    }

    public SliceItemKind Kind { get; }
    public long Start { get; }
    public bool StartFromEnd { get; }
    public long End { get; }
    public bool EndFromEnd { get; }

    public static SliceItem Point(long index, bool fromEnd) => new(SliceItemKind.Point, index, fromEnd, 0, false);

    public static SliceItem Between(long start, bool startFromEnd, long end, bool endFromEnd) => new(SliceItemKind.Range, start, startFromEnd, end, endFromEnd);

    public static SliceItem NewAxis => new(SliceItemKind.NewAxis, 0, false, 0, false);

    public static SliceItem Ellipsis => new(SliceItemKind.Ellipsis, 0, false, 0, false);
}

/// <summary>The operands and masks of the <c>StridedSlice</c> an index expression is, as TensorFlow's <c>__getitem__</c> builds them.</summary>
internal sealed class SliceSpec
{
    private SliceSpec(long[] begin, long[] end, long[] strides, int beginMask, int endMask, int ellipsisMask, int newAxisMask, int shrinkAxisMask)
    {
        Begin = begin;
        End = end;
        Strides = strides;
        BeginMask = beginMask;
        EndMask = endMask;
        EllipsisMask = ellipsisMask;
        NewAxisMask = newAxisMask;
        ShrinkAxisMask = shrinkAxisMask;
    }

    public long[] Begin { get; }
    public long[] End { get; }
    public long[] Strides { get; }
    public int BeginMask { get; }
    public int EndMask { get; }
    public int EllipsisMask { get; }
    public int NewAxisMask { get; }
    public int ShrinkAxisMask { get; }

    /// <summary>The spec of <paramref name="items"/>, or null with <paramref name="problem"/> when they cannot index a tensor.</summary>
    public static SliceSpec? From(IReadOnlyList<SliceItem> items, out string? problem)
    {
        problem = null;
        if (items.Count == 0) { problem = "an index expression needs at least one index"; return null; }
        if (items.Count > 31) { problem = "an index expression has at most 31 positions (StridedSlice's masks are 32-bit)"; return null; }
        var begin = new long[items.Count];
        var end = new long[items.Count];
        var strides = new long[items.Count];
        int beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkMask = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            int bit = 1 << i;
            strides[i] = 1;
            switch (item.Kind)
            {
                case SliceItemKind.Point:
                    if (item.StartFromEnd && item.Start == 0) { problem = "^0 is one past the last element, so it cannot select one"; return null; }
                    begin[i] = item.StartFromEnd ? -item.Start : item.Start;
                    // The kernel ignores end on a shrunk axis; begin + 1 is what TensorFlow's Python writes.
                    end[i] = begin[i] + 1;
                    shrinkMask |= bit;
                    break;
                case SliceItemKind.Range:
                    // ^0 as a start is past the end (an empty range); the kernel clamps a begin past the end to it.
                    begin[i] = !item.StartFromEnd ? item.Start : item.Start == 0 ? int.MaxValue : -item.Start;
                    if (item.EndFromEnd && item.End == 0) endMask |= bit;
                    else end[i] = item.EndFromEnd ? -item.End : item.End;
                    break;
                case SliceItemKind.NewAxis:
                    newAxisMask |= bit;
                    break;
                case SliceItemKind.Ellipsis:
                    if (ellipsisMask != 0) { problem = "an index expression has at most one ellipsis"; return null; }
                    ellipsisMask |= bit;
                    break;
            }
        }
        return new SliceSpec(begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask);
    }
}
