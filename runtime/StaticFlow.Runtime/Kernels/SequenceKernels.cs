using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Cumsum, Cumprod, TopKV2, Where, Unique, and the bool and norm reductions All, Any, EuclideanNorm, L2Loss, ClipByValue.</summary>
internal static class SequenceKernels
{
    public static void Register(KernelRegistrar add)
    {
        foreach (string op in new[] { "Cumsum", "Cumprod" })
            add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T",
                new CumulativeFactory(op == "Cumprod", KernelHelpers.BoolAttr(node, "exclusive"), KernelHelpers.BoolAttr(node, "reverse"))));
        add.Add("TopKV2", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new TopKFactory()));
        add.Add("Where", node => new DelegateKernel(Where));
        add.Add("Unique", node => new DelegateKernel(c => Unique(c, KernelHelpers.DTypeAttr(node, "out_idx"))));
        add.Add("All", node => new DelegateKernel(c => BoolReduce(c, all: true, KernelHelpers.BoolAttr(node, "keep_dims"))));
        add.Add("Any", node => new DelegateKernel(c => BoolReduce(c, all: false, KernelHelpers.BoolAttr(node, "keep_dims"))));
        add.Add("EuclideanNorm", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new NormFactory(KernelHelpers.BoolAttr(node, "keep_dims"))));
        add.Add("L2Loss", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new L2LossFactory()));
        add.Add("Bucketize", KernelDTypes.Numeric, node =>
        {
            float[] boundaries = [.. node.Attr("boundaries").List?.F ?? []];
            for (int i = 1; i < boundaries.Length; i++)
                if (boundaries[i] < boundaries[i - 1]) throw new GraphException(node.Name, node.Op, "boundaries must be sorted ascending");
            return new DelegateKernel(c =>
            {
                Tensor input = c.Input(0);
                double[] values = input.Cast(DType.Float64).ToArray<double>();
                // The bucket of v is the number of boundaries at or below it (TensorFlow's upper_bound).
                int[] buckets = [.. values.Select(v => boundaries.Count(b => b <= v))];
                c.SetOutput(0, Tensor.FromArray<int>(buckets, [.. input.Shape.Dims]));
            });
        });
        add.Add("LinSpace", KernelDTypes.Float, node => new DelegateKernel(c =>
        {
            Tensor start = c.Input(0), stop = c.Input(1);
            long[] count = c.ToLongs(2);
            if (start.ElementCount != 1 || stop.ElementCount != 1 || count.Length != 1) throw c.Error("start, stop and num must be scalars");
            if (count[0] <= 0) throw c.Error($"num must be positive, got {count[0]}");
            double a = start.Cast(DType.Float64).AsSpan<double>()[0], b = stop.Cast(DType.Float64).AsSpan<double>()[0];
            double step = count[0] == 1 ? 0 : (b - a) / (count[0] - 1);
            double[] values = [.. Enumerable.Range(0, (int)count[0]).Select(i => a + i * step)];
            if (count[0] > 1) values[^1] = b;
            c.SetOutput(0, Tensor.FromArray<double>(values, values.Length).Cast(start.DType));
        }));
        add.Add("ApproximateEqual", KernelDTypes.Numeric, node =>
        {
            double tolerance = node.Attr("tolerance").F;
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0), y = c.Input(1);
                if (!x.Shape.Equals(y.Shape)) throw c.Error($"x {x.Shape} and y {y.Shape} must have one shape");
                double[] a = x.Cast(DType.Float64).ToArray<double>(), b = y.Cast(DType.Float64).ToArray<double>();
                c.SetOutput(0, Tensor.FromArray<bool>([.. a.Zip(b, (p, q) => Math.Abs(p - q) < tolerance)], [.. x.Shape.Dims]));
            });
        });
        add.Add("ClipByValue", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new ClipFactory()));
    }

    /// <summary>The axis of a scalar axis input, in [0, rank).</summary>
    private static int Axis(KernelContext c, int input, int rank)
    {
        long[] values = c.ToLongs(input);
        if (values.Length != 1) throw c.Error($"axis must be a scalar, got {values.Length} values");
        long axis = values[0] < 0 ? values[0] + rank : values[0];
        return axis >= 0 && axis < rank ? (int)axis : throw c.Error($"axis {values[0]} is out of range for a tensor of rank {rank}");
    }

    /// <summary>Splits a shape around <paramref name="axis"/>: the product of the dimensions before it, its size, and after it.</summary>
    private static (long Outer, long Length, long Inner) Around(TensorShape shape, int axis)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Rank; d++) inner *= shape[d];
        return (outer, shape[axis], inner);
    }

    private sealed class CumulativeFactory(bool product, bool exclusive, bool reverse) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            if (x.Shape.Rank == 0) throw c.Error("input must have rank 1 or more, got a scalar");
            var (outer, length, inner) = Around(x.Shape, Axis(c, 1, x.Shape.Rank));
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            var ys = new T[xs.Length];
            for (long o = 0; o < outer; o++)
                for (long i = 0; i < inner; i++)
                {
                    T running = product ? T.One : T.Zero;
                    for (long step = 0; step < length; step++)
                    {
                        long k = reverse ? length - 1 - step : step;
                        long at = (o * length + k) * inner + i;
                        if (exclusive) { ys[at] = running; running = product ? running * xs[(int)at] : running + xs[(int)at]; }
                        else { running = product ? running * xs[(int)at] : running + xs[(int)at]; ys[at] = running; }
                    }
                }
            c.SetOutput(0, Tensor.FromArray<T>(ys, [.. x.Shape.Dims]));
        });
    }

    /// <summary>TopKV2; the values come out sorted whatever <c>sorted</c> says (TensorFlow allows any order when it is false).</summary>
    private sealed class TopKFactory : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            long[] kValues = c.ToLongs(1);
            if (kValues.Length != 1 || kValues[0] < 0) throw c.Error($"k must be a non-negative scalar, got [{string.Join(",", kValues)}]");
            if (x.Shape.Rank == 0) throw c.Error("input must have rank 1 or more, got a scalar");
            long columns = x.Shape[x.Shape.Rank - 1], k = kValues[0];
            if (k > columns) throw c.Error($"k = {k} is more than the {columns} values of the last dimension of {x.Shape}");
            long rows = columns == 0 ? 0 : x.ElementCount / columns;
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            var values = new T[rows * k];
            var indices = new int[rows * k];
            var order = new int[columns];
            for (long r = 0; r < rows; r++)
            {
                var row = xs.Slice((int)(r * columns), (int)columns).ToArray();
                for (int i = 0; i < order.Length; i++) order[i] = i;
                // Largest first; equal values keep their order (TensorFlow's stable top-k), NaN counts as largest.
                Array.Sort(order, (a, b) => Descending(row[a], row[b]) is var byValue && byValue != 0 ? byValue : a.CompareTo(b));
                for (int j = 0; j < k; j++)
                {
                    values[r * k + j] = row[order[j]];
                    indices[r * k + j] = order[j];
                }
            }
            long[] outDims = [.. x.Shape.Dims[..^1], k];
            c.SetOutput(0, Tensor.FromArray<T>(values, outDims));
            c.SetOutput(1, Tensor.FromArray<int>(indices, outDims));
        });

        private static int Descending<T>(T a, T b) where T : INumber<T> =>
            T.IsNaN(a) ? (T.IsNaN(b) ? 0 : -1) : T.IsNaN(b) ? 1 : b.CompareTo(a);
    }

    private static void Where(KernelContext c)
    {
        Tensor x = c.Input(0);
        int rank = x.Shape.Rank;
        var truth = x.DType == DType.Bool ? x : x.Cast(DType.Bool);
        ReadOnlySpan<bool> flags = truth.AsSpan<bool>();
        int count = 0;
        foreach (bool flag in flags) if (flag) count++;
        var coordinates = new long[(long)count * rank];
        long[] strides = ElementCopy.Strides(x.Shape.Dims);
        int row = 0;
        for (int i = 0; i < flags.Length; i++)
        {
            if (!flags[i]) continue;
            long rest = i;
            for (int d = 0; d < rank; d++) { coordinates[row * rank + d] = rest / strides[d]; rest %= strides[d]; }
            row++;
        }
        c.SetOutput(0, Tensor.FromArray<long>(coordinates, count, rank));
    }

    private static void Unique(KernelContext c, DType indexType)
    {
        Tensor x = c.Input(0);
        if (x.Shape.Rank != 1) throw c.Error($"x must be a vector, got {x.Shape}");
        if (indexType is not (DType.Int32 or DType.Int64)) throw c.Error($"out_idx must be int32 or int64, not {indexType.Name()}");
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var keep = new List<long>();
        var idx = new long[x.ElementCount];
        for (long i = 0; i < x.ElementCount; i++)
        {
            // Elements compare by their bytes (or string bytes), as TensorFlow's hash-based Unique does.
            string key = ElementKey(x, i);
            if (!first.TryGetValue(key, out int slot)) { slot = keep.Count; first[key] = slot; keep.Add(i); }
            idx[i] = slot;
        }
        var y = Tensor.Zeros(x.DType, new TensorShape(keep.Count));
        for (int j = 0; j < keep.Count; j++) ElementCopy.Copy(x, keep[j], y, j, 1);
        c.SetOutput(0, y);
        c.SetOutput(1, indexType == DType.Int64 ? Tensor.FromArray<long>(idx, idx.Length) : Tensor.FromArray<int>([.. idx.Select(v => (int)v)], idx.Length));
    }

    private static string ElementKey(Tensor x, long i)
    {
        if (x.RawStrings is { } strings) return Convert.ToBase64String(strings[i]);
        int size = x.DType.SizeOf();
        return Convert.ToBase64String(x.AsBytes().Slice(checked((int)(i * size)), size));
    }

    private static void BoolReduce(KernelContext c, bool all, bool keepDims)
    {
        Tensor x = c.Input(0);
        if (x.DType != DType.Bool) throw c.Error($"input must be bool, not {x.DType.Name()}");
        bool[] reduce = ReductionKernels.Axes(c, c.ToLongs(1), x.Shape.Rank);
        var (outDims, keptDims) = Reduced(x.Shape, reduce, keepDims);
        var result = new bool[keptDims.Aggregate(1L, (a, b) => a * b)];
        Array.Fill(result, all);
        ReadOnlySpan<bool> xs = x.AsSpan<bool>();
        long[] keptStrides = ElementCopy.Strides(keptDims), inStrides = ElementCopy.Strides(x.Shape.Dims);
        for (int i = 0; i < xs.Length; i++)
        {
            long target = 0, rest = i;
            for (int d = 0; d < reduce.Length; d++) { long at = rest / inStrides[d]; rest %= inStrides[d]; if (!reduce[d]) target += at * keptStrides[d]; }
            result[target] = all ? result[target] && xs[i] : result[target] || xs[i];
        }
        c.SetOutput(0, Tensor.FromArray<bool>(result, outDims));
    }

    /// <summary>The output dims of a reduction (without or with the reduced axes kept as 1) and the kept-dims shape.</summary>
    private static (long[] OutDims, long[] KeptDims) Reduced(TensorShape shape, bool[] reduce, bool keepDims)
    {
        var outDims = new List<long>();
        var kept = new long[shape.Rank];
        for (int d = 0; d < shape.Rank; d++)
        {
            kept[d] = reduce[d] ? 1 : shape[d];
            if (!reduce[d] || keepDims) outDims.Add(kept[d]);
        }
        return ([.. outDims], kept);
    }

    private sealed class NormFactory(bool keepDims) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            bool[] reduce = ReductionKernels.Axes(c, c.ToLongs(1), x.Shape.Rank);
            var (outDims, keptDims) = Reduced(x.Shape, reduce, keepDims);
            var squares = new double[keptDims.Aggregate(1L, (a, b) => a * b)];
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            long[] keptStrides = ElementCopy.Strides(keptDims), inStrides = ElementCopy.Strides(x.Shape.Dims);
            for (int i = 0; i < xs.Length; i++)
            {
                long target = 0, rest = i;
                for (int d = 0; d < reduce.Length; d++) { long at = rest / inStrides[d]; rest %= inStrides[d]; if (!reduce[d]) target += at * keptStrides[d]; }
                double v = double.CreateTruncating(xs[i]);
                squares[target] += v * v;
            }
            c.SetOutput(0, Tensor.FromArray<T>([.. squares.Select(s => T.CreateTruncating(Math.Sqrt(s)))], outDims));
        });
    }

    private sealed class L2LossFactory : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            double sum = 0;
            foreach (T v in c.Input(0).AsSpan<T>()) sum += double.CreateTruncating(v) * double.CreateTruncating(v);
            c.SetOutput(0, Tensor.Scalar(T.CreateTruncating(sum / 2)));
        });
    }

    private sealed class ClipFactory : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor t = c.Input(0), low = c.Input(1), high = c.Input(2);
            foreach (var (bound, name) in new[] { (low, "clip_value_min"), (high, "clip_value_max") })
                if (bound.ElementCount != 1 && !bound.Shape.Equals(t.Shape)) throw c.Error($"{name} of shape {bound.Shape} is neither a scalar nor of t's shape {t.Shape}");
            ReadOnlySpan<T> ts = t.AsSpan<T>(), lows = low.AsSpan<T>(), highs = high.AsSpan<T>();
            var ys = new T[ts.Length];
            for (int i = 0; i < ys.Length; i++)
            {
                T lo = lows[lows.Length == 1 ? 0 : i], hi = highs[highs.Length == 1 ? 0 : i];
                ys[i] = T.Min(T.Max(ts[i], lo), hi);
            }
            c.SetOutput(0, Tensor.FromArray<T>(ys, [.. t.Shape.Dims]));
        });
    }
}
