using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>NHWC convolution, pooling and batch normalization against plain double-precision references.</summary>
public class ConvolutionKernelTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));

    [Theory]
    [InlineData(1, 5, 5, 1, 3, 3, 1, 1, 1, "VALID")]
    [InlineData(2, 7, 6, 3, 3, 2, 4, 2, 1, "SAME")]
    [InlineData(1, 9, 9, 2, 3, 3, 2, 1, 2, "SAME")]
    [InlineData(1, 8, 5, 4, 1, 1, 5, 3, 1, "VALID")]
    [InlineData(2, 6, 7, 8, 1, 1, 40, 1, 1, "VALID")] // pointwise: the input is A as it stands
    [InlineData(6, 28, 28, 3, 3, 3, 33, 1, 1, "SAME")] // row blocks split across cores, a partial column panel
    [InlineData(2, 13, 11, 32, 3, 3, 64, 1, 1, "VALID")] // the CNN's second layer: K = 288 spans two K blocks
    [InlineData(1, 12, 12, 5, 3, 2, 7, 2, 3, "SAME")] // dilated window rows gathered tap by tap
    public void Conv2DMatchesAReference(int n, int h, int w, int c, int fh, int fw, int outC, int stride, int dilation, string padding)
    {
        var random = new Random(h * 31 + w);
        float[] x = [.. Enumerable.Range(0, n * h * w * c).Select(_ => random.NextSingle() - 0.5f)];
        float[] f = [.. Enumerable.Range(0, fh * fw * c * outC).Select(_ => random.NextSingle() - 0.5f)];
        var result = RunOne("Conv2D", [Tensor.FromArray<float>(x, n, h, w, c), Tensor.FromArray<float>(f, fh, fw, c, outC)], F32,
            ("strides", Ints(1, stride, stride, 1)), ("dilations", Ints(1, dilation, dilation, 1)), ("padding", Str(padding)));
        var (oh, top) = Out(h, fh, stride, dilation, padding);
        var (ow, left) = Out(w, fw, stride, dilation, padding);
        Assert.Equal(new TensorShape(n, oh, ow, outC), result.Shape);
        var y = result.ToArray<float>();
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int o = 0; o < outC; o++)
                    {
                        double sum = 0;
                        for (int ki = 0; ki < fh; ki++)
                            for (int kj = 0; kj < fw; kj++)
                            {
                                int r = i * stride - top + ki * dilation, col = j * stride - left + kj * dilation;
                                if (r < 0 || r >= h || col < 0 || col >= w) continue;
                                for (int ch = 0; ch < c; ch++) sum += (double)x[((b * h + r) * w + col) * c + ch] * f[((ki * fw + kj) * c + ch) * outC + o];
                            }
                        Assert.Equal(sum, y[((b * oh + i) * ow + j) * outC + o], 1e-4);
                    }
    }

    [Fact]
    public void DepthwiseConvAppliesEachChannelsOwnFilters()
    {
        // 1x1 spatial filter, 2 channels, multiplier 2: output channel (c, m) = x[c] * f[c, m].
        var x = Tensor.FromArray<float>([1, 10, 2, 20], 1, 1, 2, 2);
        var f = Tensor.FromArray<float>([1, 2, 3, 4], 1, 1, 2, 2);
        var y = RunOne("DepthwiseConv2dNative", [x, f], F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")));
        Assert.Equal(new TensorShape(1, 1, 2, 4), y.Shape);
        Assert.Equal([1f, 2f, 30f, 40f, 2f, 4f, 60f, 80f], y.ToArray<float>());
    }

    [Fact]
    public void PoolingHonoursSamePadding()
    {
        var x = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 3, 3, 1);
        (string, Protos.AttrValue)[] attrs = [F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME"))];
        Assert.Equal([5f, 6f, 8f, 9f], RunOne("MaxPool", [x], attrs).ToArray<float>());
        // Edge windows average only the cells inside the input.
        Assert.Equal([3f, 4.5f, 7.5f, 9f], RunOne("AvgPool", [x], attrs).ToArray<float>());
        Assert.Equal([9f], RunOne("MaxPool", [x], F32, ("ksize", Ints(1, 3, 3, 1)), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID"))).ToArray<float>());
    }

    [Fact]
    public void FusedBatchNormInInferenceAndTrainingModes()
    {
        var x = Tensor.FromArray<float>([1, 10, 3, 30], 1, 1, 2, 2);
        Tensor scale = Tensor.Vector(2f, 1f), offset = Tensor.Vector(0.5f, 0f), mean = Tensor.Vector(2f, 20f), variance = Tensor.Vector(1f, 100f);
        var inference = RunOp("FusedBatchNormV3", [x, scale, offset, mean, variance], 6, F32, ("U", Type(DType.Float32)), ("epsilon", new Protos.AttrValue { F = 0 }), ("is_training", Bool(false)));
        Assert.Equal([-1.5f, -1f, 2.5f, 1f], inference[0].ToArray<float>());
        var training = RunOp("FusedBatchNormV3", [x, scale, offset, Tensor.Zeros(DType.Float32, new TensorShape(0)), Tensor.Zeros(DType.Float32, new TensorShape(0))], 6, F32,
            ("U", Type(DType.Float32)), ("epsilon", new Protos.AttrValue { F = 0 }), ("is_training", Bool(true)));
        Assert.Equal([2f, 20f], training[1].ToArray<float>());
        Assert.Equal([2f, 200f], training[2].ToArray<float>()); // unbiased: population 1 and 100, times 2 / (2 - 1)
        Assert.Equal([-1.5f, -1f, 2.5f, 1f], training[0].ToArray<float>());
    }

    [Fact]
    public void NchwIsRefusedNamingTheNode()
    {
        var e = Assert.Throws<KernelNotFoundException>(() => RunOne("Conv2D", [Tensor.Zeros(DType.Float32, new TensorShape(1, 1, 3, 3)), Tensor.Zeros(DType.Float32, new TensorShape(1, 1, 1, 1))],
            F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NCHW"))));
        Assert.Contains("NCHW", e.Message);
    }

    private static (int Out, int PadBefore) Out(int input, int kernel, int stride, int dilation, string padding)
    {
        int effective = (kernel - 1) * dilation + 1;
        if (padding == "VALID") return ((input - effective) / stride + 1, 0);
        int output = (input + stride - 1) / stride;
        return (output, Math.Max((output - 1) * stride + effective - input, 0) / 2);
    }
}
