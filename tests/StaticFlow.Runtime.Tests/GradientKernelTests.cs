using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>The pieces of TensorFlow's gradient graphs and the checking identities, on values from TensorFlow's documentation.</summary>
public class GradientKernelTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));
    private static readonly (string, Protos.AttrValue) I32 = ("T", Type(DType.Int32));

    [Fact]
    public void BiasAddGradSumsAllButTheChannels()
    {
        var dy = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 2, 2, 3);
        Assert.Equal([22f, 26f, 30f], RunOne("BiasAddGrad", [dy], F32).ToArray<float>());
        Assert.Equal([10f, 26f, 42f], RunOne("BiasAddGrad", [Tensor.FromArray<float>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 1, 3, 2, 2)], F32, ("data_format", Str("NCHW"))).ToArray<float>());
    }

    [Theory]
    [InlineData(3, "VALID", 2, 2, 2)]
    [InlineData(19, "SAME", 3, 2, 2)] // overlapping windows; channels both in vectors and in the scalar tail
    [InlineData(32, "VALID", 2, 2, 2)]
    [InlineData(32, "SAME", 3, 2, 64)] // enough images for the float kernel to split them across cores
    public void MaxPoolGradInFloatRoutesAsTheDoubleKernelDoes(int channels, string padding, int size, int stride, int batch)
    {
        // The float32 kernel compares a vector of channels at a time; the float64 one a value at a time. Values come in
        // steps of 0.25, so windows hold ties, which both must route to the first cell in window order.
        var random = new Random(channels);
        double[] x = [.. Enumerable.Range(0, batch * 7 * 6 * channels).Select(_ => random.Next(-8, 8) / 4.0)];
        var attrs = new[] { ("ksize", Ints(1, size, size, 1)), ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding)) };
        var results = new List<double[]>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            Tensor Make(double[] v, params long[] shape) => dtype == DType.Float32 ? Tensor.FromArray<float>([.. v.Select(e => (float)e)], shape) : Tensor.FromArray<double>(v, shape);
            var input = Make(x, batch, 7, 6, channels);
            var pooled = RunOne("MaxPool", [input], [("T", Type(dtype)), .. attrs]);
            double[] g = [.. Enumerable.Range(0, (int)pooled.ElementCount).Select(i => 1.0 + i % 17)];
            var dx = RunOne("MaxPoolGrad", [input, pooled, Make(g, [.. pooled.Shape.Dims])], [("T", Type(dtype)), .. attrs]);
            results.Add(dtype == DType.Float32 ? [.. dx.ToArray<float>().Select(v => (double)v)] : dx.ToArray<double>());
        }
        Assert.Equal(results[1], results[0]);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(3000)] // 555,000 values: ReluGrad splits them across cores
    public void ReluGradAndBiasAddGradInFloatMatchTheirDefinitionsBeyondOneVector(int rows)
    {
        var random = new Random(5);
        float[] g = [.. Enumerable.Range(0, rows * 5 * 37).Select(_ => random.NextSingle() * 2 - 1)];
        float[] f = [.. Enumerable.Range(0, g.Length).Select(i => i % 3 == 0 ? 0f : random.NextSingle() * 2 - 1)];
        var relu = RunOne("ReluGrad", [Tensor.FromArray<float>(g, rows, 5, 37), Tensor.FromArray<float>(f, rows, 5, 37)], F32).ToArray<float>();
        Assert.Equal(g.Select((v, i) => f[i] > 0 ? v : 0f), relu);
        var sums = RunOne("BiasAddGrad", [Tensor.FromArray<float>(g, rows, 5, 37)], F32).ToArray<float>();
        for (int ch = 0; ch < 37; ch++)
        {
            // Float sums of many values: within float rounding of the magnitudes summed.
            double expected = Enumerable.Range(0, rows * 5).Sum(r => (double)g[r * 37 + ch]);
            double magnitude = Enumerable.Range(0, rows * 5).Sum(r => Math.Abs((double)g[r * 37 + ch]));
            Assert.True(Math.Abs(expected - sums[ch]) <= 1e-5 + 1e-6 * magnitude, $"channel {ch}: {sums[ch]}, expected {expected}");
        }
    }

    [Fact]
    public void BroadcastGradientArgsNamesTheBroadcastAxes()
    {
        // x [2, 3, 1] + y [3, 5]: x's gradient sums over the broadcast axis 2, y's over the leading axis 0 it lacks.
        var reduce = RunOp("BroadcastGradientArgs", [Tensor.Vector(2, 3, 1), Tensor.Vector(3, 5)], 2, I32);
        Assert.Equal([2], reduce[0].ToArray<int>());
        Assert.Equal([0], reduce[1].ToArray<int>());
        // Scalars against scalars: TensorFlow reduces the size-1 axes on both sides.
        var scalars = RunOp("BroadcastGradientArgs", [Tensor.Vector(1, 1), Tensor.Vector(1)], 2, I32);
        Assert.Equal([0, 1], scalars[0].ToArray<int>());
        Assert.Equal([0, 1], scalars[1].ToArray<int>());
        Assert.Equal([2, 3, 5], RunOne("BroadcastArgs", [Tensor.Vector(2, 3, 1), Tensor.Vector(3, 5)], I32).ToArray<int>());
        Assert.Contains("cannot be broadcast", Assert.Throws<GraphException>(() => RunOp("BroadcastGradientArgs", [Tensor.Vector(2, 3), Tensor.Vector(4)], 2, I32)).Message);
    }

    [Fact]
    public void SegmentReductionsCombineRowsBySegment()
    {
        // tf.math.segment_sum's example: c = [[1,2,3,4], [4,3,2,1], [5,6,7,8]], ids [0, 0, 1] -> [[5,5,5,5], [5,6,7,8]].
        var data = Tensor.FromArray<float>([1, 2, 3, 4, 4, 3, 2, 1, 5, 6, 7, 8], 3, 4);
        var ids = Tensor.Vector(0, 0, 1);
        var attrs = new[] { F32, ("Tindices", Type(DType.Int32)) };
        Assert.Equal([5f, 5f, 5f, 5f, 5f, 6f, 7f, 8f], RunOne("SegmentSum", [data, ids], attrs).ToArray<float>());
        Assert.Equal([2.5f, 2.5f, 2.5f, 2.5f, 5f, 6f, 7f, 8f], RunOne("SegmentMean", [data, ids], attrs).ToArray<float>());
        Assert.Equal([4f, 3f, 3f, 4f, 5f, 6f, 7f, 8f], RunOne("SegmentMax", [data, ids], attrs).ToArray<float>());
        Assert.Equal([1f, 2f, 2f, 1f, 5f, 6f, 7f, 8f], RunOne("SegmentMin", [data, ids], attrs).ToArray<float>());
        Assert.Equal([4f, 6f, 6f, 4f, 5f, 6f, 7f, 8f], RunOne("SegmentProd", [data, ids], attrs).ToArray<float>());
        Assert.Contains("not sorted", Assert.Throws<GraphException>(() => RunOne("SegmentSum", [data, Tensor.Vector(1, 0, 1)], attrs)).Message);

        var unsorted = new[] { F32, ("Tindices", Type(DType.Int32)), ("Tnumsegments", Type(DType.Int32)) };
        // Ids in any order, a negative id dropped, an empty segment at its identity.
        var sums = RunOne("UnsortedSegmentSum", [data, Tensor.Vector(2, -1, 0), Tensor.Scalar(4)], unsorted);
        Assert.Equal(new TensorShape(4, 4), sums.Shape);
        Assert.Equal([5f, 6f, 7f, 8f, 0f, 0f, 0f, 0f, 1f, 2f, 3f, 4f, 0f, 0f, 0f, 0f], sums.ToArray<float>());
        Assert.Equal(float.MinValue, RunOne("UnsortedSegmentMax", [data, Tensor.Vector(0, 0, 0), Tensor.Scalar(2)], unsorted).ToArray<float>()[4]);
        Assert.Equal(float.MaxValue, RunOne("UnsortedSegmentMin", [data, Tensor.Vector(0, 0, 0), Tensor.Scalar(2)], unsorted).ToArray<float>()[4]);
        Assert.Equal(1f, RunOne("UnsortedSegmentProd", [data, Tensor.Vector(0, 0, 0), Tensor.Scalar(2)], unsorted).ToArray<float>()[4]);
        Assert.Contains("not below num_segments", Assert.Throws<GraphException>(() => RunOne("UnsortedSegmentSum", [data, Tensor.Vector(0, 5, 0), Tensor.Scalar(2)], unsorted)).Message);
    }

    [Fact]
    public void IdentitiesThatCheck()
    {
        var x = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(x.ToArray<float>(), RunOne("Snapshot", [x], F32).ToArray<float>());
        Assert.Equal(x.ToArray<float>(), RunOne("PreventGradient", [x], F32).ToArray<float>());
        Assert.Equal(x.ToArray<float>(), RunOne("EnsureShape", [x], F32, ("shape", Shape(-1, 3))).ToArray<float>());
        Assert.Contains("not compatible", Assert.Throws<GraphException>(() => RunOne("EnsureShape", [x], F32, ("shape", Shape(3, 2)))).Message);
        Assert.Equal(x.ToArray<float>(), RunOne("CheckNumerics", [x], F32, ("message", Str("weights"))).ToArray<float>());
        var bad = Assert.Throws<GraphException>(() => RunOne("CheckNumerics", [Tensor.Vector(1f, float.NaN)], F32, ("message", Str("weights"))));
        Assert.Contains("weights : Tensor had NaN values", bad.Message);
        var shapes = RunOp("ShapeN", [x, Tensor.Vector(1f)], 2, F32, ("N", Int(2)));
        Assert.Equal([2, 3], shapes[0].ToArray<int>());
        Assert.Equal([1], shapes[1].ToArray<int>());
    }

    [Fact]
    public void LeakyReluGradScalesNegativeFeatures() =>
        Assert.Equal([1f, 0.5f, 3f], RunOne("LeakyReluGrad", [Tensor.Vector(1f, 2.5f, 3f), Tensor.Vector(2f, -1f, 0.5f)], F32, ("alpha", new Protos.AttrValue { F = 0.2f })).ToArray<float>());
}
