using System.Numerics;
using System.Numerics.Tensors;
using Tensor = StaticFlow.Tensors.Tensor;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>NHWC convolutions, pooling and batch normalization: Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool, FusedBatchNormV3.</summary>
internal static class ConvolutionKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("Conv2D", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new ConvFactory(Window.FromNode(node, "filter"), depthwise: false)));
        add.Add("DepthwiseConv2dNative", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new ConvFactory(Window.FromNode(node, "filter"), depthwise: true)));
        add.Add("MaxPool", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new PoolFactory(Window.FromNode(node, "ksize"), max: true)));
        add.Add("AvgPool", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new PoolFactory(Window.FromNode(node, "ksize"), max: false)));
        add.Add("FusedBatchNormV3", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new BatchNormFactory()));
    }

    /// <summary>Strides, dilations, padding and (for pooling) the window, read once from the node's attrs.</summary>
    internal sealed record Window(int StrideH, int StrideW, int DilationH, int DilationW, string Padding, long[] ExplicitPaddings, int KernelH, int KernelW)
    {
        public static Window FromNode(GraphNode node, string source)
        {
            string format = node.Attrs.TryGetValue("data_format", out var f) ? f.S.ToStringUtf8() : "NHWC";
            if (format != "NHWC") throw new KernelNotFoundException(node.Name, node.Op, $"data_format {format} is not supported on CPU (use NHWC)");
            long[] strides = KernelHelpers.IntListAttr(node, "strides");
            long[] dilations = node.Attrs.ContainsKey("dilations") ? KernelHelpers.IntListAttr(node, "dilations") : [1, 1, 1, 1];
            long[] ksize = source == "ksize" ? KernelHelpers.IntListAttr(node, "ksize") : [1, 0, 0, 1];
            if (strides.Length != 4 || dilations.Length != 4 || ksize.Length != 4 || strides[0] != 1 || strides[3] != 1 || ksize[0] != 1 || ksize[3] != 1)
                throw new GraphException(node.Name, node.Op, "strides, dilations and ksize must have 4 entries with 1 for batch and channels");
            string padding = KernelHelpers.StringAttr(node, "padding");
            if (padding is not ("SAME" or "VALID" or "EXPLICIT")) throw new GraphException(node.Name, node.Op, $"padding '{padding}' is not SAME, VALID or EXPLICIT");
            long[] explicitPaddings = node.Attrs.ContainsKey("explicit_paddings") ? KernelHelpers.IntListAttr(node, "explicit_paddings") : [];
            return new Window((int)strides[1], (int)strides[2], (int)dilations[1], (int)dilations[2], padding, explicitPaddings, (int)ksize[1], (int)ksize[2]);
        }

        /// <summary>Output size and leading padding of one spatial dimension, as TensorFlow computes them.</summary>
        public (int Out, int PadBefore) Size(KernelContext c, int input, int kernel, int stride, int dilation, int axis)
        {
            int effective = (kernel - 1) * dilation + 1;
            switch (Padding)
            {
                case "VALID":
                    if (input < effective) throw c.Error($"input of size {input} is smaller than the window {effective} with VALID padding");
                    return ((input - effective) / stride + 1, 0);
                case "SAME":
                    int output = (input + stride - 1) / stride;
                    int total = Math.Max((output - 1) * stride + effective - input, 0);
                    return (output, total / 2);
                default:
                    if (ExplicitPaddings.Length != 8) throw c.Error("explicit_paddings must have 8 entries");
                    int before = (int)ExplicitPaddings[2 * axis], after = (int)ExplicitPaddings[2 * axis + 1];
                    return ((input + before + after - effective) / stride + 1, before);
            }
        }
    }

    /// <summary>The sizes of one convolution, checked: input [batch, height, width, channels], filter [fh, fw, cin, cout or multiplier], output [batch, oh, ow, out].</summary>
    internal readonly record struct Geometry(int Batch, int Height, int Width, int Channels, int FilterHeight, int FilterWidth, int FilterOut,
        int OutHeight, int OutWidth, int OutChannels, int PadTop, int PadLeft, bool IsPointwise)
    {
        public static Geometry Of(KernelContext c, Window window, Tensor input, Tensor filter, bool depthwise) =>
            Of(c, window, input.Shape, filter.Shape, depthwise);

        /// <summary>The geometry from shapes alone, for the gradient ops, which are given the input's or the filter's sizes.</summary>
        public static Geometry Of(KernelContext c, Window window, TensorShape input, TensorShape filter, bool depthwise)
        {
            if (input.Rank != 4 || filter.Rank != 4 || input.Dims.ToArray().Any(d => d < 0) || filter.Dims.ToArray().Any(d => d < 0))
                throw c.Error($"input {input} and filter {filter} must both be 4-D shapes");
            int batch = (int)input[0], height = (int)input[1], width = (int)input[2], channels = (int)input[3];
            int fh = (int)filter[0], fw = (int)filter[1], fin = (int)filter[2], fout = (int)filter[3];
            if (fin != channels) throw c.Error($"filter {filter} expects {fin} input channels, the input {input} has {channels}");
            var (oh, padTop) = window.Size(c, height, fh, window.StrideH, window.DilationH, 1);
            var (ow, padLeft) = window.Size(c, width, fw, window.StrideW, window.DilationW, 2);
            bool pointwise = fh == 1 && fw == 1 && window.StrideH == 1 && window.StrideW == 1 && padTop == 0 && padLeft == 0 && oh == height && ow == width;
            return new Geometry(batch, height, width, channels, fh, fw, fout, oh, ow, depthwise ? checked(channels * fout) : fout, padTop, padLeft, pointwise);
        }
    }

    private sealed class ConvFactory(Window window, bool depthwise) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> =>
            typeof(T) == typeof(float) && !depthwise ? new ConvolutionGemmKernel(window) : new DelegateKernel(c =>
        {
            Tensor input = c.Input(0), filter = c.Input(1);
            var g = Geometry.Of(c, window, input, filter, depthwise);
            int channels = g.Channels, fout = g.FilterOut, outChannels = g.OutChannels;
            var output = c.Frame.NewZeroedOutput(input.DType, new TensorShape(g.Batch, g.OutHeight, g.OutWidth, outChannels));
            ReadOnlySpan<T> x = input.AsSpan<T>(), f = filter.AsSpan<T>();
            Span<T> y = output.AsSpan<T>();
            for (int n = 0; n < g.Batch; n++)
                for (int i = 0; i < g.OutHeight; i++)
                    for (int j = 0; j < g.OutWidth; j++)
                    {
                        Span<T> pixel = y.Slice(((n * g.OutHeight + i) * g.OutWidth + j) * outChannels, outChannels);
                        for (int ki = 0; ki < g.FilterHeight; ki++)
                        {
                            int r = i * window.StrideH - g.PadTop + ki * window.DilationH;
                            if ((uint)r >= (uint)g.Height) continue;
                            for (int kj = 0; kj < g.FilterWidth; kj++)
                            {
                                int col = j * window.StrideW - g.PadLeft + kj * window.DilationW;
                                if ((uint)col >= (uint)g.Width) continue;
                                ReadOnlySpan<T> source = x.Slice(((n * g.Height + r) * g.Width + col) * channels, channels);
                                ReadOnlySpan<T> taps = f.Slice((ki * g.FilterWidth + kj) * channels * fout, channels * fout);
                                if (depthwise && fout == 1)
                                {
                                    // One tap per channel: a vector multiply-add across the channels.
                                    TensorPrimitives.FusedMultiplyAdd(source, taps, pixel, pixel);
                                }
                                else if (depthwise)
                                {
                                    for (int ch = 0; ch < channels; ch++)
                                        for (int mul = 0; mul < fout; mul++) pixel[ch * fout + mul] += source[ch] * taps[ch * fout + mul];
                                }
                                else
                                {
                                    // One row of the filter per input channel: pixel += source[ch] * filter[ki, kj, ch, :].
                                    for (int ch = 0; ch < channels; ch++)
                                        TensorPrimitives.FusedMultiplyAdd(taps.Slice(ch * fout, fout), source[ch], pixel, pixel);
                                }
                            }
                        }
                    }
            c.SetOutput(0, output);
        });
    }

    private sealed class PoolFactory(Window window, bool max) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            Tensor input = c.Input(0);
            if (input.Shape.Rank != 4) throw c.Error($"input must have rank 4, got {input.Shape}");
            int batch = (int)input.Shape[0], height = (int)input.Shape[1], width = (int)input.Shape[2], channels = (int)input.Shape[3];
            var (oh, padTop) = window.Size(c, height, window.KernelH, window.StrideH, 1, 1);
            var (ow, padLeft) = window.Size(c, width, window.KernelW, window.StrideW, 1, 2);
            var output = c.Frame.NewOutput(input.DType, new TensorShape(batch, oh, ow, channels));
            // Output rows (an image's row of pixels) are split across cores when there are enough of them.
            int rows = batch * oh;
            long work = (long)rows * ow * channels * window.KernelH * window.KernelW;
            int parts = work >= 1 << 16 ? Math.Min(Sgemm.Threads, rows) : 1;
            void Part(int part)
            {
                ReadOnlySpan<T> x = input.AsSpan<T>();
                Span<T> y = output.AsSpan<T>();
                for (int row = (int)((long)rows * part / parts), end = (int)((long)rows * (part + 1) / parts); row < end; row++)
                {
                    int n = row / oh, i = row % oh;
                    for (int j = 0; j < ow; j++)
                    {
                        Span<T> pixel = y.Slice(((n * oh + i) * ow + j) * channels, channels);
                        int count = 0;
                        for (int ki = 0; ki < window.KernelH; ki++)
                        {
                            int r = i * window.StrideH - padTop + ki;
                            if ((uint)r >= (uint)height) continue;
                            for (int kj = 0; kj < window.KernelW; kj++)
                            {
                                int col = j * window.StrideW - padLeft + kj;
                                if ((uint)col >= (uint)width) continue;
                                // Whole channel vectors at a time: the first cell in the window is copied, the others folded in.
                                ReadOnlySpan<T> source = x.Slice(((n * height + r) * width + col) * channels, channels);
                                if (count++ == 0) source.CopyTo(pixel);
                                else Fold(pixel, source, max);
                            }
                        }
                        // Averages count only the window's cells inside the input, as TensorFlow does with SAME padding.
                        if (count == 0) pixel.Fill(max ? T.NegativeInfinity : T.Zero);
                        else if (!max && count > 1) TensorPrimitives.Divide(pixel, T.CreateChecked(count), pixel);
                    }
                }
            }
            if (parts > 1) WorkerTeam.Shared.Run(parts, Part);
            else Part(0);
            c.SetOutput(0, output);
        });

        /// <summary>pixel = max(pixel, source) or pixel + source, a vector at a time (a pooled pixel has only tens of channels, too few to pay for a library call each).</summary>
        private static void Fold<T>(Span<T> pixel, ReadOnlySpan<T> source, bool max) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                for (; i + Vector<T>.Count <= pixel.Length; i += Vector<T>.Count)
                {
                    var a = new Vector<T>(pixel[i..]);
                    var b = new Vector<T>(source[i..]);
                    (max ? Vector.Max(a, b) : a + b).CopyTo(pixel[i..]);
                }
            }
            for (; i < pixel.Length; i++) pixel[i] = max ? T.Max(pixel[i], source[i]) : pixel[i] + source[i];
        }
    }

    private sealed class BatchNormFactory : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (KernelHelpers.DTypeAttr(node, "U") != DType.Float32) throw new KernelNotFoundException(node.Name, node.Op, "scale, offset, mean and variance must be float32");
            string format = KernelHelpers.StringAttr(node, "data_format");
            if (format != "NHWC") throw new KernelNotFoundException(node.Name, node.Op, $"data_format {format} is not supported on CPU (use NHWC)");
            float epsilon = node.Attr("epsilon").F;
            bool training = KernelHelpers.BoolAttr(node, "is_training");
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0);
                if (x.Shape.Rank != 4) throw c.Error($"x must be 4-D NHWC, got shape {x.Shape}");
                int channels = (int)x.Shape[3];
                float[] scale = c.Input(1).ToArray<float>(), offset = c.Input(2).ToArray<float>();
                if (scale.Length != channels || offset.Length != channels) throw c.Error($"scale and offset must have {channels} values");
                ReadOnlySpan<T> xs = x.AsSpan<T>();
                long rows = x.ElementCount / Math.Max(channels, 1);
                float[] mean, variance, reportedVariance;
                if (training)
                {
                    // Batch statistics over every axis but the channels; the reported variance is unbiased (n / (n - 1)).
                    var sum = new double[channels];
                    var squares = new double[channels];
                    for (long r = 0; r < rows; r++)
                        for (int ch = 0; ch < channels; ch++)
                        {
                            double v = double.CreateChecked(xs[(int)(r * channels + ch)]);
                            sum[ch] += v;
                            squares[ch] += v * v;
                        }
                    mean = [.. sum.Select(s => (float)(s / rows))];
                    variance = [.. squares.Select((s, ch) => (float)Math.Max(s / rows - (double)mean[ch] * mean[ch], 0))];
                    reportedVariance = [.. variance.Select(v => rows > 1 ? v * rows / (rows - 1) : v)];
                }
                else
                {
                    mean = c.Input(3).ToArray<float>();
                    variance = c.Input(4).ToArray<float>();
                    if (mean.Length != channels || variance.Length != channels) throw c.Error($"mean and variance must have {channels} values in inference mode");
                    reportedVariance = variance;
                }
                var y = Tensor.Uninitialized(x.DType, x.Shape);
                Span<T> ys = y.AsSpan<T>();
                var multiplier = new T[channels];
                var shift = new T[channels];
                for (int ch = 0; ch < channels; ch++)
                {
                    float m = scale[ch] / MathF.Sqrt(variance[ch] + epsilon);
                    multiplier[ch] = T.CreateChecked(m);
                    shift[ch] = T.CreateChecked(offset[ch] - mean[ch] * m);
                }
                for (long r = 0; r < rows; r++)
                    for (int ch = 0; ch < channels; ch++)
                    {
                        int i = (int)(r * channels + ch);
                        ys[i] = xs[i] * multiplier[ch] + shift[ch];
                    }
                c.SetOutput(0, y);
                c.SetOutput(1, Tensor.Vector(mean));
                c.SetOutput(2, Tensor.Vector(reportedVariance));
                c.SetOutput(3, Tensor.Vector(mean));
                c.SetOutput(4, Tensor.Vector(variance));
                c.SetOutput(5, Tensor.Zeros(DType.Float32, new TensorShape(0)));
            });
        }
    }
}
