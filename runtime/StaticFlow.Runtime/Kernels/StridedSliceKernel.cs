using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>StridedSlice with TensorFlow's begin, end, ellipsis, new-axis and shrink-axis masks.</summary>
internal sealed class StridedSliceKernel(GraphNode node) : IOpKernel
{
    private readonly long _beginMask = KernelHelpers.IntAttr(node, "begin_mask");
    private readonly long _endMask = KernelHelpers.IntAttr(node, "end_mask");
    private readonly long _ellipsisMask = KernelHelpers.IntAttr(node, "ellipsis_mask");
    private readonly long _newAxisMask = KernelHelpers.IntAttr(node, "new_axis_mask");
    private readonly long _shrinkMask = KernelHelpers.IntAttr(node, "shrink_axis_mask");

    public void Compute(KernelContext context)
    {
        Tensor x = context.Input(0);
        long[] begin = context.ToLongs(1), end = context.ToLongs(2), strides = context.ToLongs(3);
        int sparse = begin.Length;
        if (end.Length != sparse || strides.Length != sparse) throw context.Error("begin, end and strides must have the same length");
        if (System.Numerics.BitOperations.PopCount((ulong)_ellipsisMask) > 1) throw context.Error("at most one ellipsis is allowed");

        int rank = x.Shape.Rank;
        int consumedOutsideEllipsis = 0;
        for (int i = 0; i < sparse; i++)
            if (!Bit(_ellipsisMask, i) && !Bit(_newAxisMask, i)) consumedOutsideEllipsis++;
        bool hasEllipsis = _ellipsisMask != 0;
        if (consumedOutsideEllipsis > rank) throw context.Error($"the slice indexes {consumedOutsideEllipsis} dimensions of a tensor of rank {rank}");

        var inStrides = ElementCopy.Strides(x.Shape.Dims);
        var gatherDims = new List<long>();
        var gatherSteps = new List<long>();
        var finalDims = new List<long>();
        long start = 0;
        int dim = 0;

        void Full(int d)
        {
            gatherDims.Add(x.Shape[d]);
            gatherSteps.Add(inStrides[d]);
            finalDims.Add(x.Shape[d]);
        }

        for (int i = 0; i < sparse; i++)
        {
            if (Bit(_ellipsisMask, i))
            {
                int covered = rank - consumedOutsideEllipsis;
                for (int k = 0; k < covered; k++) Full(dim++);
                continue;
            }
            if (Bit(_newAxisMask, i))
            {
                finalDims.Add(1);
                continue;
            }
            long size = x.Shape[dim], stride = strides[i];
            if (stride == 0) throw context.Error($"stride {i} is zero");
            if (Bit(_shrinkMask, i))
            {
                long index = begin[i] < 0 ? begin[i] + size : begin[i];
                if (index < 0 || index >= size) throw context.Error($"index {begin[i]} is out of bounds for dimension {dim} of size {size}");
                start += index * inStrides[dim];
                dim++;
                continue;
            }
            long b = Bound(begin[i], Bit(_beginMask, i), stride > 0 ? 0 : size - 1, size, stride);
            long e = Bound(end[i], Bit(_endMask, i), stride > 0 ? size : -1, size, stride);
            long count = stride > 0 ? Math.Max(0, (e - b + stride - 1) / stride) : Math.Max(0, (b - e - stride - 1) / -stride);
            if (count > 0) start += b * inStrides[dim];
            gatherDims.Add(count);
            gatherSteps.Add(stride * inStrides[dim]);
            finalDims.Add(count);
            dim++;
        }
        // Dimensions the spec does not mention are taken whole.
        if (!hasEllipsis)
            while (dim < rank) Full(dim++);

        Tensor gathered = ElementCopy.Gather(x, [.. gatherDims], start, [.. gatherSteps]);
        context.SetOutput(0, gathered.WithShape(new TensorShape([.. finalDims])));
    }

    private static long Bound(long value, bool masked, long maskedValue, long size, long stride)
    {
        if (masked) return maskedValue;
        long v = value < 0 ? value + size : value;
        return stride > 0 ? Math.Clamp(v, 0, size) : Math.Clamp(v, -1, size - 1);
    }

    private static bool Bit(long mask, int i) => (mask & (1L << i)) != 0;
}
