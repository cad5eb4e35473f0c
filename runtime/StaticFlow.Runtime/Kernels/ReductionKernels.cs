using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Sum, Mean, Max, Min, Prod over any set of axes (negative axes count from the end), ArgMax and ArgMin.</summary>
internal static class ReductionKernels
{
    public static void Register(KernelRegistrar add)
    {
        foreach (string op in new[] { "Sum", "Mean", "Max", "Min", "Prod" })
            add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new ReduceFactory(op, KernelHelpers.BoolAttr(node, "keep_dims"))));
        foreach (string op in new[] { "ArgMax", "ArgMin" })
            add.Add(op, KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T", new ArgFactory(op == "ArgMax", KernelHelpers.DTypeAttr(node, "output_type"))));
    }

    /// <summary>Normalizes axes against <paramref name="rank"/>, rejecting out-of-range and duplicate ones.</summary>
    internal static bool[] Axes(KernelContext context, long[] axes, int rank)
    {
        var reduce = new bool[rank];
        foreach (long axis in axes)
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank) throw context.Error($"axis {axis} is out of range for a tensor of rank {rank}");
            reduce[a] = true;
        }
        return reduce;
    }

    private sealed class ReduceFactory(string op, bool keepDims) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            bool[] reduce = Axes(c, c.ToLongs(1), x.Shape.Rank);
            int rank = x.Shape.Rank;
            var outDims = new List<long>();
            var keptDims = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                keptDims[i] = reduce[i] ? 1 : x.Shape[i];
                if (!reduce[i] || keepDims) outDims.Add(keptDims[i]);
            }
            long outCount = 1;
            foreach (long d in keptDims) outCount *= d;
            long groupSize = outCount == 0 ? 0 : x.ElementCount / Math.Max(outCount, 1);
            if (x.ElementCount == 0 && outCount > 0 && op is "Max" or "Min")
                throw c.Error($"cannot take the {op.ToLowerInvariant()} of an empty set of values");

            T init = op switch { "Prod" => T.One, "Max" => MinValue<T>(), "Min" => MaxValue<T>(), _ => T.Zero };
            var acc = new T[outCount];
            Array.Fill(acc, init);
            ReadOnlySpan<T> xs = x.AsSpan<T>();
            long[] outStrides = Broadcast.Strides(keptDims, [.. x.Shape.Dims]);
            var rows = new BroadcastRows([.. x.Shape.Dims], outStrides, outStrides);
            long n = rows.RowLength, stride = rows.AStride;
            while (rows.Next(out long o, out long target, out _))
            {
                ReadOnlySpan<T> row = xs.Slice((int)o, (int)n);
                if (stride == 0)
                {
                    // The innermost axis is reduced: fold the whole row into one accumulator.
                    T a = acc[target];
                    foreach (T v in row) a = Combine(a, v);
                    acc[target] = a;
                }
                else
                {
                    for (int i = 0; i < row.Length; i++) acc[target + i] = Combine(acc[target + i], row[i]);
                }
            }
            if (op == "Mean" && groupSize > 0)
            {
                T count = T.CreateChecked(groupSize);
                for (int i = 0; i < acc.Length; i++) acc[i] /= count;
            }
            c.SetOutput(0, Tensor.FromArray<T>(acc, [.. outDims]));
        });

        private T Combine<T>(T a, T v) where T : INumber<T> => op switch
        {
            "Sum" or "Mean" => a + v,
            "Prod" => a * v,
            "Max" => T.IsNaN(v) || v > a ? v : a,
            _ => T.IsNaN(v) || v < a ? v : a,
        };
    }

    private static T MinValue<T>() where T : INumber<T> =>
        typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity : typeof(T) == typeof(Half) ? (T)(object)Half.NegativeInfinity : typeof(T) == typeof(double) ? (T)(object)double.NegativeInfinity : T.CreateSaturating(double.MinValue);

    private static T MaxValue<T>() where T : INumber<T> =>
        typeof(T) == typeof(float) ? (T)(object)float.PositiveInfinity : typeof(T) == typeof(Half) ? (T)(object)Half.PositiveInfinity : typeof(T) == typeof(double) ? (T)(object)double.PositiveInfinity : T.CreateSaturating(double.MaxValue);

    private sealed class ArgFactory(bool max, DType outputType) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T>
        {
            if (outputType is not (DType.Int32 or DType.Int64))
                throw new KernelNotFoundException(node.Name, node.Op, $"output_type must be int32 or int64, not {outputType.Name()}");
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0);
                long[] axisValue = c.ToLongs(1);
                if (axisValue.Length != 1) throw c.Error("dimension must be a scalar");
                int rank = x.Shape.Rank;
                long axis = axisValue[0] < 0 ? axisValue[0] + rank : axisValue[0];
                if (axis < 0 || axis >= rank) throw c.Error($"dimension {axisValue[0]} is out of range for rank {rank}");
                long outer = 1, inner = 1, size = x.Shape[(int)axis];
                for (int i = 0; i < axis; i++) outer *= x.Shape[i];
                for (int i = (int)axis + 1; i < rank; i++) inner *= x.Shape[i];
                if (size == 0) throw c.Error("cannot take the arg max/min over an empty axis");
                ReadOnlySpan<T> xs = x.AsSpan<T>();
                var result = new long[outer * inner];
                for (long o = 0; o < outer; o++)
                    for (long i = 0; i < inner; i++)
                    {
                        long best = 0;
                        T bestValue = xs[(int)(o * size * inner + i)];
                        for (long s = 1; s < size; s++)
                        {
                            T v = xs[(int)((o * size + s) * inner + i)];
                            if (max ? v > bestValue : v < bestValue) { best = s; bestValue = v; }
                        }
                        result[o * inner + i] = best;
                    }
                long[] dims = [.. x.Shape.Dims[..(int)axis], .. x.Shape.Dims[((int)axis + 1)..]];
                c.SetOutput(0, outputType == DType.Int64 ? Tensor.FromArray<long>(result, dims) : Tensor.FromArray<int>(Array.ConvertAll(result, v => (int)v), dims));
            });
        }
    }
}
