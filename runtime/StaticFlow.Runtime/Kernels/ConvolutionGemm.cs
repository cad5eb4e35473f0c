using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// Float32 Conv2D on the packed GEMM (im2col, as MLAS and Caffe do): the receptive field of each output pixel,
/// laid out in the filter's HWIO order, is one row of A, and the filter, which in TensorFlow's layout already is
/// the row-major matrix [fh·fw·cin, cout], is B; the product is the NHWC output. A constant filter is packed
/// once when the plan is built. Output pixels are split into row blocks, each gathered into the running
/// thread's scratch (it stays in cache for the product that reads it) and multiplied on that thread, so
/// gathering and multiplying both use every core. A bias and Relu fused by the planner are applied as the GEMM
/// stores each tile. A 1×1 convolution with stride 1 and no padding reads the input in place.
/// </summary>
internal sealed unsafe class ConvolutionGemmKernel(ConvolutionKernels.Window window) : IOpKernel, IConstantInputAware, IVariableInputAware, IFusableProduct
{
    /// <summary>Floats of A gathered per block: 512 KB, to stay in L2 while the product streams it.</summary>
    private const int BlockFloats = 128 * 1024;

    // A constant filter packed once, with the tensor it came from.
    private (Tensor Source, PackedMatrix Packed)? _packedFilter;

    [ThreadStatic] private static float[]? t_patches;
    [ThreadStatic] private static float[]? t_convolved;

    // Or one read from a variable, packed while the variable keeps the same tensor.
    private PackedWeights? _variableFilter;

    public void OnVariableInput(int index)
    {
        if (index == 1) _variableFilter = new PackedWeights();
    }

    public void OnConstantInput(int index, Tensor value)
    {
        if (index != 1 || value.DType != DType.Float32 || value.Shape.Rank != 4) return;
        int k = checked((int)(value.Shape[0] * value.Shape[1] * value.Shape[2])), n = (int)value.Shape[3];
        _packedFilter = (value, Sgemm.Pack(k, n, value.AsSpan<float>(), n, transB: false));
    }

    public void Compute(KernelContext context) => context.SetOutput(0, Multiply(context, default, relu: false));

    public long Columns(Tensor filter) => filter.Shape.Rank == 4 ? filter.Shape[3] : -1;

    public Tensor Multiply(KernelContext context, ReadOnlySpan<float> bias, bool relu) => Multiply(context, bias, relu, pool: null);

    /// <summary>
    /// Whether <paramref name="maxPool"/> can be folded into the convolution's store: windows that tile the output
    /// without overlap or padding (ksize = strides, VALID), as CNNs pool.
    /// </summary>
    public static bool CanPool(GraphNode maxPool)
    {
        try
        {
            var w = ConvolutionKernels.Window.FromNode(maxPool, "ksize");
            return w.Padding == "VALID" && w.KernelH == w.StrideH && w.KernelW == w.StrideW && maxPool.Attr("T").Type == Protos.DataType.DtFloat;
        }
        catch (GraphException) { return false; }
    }

    /// <summary>
    /// The convolution (+ bias, Relu), then, when <paramref name="pool"/> is given, its max pooling (see
    /// <see cref="CanPool"/>): each block's convolved rows go to the thread's scratch and only their pooled maxima
    /// to the output, so the full-resolution activations (a CNN's largest tensor) are never written to memory, and
    /// rows and columns the pooling drops are never computed.
    /// </summary>
    public Tensor Multiply(KernelContext context, ReadOnlySpan<float> bias, bool relu, ConvolutionKernels.Window? pool)
    {
        Tensor input = context.Input(0), filter = context.Input(1);
        var g = ConvolutionKernels.Geometry.Of(context, window, input, filter, depthwise: false);
        int depth = checked(g.FilterHeight * g.FilterWidth * g.Channels), columns = g.OutChannels;
        int pooledHeight = 0, pooledWidth = 0;
        if (pool is not null)
        {
            pooledHeight = g.OutHeight >= pool.KernelH ? (g.OutHeight - pool.KernelH) / pool.StrideH + 1 : 0;
            pooledWidth = g.OutWidth >= pool.KernelW ? (g.OutWidth - pool.KernelW) / pool.StrideW + 1 : 0;
            if (pooledHeight == 0 || pooledWidth == 0)
                throw context.Error($"the convolution's output {g.OutHeight}x{g.OutWidth} is smaller than the pooling window {pool.KernelH}x{pool.KernelW} with VALID padding");
        }
        var outputShape = pool is null
            ? new TensorShape(g.Batch, g.OutHeight, g.OutWidth, columns)
            : new TensorShape(g.Batch, pooledHeight, pooledWidth, columns);
        var output = context.Frame.NewOutput(DType.Float32, outputShape);
        int rows = checked(g.Batch * g.OutHeight * g.OutWidth);
        if (rows == 0 || columns == 0) return output;
        PackedMatrix packed = _packedFilter is { } known && ReferenceEquals(known.Source, filter)
            ? known.Packed
            : _variableFilter?.Find(filter, depth, columns, columns, transB: false)
                ?? Sgemm.PackTransient(depth, columns, filter.AsSpan<float>(), columns, transB: false);
        if (g.IsPointwise && pool is null)
        {
            Sgemm.Multiply(rows, input.AsSpan<float>(), g.Channels, transA: false, packed, output.AsSpan<float>(), columns, bias, relu);
            return output;
        }

        // A unit of work is a run of output rows: pixels, or with pooling whole pooled rows of one image (the
        // convolved rows under them, only as wide as the pooling reads). Blocks are small enough to stay in cache,
        // and at least two per core when the work is worth splitting.
        int unitRows = pool is null ? 1 : pool.KernelH * ((pooledWidth - 1) * pool.StrideW + pool.KernelW);
        int units = pool is null ? rows : g.Batch * pooledHeight;
        int threads = (long)units * unitRows * depth * columns >= 64L * 64 * 64 ? Math.Max(1, Sgemm.Threads) : 1;
        int blockUnits = Math.Max(1, Math.Min(BlockFloats / Math.Max(depth * unitRows, 1), pool is null ? 4096 : pooledHeight));
        if (threads > 1) blockUnits = Math.Max(1, Math.Min(blockUnits, (units + threads * 2 - 1) / (threads * 2)));
        if (pool is null) blockUnits = Math.Max(6, (blockUnits + 5) / 6 * 6);
        // Pooled blocks never straddle two images.
        int blocksPerImage = pool is null ? 0 : (pooledHeight + blockUnits - 1) / blockUnits;
        int blocks = pool is null ? (rows + blockUnits - 1) / blockUnits : g.Batch * blocksPerImage;
        fixed (float* pinnedBias = bias)
        {
            var biasAddress = (nint)pinnedBias;
            int biasLength = bias.Length;
            int next = 0;
            void Part(int _)
            {
                var blockBias = new ReadOnlySpan<float>((float*)biasAddress, biasLength);
                for (int block = Interlocked.Increment(ref next) - 1; block < blocks; block = Interlocked.Increment(ref next) - 1)
                {
                    if (pool is null)
                    {
                        int first = block * blockUnits, count = Math.Min(blockUnits, rows - first);
                        float[] patches = Scratch(ref t_patches, count * depth);
                        GatherPixels(g, input.AsSpan<float>(), first, count, patches);
                        Sgemm.Multiply(count, patches, depth, transA: false, packed, output.AsSpan<float>().Slice(first * columns, count * columns), columns,
                            blockBias, relu, serial: true);
                        continue;
                    }
                    int image = block / blocksPerImage, firstPooled = block % blocksPerImage * blockUnits;
                    int pooledRows = Math.Min(blockUnits, pooledHeight - firstPooled);
                    int convRows = pooledRows * pool.KernelH, convWidth = unitRows / pool.KernelH, pixels = convRows * convWidth;
                    float[] blockPatches = Scratch(ref t_patches, pixels * depth);
                    float[] convolved = Scratch(ref t_convolved, pixels * columns);
                    GatherRows(g, input.AsSpan<float>(), image, firstPooled * pool.StrideH, convRows, convWidth, blockPatches);
                    Sgemm.Multiply(pixels, blockPatches, depth, transA: false, packed, convolved, columns, blockBias, relu, serial: true);
                    MaxPool(convolved, convWidth, columns, pool, pooledRows, pooledWidth,
                        output.AsSpan<float>().Slice(((image * pooledHeight) + firstPooled) * pooledWidth * columns, pooledRows * pooledWidth * columns));
                }
            }
            if (threads > 1 && blocks > 1) WorkerTeam.Shared.Run(Math.Min(threads, blocks), Part);
            else Part(0);
        }
        return output;
    }

    private static float[] Scratch(ref float[]? cache, int length) =>
        cache is { } existing && existing.Length >= length ? existing : (cache = new float[length]);

    [ThreadStatic] private static float[]? t_product;

    /// <summary>
    /// Conv2DBackpropFilter on the packed GEMM: d filter [fh·fw·cin, cout] = patchesᵀ · dy, summed over blocks of output
    /// pixels. Each thread gathers its blocks' patches (as the forward pass does) and adds their products into a
    /// filter-sized partial of its own; the partials are summed at the end, so no two threads write one value.
    /// </summary>
    public Tensor FilterGradient(KernelContext context, Tensor input, long[] filterSizes, Tensor dy)
    {
        var shape = new TensorShape(filterSizes);
        var g = ConvolutionKernels.Geometry.Of(context, window, input.Shape, shape, depthwise: false);
        int depth = checked(g.FilterHeight * g.FilterWidth * g.Channels), columns = g.OutChannels, rows = checked(g.Batch * g.OutHeight * g.OutWidth);
        CheckOutBackprop(context, g, dy);
        var result = context.Frame.NewZeroedOutput(DType.Float32, shape);
        if (rows == 0 || depth == 0 || columns == 0) return result;
        int blockRows = Math.Max(1, Math.Min(BlockFloats / depth, rows));
        int blocks = (rows + blockRows - 1) / blockRows;
        int threads = (long)rows * depth * columns >= 64L * 64 * 64 ? Math.Max(1, Math.Min(Sgemm.Threads, blocks)) : 1;
        // Each thread's partial sum is a buffer of the run's pool, given back once the partials are added up.
        var partials = new byte[threads][];
        BufferPool? pool = context.Frame.Buffers;
        int partialBytes = checked(depth * columns * sizeof(float));
        int next = 0;
        void Part(int part)
        {
            byte[] buffer = partials[part] = pool?.Rent(partialBytes) ?? new byte[partialBytes];
            Span<float> sum = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(buffer.AsSpan(0, partialBytes));
            sum.Clear();
            for (int block = Interlocked.Increment(ref next) - 1; block < blocks; block = Interlocked.Increment(ref next) - 1)
            {
                int first = block * blockRows, count = Math.Min(blockRows, rows - first);
                float[] patches = Scratch(ref t_patches, count * depth);
                GatherPixels(g, input.AsSpan<float>(), first, count, patches);
                float[] product = Scratch(ref t_product, depth * columns);
                var packed = Sgemm.PackTransient(count, columns, dy.AsSpan<float>().Slice(first * columns, count * columns), columns, transB: false);
                Sgemm.Multiply(depth, patches, depth, transA: true, packed, product, columns, serial: true);
                System.Numerics.Tensors.TensorPrimitives.Add(sum, product.AsSpan(0, depth * columns), sum);
            }
        }
        if (threads > 1) WorkerTeam.Shared.Run(threads, Part);
        else Part(0);
        Span<float> output = result.AsSpan<float>();
        foreach (byte[]? partial in partials)
        {
            if (partial is null) continue;
            System.Numerics.Tensors.TensorPrimitives.Add(output, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(partial.AsSpan(0, partialBytes)), output);
            pool?.Return(partial);
        }
        return result;
    }

    /// <summary>
    /// Conv2DBackpropInput on the packed GEMM: each output pixel's patch gradient dy · filterᵀ (a row of
    /// fh·fw·cin values, the filter packed once) is added back onto the input positions its window covered
    /// (col2im). Windows of one image overlap, so an image is one thread's work from start to end.
    /// </summary>
    public Tensor InputGradient(KernelContext context, long[] inputSizes, Tensor filter, Tensor dy)
    {
        var g = ConvolutionKernels.Geometry.Of(context, window, new TensorShape(inputSizes), filter.Shape, depthwise: false);
        int depth = checked(g.FilterHeight * g.FilterWidth * g.Channels), columns = g.OutChannels, pixels = checked(g.OutHeight * g.OutWidth);
        CheckOutBackprop(context, g, dy);
        // From the run's arena or buffer pool (the largest gradient of a CNN's step), cleared for the sums below.
        var result = context.Frame.NewZeroedOutput(DType.Float32, new TensorShape(inputSizes));
        if (pixels == 0 || depth == 0 || g.Batch == 0) return result;
        // filter [depth, cout] transposed is B [cout, depth]: packed on this thread, read by the others while it waits.
        PackedMatrix packed = Sgemm.PackTransient(columns, depth, filter.AsSpan<float>(), columns, transB: true);
        int blockRows = Math.Max(1, Math.Min(BlockFloats / depth, pixels));
        int threads = (long)g.Batch * pixels * depth * columns >= 64L * 64 * 64 ? Math.Max(1, Math.Min(Sgemm.Threads, g.Batch)) : 1;
        int next = 0;
        void Part(int _)
        {
            for (int image = Interlocked.Increment(ref next) - 1; image < g.Batch; image = Interlocked.Increment(ref next) - 1)
                for (int first = 0; first < pixels; first += blockRows)
                {
                    int count = Math.Min(blockRows, pixels - first);
                    float[] patches = Scratch(ref t_patches, count * depth);
                    Sgemm.Multiply(count, dy.AsSpan<float>().Slice((image * pixels + first) * columns, count * columns), columns, transA: false, packed, patches, depth, serial: true);
                    Scatter(g, patches, image, first, count, result.AsSpan<float>());
                }
        }
        if (threads > 1) WorkerTeam.Shared.Run(threads, Part);
        else Part(0);
        return result;
    }

    /// <summary>Adds each patch row (output pixels first..first+count of one image) onto the input positions of its window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Scatter(in ConvolutionKernels.Geometry g, ReadOnlySpan<float> patches, int image, int first, int count, Span<float> dx)
    {
        int channels = g.Channels, depth = g.FilterHeight * g.FilterWidth * channels;
        for (int r = 0; r < count; r++)
        {
            int pixel = first + r, i = pixel / g.OutWidth, j = pixel % g.OutWidth;
            ReadOnlySpan<float> patch = patches.Slice(r * depth, depth);
            for (int ki = 0; ki < g.FilterHeight; ki++)
            {
                int y = i * window.StrideH - g.PadTop + ki * window.DilationH;
                if ((uint)y >= (uint)g.Height) continue;
                for (int kj = 0; kj < g.FilterWidth; kj++)
                {
                    int x = j * window.StrideW - g.PadLeft + kj * window.DilationW;
                    if ((uint)x >= (uint)g.Width) continue;
                    Span<float> target = dx.Slice(((image * g.Height + y) * g.Width + x) * channels, channels);
                    System.Numerics.Tensors.TensorPrimitives.Add(target, patch.Slice((ki * g.FilterWidth + kj) * channels, channels), target);
                }
            }
        }
    }

    private static void CheckOutBackprop(KernelContext c, in ConvolutionKernels.Geometry g, Tensor dy)
    {
        if (dy.Shape.Rank != 4 || dy.Shape[0] != g.Batch || dy.Shape[1] != g.OutHeight || dy.Shape[2] != g.OutWidth || dy.Shape[3] != g.OutChannels)
            throw c.Error($"out_backprop {dy.Shape} is not the [{g.Batch},{g.OutHeight},{g.OutWidth},{g.OutChannels}] that the convolution gives");
    }

    /// <summary>
    /// Max over each pooling window of a block of convolved rows (row-major, <paramref name="width"/> pixels of
    /// <paramref name="channels"/>), a vector of channels at a time held in a register across the whole window.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPool(ReadOnlySpan<float> convolvedRows, int width, int channels, ConvolutionKernels.Window pool, int pooledRows, int pooledWidth, Span<float> pooledRowsOut)
    {
        int kh = pool.KernelH, kw = pool.KernelW, rowFloats = width * channels, lanes = Vector<float>.Count;
        fixed (float* convolved = convolvedRows)
        fixed (float* pooledStart = pooledRowsOut)
        {
            float* pooled = pooledStart;
            for (int pi = 0; pi < pooledRows; pi++)
                for (int pj = 0; pj < pooledWidth; pj++, pooled += channels)
                {
                    float* corner = convolved + (long)pi * kh * rowFloats + (long)pj * pool.StrideW * channels;
                    int c = 0;
                    if (Vector.IsHardwareAccelerated)
                        for (; c + lanes <= channels; c += lanes)
                        {
                            var m = Vector.Load(corner + c);
                            for (int ki = 0; ki < kh; ki++)
                                for (int kj = ki == 0 ? 1 : 0; kj < kw; kj++)
                                    m = Vector.Max(m, Vector.Load(corner + (long)ki * rowFloats + kj * channels + c));
                            m.Store(pooled + c);
                        }
                    for (; c < channels; c++)
                    {
                        float m = corner[c];
                        for (int ki = 0; ki < kh; ki++)
                            for (int kj = ki == 0 ? 1 : 0; kj < kw; kj++)
                                m = float.Max(m, corner[(long)ki * rowFloats + kj * channels + c]);
                        pooled[c] = m;
                    }
                }
        }
    }

    /// <summary>Patch rows for output rows firstRow..firstRow+count of one image, columns 0..width: row-major over (row, column).</summary>
    private void GatherRows(in ConvolutionKernels.Geometry g, ReadOnlySpan<float> input, int image, int firstRow, int count, int width, Span<float> patches)
    {
        int depth = g.FilterHeight * g.FilterWidth * g.Channels;
        fixed (float* x = input)
        fixed (float* dst = patches)
            for (int r = 0; r < count; r++)
                GatherRow(g, x, image, firstRow + r, 0, width, dst + (long)r * width * depth);
    }

    /// <summary>Patch rows first..first+count, one per output pixel in NHWC order.</summary>
    private void GatherPixels(in ConvolutionKernels.Geometry g, ReadOnlySpan<float> input, int first, int count, Span<float> patches)
    {
        int depth = g.FilterHeight * g.FilterWidth * g.Channels, pixels = g.OutHeight * g.OutWidth;
        fixed (float* x = input)
        fixed (float* dst = patches)
            for (int r = 0; r < count;)
            {
                // The run of pixels left in this output row.
                int pixel = first + r, rest = pixel % pixels, column = rest % g.OutWidth, run = Math.Min(count - r, g.OutWidth - column);
                GatherRow(g, x, pixel / pixels, rest / g.OutWidth, column, run, dst + (long)r * depth);
                r += run;
            }
    }

    /// <summary>
    /// The windows of output pixels (n, i, firstColumn..firstColumn+count), each in the filter's HWIO order, zero where
    /// it overhangs the input. Where a window's row lies inside the input (and without dilation) it is one contiguous
    /// run of fw·cin values, copied at once; the rest is copied tap by tap across the row's pixels, which is also how
    /// a thin input (one channel, a 3×3 filter: windows of nine values) is copied throughout, since copying it pixel by
    /// pixel cost more than the product itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void GatherRow(in ConvolutionKernels.Geometry g, float* x, int n, int i, int firstColumn, int count, float* patches)
    {
        int channels = g.Channels, fw = g.FilterWidth, depth = g.FilterHeight * fw * channels, rowLength = fw * channels;
        int strideW = window.StrideW, stride = strideW * channels, left = firstColumn * strideW - g.PadLeft;
        for (int ki = 0; ki < g.FilterHeight; ki++)
        {
            int y = i * window.StrideH - g.PadTop + ki * window.DilationH;
            bool rowInside = (uint)y < (uint)g.Height;
            float* line = x + ((long)n * g.Height + y) * g.Width * channels;
            float* windowRows = patches + ki * rowLength;
            // Pixels [inner, innerEnd) have their whole window row inside the input: column left + jj·strideW onwards, fw wide.
            int inner = count, innerEnd = count;
            if (rowInside && window.DilationW == 1 && channels > 1)
            {
                inner = Math.Clamp(CeilDiv(-left, strideW), 0, count);
                innerEnd = Math.Clamp(CeilDiv(g.Width - fw + 1 - left, strideW), inner, count);
                float* source = line + (long)(left + inner * strideW) * channels, destination = windowRows + (long)inner * depth;
                for (int jj = inner; jj < innerEnd; jj++, source += stride, destination += depth) Copy(source, destination, rowLength);
            }
            for (int kj = 0; kj < fw; kj++)
            {
                float* taps = windowRows + kj * channels;
                // Pixels jj in [lo, hi) read input column left + jj·strideW + kj·dilation, inside the row.
                int offset = left + kj * window.DilationW;
                int lo = rowInside ? Math.Clamp(CeilDiv(-offset, strideW), 0, count) : count;
                int hi = rowInside ? Math.Clamp(CeilDiv(g.Width - offset, strideW), lo, count) : count;
                for (int jj = 0; jj < lo; jj++) Clear(taps + (long)jj * depth, channels);
                for (int jj = hi; jj < count; jj++) Clear(taps + (long)jj * depth, channels);
                // The pixels inside, except those whose whole row was copied above.
                TapRun(line, taps, offset, lo, Math.Min(hi, inner), strideW, channels, depth);
                TapRun(line, taps, offset, Math.Max(lo, innerEnd), hi, strideW, channels, depth);
            }
        }
    }

    /// <summary>Tap (·, kj) of pixels from..to: one channel vector each, from input column offset + jj·strideW.</summary>
    private static void TapRun(float* line, float* taps, int offset, int from, int to, int strideW, int channels, int depth)
    {
        float* source = line + (long)(offset + from * strideW) * channels, destination = taps + (long)from * depth;
        if (channels == 1)
            for (int jj = from; jj < to; jj++, source += strideW, destination += depth) *destination = *source;
        else
            for (int jj = from; jj < to; jj++, source += strideW * channels, destination += depth) Copy(source, destination, channels);
    }

    private static int CeilDiv(int value, int divisor) => value <= 0 ? -(-value / divisor) : (value + divisor - 1) / divisor;

    // A window row is tens to hundreds of values: copied a vector at a time inline, rather than by a memmove call each.
    private static void Copy(float* source, float* destination, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(source + i), destination + i);
        else if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= count; i += 4) Vector128.Store(Vector128.Load(source + i), destination + i);
        for (; i < count; i++) destination[i] = source[i];
    }

    private static void Clear(float* destination, int count)
    {
        for (int i = 0; i < count; i++) destination[i] = 0;
    }
}
