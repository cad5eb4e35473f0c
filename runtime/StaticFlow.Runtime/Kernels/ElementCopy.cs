using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Dtype-agnostic element moves (bytes for numeric tensors, references for strings and variants) for the layout ops.</summary>
internal static class ElementCopy
{
    /// <summary>Copies <paramref name="count"/> consecutive elements.</summary>
    public static void Copy(Tensor source, long sourceIndex, Tensor destination, long destinationIndex, long count)
    {
        if (count == 0) return;
        if (source.RawStrings is { } strings)
        {
            Array.Copy(strings, sourceIndex, destination.RawStrings!, destinationIndex, count);
            return;
        }
        if (source.RawVariants is { } objects)
        {
            Array.Copy(objects, sourceIndex, destination.RawVariants!, destinationIndex, count);
            return;
        }
        int size = source.DType.SizeOf();
        source.AsBytes().Slice(checked((int)(sourceIndex * size)), checked((int)(count * size))).CopyTo(destination.AsBytes()[checked((int)(destinationIndex * size))..]);
    }

    /// <summary>Row-major element strides of a shape.</summary>
    public static long[] Strides(ReadOnlySpan<long> dims)
    {
        var strides = new long[dims.Length];
        long stride = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= dims[i];
        }
        return strides;
    }

    /// <summary>
    /// Fills a new tensor of <paramref name="outDims"/>: output element at index i comes from the source element at
    /// <c>start + Σ i[d]·step[d]</c>, where <paramref name="step"/> holds per-dimension source strides.
    /// </summary>
    public static Tensor Gather(Tensor source, long[] outDims, long start, long[] step)
    {
        var output = Tensor.Zeros(source.DType, new TensorShape(outDims));
        long count = output.ElementCount;
        if (count == 0) return output;
        int rank = outDims.Length;
        var index = new long[rank];
        long offset = start;
        for (long i = 0; i < count; i++)
        {
            Copy(source, offset, output, i, 1);
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                offset += step[d];
                if (index[d] < outDims[d]) break;
                offset -= step[d] * outDims[d];
                index[d] = 0;
            }
        }
        return output;
    }
}
