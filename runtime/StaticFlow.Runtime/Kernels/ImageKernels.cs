using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// Conv2DBackpropInput (the transposed convolution), LRN, ResizeBilinear and ResizeNearestNeighbor, in NHWC,
/// following TensorFlow's CPU kernels (<c>conv_grad_input_ops.cc</c>, <c>lrn_op.cc</c>, <c>resize_bilinear_op.cc</c>,
/// <c>resize_nearest_neighbor_op.cc</c>).
/// </summary>
internal static class ImageKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("Conv2DBackpropInput", KernelDTypes.Float, node =>
            ElementwiseKernels.ByFloatType(node, "T", new TransposedConvFactory(ConvolutionKernels.Window.FromNode(node, "filter"))));
        add.Add("LRN", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new LrnFactory()));
        add.Add("LRNGrad", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new LrnGradFactory()));
        add.Add("ResizeBilinear", KernelDTypes.Numeric, node => new DelegateKernel(c =>
            Resize(c, KernelHelpers.BoolAttr(node, "align_corners"), KernelHelpers.BoolAttr(node, "half_pixel_centers"), bilinear: true)));
        add.Add("ResizeNearestNeighbor", KernelDTypes.Numeric, node => new DelegateKernel(c =>
            Resize(c, KernelHelpers.BoolAttr(node, "align_corners"), KernelHelpers.BoolAttr(node, "half_pixel_centers"), bilinear: false)));
        add.Add("ResizeBilinearGrad", KernelDTypes.Float, node => new DelegateKernel(c =>
            ResizeGradient(c, KernelHelpers.BoolAttr(node, "align_corners"), KernelHelpers.BoolAttr(node, "half_pixel_centers"), bilinear: true)));
        add.Add("ResizeNearestNeighborGrad", KernelDTypes.Float, node => new DelegateKernel(c =>
            ResizeGradient(c, KernelHelpers.BoolAttr(node, "align_corners"), KernelHelpers.BoolAttr(node, "half_pixel_centers"), bilinear: false)));
    }

    /// <summary>
    /// The gradient of Conv2D with respect to its input: each out_backprop value spreads over the input positions
    /// its window covered, weighted by the filter (so it is Conv2D's adjoint).
    /// </summary>
    private sealed class TransposedConvFactory(ConvolutionKernels.Window window) : ElementwiseKernels.IFloatKernelFactory
    {
        private readonly ConvolutionGemmKernel _gemm = new(window);

        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            long[] sizes = c.ToLongs(0);
            Tensor filter = c.Input(1), dy = c.Input(2);
            if (sizes.Length != 4 || sizes.Any(s => s < 0)) throw c.Error($"input_sizes must be 4 non-negative sizes (NHWC), got [{string.Join(",", sizes)}]");
            if (filter.Shape.Rank != 4 || dy.Shape.Rank != 4) throw c.Error($"filter {filter.Shape} and out_backprop {dy.Shape} must have rank 4");
            int n = (int)sizes[0], h = (int)sizes[1], w = (int)sizes[2], inC = (int)sizes[3];
            int kh = (int)filter.Shape[0], kw = (int)filter.Shape[1], outC = (int)filter.Shape[3];
            if (filter.Shape[2] != inC) throw c.Error($"filter {filter.Shape} takes {filter.Shape[2]} input channels, input_sizes say {inC}");
            var (oh, padTop) = window.Size(c, h, kh, window.StrideH, window.DilationH, 1);
            var (ow, padLeft) = window.Size(c, w, kw, window.StrideW, window.DilationW, 2);
            if (dy.Shape[0] != n || dy.Shape[1] != oh || dy.Shape[2] != ow || dy.Shape[3] != outC)
                throw c.Error($"out_backprop {dy.Shape} is not the [{n},{oh},{ow},{outC}] that Conv2D of input_sizes [{string.Join(",", sizes)}] and filter {filter.Shape} gives");
            if (typeof(T) == typeof(float))
            {
                c.SetOutput(0, _gemm.InputGradient(c, sizes, filter, dy));
                return;
            }
            var dx = Tensor.Zeros(dy.DType, new TensorShape(sizes));
            ReadOnlySpan<T> f = filter.AsSpan<T>(), g = dy.AsSpan<T>();
            Span<T> o = dx.AsSpan<T>();
            for (int b = 0; b < n; b++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        int gAt = ((b * oh + y) * ow + x) * outC;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = y * window.StrideH + ky * window.DilationH - padTop;
                            if ((uint)iy >= (uint)h) continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = x * window.StrideW + kx * window.DilationW - padLeft;
                                if ((uint)ix >= (uint)w) continue;
                                int oAt = ((b * h + iy) * w + ix) * inC, fAt = (ky * kw + kx) * inC * outC;
                                for (int ic = 0; ic < inC; ic++)
                                {
                                    T sum = T.Zero;
                                    for (int oc = 0; oc < outC; oc++) sum += g[gAt + oc] * f[fAt + ic * outC + oc];
                                    o[oAt + ic] += sum;
                                }
                            }
                        }
                    }
            c.SetOutput(0, dx);
        });
    }

    /// <summary>Local response normalization over the channels: x / (bias + alpha · Σ x² over 2·radius + 1 channels)^beta.</summary>
    private sealed class LrnFactory : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (radius, bias, alpha, beta) = LrnAttrs(node);
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0);
                if (x.Shape.Rank != 4) throw c.Error($"input must be 4-D NHWC, got {x.Shape}");
                int depth = (int)x.Shape[3];
                long rows = depth == 0 ? 0 : x.ElementCount / depth;
                ReadOnlySpan<T> xs = x.AsSpan<T>();
                var ys = new T[xs.Length];
                for (long r = 0; r < rows; r++)
                    for (int ch = 0; ch < depth; ch++)
                    {
                        int at = (int)(r * depth + ch);
                        ys[at] = T.CreateTruncating(double.CreateTruncating(xs[at]) / Math.Pow(LrnNorm(xs, (int)(r * depth), ch, depth, radius, bias, alpha), beta));
                    }
                c.SetOutput(0, Tensor.FromArray<T>(ys, [.. x.Shape.Dims]));
            });
        }
    }

    /// <summary>LRN's and LRNGrad's attrs: depth_radius (checked), bias, alpha and beta.</summary>
    private static (long Radius, double Bias, double Alpha, double Beta) LrnAttrs(GraphNode node)
    {
        long radius = KernelHelpers.IntAttr(node, "depth_radius");
        if (radius < 0) throw new GraphException(node.Name, node.Op, $"depth_radius must be non-negative, got {radius}");
        return (radius, node.Attr("bias").F, node.Attr("alpha").F, node.Attr("beta").F);
    }

    /// <summary>LRN's denominator base for channel <paramref name="ch"/> of the row at <paramref name="start"/>: bias + alpha Σ x² over the channels within the radius.</summary>
    private static double LrnNorm<T>(ReadOnlySpan<T> xs, int start, int ch, int depth, long radius, double bias, double alpha) where T : IFloatingPointIeee754<T>
    {
        double sum = 0;
        for (long k = Math.Max(0, ch - radius); k <= Math.Min(depth - 1, ch + radius); k++)
        {
            double v = double.CreateTruncating(xs[start + (int)k]);
            sum += v * v;
        }
        return bias + alpha * sum;
    }

    /// <summary>
    /// LRN's gradient (TensorFlow's LRNGrad): with N_i = bias + alpha Σ_window x², y_i = x_i N_i^-beta, so
    /// dx_j = dy_j N_j^-beta - 2 alpha beta x_j Σ_(i whose window holds j) dy_i x_i N_i^(-beta-1).
    /// </summary>
    private sealed class LrnGradFactory : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (radius, bias, alpha, beta) = LrnAttrs(node);
            return new DelegateKernel(c =>
            {
                Tensor dy = c.Input(0), x = c.Input(1), y = c.Input(2);
                if (x.Shape.Rank != 4) throw c.Error($"input_image must be 4-D NHWC, got {x.Shape}");
                if (!dy.Shape.Equals(x.Shape) || !y.Shape.Equals(x.Shape))
                    throw c.Error($"input_grads {dy.Shape}, input_image {x.Shape} and output_image {y.Shape} must have one shape");
                int depth = (int)x.Shape[3];
                long rows = depth == 0 ? 0 : x.ElementCount / depth;
                ReadOnlySpan<T> xs = x.AsSpan<T>(), dys = dy.AsSpan<T>();
                var dxs = new double[xs.Length];
                var norms = new double[depth];
                for (long r = 0; r < rows; r++)
                {
                    int start = (int)(r * depth);
                    for (int ch = 0; ch < depth; ch++) norms[ch] = LrnNorm(xs, start, ch, depth, radius, bias, alpha);
                    for (int i = 0; i < depth; i++)
                    {
                        double dyi = double.CreateTruncating(dys[start + i]), xi = double.CreateTruncating(xs[start + i]);
                        double power = Math.Pow(norms[i], -beta);
                        dxs[start + i] += dyi * power;
                        double spread = -2 * alpha * beta * dyi * xi * power / norms[i];
                        for (long j = Math.Max(0, i - radius); j <= Math.Min(depth - 1, i + radius); j++)
                            dxs[start + (int)j] += spread * double.CreateTruncating(xs[start + (int)j]);
                    }
                }
                c.SetOutput(0, Tensor.FromArray<double>(dxs, [.. x.Shape.Dims]).Cast(x.DType));
            });
        }
    }

    private static void Resize(KernelContext c, bool alignCorners, bool halfPixelCenters, bool bilinear)
    {
        Tensor images = c.Input(0);
        long[] size = c.ToLongs(1);
        if (images.Shape.Rank != 4) throw c.Error($"images must be 4-D NHWC, got {images.Shape}");
        if (size.Length != 2 || size[0] <= 0 || size[1] <= 0) throw c.Error($"size must be two positive sizes, got [{string.Join(",", size)}]");
        if (alignCorners && halfPixelCenters) throw c.Error("align_corners and half_pixel_centers cannot both be true");
        int n = (int)images.Shape[0], inH = (int)images.Shape[1], inW = (int)images.Shape[2], ch = (int)images.Shape[3];
        if ((inH == 0 || inW == 0) && n * ch > 0) throw c.Error($"cannot resize images of shape {images.Shape}");
        var geometry = new ResizeGeometry(n, inH, inW, (int)size[0], (int)size[1], ch, alignCorners, halfPixelCenters, bilinear);
        double[] values = images.Cast(DType.Float64).ToArray<double>();
        var result = new double[(long)n * geometry.OutH * geometry.OutW * ch];
        geometry.ForEachTap((output, input, weight) => result[output] += values[input] * weight);
        // ResizeBilinear always answers in float32; ResizeNearestNeighbor in the images' dtype.
        var resized = Tensor.FromArray<double>(result, n, geometry.OutH, geometry.OutW, ch);
        c.SetOutput(0, resized.Cast(bilinear ? DType.Float32 : images.DType));
    }

    /// <summary>
    /// The resizes' gradients (ResizeBilinearGrad, ResizeNearestNeighborGrad): each output pixel's gradient goes back to
    /// the input pixels the forward pass read it from, with the same weights (the adjoint of the resize).
    /// </summary>
    private static void ResizeGradient(KernelContext c, bool alignCorners, bool halfPixelCenters, bool bilinear)
    {
        Tensor grads = c.Input(0);
        long[] original = bilinear ? c.Input(1).Shape.Dims.ToArray() : [grads.Shape.Rank == 4 ? grads.Shape[0] : -1, .. c.ToLongs(1), grads.Shape.Rank == 4 ? grads.Shape[3] : -1];
        if (grads.Shape.Rank != 4 || original.Length != 4) throw c.Error($"grads {grads.Shape} and the original image [{string.Join(",", original)}] must be 4-D NHWC");
        if (original[1] <= 0 || original[2] <= 0) throw c.Error($"the original image [{string.Join(",", original)}] must have positive height and width");
        if (original[0] != grads.Shape[0] || original[3] != grads.Shape[3]) throw c.Error($"grads {grads.Shape} and the original image [{string.Join(",", original)}] differ in batch or channels");
        if (alignCorners && halfPixelCenters) throw c.Error("align_corners and half_pixel_centers cannot both be true");
        int n = (int)original[0], inH = (int)original[1], inW = (int)original[2], ch = (int)original[3];
        var geometry = new ResizeGeometry(n, inH, inW, (int)grads.Shape[1], (int)grads.Shape[2], ch, alignCorners, halfPixelCenters, bilinear);
        double[] g = grads.Cast(DType.Float64).ToArray<double>();
        var result = new double[(long)n * inH * inW * ch];
        geometry.ForEachTap((output, input, weight) => result[input] += g[output] * weight);
        var dtype = bilinear ? c.Input(1).DType : grads.DType;
        c.SetOutput(0, Tensor.FromArray<double>(result, n, inH, inW, ch).Cast(dtype));
    }

    /// <summary>
    /// Which input elements each output element of a resize reads, and with what weight: one for the nearest neighbour,
    /// the four around it for bilinear. The resize gathers along these taps and its gradient scatters back along them.
    /// </summary>
    private sealed record ResizeGeometry(int Batch, int InH, int InW, int OutH, int OutW, int Channels, bool AlignCorners, bool HalfPixelCenters, bool Bilinear)
    {
        public void ForEachTap(Action<long, long, double> tap)
        {
            float Scale(int input, int output) => AlignCorners && output > 1 ? (input - 1) / (float)(output - 1) : input / (float)output;
            float scaleH = Scale(InH, OutH), scaleW = Scale(InW, OutW);
            for (int b = 0; b < Batch; b++)
                for (int y = 0; y < OutH; y++)
                    for (int x = 0; x < OutW; x++)
                    {
                        long at = ((long)(b * OutH + y) * OutW + x) * Channels;
                        long Pixel(int py, int px) => ((long)(b * InH + py) * InW + px) * Channels;
                        if (Bilinear)
                        {
                            var (top, bottom, yLerp) = Interpolation(y, scaleH, InH, HalfPixelCenters);
                            var (left, right, xLerp) = Interpolation(x, scaleW, InW, HalfPixelCenters);
                            for (int k = 0; k < Channels; k++)
                            {
                                tap(at + k, Pixel(top, left) + k, (1 - yLerp) * (1 - xLerp));
                                tap(at + k, Pixel(top, right) + k, (1 - yLerp) * xLerp);
                                tap(at + k, Pixel(bottom, left) + k, yLerp * (1 - xLerp));
                                tap(at + k, Pixel(bottom, right) + k, yLerp * xLerp);
                            }
                        }
                        else
                        {
                            long source = Pixel(Nearest(y, scaleH, InH, AlignCorners, HalfPixelCenters), Nearest(x, scaleW, InW, AlignCorners, HalfPixelCenters));
                            for (int k = 0; k < Channels; k++) tap(at + k, source + k, 1);
                        }
                    }
        }
    }

    /// <summary>TensorFlow's <c>compute_interpolation_weights</c>: the source rows (or columns) around an output one and the weight between them.</summary>
    private static (int Lower, int Upper, double Lerp) Interpolation(int output, float scale, int input, bool halfPixelCenters)
    {
        float source = halfPixelCenters ? (output + 0.5f) * scale - 0.5f : output * scale;
        float floor = MathF.Floor(source);
        int lower = Math.Max((int)floor, 0), upper = Math.Min((int)MathF.Ceiling(source), input - 1);
        return (lower, upper, source - floor);
    }

    /// <summary>TensorFlow's nearest-neighbour source index: rounded with align_corners, floored otherwise; half-pixel centres without the -0.5.</summary>
    private static int Nearest(int output, float scale, int input, bool alignCorners, bool halfPixelCenters)
    {
        float source = halfPixelCenters ? (output + 0.5f) * scale : output * scale;
        int index = Math.Min(alignCorners ? (int)MathF.Round(source, MidpointRounding.AwayFromZero) : (int)MathF.Floor(source), input - 1);
        return halfPixelCenters ? Math.Max(0, index) : index;
    }
}
