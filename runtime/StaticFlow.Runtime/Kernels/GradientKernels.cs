using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// The non-elementwise pieces of TensorFlow's gradient graphs: BiasAddGrad, BroadcastGradientArgs (which axes each
/// operand of a broadcast must be summed over), BroadcastArgs, and the segment reductions gradients of gathers use.
/// </summary>
internal static class GradientKernels
{
    private enum Combine { Sum, Prod, Max, Min, Mean }

    private enum ScatterMode { IntoZeros, Add, Subtract }

    public static void Register(KernelRegistrar add)
    {
        add.Add("BiasAddGrad", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new BiasAddGradFactory(KernelHelpers.StringAttr(node, "data_format"))));
        add.Add("LeakyReluGrad", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new LeakyReluGradFactory(node.Attr("alpha").F)));
        add.Add("BroadcastGradientArgs", [DType.Int32, DType.Int64], _ => new DelegateKernel(BroadcastGradientArgs));
        add.Add("BroadcastArgs", [DType.Int32, DType.Int64], _ => new DelegateKernel(BroadcastArgs));
        add.Add("ScatterNd", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new ScatterFactory(ScatterMode.IntoZeros)), dtypeAttr: "T");
        add.Add("TensorScatterAdd", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new ScatterFactory(ScatterMode.Add)));
        add.Add("TensorScatterSub", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new ScatterFactory(ScatterMode.Subtract)));
        foreach (var (op, combine) in new[] { ("SegmentSum", Combine.Sum), ("SegmentProd", Combine.Prod), ("SegmentMax", Combine.Max), ("SegmentMin", Combine.Min), ("SegmentMean", Combine.Mean) })
            add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new SegmentFactory(combine, sorted: true)));
        foreach (var (op, combine) in new[] { ("UnsortedSegmentSum", Combine.Sum), ("UnsortedSegmentProd", Combine.Prod), ("UnsortedSegmentMax", Combine.Max), ("UnsortedSegmentMin", Combine.Min) })
            add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new SegmentFactory(combine, sorted: false)));
    }

    private sealed class BiasAddGradFactory(string format) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor dy = c.Input(0);
            if (dy.Shape.Rank < 2) throw c.Error($"out_backprop must have rank 2 or more, got {dy.Shape}");
            int channelAxis = format == "NCHW" && dy.Shape.Rank >= 3 ? 1 : dy.Shape.Rank - 1;
            long channels = dy.Shape[channelAxis], inner = 1;
            for (int d = channelAxis + 1; d < dy.Shape.Rank; d++) inner *= dy.Shape[d];
            var output = c.Frame.NewZeroedOutput(dy.DType, new TensorShape(channels));
            Span<T> sums = output.AsSpan<T>();
            ReadOnlySpan<T> g = dy.AsSpan<T>();
            if (inner == 1)
            {
                // Channels last: add each row of channels at once, a vector at a time.
                for (int at = 0; at + channels <= g.Length; at += (int)channels)
                    System.Numerics.Tensors.TensorPrimitives.Add<T>(sums, g.Slice(at, (int)channels), sums);
            }
            else
                for (int i = 0; i < g.Length; i++) sums[(int)(i / inner % channels)] += g[i];
            c.SetOutput(0, output);
        });
    }

    /// <summary>LeakyReluGrad: the gradient where the feature is positive, alpha times it elsewhere.</summary>
    private sealed class LeakyReluGradFactory(float alpha) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            Tensor g = c.Input(0), features = c.Input(1);
            if (!g.Shape.Equals(features.Shape)) throw c.Error($"gradients {g.Shape} and features {features.Shape} must have one shape");
            ReadOnlySpan<T> gs = g.AsSpan<T>(), fs = features.AsSpan<T>();
            var result = new T[gs.Length];
            T a = T.CreateTruncating(alpha);
            for (int i = 0; i < result.Length; i++) result[i] = fs[i] > T.Zero ? gs[i] : a * gs[i];
            c.SetOutput(0, Tensor.FromArray<T>(result, [.. g.Shape.Dims]));
        });
    }

    private static void BroadcastGradientArgs(KernelContext c)
    {
        long[] x = c.ToLongs(0), y = c.ToLongs(1);
        int rank = Math.Max(x.Length, y.Length);
        var reduceX = new List<long>();
        var reduceY = new List<long>();
        for (int i = 0; i < rank; i++)
        {
            long xd = i < rank - x.Length ? 1 : x[i - (rank - x.Length)], yd = i < rank - y.Length ? 1 : y[i - (rank - y.Length)];
            if (xd != yd && xd != 1 && yd != 1) throw c.Error($"shapes [{string.Join(",", x)}] and [{string.Join(",", y)}] cannot be broadcast together");
            // A dimension of 1 (or a missing leading one) was broadcast: its gradient is summed over it; both when both are 1.
            if (xd == 1) reduceX.Add(i);
            if (yd == 1) reduceY.Add(i);
        }
        DType type = c.Input(0).DType;
        c.SetOutput(0, Tensor.FromArray<long>([.. reduceX], reduceX.Count).Cast(type));
        c.SetOutput(1, Tensor.FromArray<long>([.. reduceY], reduceY.Count).Cast(type));
    }

    private static void BroadcastArgs(KernelContext c)
    {
        long[] x = c.ToLongs(0), y = c.ToLongs(1);
        if (!Operations.ShapeRules.TryBroadcast(x, y, out long[]? shape))
            throw c.Error($"shapes [{string.Join(",", x)}] and [{string.Join(",", y)}] cannot be broadcast together");
        c.SetOutput(0, Tensor.FromArray<long>(shape!, shape!.Length).Cast(c.Input(0).DType));
    }

    /// <summary>
    /// Segment reductions: rows of data (over the leading dimensions the ids cover) combined into the segment each id
    /// names. Sorted ops need ascending ids and make max(id) + 1 segments; unsorted ones take num_segments and drop
    /// negative ids. An empty segment is 0 (sums, means, and sorted max/min), 1 (products), or the type's lowest or
    /// highest value (unsorted max/min), as TensorFlow defines them.
    /// </summary>
    private sealed class SegmentFactory(Combine combine, bool sorted) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor data = c.Input(0), idsTensor = c.Input(1);
            long[] ids = c.ToLongs(1);
            int idRank = idsTensor.Shape.Rank;
            if (sorted && idRank != 1) throw c.Error($"segment_ids must be a vector, got {idsTensor.Shape}");
            if (idRank > data.Shape.Rank || !data.Shape.Dims[..idRank].SequenceEqual(idsTensor.Shape.Dims))
                throw c.Error($"segment_ids of shape {idsTensor.Shape} do not prefix data of shape {data.Shape}");
            long segments;
            if (sorted)
            {
                for (int i = 1; i < ids.Length; i++)
                    if (ids[i] < ids[i - 1]) throw c.Error($"segment_ids are not sorted: {ids[i - 1]} comes before {ids[i]}");
                if (ids.Length > 0 && ids[0] < 0) throw c.Error($"segment id {ids[0]} is negative");
                segments = ids.Length == 0 ? 0 : ids[^1] + 1;
            }
            else
            {
                long[] count = c.ToLongs(2);
                if (count.Length != 1 || count[0] < 0) throw c.Error("num_segments must be one non-negative number");
                segments = count[0];
            }
            long[] rowDims = [.. data.Shape.Dims[idRank..]];
            long rowSize = rowDims.Aggregate(1L, (a, b) => a * b);
            var output = Tensor.Zeros(data.DType, new TensorShape([segments, .. rowDims]));
            Span<T> o = output.AsSpan<T>();
            ReadOnlySpan<T> d = data.AsSpan<T>();
            T empty = combine switch
            {
                Combine.Prod => T.One,
                Combine.Max when !sorted => Lowest<T>(),
                Combine.Min when !sorted => Highest<T>(),
                _ => T.Zero,
            };
            o.Fill(empty);
            var counts = new long[segments];
            for (long r = 0; r < ids.Length; r++)
            {
                long id = ids[r];
                if (id < 0 && !sorted) continue;
                if (id >= segments) throw c.Error($"segment id {id} is not below num_segments {segments}");
                for (long k = 0; k < rowSize; k++)
                {
                    T v = d[(int)(r * rowSize + k)];
                    ref T target = ref o[(int)(id * rowSize + k)];
                    target = counts[id] == 0 ? v : combine switch
                    {
                        Combine.Sum or Combine.Mean => target + v,
                        Combine.Prod => target * v,
                        Combine.Max => T.Max(target, v),
                        _ => T.Min(target, v),
                    };
                }
                counts[id]++;
            }
            if (combine == Combine.Mean)
                for (long s = 0; s < segments; s++)
                    if (counts[s] > 1)
                        for (long k = 0; k < rowSize; k++) o[(int)(s * rowSize + k)] /= T.CreateChecked(counts[s]);
            c.SetOutput(0, output);
        });

        private static T Lowest<T>() where T : INumber<T> =>
            typeof(T) == typeof(float) ? (T)(object)float.MinValue : typeof(T) == typeof(double) ? (T)(object)double.MinValue
            : typeof(T) == typeof(Half) ? (T)(object)Half.MinValue : T.CreateSaturating(double.MinValue);

        private static T Highest<T>() where T : INumber<T> =>
            typeof(T) == typeof(float) ? (T)(object)float.MaxValue : typeof(T) == typeof(double) ? (T)(object)double.MaxValue
            : typeof(T) == typeof(Half) ? (T)(object)Half.MaxValue : T.CreateSaturating(double.MaxValue);
    }

    /// <summary>
    /// ScatterNd (updates added into zeros of a given shape; duplicate indices sum, as in TensorFlow) and
    /// TensorScatterAdd/Sub (added to or subtracted from a copy of a tensor), by rows of an [..., K] index tensor.
    /// </summary>
    private sealed class ScatterFactory(ScatterMode mode) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor indices = mode == ScatterMode.IntoZeros ? c.Input(0) : c.Input(1), updates = mode == ScatterMode.IntoZeros ? c.Input(1) : c.Input(2);
            Tensor output;
            if (mode == ScatterMode.IntoZeros)
            {
                long[] shape = c.ToLongs(2);
                if (shape.Any(d => d < 0)) throw c.Error($"shape [{string.Join(",", shape)}] holds a negative size");
                output = Tensor.Zeros(updates.DType, new TensorShape(shape));
            }
            else
            {
                Tensor tensor = c.Input(0);
                output = Tensor.Zeros(tensor.DType, tensor.Shape);
                tensor.AsSpan<T>().CopyTo(output.AsSpan<T>());
            }
            if (indices.Shape.Rank < 1) throw c.Error($"indices must have rank 1 or more, got {indices.Shape}");
            long[] values = mode == ScatterMode.IntoZeros ? c.ToLongs(0) : c.ToLongs(1);
            int depth = (int)indices.Shape[indices.Shape.Rank - 1];
            if (depth > output.Shape.Rank) throw c.Error($"index depth {depth} is more than the rank of {output.Shape}");
            long[] strides = ElementCopy.Strides(output.Shape.Dims);
            long sliceSize = 1;
            for (int d = depth; d < output.Shape.Rank; d++) sliceSize *= output.Shape[d];
            long rows = depth == 0 ? indices.ElementCount : values.Length / depth;
            if (updates.ElementCount != rows * sliceSize) throw c.Error($"updates of shape {updates.Shape} do not hold {rows} slices of {sliceSize} values");
            Span<T> o = output.AsSpan<T>();
            ReadOnlySpan<T> u = updates.AsSpan<T>();
            for (long r = 0; r < rows; r++)
            {
                long offset = 0;
                for (int d = 0; d < depth; d++)
                {
                    long v = values[r * depth + d];
                    if (v < 0 || v >= output.Shape[d]) throw c.Error($"index {v} is out of range for dimension {d} of {output.Shape}");
                    offset += v * strides[d];
                }
                for (long k = 0; k < sliceSize; k++)
                {
                    T update = u[(int)(r * sliceSize + k)];
                    o[(int)(offset + k)] = mode == ScatterMode.Subtract ? o[(int)(offset + k)] - update : o[(int)(offset + k)] + update;
                }
            }
            c.SetOutput(0, output);
        });
    }
}
