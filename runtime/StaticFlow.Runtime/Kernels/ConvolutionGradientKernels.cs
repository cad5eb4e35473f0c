using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// The gradient ops of convolution, pooling and batch normalization in NHWC, following TensorFlow's CPU kernels
/// (<c>conv_grad_filter_ops.cc</c>, <c>maxpooling_op.cc</c>, <c>avgpooling_op.cc</c>, <c>fused_batch_norm_op.cc</c>).
/// </summary>
internal static class ConvolutionGradientKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("Conv2DBackpropFilter", KernelDTypes.Float, node =>
            ElementwiseKernels.ByFloatType(node, "T", new FilterGradientFactory(ConvolutionKernels.Window.FromNode(node, "filter"))));
        add.Add("MaxPoolGrad", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new PoolGradientFactory(ConvolutionKernels.Window.FromNode(node, "ksize"), max: true)));
        add.Add("MaxPoolGradGrad", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new MaxPoolGradGradFactory(ConvolutionKernels.Window.FromNode(node, "ksize"))));
        add.Add("AvgPoolGrad", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new PoolGradientFactory(ConvolutionKernels.Window.FromNode(node, "ksize"), max: false)));
        add.Add("DepthwiseConv2dNativeBackpropInput", KernelDTypes.Float, node =>
            ElementwiseKernels.ByFloatType(node, "T", new DepthwiseGradientFactory(ConvolutionKernels.Window.FromNode(node, "filter"), ofFilter: false)));
        add.Add("DepthwiseConv2dNativeBackpropFilter", KernelDTypes.Float, node =>
            ElementwiseKernels.ByFloatType(node, "T", new DepthwiseGradientFactory(ConvolutionKernels.Window.FromNode(node, "filter"), ofFilter: true)));
        add.Add("FusedBatchNormGradV3", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new BatchNormGradientFactory()));
    }

    /// <summary>d filter[ky, kx, ic, oc] = Σ over batch and output positions of input[at the tap] · out_backprop.</summary>
    private sealed class FilterGradientFactory(ConvolutionKernels.Window window) : ElementwiseKernels.IFloatKernelFactory
    {
        private readonly ConvolutionGemmKernel _gemm = new(window);

        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            Tensor input = c.Input(0), dy = c.Input(2);
            long[] sizes = c.ToLongs(1);
            if (input.Shape.Rank != 4 || dy.Shape.Rank != 4) throw c.Error($"input {input.Shape} and out_backprop {dy.Shape} must have rank 4");
            if (sizes.Length != 4 || sizes.Any(s => s <= 0)) throw c.Error($"filter_sizes must be 4 positive sizes, got [{string.Join(",", sizes)}]");
            int n = (int)input.Shape[0], h = (int)input.Shape[1], w = (int)input.Shape[2], inC = (int)input.Shape[3];
            int kh = (int)sizes[0], kw = (int)sizes[1], outC = (int)sizes[3];
            if (sizes[2] != inC) throw c.Error($"filter_sizes [{string.Join(",", sizes)}] take {sizes[2]} input channels, the input has {inC}");
            var (oh, padTop) = window.Size(c, h, kh, window.StrideH, window.DilationH, 1);
            var (ow, padLeft) = window.Size(c, w, kw, window.StrideW, window.DilationW, 2);
            if (dy.Shape[0] != n || dy.Shape[1] != oh || dy.Shape[2] != ow || dy.Shape[3] != outC)
                throw c.Error($"out_backprop {dy.Shape} is not the [{n},{oh},{ow},{outC}] that Conv2D of input {input.Shape} and filter [{string.Join(",", sizes)}] gives");
            if (typeof(T) == typeof(float))
            {
                c.SetOutput(0, _gemm.FilterGradient(c, input, sizes, dy));
                return;
            }
            var df = c.Frame.NewZeroedOutput(dy.DType, new TensorShape(sizes));
            ReadOnlySpan<T> x = input.AsSpan<T>(), g = dy.AsSpan<T>();
            Span<T> o = df.AsSpan<T>();
            for (int b = 0; b < n; b++)
                for (int y = 0; y < oh; y++)
                    for (int xo = 0; xo < ow; xo++)
                    {
                        ReadOnlySpan<T> gradient = g.Slice(((b * oh + y) * ow + xo) * outC, outC);
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = y * window.StrideH + ky * window.DilationH - padTop;
                            if ((uint)iy >= (uint)h) continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = xo * window.StrideW + kx * window.DilationW - padLeft;
                                if ((uint)ix >= (uint)w) continue;
                                ReadOnlySpan<T> pixel = x.Slice(((b * h + iy) * w + ix) * inC, inC);
                                int fAt = (ky * kw + kx) * inC * outC;
                                for (int ic = 0; ic < inC; ic++)
                                {
                                    Span<T> row = o.Slice(fAt + ic * outC, outC);
                                    T value = pixel[ic];
                                    for (int oc = 0; oc < outC; oc++) row[oc] += value * gradient[oc];
                                }
                            }
                        }
                    }
            c.SetOutput(0, df);
        });
    }

    /// <summary>
    /// The depthwise convolution's gradients: each output channel ch·M + m came from input channel ch through tap
    /// filter[ky, kx, ch, m], so the input's gradient gathers dy through the taps and the filter's sums input · dy.
    /// </summary>
    private sealed class DepthwiseGradientFactory(ConvolutionKernels.Window window, bool ofFilter) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            Tensor dy = c.Input(2);
            long[] inputShape = ofFilter ? c.Input(0).Shape.Dims.ToArray() : c.ToLongs(0);
            long[] filterShape = ofFilter ? c.ToLongs(1) : c.Input(1).Shape.Dims.ToArray();
            if (inputShape.Length != 4 || filterShape.Length != 4 || dy.Shape.Rank != 4 || inputShape.Any(d => d < 0) || filterShape.Any(d => d <= 0))
                throw c.Error($"input [{string.Join(",", inputShape)}], filter [{string.Join(",", filterShape)}] and out_backprop {dy.Shape} must be 4-D sizes");
            int n = (int)inputShape[0], h = (int)inputShape[1], w = (int)inputShape[2], channels = (int)inputShape[3];
            int kh = (int)filterShape[0], kw = (int)filterShape[1], multiplier = (int)filterShape[3];
            if (filterShape[2] != channels) throw c.Error($"the filter takes {filterShape[2]} channels, the input has {channels}");
            var (oh, padTop) = window.Size(c, h, kh, window.StrideH, window.DilationH, 1);
            var (ow, padLeft) = window.Size(c, w, kw, window.StrideW, window.DilationW, 2);
            int outChannels = channels * multiplier;
            if (dy.Shape[0] != n || dy.Shape[1] != oh || dy.Shape[2] != ow || dy.Shape[3] != outChannels)
                throw c.Error($"out_backprop {dy.Shape} is not the [{n},{oh},{ow},{outChannels}] the depthwise convolution gives");
            var result = c.Frame.NewZeroedOutput(dy.DType, new TensorShape(ofFilter ? filterShape : inputShape));
            ReadOnlySpan<T> g = dy.AsSpan<T>(), other = c.Input(ofFilter ? 0 : 1).AsSpan<T>();
            Span<T> o = result.AsSpan<T>();
            for (int b = 0; b < n; b++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        int gAt = ((b * oh + y) * ow + x) * outChannels;
                        for (int ky = 0; ky < kh; ky++)
                        {
                            int iy = y * window.StrideH - padTop + ky * window.DilationH;
                            if ((uint)iy >= (uint)h) continue;
                            for (int kx = 0; kx < kw; kx++)
                            {
                                int ix = x * window.StrideW - padLeft + kx * window.DilationW;
                                if ((uint)ix >= (uint)w) continue;
                                int xAt = ((b * h + iy) * w + ix) * channels, fAt = (ky * kw + kx) * outChannels;
                                for (int ch = 0; ch < channels; ch++)
                                    for (int m = 0; m < multiplier; m++)
                                    {
                                        int k = ch * multiplier + m;
                                        if (ofFilter) o[fAt + k] += other[xAt + ch] * g[gAt + k];
                                        else o[xAt + ch] += other[fAt + k] * g[gAt + k];
                                    }
                            }
                        }
                    }
            c.SetOutput(0, result);
        });
    }

    /// <summary>
    /// MaxPoolGrad routes each output's gradient to the first input cell (in window order) holding the window's
    /// maximum; AvgPoolGrad spreads it evenly over the window's cells inside the input.
    /// </summary>
    private sealed class PoolGradientFactory(ConvolutionKernels.Window window, bool max) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            long[] inputShape = max ? c.Input(0).Shape.Dims.ToArray() : c.ToLongs(0);
            Tensor dy = c.Input(max ? 2 : 1);
            if (inputShape.Length != 4 || dy.Shape.Rank != 4) throw c.Error($"input [{string.Join(",", inputShape)}] and grad {dy.Shape} must have rank 4");
            int batch = (int)inputShape[0], height = (int)inputShape[1], width = (int)inputShape[2], channels = (int)inputShape[3];
            var (oh, padTop) = window.Size(c, height, window.KernelH, window.StrideH, 1, 1);
            var (ow, padLeft) = window.Size(c, width, window.KernelW, window.StrideW, 1, 2);
            if (dy.Shape[0] != batch || dy.Shape[1] != oh || dy.Shape[2] != ow || dy.Shape[3] != channels)
                throw c.Error($"grad {dy.Shape} is not the pooled shape [{batch},{oh},{ow},{channels}]");
            // From the run's arena or buffer pool (a CNN's largest gradients, every step), cleared for the sums below.
            var dx = c.Frame.NewOutput(dy.DType, new TensorShape(inputShape));
            if (max && typeof(T) == typeof(float))
            {
                // Windows of one image write only that image's gradient, so images go to the cores whole (each
                // clearing its own part of dx).
                Tensor input = c.Input(0);
                long perImage = (long)height * width * channels;
                int threads = batch > 1 && perImage * batch >= 1 << 16 ? Math.Min(Sgemm.Threads, batch) : 1;
                int next = 0;
                void Part(int _)
                {
                    // Each core's running maximum and where it is, per channel.
                    var best = new float[channels];
                    var bestAt = new int[channels];
                    for (int n = Interlocked.Increment(ref next) - 1; n < batch; n = Interlocked.Increment(ref next) - 1)
                    {
                        dx.AsSpan<float>().Slice((int)(n * perImage), (int)perImage).Clear();
                        MaxPoolGradient(window, input.AsSpan<float>(), dy.AsSpan<float>(), dx.AsSpan<float>(), n, height, width, channels, oh, ow, padTop, padLeft, best, bestAt);
                    }
                }
                if (threads > 1) WorkerTeam.Shared.Run(threads, Part);
                else Part(0);
                c.SetOutput(0, dx);
                return;
            }
            dx.AsBytes().Clear();
            ReadOnlySpan<T> x = max ? c.Input(0).AsSpan<T>() : default, g = dy.AsSpan<T>();
            Span<T> o = dx.AsSpan<T>();
            for (int n = 0; n < batch; n++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int gAt = ((n * oh + i) * ow + j) * channels;
                        var (r0, r1, c0, c1) = Cover(window, i, j, padTop, padLeft, height, width);
                        if (r0 >= r1 || c0 >= c1) continue;
                        for (int ch = 0; ch < channels; ch++)
                        {
                            if (max) o[FirstMaximum(x, n, ch, r0, r1, c0, c1, height, width, channels)] += g[gAt + ch];
                            else
                            {
                                T share = g[gAt + ch] / T.CreateChecked((r1 - r0) * (c1 - c0));
                                for (int r = r0; r < r1; r++)
                                    for (int col = c0; col < c1; col++)
                                        o[((n * height + r) * width + col) * channels + ch] += share;
                            }
                        }
                    }
            c.SetOutput(0, dx);
        });
    }

    /// <summary>The input rows [R0, R1) and columns [C0, C1) that pooled cell (i, j) covers, clipped to the input.</summary>
    private static (int R0, int R1, int C0, int C1) Cover(ConvolutionKernels.Window window, int i, int j, int padTop, int padLeft, int height, int width) =>
        (Math.Max(i * window.StrideH - padTop, 0), Math.Min(i * window.StrideH - padTop + window.KernelH, height),
         Math.Max(j * window.StrideW - padLeft, 0), Math.Min(j * window.StrideW - padLeft + window.KernelW, width));

    /// <summary>The index of the first cell (in window order) holding the window's maximum in channel <paramref name="ch"/>: where MaxPoolGrad routes the gradient.</summary>
    private static int FirstMaximum<T>(ReadOnlySpan<T> x, int n, int ch, int r0, int r1, int c0, int c1, int height, int width, int channels) where T : IFloatingPointIeee754<T>
    {
        int best = -1;
        T bestValue = T.NegativeInfinity;
        for (int r = r0; r < r1; r++)
            for (int col = c0; col < c1; col++)
            {
                int at = ((n * height + r) * width + col) * channels + ch;
                if (best < 0 || x[at] > bestValue) (best, bestValue) = (at, x[at]);
            }
        return best;
    }

    /// <summary>
    /// MaxPoolGradGrad: for each pooled cell, the value of <c>grad</c> (shaped like the pooling's input) at the first
    /// cell of its window holding the window's maximum, the cell MaxPoolGrad routes that output's gradient to.
    /// </summary>
    private sealed class MaxPoolGradGradFactory(ConvolutionKernels.Window window) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            Tensor input = c.Input(0), pooled = c.Input(1), grad = c.Input(2);
            if (input.Shape.Rank != 4 || pooled.Shape.Rank != 4) throw c.Error($"orig_input {input.Shape} and orig_output {pooled.Shape} must have rank 4");
            if (!grad.Shape.Equals(input.Shape)) throw c.Error($"grad {grad.Shape} must have orig_input's shape {input.Shape}");
            int batch = (int)input.Shape[0], height = (int)input.Shape[1], width = (int)input.Shape[2], channels = (int)input.Shape[3];
            var (oh, padTop) = window.Size(c, height, window.KernelH, window.StrideH, 1, 1);
            var (ow, padLeft) = window.Size(c, width, window.KernelW, window.StrideW, 1, 2);
            if (pooled.Shape[0] != batch || pooled.Shape[1] != oh || pooled.Shape[2] != ow || pooled.Shape[3] != channels)
                throw c.Error($"orig_output {pooled.Shape} is not the pooled shape [{batch},{oh},{ow},{channels}]");
            ReadOnlySpan<T> x = input.AsSpan<T>(), g = grad.AsSpan<T>();
            var output = Tensor.Zeros(input.DType, new TensorShape(batch, oh, ow, channels));
            Span<T> o = output.AsSpan<T>();
            for (int n = 0; n < batch; n++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        var (r0, r1, c0, c1) = Cover(window, i, j, padTop, padLeft, height, width);
                        if (r0 >= r1 || c0 >= c1) continue;
                        for (int ch = 0; ch < channels; ch++)
                            o[((n * oh + i) * ow + j) * channels + ch] = g[FirstMaximum(x, n, ch, r0, r1, c0, c1, height, width, channels)];
                    }
            c.SetOutput(0, output);
        });
    }

    /// <summary>
    /// MaxPoolGrad in float32 for image <paramref name="n"/>, with the channels in vectors: each window keeps, per channel,
    /// the first cell (in window order) holding the maximum and its index (in <paramref name="best"/> and
    /// <paramref name="bestAt"/>), comparing a vector of channels at a time over contiguous memory.
    /// </summary>
    private static void MaxPoolGradient(ConvolutionKernels.Window window, ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> o,
        int n, int height, int width, int channels, int oh, int ow, int padTop, int padLeft, float[] best, int[] bestAt)
    {
        int lanes = Vector<float>.Count;
        Span<int> lane = stackalloc int[lanes];
        for (int l = 0; l < lanes; l++) lane[l] = l;
        var laneOffsets = new Vector<int>(lane);
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                var (r0, r1, c0, c1) = Cover(window, i, j, padTop, padLeft, height, width);
                if (r0 >= r1 || c0 >= c1) continue;
                int first = ((n * height + r0) * width + c0) * channels;
                x.Slice(first, channels).CopyTo(best);
                for (int ch = 0; ch < channels; ch++) bestAt[ch] = first + ch;
                for (int r = r0; r < r1; r++)
                    for (int col = r == r0 ? c0 + 1 : c0; col < c1; col++)
                    {
                        int at = ((n * height + r) * width + col) * channels, ch = 0;
                        if (Vector.IsHardwareAccelerated)
                            for (; ch + lanes <= channels; ch += lanes)
                            {
                                var value = new Vector<float>(x.Slice(at + ch, lanes));
                                var current = new Vector<float>(best, ch);
                                var greater = Vector.GreaterThan(value, current);
                                Vector.ConditionalSelect(greater, value, current).CopyTo(best, ch);
                                Vector.ConditionalSelect(greater, new Vector<int>(at + ch) + laneOffsets, new Vector<int>(bestAt, ch)).CopyTo(bestAt, ch);
                            }
                        for (; ch < channels; ch++)
                            if (x[at + ch] > best[ch]) (best[ch], bestAt[ch]) = (x[at + ch], at + ch);
                    }
                int gAt = ((n * oh + i) * ow + j) * channels;
                for (int ch = 0; ch < channels; ch++) o[bestAt[ch]] += g[gAt + ch];
            }
    }

    /// <summary>
    /// FusedBatchNormGradV3 from the forward pass's saved mean and variance (reserve spaces 1 and 2). Training:
    /// dx = scale / σ · (dy - mean(dy) - x̂ · mean(dy · x̂)); inference: dx = dy · scale / σ; both give Σ dy · x̂ and Σ dy.
    /// </summary>
    private sealed class BatchNormGradientFactory : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (KernelHelpers.DTypeAttr(node, "U") != DType.Float32) throw new KernelNotFoundException(node.Name, node.Op, "scale and the reserve spaces must be float32");
            string format = KernelHelpers.StringAttr(node, "data_format");
            if (format != "NHWC") throw new KernelNotFoundException(node.Name, node.Op, $"data_format {format} is not supported on CPU (use NHWC)");
            double epsilon = node.Attr("epsilon").F;
            bool training = KernelHelpers.BoolAttr(node, "is_training");
            return new DelegateKernel(c =>
            {
                Tensor dyTensor = c.Input(0), xTensor = c.Input(1);
                if (!dyTensor.Shape.Equals(xTensor.Shape) || xTensor.Shape.Rank != 4)
                    throw c.Error($"y_backprop {dyTensor.Shape} and x {xTensor.Shape} must be one 4-D NHWC shape");
                int channels = (int)xTensor.Shape[3];
                float[] scale = c.Input(2).ToArray<float>(), mean = c.Input(3).ToArray<float>(), variance = c.Input(4).ToArray<float>();
                if (scale.Length != channels || mean.Length != channels || variance.Length != channels)
                    throw c.Error($"scale, mean and variance must have {channels} values");
                ReadOnlySpan<T> dy = dyTensor.AsSpan<T>(), x = xTensor.AsSpan<T>();
                long rows = xTensor.ElementCount / Math.Max(channels, 1);
                var inverse = new double[channels];
                for (int ch = 0; ch < channels; ch++) inverse[ch] = 1 / Math.Sqrt(variance[ch] + epsilon);
                var sumDy = new double[channels];
                var sumDyXhat = new double[channels];
                for (long r = 0; r < rows; r++)
                    for (int ch = 0; ch < channels; ch++)
                    {
                        int i = (int)(r * channels + ch);
                        double g = double.CreateChecked(dy[i]);
                        sumDy[ch] += g;
                        sumDyXhat[ch] += g * (double.CreateChecked(x[i]) - mean[ch]) * inverse[ch];
                    }
                var dx = Tensor.Uninitialized(xTensor.DType, xTensor.Shape);
                Span<T> o = dx.AsSpan<T>();
                for (long r = 0; r < rows; r++)
                    for (int ch = 0; ch < channels; ch++)
                    {
                        int i = (int)(r * channels + ch);
                        double g = double.CreateChecked(dy[i]);
                        double value = training
                            ? scale[ch] * inverse[ch] * (g - sumDy[ch] / rows - (double.CreateChecked(x[i]) - mean[ch]) * inverse[ch] * sumDyXhat[ch] / rows)
                            : g * scale[ch] * inverse[ch];
                        o[i] = T.CreateChecked(value);
                    }
                c.SetOutput(0, dx);
                c.SetOutput(1, Tensor.Vector([.. sumDyXhat.Select(v => (float)v)]));
                c.SetOutput(2, Tensor.Vector([.. sumDy.Select(v => (float)v)]));
                c.SetOutput(3, Tensor.Zeros(DType.Float32, new TensorShape(0)));
                c.SetOutput(4, Tensor.Zeros(DType.Float32, new TensorShape(0)));
            });
        }
    }
}
