using StaticFlow.Graphs;
using StaticFlow.Operations;
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
        var plan = Plan(context, x.Shape, context.ToLongs(1), context.ToLongs(2), context.ToLongs(3));
        Tensor gathered = ElementCopy.Gather(x, plan.GatherDims, plan.Start, plan.GatherSteps);
        context.SetOutput(0, gathered.WithShape(new TensorShape(plan.FinalDims)));
    }

    /// <summary>Where a strided slice reads: a box of <c>GatherDims</c> from element <c>Start</c> in <c>GatherSteps</c>, shaped <c>FinalDims</c>.</summary>
    internal readonly record struct SlicePlan(long[] GatherDims, long Start, long[] GatherSteps, long[] FinalDims);

    /// <summary>The slice of a tensor of <paramref name="shape"/> by TensorFlow's rules (masks from the node's attrs).</summary>
    internal SlicePlan Plan(KernelContext context, TensorShape shape, long[] begin, long[] end, long[] strides)
    {
        int sparse = begin.Length;
        if (end.Length != sparse || strides.Length != sparse) throw context.Error("begin, end and strides must have the same length");
        if (System.Numerics.BitOperations.PopCount((ulong)_ellipsisMask) > 1) throw context.Error("at most one ellipsis is allowed");

        int rank = shape.Rank;
        int consumedOutsideEllipsis = 0;
        for (int i = 0; i < sparse; i++)
            if (!Bit(_ellipsisMask, i) && !Bit(_newAxisMask, i)) consumedOutsideEllipsis++;
        bool hasEllipsis = _ellipsisMask != 0;
        if (consumedOutsideEllipsis > rank) throw context.Error($"the slice indexes {consumedOutsideEllipsis} dimensions of a tensor of rank {rank}");

        var inStrides = ElementCopy.Strides(shape.Dims);
        var gatherDims = new List<long>();
        var gatherSteps = new List<long>();
        var finalDims = new List<long>();
        long start = 0;
        int dim = 0;

        void Full(int d)
        {
            gatherDims.Add(shape[d]);
            gatherSteps.Add(inStrides[d]);
            finalDims.Add(shape[d]);
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
            long size = shape[dim], stride = strides[i];
            if (stride == 0) throw context.Error($"stride {i} is zero");
            if (Bit(_shrinkMask, i))
            {
                long index = begin[i] < 0 ? begin[i] + size : begin[i];
                if (index < 0 || index >= size) throw context.Error($"index {begin[i]} is out of bounds for dimension {dim} of size {size}");
                start += index * inStrides[dim];
                dim++;
                continue;
            }
            long b = ShapeFunctions.SliceBound(begin[i], Bit(_beginMask, i), stride > 0 ? 0 : size - 1, size, stride);
            long e = ShapeFunctions.SliceBound(end[i], Bit(_endMask, i), stride > 0 ? size : -1, size, stride);
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
        return new SlicePlan([.. gatherDims], start, [.. gatherSteps], [.. finalDims]);
    }

    private static bool Bit(long mask, int i) => (mask & (1L << i)) != 0;
}

/// <summary>
/// StridedSliceGrad (TensorFlow's gradient of StridedSlice): zeros of the sliced tensor's shape with dy added at the
/// positions the slice read.
/// </summary>
internal sealed class StridedSliceGradKernel(GraphNode node) : IOpKernel
{
    private readonly StridedSliceKernel _slice = new(node);

    public void Compute(KernelContext context)
    {
        long[] dims = context.ToLongs(0);
        if (dims.Any(d => d < 0)) throw context.Error($"shape [{string.Join(",", dims)}] has a negative dimension");
        var shape = new TensorShape(dims);
        Tensor dy = context.Input(4);
        var plan = _slice.Plan(context, shape, context.ToLongs(1), context.ToLongs(2), context.ToLongs(3));
        long count = plan.GatherDims.Aggregate(1L, (a, b) => a * b);
        if (dy.ElementCount != count) throw context.Error($"dy has {dy.ElementCount} elements, the slice of [{string.Join(",", dims)}] has {count}");
        var result = Tensor.Zeros(dy.DType, shape);
        switch (dy.DType)
        {
            case DType.Float32: Scatter<float>(dy, result, plan); break;
            case DType.Float64: Scatter<double>(dy, result, plan); break;
            case DType.Float16: Scatter<Half>(dy, result, plan); break;
            case DType.Int32: Scatter<int>(dy, result, plan); break;
            case DType.Int64: Scatter<long>(dy, result, plan); break;
            default: throw context.Error($"no kernel for dtype {dy.DType.Name()}");
        }
        context.SetOutput(0, result);
    }

    private static void Scatter<T>(Tensor dy, Tensor result, StridedSliceKernel.SlicePlan plan) where T : unmanaged, System.Numerics.IAdditionOperators<T, T, T>
    {
        ReadOnlySpan<T> source = dy.AsSpan<T>();
        Span<T> target = result.AsSpan<T>();
        int rank = plan.GatherDims.Length;
        var index = new long[rank];
        long at = plan.Start;
        for (int i = 0; i < source.Length; i++)
        {
            target[(int)at] += source[i];
            // Odometer over the box: advance the last axis, carrying into earlier ones.
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                at += plan.GatherSteps[d];
                if (index[d] < plan.GatherDims[d]) break;
                at -= plan.GatherSteps[d] * index[d];
                index[d] = 0;
            }
        }
    }
}
