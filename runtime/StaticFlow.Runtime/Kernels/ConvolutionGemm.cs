using System.Runtime.CompilerServices;
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
internal sealed unsafe class ConvolutionGemmKernel(ConvolutionKernels.Window window) : IOpKernel, IConstantInputAware, IFusableProduct
{
    /// <summary>Floats of A gathered per block: 512 KB, to stay in L2 while the product streams it.</summary>
    private const int BlockFloats = 128 * 1024;

    // A constant filter packed once, with the tensor it came from.
    private (Tensor Source, PackedMatrix Packed)? _packedFilter;

    [ThreadStatic] private static float[]? t_patches;

    public void OnConstantInput(int index, Tensor value)
    {
        if (index != 1 || value.DType != DType.Float32 || value.Shape.Rank != 4) return;
        int k = checked((int)(value.Shape[0] * value.Shape[1] * value.Shape[2])), n = (int)value.Shape[3];
        _packedFilter = (value, Sgemm.Pack(k, n, value.AsSpan<float>(), n, transB: false));
    }

    public void Compute(KernelContext context) => context.SetOutput(0, Multiply(context, default, relu: false));

    public long Columns(Tensor filter) => filter.Shape.Rank == 4 ? filter.Shape[3] : -1;

    public Tensor Multiply(KernelContext context, ReadOnlySpan<float> bias, bool relu)
    {
        Tensor input = context.Input(0), filter = context.Input(1);
        var g = ConvolutionKernels.Geometry.Of(context, window, input, filter, depthwise: false);
        var output = Tensor.Uninitialized(DType.Float32, new TensorShape(g.Batch, g.OutHeight, g.OutWidth, g.OutChannels), context.Frame.Buffers);
        int rows = checked(g.Batch * g.OutHeight * g.OutWidth), depth = checked(g.FilterHeight * g.FilterWidth * g.Channels), columns = g.OutChannels;
        if (rows == 0 || columns == 0) return output;
        PackedMatrix packed = _packedFilter is { } known && ReferenceEquals(known.Source, filter)
            ? known.Packed
            : Sgemm.PackTransient(depth, columns, filter.AsSpan<float>(), columns, transB: false);
        if (g.IsPointwise)
        {
            Sgemm.Multiply(rows, input.AsSpan<float>(), g.Channels, transA: false, packed, output.AsSpan<float>(), columns, bias, relu);
            return output;
        }

        // Blocks small enough to stay in cache, and at least two per core when the work is worth splitting.
        int threads = (long)rows * depth * columns >= 64L * 64 * 64 ? Math.Max(1, Sgemm.Threads) : 1;
        int blockRows = Math.Clamp(BlockFloats / Math.Max(depth, 1), 6, 4096);
        if (threads > 1) blockRows = Math.Min(blockRows, (rows + threads * 2 - 1) / (threads * 2));
        blockRows = Math.Max(6, (blockRows + 5) / 6 * 6);
        int blocks = (rows + blockRows - 1) / blockRows;
        fixed (float* pinnedBias = bias)
        {
            var biasAddress = (nint)pinnedBias;
            int biasLength = bias.Length;
            int next = 0;
            void Part(int _)
            {
                for (int block = Interlocked.Increment(ref next) - 1; block < blocks; block = Interlocked.Increment(ref next) - 1)
                {
                    int first = block * blockRows, count = Math.Min(blockRows, rows - first);
                    float[] patches = t_patches is { } existing && existing.Length >= count * depth ? existing : (t_patches = new float[Math.Max(count, blockRows) * depth]);
                    Gather(g, input.AsSpan<float>(), first, count, patches);
                    Sgemm.Multiply(count, patches, depth, transA: false, packed, output.AsSpan<float>().Slice(first * columns, count * columns), columns,
                        new ReadOnlySpan<float>((float*)biasAddress, biasLength), relu, serial: true);
                }
            }
            if (threads > 1 && blocks > 1) WorkerTeam.Shared.Run(Math.Min(threads, blocks), Part);
            else Part(0);
        }
        return output;
    }

    /// <summary>Writes rows first..first+count of the patch matrix: each output pixel's window, zero where it overhangs the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gather(in ConvolutionKernels.Geometry g, ReadOnlySpan<float> input, int first, int count, Span<float> patchSpan)
    {
        int channels = g.Channels, fw = g.FilterWidth, depth = g.FilterHeight * fw * channels, pixels = g.OutHeight * g.OutWidth;
        int tapRow = fw * channels;
        fixed (float* x = input)
        fixed (float* patches = patchSpan)
        {
            for (int r = 0; r < count; r++)
            {
                int pixel = first + r, n = pixel / pixels, rest = pixel % pixels, i = rest / g.OutWidth, j = rest % g.OutWidth;
                float* row = patches + (long)r * depth;
                int left = j * window.StrideW - g.PadLeft;
                bool rowInside = window.DilationW == 1 && left >= 0 && left + fw <= g.Width;
                for (int ki = 0; ki < g.FilterHeight; ki++)
                {
                    float* taps = row + ki * tapRow;
                    int y = i * window.StrideH - g.PadTop + ki * window.DilationH;
                    if ((uint)y >= (uint)g.Height)
                    {
                        Clear(taps, tapRow);
                        continue;
                    }
                    float* line = x + (long)(n * g.Height + y) * g.Width * channels;
                    // Without dilation a window row inside the input is one contiguous run of fw·cin values.
                    if (rowInside) Copy(line + (long)left * channels, taps, tapRow);
                    else
                        for (int kj = 0; kj < fw; kj++)
                        {
                            int col = left + kj * window.DilationW;
                            if ((uint)col >= (uint)g.Width) Clear(taps + kj * channels, channels);
                            else Copy(line + (long)col * channels, taps + kj * channels, channels);
                        }
                }
            }
        }
    }

    // A window row of a thin input (3 values for a 3×3 filter on one channel) is too short to pay for a memmove call.
    private static void Copy(float* source, float* destination, int count)
    {
        if (count > 16) new ReadOnlySpan<float>(source, count).CopyTo(new Span<float>(destination, count));
        else for (int i = 0; i < count; i++) destination[i] = source[i];
    }

    private static void Clear(float* destination, int count)
    {
        for (int i = 0; i < count; i++) destination[i] = 0;
    }
}
