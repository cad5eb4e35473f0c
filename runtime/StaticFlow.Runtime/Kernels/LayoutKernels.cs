using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// Ops that move elements without computing on them (BroadcastTo, ReverseV2, Roll, PadV2, MirrorPad, SpaceToDepth,
/// DepthToSpace, MatrixBandPart, OneHot, GatherNd, TensorScatterUpdate): one kernel serves every dtype, strings included.
/// </summary>
internal static class LayoutKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("BroadcastTo", _ => new DelegateKernel(BroadcastTo));
        add.Add("ReverseV2", _ => new DelegateKernel(Reverse));
        add.Add("Roll", _ => new DelegateKernel(Roll));
        add.Add("PadV2", _ => new DelegateKernel(c => Pad(c, mode: null, fill: c.Input(2))));
        add.Add("MirrorPad", node =>
        {
            string mode = KernelHelpers.StringAttr(node, "mode");
            if (mode is not ("REFLECT" or "SYMMETRIC")) throw new GraphException(node.Name, node.Op, $"mode '{mode}' is not REFLECT or SYMMETRIC");
            return new DelegateKernel(c => Pad(c, mode, fill: null));
        });
        add.Add("MirrorPadGrad", KernelDTypes.Float, node =>
        {
            string mode = KernelHelpers.StringAttr(node, "mode");
            if (mode is not ("REFLECT" or "SYMMETRIC")) throw new GraphException(node.Name, node.Op, $"mode '{mode}' is not REFLECT or SYMMETRIC");
            return new DelegateKernel(c => MirrorPadGradient(c, mode));
        });
        add.Add("SpaceToDepth", node => new DelegateKernel(c => SpaceDepth(c, BlockSize(node), toDepth: true)));
        add.Add("DepthToSpace", node => new DelegateKernel(c => SpaceDepth(c, BlockSize(node), toDepth: false)));
        add.Add("MatrixBandPart", _ => new DelegateKernel(BandPart));
        add.Add("OneHot", node => new DelegateKernel(c => OneHot(c, KernelHelpers.IntAttr(node, "axis"))));
        add.Add("GatherNd", _ => new DelegateKernel(GatherNd));
        add.Add("Concat", _ => new DelegateKernel(ConcatV1));
        add.Add("Diag", _ => new DelegateKernel(Diag));
        add.Add("DiagPart", _ => new DelegateKernel(DiagPart));
        add.Add("MatrixDiag", _ => new DelegateKernel(MatrixDiag));
        add.Add("MatrixDiagPart", _ => new DelegateKernel(MatrixDiagPart));
        add.Add("MatrixSetDiag", _ => new DelegateKernel(MatrixSetDiag));
        add.Add("TensorScatterUpdate", _ => new DelegateKernel(TensorScatterUpdate));
    }

    /// <summary>
    /// A new tensor of <paramref name="outDims"/> whose element at each index comes from <paramref name="source"/> at
    /// the flat index <paramref name="sourceOf"/> gives, or from <paramref name="fill"/> (or zero) where it gives -1.
    /// </summary>
    private static Tensor Remap(Tensor source, long[] outDims, Func<long[], long> sourceOf, Tensor? fill = null)
    {
        var output = Tensor.Zeros(source.DType, new TensorShape(outDims));
        var index = new long[outDims.Length];
        for (long i = 0; i < output.ElementCount; i++)
        {
            long from = sourceOf(index);
            if (from >= 0) ElementCopy.Copy(source, from, output, i, 1);
            else if (fill is not null) ElementCopy.Copy(fill, 0, output, i, 1);
            for (int d = outDims.Length - 1; d >= 0 && ++index[d] >= outDims[d]; d--) index[d] = 0;
        }
        return output;
    }

    private static void BroadcastTo(KernelContext c)
    {
        Tensor x = c.Input(0);
        long[] target = c.ToLongs(1);
        int rank = x.Shape.Rank, offset = target.Length - rank;
        if (target.Any(d => d < 0)) throw c.Error($"shape [{string.Join(",", target)}] holds a negative size");
        if (offset < 0) throw c.Error($"cannot broadcast {x.Shape} to the lower rank [{string.Join(",", target)}]");
        for (int d = 0; d < rank; d++)
            if (x.Shape[d] != 1 && x.Shape[d] != target[offset + d])
                throw c.Error($"cannot broadcast {x.Shape} to [{string.Join(",", target)}]: dimension {d} is {x.Shape[d]}, neither 1 nor {target[offset + d]}");
        long[] strides = ElementCopy.Strides(x.Shape.Dims);
        c.SetOutput(0, Remap(x, target, index =>
        {
            long from = 0;
            for (int d = 0; d < rank; d++) from += (x.Shape[d] == 1 ? 0 : index[offset + d]) * strides[d];
            return from;
        }));
    }

    private static void Reverse(KernelContext c)
    {
        Tensor x = c.Input(0);
        bool[] flip = ReductionKernels.Axes(c, c.ToLongs(1), x.Shape.Rank);
        long[] dims = [.. x.Shape.Dims], strides = ElementCopy.Strides(dims);
        c.SetOutput(0, Remap(x, dims, index =>
        {
            long from = 0;
            for (int d = 0; d < dims.Length; d++) from += (flip[d] ? dims[d] - 1 - index[d] : index[d]) * strides[d];
            return from;
        }));
    }

    private static void Roll(KernelContext c)
    {
        Tensor x = c.Input(0);
        long[] shift = c.ToLongs(1), axes = c.ToLongs(2);
        if (shift.Length != axes.Length) throw c.Error($"shift has {shift.Length} values but axis has {axes.Length}");
        long[] dims = [.. x.Shape.Dims], strides = ElementCopy.Strides(dims);
        var total = new long[dims.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            long axis = axes[i] < 0 ? axes[i] + dims.Length : axes[i];
            if (axis < 0 || axis >= dims.Length) throw c.Error($"axis {axes[i]} is out of range for a tensor of rank {dims.Length}");
            total[axis] += shift[i];
        }
        c.SetOutput(0, Remap(x, dims, index =>
        {
            long from = 0;
            for (int d = 0; d < dims.Length; d++)
                if (dims[d] > 0) from += ((index[d] - total[d]) % dims[d] + dims[d]) % dims[d] * strides[d];
            return from;
        }));
    }

    /// <summary>PadV2 (<paramref name="fill"/>) and MirrorPad (<paramref name="mode"/> REFLECT or SYMMETRIC).</summary>
    private static void Pad(KernelContext c, string? mode, Tensor? fill)
    {
        Tensor x = c.Input(0);
        long[] paddings = c.ToLongs(1);
        int rank = x.Shape.Rank;
        if (paddings.Length != 2 * rank || paddings.Any(p => p < 0)) throw c.Error($"paddings must be a [{rank}, 2] tensor of non-negative values");
        if (fill is not null && (fill.ElementCount != 1 || fill.DType != x.DType)) throw c.Error($"constant_values must be one {x.DType.Name()} value");
        long[] dims = [.. x.Shape.Dims], strides = ElementCopy.Strides(dims);
        long reach = mode == "REFLECT" ? 1 : 0;
        for (int d = 0; d < rank && mode is not null; d++)
            if (paddings[2 * d] > dims[d] - reach || paddings[2 * d + 1] > dims[d] - reach)
                throw c.Error($"{mode} padding of dimension {d} by [{paddings[2 * d]}, {paddings[2 * d + 1]}] is more than its size {dims[d]}{(reach == 1 ? " - 1" : "")}");
        var outDims = new long[rank];
        for (int d = 0; d < rank; d++) outDims[d] = paddings[2 * d] + dims[d] + paddings[2 * d + 1];
        c.SetOutput(0, Remap(x, outDims, index => Source(index, dims, strides, paddings, mode is null ? null : reach), fill));
    }

    /// <summary>
    /// The flat index in the unpadded tensor that a padded position reads: inside, itself; in the padding, its mirror
    /// image (<paramref name="reach"/> 1 for REFLECT, 0 for SYMMETRIC), or -1 when not mirroring (constant padding).
    /// </summary>
    private static long Source(long[] padded, long[] dims, long[] strides, long[] paddings, long? reach)
    {
        long from = 0;
        for (int d = 0; d < dims.Length; d++)
        {
            long j = padded[d] - paddings[2 * d];
            if (j < 0 || j >= dims[d])
            {
                if (reach is not { } r) return -1;
                j = j < 0 ? -j - 1 + r : 2 * dims[d] - 1 - r - j;
            }
            from += j * strides[d];
        }
        return from;
    }

    /// <summary>MirrorPadGrad, MirrorPad's adjoint: each padded position's gradient is added to the element it mirrored.</summary>
    private static void MirrorPadGradient(KernelContext c, string mode)
    {
        Tensor g = c.Input(0);
        long[] paddings = c.ToLongs(1);
        int rank = g.Shape.Rank;
        if (paddings.Length != 2 * rank || paddings.Any(p => p < 0)) throw c.Error($"paddings must be a [{rank}, 2] tensor of non-negative values");
        long reach = mode == "REFLECT" ? 1 : 0;
        var dims = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            dims[d] = g.Shape[d] - paddings[2 * d] - paddings[2 * d + 1];
            if (dims[d] < 0 || paddings[2 * d] > dims[d] - reach || paddings[2 * d + 1] > dims[d] - reach)
                throw c.Error($"{mode} paddings [{paddings[2 * d]}, {paddings[2 * d + 1]}] of dimension {d} do not fit the gradient's size {g.Shape[d]}");
        }
        long[] strides = ElementCopy.Strides(dims), paddedDims = [.. g.Shape.Dims];
        double[] gradient = g.Cast(DType.Float64).ToArray<double>();
        var sums = new double[new TensorShape(dims).ElementCount];
        var index = new long[rank];
        for (long i = 0; i < gradient.Length; i++)
        {
            sums[Source(index, dims, strides, paddings, reach)] += gradient[i];
            for (int d = rank - 1; d >= 0 && ++index[d] >= paddedDims[d]; d--) index[d] = 0;
        }
        c.SetOutput(0, Tensor.FromArray<double>(sums, dims).Cast(g.DType));
    }

    private static long BlockSize(GraphNode node)
    {
        long size = KernelHelpers.IntAttr(node, "block_size");
        if (size < 2) throw new GraphException(node.Name, node.Op, $"block_size must be at least 2, got {size}");
        if (KernelHelpers.StringAttr(node, "data_format") != "NHWC") throw new KernelNotFoundException(node.Name, node.Op, "only NHWC runs on CPU");
        return size;
    }

    private static void SpaceDepth(KernelContext c, long block, bool toDepth)
    {
        Tensor x = c.Input(0);
        if (x.Shape.Rank != 4) throw c.Error($"input must be 4-D NHWC, got {x.Shape}");
        long n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], ch = x.Shape[3];
        long[] strides = ElementCopy.Strides(x.Shape.Dims);
        if (toDepth)
        {
            if (h % block != 0 || w % block != 0) throw c.Error($"height {h} and width {w} must be multiples of block_size {block}");
            c.SetOutput(0, Remap(x, [n, h / block, w / block, ch * block * block], i =>
            {
                long within = i[3] / ch, channel = i[3] % ch;
                return i[0] * strides[0] + (i[1] * block + within / block) * strides[1] + (i[2] * block + within % block) * strides[2] + channel;
            }));
        }
        else
        {
            if (ch % (block * block) != 0) throw c.Error($"depth {ch} must be a multiple of block_size² = {block * block}");
            long outCh = ch / (block * block);
            c.SetOutput(0, Remap(x, [n, h * block, w * block, outCh], i =>
                i[0] * strides[0] + i[1] / block * strides[1] + i[2] / block * strides[2] + ((i[1] % block) * block + i[2] % block) * outCh + i[3]));
        }
    }

    private static void BandPart(KernelContext c)
    {
        Tensor x = c.Input(0);
        long lower = Scalar(c, 1), upper = Scalar(c, 2);
        int rank = x.Shape.Rank;
        if (rank < 2) throw c.Error($"input must have rank 2 or more, got {x.Shape}");
        long[] dims = [.. x.Shape.Dims], strides = ElementCopy.Strides(dims);
        c.SetOutput(0, Remap(x, dims, index =>
        {
            long row = index[rank - 2], column = index[rank - 1];
            bool keep = (lower < 0 || row - column <= lower) && (upper < 0 || column - row <= upper);
            if (!keep) return -1;
            long from = 0;
            for (int d = 0; d < rank; d++) from += index[d] * strides[d];
            return from;
        }));
    }

    private static void OneHot(KernelContext c, long axis)
    {
        Tensor indices = c.Input(0);
        long depth = Scalar(c, 1);
        Tensor on = c.Input(2), off = c.Input(3);
        if (depth < 0) throw c.Error($"depth must be non-negative, got {depth}");
        if (on.ElementCount != 1 || off.ElementCount != 1) throw c.Error("on_value and off_value must be scalars");
        int rank = indices.Shape.Rank;
        long position = axis == -1 ? rank : axis;
        if (position < 0 || position > rank) throw c.Error($"axis {axis} is out of range for indices of rank {rank}");
        long[] values = c.ToLongs(0);
        var outDims = new List<long>(indices.Shape.Dims.ToArray());
        outDims.Insert((int)position, depth);
        long[] indexStrides = ElementCopy.Strides(indices.Shape.Dims);
        var output = Tensor.Zeros(on.DType, new TensorShape([.. outDims]));
        var index = new long[outDims.Count];
        for (long i = 0; i < output.ElementCount; i++)
        {
            long flat = 0;
            for (int d = 0, s = 0; d < outDims.Count; d++)
                if (d != position) flat += index[d] * indexStrides[s++];
            // Out-of-range indices (negative or at least depth) give a row of off_value, as in TensorFlow.
            ElementCopy.Copy(values[flat] == index[position] ? on : off, 0, output, i, 1);
            for (int d = outDims.Count - 1; d >= 0 && ++index[d] >= outDims[d]; d--) index[d] = 0;
        }
        c.SetOutput(0, output);
    }

    /// <summary>The slices of <paramref name="params"/> each row of an [..., K] index tensor points at: their flat offsets and size.</summary>
    private static (long[] Offsets, long SliceSize, long[] SliceDims) Slices(KernelContext c, Tensor @params, Tensor indices, long[] values)
    {
        if (indices.Shape.Rank < 1) throw c.Error($"indices must have rank 1 or more, got {indices.Shape}");
        int k = (int)indices.Shape[indices.Shape.Rank - 1];
        if (k > @params.Shape.Rank) throw c.Error($"index depth {k} is more than the rank of {@params.Shape}");
        long[] strides = ElementCopy.Strides(@params.Shape.Dims);
        long[] sliceDims = [.. @params.Shape.Dims[k..]];
        long sliceSize = sliceDims.Aggregate(1L, (a, b) => a * b);
        long rows = k == 0 ? indices.ElementCount : values.Length / k;
        var offsets = new long[rows];
        for (long r = 0; r < rows; r++)
            for (int d = 0; d < k; d++)
            {
                long v = values[r * k + d];
                if (v < 0 || v >= @params.Shape[d])
                    throw c.Error($"index [{string.Join(",", values.Skip((int)(r * k)).Take(k))}] is out of range for dimension {d} of {@params.Shape}");
                offsets[r] += v * strides[d];
            }
        return (offsets, sliceSize, sliceDims);
    }

    private static void GatherNd(KernelContext c)
    {
        Tensor @params = c.Input(0), indices = c.Input(1);
        var (offsets, size, sliceDims) = Slices(c, @params, indices, c.ToLongs(1));
        long[] outDims = [.. indices.Shape.Dims[..^1], .. sliceDims];
        var output = Tensor.Zeros(@params.DType, new TensorShape(outDims));
        for (long r = 0; r < offsets.Length; r++) ElementCopy.Copy(@params, offsets[r], output, r * size, size);
        c.SetOutput(0, output);
    }

    private static void TensorScatterUpdate(KernelContext c)
    {
        Tensor tensor = c.Input(0), indices = c.Input(1), updates = c.Input(2);
        var (offsets, size, _) = Slices(c, tensor, indices, c.ToLongs(1));
        if (updates.ElementCount != offsets.Length * size || updates.DType != tensor.DType)
            throw c.Error($"updates of shape {updates.Shape} do not hold {offsets.Length} slices of {size} {tensor.DType.Name()} values");
        var output = Tensor.Zeros(tensor.DType, tensor.Shape);
        ElementCopy.Copy(tensor, 0, output, 0, tensor.ElementCount);
        for (long r = 0; r < offsets.Length; r++) ElementCopy.Copy(updates, r * size, output, offsets[r], size);
        c.SetOutput(0, output);
    }

    private static long Scalar(KernelContext c, int input)
    {
        long[] values = c.ToLongs(input);
        return values.Length == 1 ? values[0] : throw c.Error($"input {input} must be a scalar, got {values.Length} values");
    }

    /// <summary>Concat (TensorFlow 1.0's form, the axis first): ConcatV2's join with the arguments swapped.</summary>
    private static void ConcatV1(KernelContext c)
    {
        long[] axis = c.ToLongs(0);
        if (axis.Length != 1) throw c.Error("concat_dim must be a scalar");
        c.SetOutput(0, ArrayKernels.Concat(c, [.. Enumerable.Range(1, c.InputCount - 1).Select(c.Input)], axis[0]));
    }

    /// <summary>Diag: a tensor of rank 2k with the input of rank k on its diagonal.</summary>
    private static void Diag(KernelContext c)
    {
        Tensor x = c.Input(0);
        if (x.Shape.Rank < 1) throw c.Error("input must have rank 1 or more");
        c.SetOutput(0, Remap(x, [.. x.Shape.Dims, .. x.Shape.Dims], index =>
        {
            long row = 0, column = 0;
            int rank = x.Shape.Rank;
            for (int d = 0; d < rank; d++) { row = row * x.Shape[d] + index[d]; column = column * x.Shape[d] + index[rank + d]; }
            return row == column ? row : -1;
        }));
    }

    /// <summary>DiagPart: the diagonal of a tensor of rank 2k whose halves have one shape.</summary>
    private static void DiagPart(KernelContext c)
    {
        Tensor x = c.Input(0);
        int rank = x.Shape.Rank;
        if (rank == 0 || rank % 2 != 0 || !x.Shape.Dims[..(rank / 2)].SequenceEqual(x.Shape.Dims[(rank / 2)..]))
            throw c.Error($"input must have an even rank with equal halves, got {x.Shape}");
        long[] half = [.. x.Shape.Dims[..(rank / 2)]];
        long count = half.Aggregate(1L, (a, b) => a * b);
        c.SetOutput(0, Remap(x, half, index =>
        {
            long flat = 0;
            for (int d = 0; d < half.Length; d++) flat = flat * half[d] + index[d];
            return flat * count + flat;
        }));
    }

    /// <summary>MatrixDiag: each innermost vector on the diagonal of a square matrix of zeros.</summary>
    private static void MatrixDiag(KernelContext c)
    {
        Tensor x = c.Input(0);
        if (x.Shape.Rank < 1) throw c.Error("diagonal must have rank 1 or more");
        int rank = x.Shape.Rank;
        long n = x.Shape[rank - 1];
        c.SetOutput(0, Remap(x, [.. x.Shape.Dims, n], index =>
        {
            if (index[rank - 1] != index[rank]) return -1;
            long flat = 0;
            for (int d = 0; d < rank; d++) flat = flat * x.Shape[d] + index[d];
            return flat;
        }));
    }

    /// <summary>MatrixDiagPart: the main diagonal of each innermost matrix.</summary>
    private static void MatrixDiagPart(KernelContext c)
    {
        Tensor x = c.Input(0);
        int rank = x.Shape.Rank;
        if (rank < 2) throw c.Error($"input must have rank 2 or more, got {x.Shape}");
        long m = x.Shape[rank - 2], n = x.Shape[rank - 1];
        long[] strides = ElementCopy.Strides(x.Shape.Dims);
        c.SetOutput(0, Remap(x, [.. x.Shape.Dims[..^2], Math.Min(m, n)], index =>
        {
            long from = 0;
            for (int d = 0; d < rank - 2; d++) from += index[d] * strides[d];
            return from + index[rank - 2] * (strides[rank - 2] + strides[rank - 1]);
        }));
    }

    /// <summary>MatrixSetDiag: each innermost matrix with its main diagonal replaced.</summary>
    private static void MatrixSetDiag(KernelContext c)
    {
        Tensor x = c.Input(0), diagonal = c.Input(1);
        int rank = x.Shape.Rank;
        if (rank < 2) throw c.Error($"input must have rank 2 or more, got {x.Shape}");
        long m = x.Shape[rank - 2], n = x.Shape[rank - 1], k = Math.Min(m, n);
        long[] expected = [.. x.Shape.Dims[..^2], k];
        if (!diagonal.Shape.Dims.SequenceEqual(expected) || diagonal.DType != x.DType) throw c.Error($"diagonal must be [{string.Join(",", expected)}] of {x.DType.Name()}, got {diagonal.Shape}");
        var output = Tensor.Zeros(x.DType, x.Shape);
        ElementCopy.Copy(x, 0, output, 0, x.ElementCount);
        long matrices = k == 0 ? 0 : diagonal.ElementCount / k;
        for (long b = 0; b < matrices; b++)
            for (long i = 0; i < k; i++) ElementCopy.Copy(diagonal, b * k + i, output, b * m * n + i * n + i, 1);
        c.SetOutput(0, output);
    }
}
