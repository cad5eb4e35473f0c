using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// The layout, scan, selection and loss kernels through the real registry, on values worked out by hand from
/// TensorFlow's documentation, and their bad inputs as errors naming the node and op.
/// </summary>
public class CatalogueKernelTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));
    private static readonly (string, Protos.AttrValue) I32 = ("T", Type(DType.Int32));
    private static readonly (string, Protos.AttrValue)[] RollIndices = [("Tshift", Type(DType.Int32)), ("Taxis", Type(DType.Int32))];

    [Fact]
    public void BroadcastReverseAndRoll()
    {
        var row = Tensor.Vector(1, 2, 3);
        var broadcast = RunOne("BroadcastTo", [row, Tensor.Vector(2, 3)], I32);
        Assert.Equal(new TensorShape(2, 3), broadcast.Shape);
        Assert.Equal([1, 2, 3, 1, 2, 3], broadcast.ToArray<int>());
        Assert.Contains("cannot broadcast", Assert.Throws<GraphException>(() => RunOne("BroadcastTo", [row, Tensor.Vector(2, 4)], I32)).Message);

        var x = Tensor.FromArray<int>([0, 1, 2, 3, 4, 5], 2, 3);
        Assert.Equal([2, 1, 0, 5, 4, 3], RunOne("ReverseV2", [x, Tensor.Vector(1)], I32).ToArray<int>());
        Assert.Equal([5, 4, 3, 2, 1, 0], RunOne("ReverseV2", [x, Tensor.Vector(0, -1)], I32).ToArray<int>());
        // tf.roll([0, 1, 2, 3, 4], shift=2, axis=0) == [3, 4, 0, 1, 2]; negative shifts go the other way.
        Assert.Equal([3, 4, 0, 1, 2], RunOne("Roll", [Tensor.Vector(0, 1, 2, 3, 4), Tensor.Vector(2), Tensor.Vector(0)], [I32, .. RollIndices]).ToArray<int>());
        Assert.Equal([1, 2, 0, 4, 5, 3], RunOne("Roll", [x, Tensor.Vector(-1), Tensor.Vector(1)], [I32, .. RollIndices]).ToArray<int>());
        var error = Assert.Throws<GraphException>(() => RunOne("Roll", [x, Tensor.Vector(1), Tensor.Vector(2)], [I32, .. RollIndices]));
        Assert.Equal(("op", "Roll"), (error.NodeName, error.Op));
    }

    [Fact]
    public void PadV2AndMirrorPadFollowTheirModes()
    {
        var x = Tensor.FromArray<int>([1, 2, 3, 4, 5, 6], 2, 3);
        var paddings = Tensor.FromArray<int>([1, 1, 2, 2], 2, 2);
        // The examples of tf.pad's documentation.
        Assert.Equal([6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1],
            RunOne("MirrorPad", [x, paddings], I32, ("mode", Str("REFLECT"))).ToArray<int>());
        Assert.Equal([2, 1, 1, 2, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 5, 4, 4, 5, 6, 6, 5, 5, 4, 4, 5, 6, 6, 5],
            RunOne("MirrorPad", [x, paddings], I32, ("mode", Str("SYMMETRIC"))).ToArray<int>());
        var padded = RunOne("PadV2", [Tensor.Vector(1f, 2f), Tensor.FromArray<int>([1, 2], 1, 2), Tensor.Scalar(-1f)], F32);
        Assert.Equal([-1f, 1f, 2f, -1f, -1f], padded.ToArray<float>());
        Assert.Contains("more than its size", Assert.Throws<GraphException>(() =>
            RunOne("MirrorPad", [x, Tensor.FromArray<int>([0, 0, 3, 0], 2, 2)], I32, ("mode", Str("REFLECT")))).Message);
    }

    [Fact]
    public void SpaceToDepthAndBackAreInverses()
    {
        // tf.nn.space_to_depth's documented example: [1, 2, 2, 1] -> [1, 1, 1, 4].
        var x = Tensor.FromArray<float>([1, 2, 3, 4], 1, 2, 2, 1);
        var depth = RunOne("SpaceToDepth", [x], F32, ("block_size", Int(2)));
        Assert.Equal(new TensorShape(1, 1, 1, 4), depth.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], depth.ToArray<float>());
        var wide = Tensor.FromArray<float>([.. Enumerable.Range(0, 32).Select(i => (float)i)], 1, 4, 4, 2);
        var there = RunOne("SpaceToDepth", [wide], F32, ("block_size", Int(2)));
        Assert.Equal(new TensorShape(1, 2, 2, 8), there.Shape);
        Assert.Equal([0f, 1f, 2f, 3f, 8f, 9f, 10f, 11f], there.ToArray<float>().Take(8));
        Assert.Equal(wide.ToArray<float>(), RunOne("DepthToSpace", [there], F32, ("block_size", Int(2))).ToArray<float>());
        Assert.Contains("multiples of block_size", Assert.Throws<GraphException>(() =>
            RunOne("SpaceToDepth", [Tensor.Zeros(DType.Float32, new TensorShape(1, 3, 4, 1))], F32, ("block_size", Int(2)))).Message);
    }

    [Fact]
    public void MatrixBandPartKeepsTheBand()
    {
        var x = Tensor.FromArray<int>([.. Enumerable.Range(1, 9)], 3, 3);
        var i64 = ("Tindex", Type(DType.Int64));
        Assert.Equal([1, 2, 0, 4, 5, 6, 0, 8, 9], RunOne("MatrixBandPart", [x, Tensor.Scalar(1L), Tensor.Scalar(1L)], I32, i64).ToArray<int>());
        // Lower triangle: num_lower -1 keeps everything below, num_upper 0 nothing above.
        Assert.Equal([1, 0, 0, 4, 5, 0, 7, 8, 9], RunOne("MatrixBandPart", [x, Tensor.Scalar(-1L), Tensor.Scalar(0L)], I32, i64).ToArray<int>());
    }

    [Fact]
    public void OneHotPlacesOnValuesAlongTheAxis()
    {
        var indices = Tensor.Vector(0, 2, -1, 5);
        var attrs = new[] { F32, ("TI", Type(DType.Int32)) };
        var last = RunOne("OneHot", [indices, Tensor.Scalar(3), Tensor.Scalar(1f), Tensor.Scalar(0f)], [.. attrs, ("axis", Int(-1))]);
        Assert.Equal(new TensorShape(4, 3), last.Shape);
        // Out-of-range indices (-1, 5) give rows of off_value.
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 0f, 0f, 0f], last.ToArray<float>());
        var first = RunOne("OneHot", [Tensor.Vector(1, 0), Tensor.Scalar(2), Tensor.Scalar(5f), Tensor.Scalar(-5f)], [.. attrs, ("axis", Int(0))]);
        Assert.Equal(new TensorShape(2, 2), first.Shape);
        Assert.Equal([-5f, 5f, 5f, -5f], first.ToArray<float>());
        Assert.Contains("depth must be non-negative", Assert.Throws<GraphException>(() =>
            RunOne("OneHot", [indices, Tensor.Scalar(-3), Tensor.Scalar(1f), Tensor.Scalar(0f)], [.. attrs, ("axis", Int(-1))])).Message);
    }

    [Fact]
    public void GatherNdAndTensorScatterUpdate()
    {
        var x = Tensor.FromArray<int>([.. Enumerable.Range(0, 12)], 3, 4);
        var attrs = new[] { ("Tparams", Type(DType.Int32)), ("Tindices", Type(DType.Int32)) };
        Assert.Equal([6, 9], RunOne("GatherNd", [x, Tensor.FromArray<int>([1, 2, 2, 1], 2, 2)], attrs).ToArray<int>());
        var rows = RunOne("GatherNd", [x, Tensor.FromArray<int>([2, 0], 2, 1)], attrs);
        Assert.Equal(new TensorShape(2, 4), rows.Shape);
        Assert.Equal([8, 9, 10, 11, 0, 1, 2, 3], rows.ToArray<int>());
        Assert.Contains("out of range", Assert.Throws<GraphException>(() => RunOne("GatherNd", [x, Tensor.FromArray<int>([3, 0], 1, 2)], attrs)).Message);

        var updated = RunOne("TensorScatterUpdate", [x, Tensor.FromArray<int>([0, 2], 2, 1), Tensor.FromArray<int>([.. Enumerable.Repeat(-1, 8)], 2, 4)],
            I32, ("Tindices", Type(DType.Int32)));
        Assert.Equal([-1, -1, -1, -1, 4, 5, 6, 7, -1, -1, -1, -1], updated.ToArray<int>());
    }

    [Fact]
    public void CumsumAndCumprodWithExclusiveAndReverse()
    {
        var x = Tensor.Vector(1f, 2f, 3f, 4f);
        (string, Protos.AttrValue) Flag(string name, bool value) => (name, Bool(value));
        Assert.Equal([1f, 3f, 6f, 10f], RunOne("Cumsum", [x, Tensor.Scalar(0)], F32, Flag("exclusive", false), Flag("reverse", false)).ToArray<float>());
        // tf.math.cumsum's documented examples.
        Assert.Equal([0f, 1f, 3f, 6f], RunOne("Cumsum", [x, Tensor.Scalar(0)], F32, Flag("exclusive", true), Flag("reverse", false)).ToArray<float>());
        Assert.Equal([10f, 9f, 7f, 4f], RunOne("Cumsum", [x, Tensor.Scalar(0)], F32, Flag("exclusive", false), Flag("reverse", true)).ToArray<float>());
        Assert.Equal([9f, 7f, 4f, 0f], RunOne("Cumsum", [x, Tensor.Scalar(0)], F32, Flag("exclusive", true), Flag("reverse", true)).ToArray<float>());
        Assert.Equal([1f, 2f, 6f, 24f], RunOne("Cumprod", [x, Tensor.Scalar(-1)], F32, Flag("exclusive", false), Flag("reverse", false)).ToArray<float>());
        var matrix = Tensor.FromArray<int>([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([1, 2, 3, 5, 7, 9], RunOne("Cumsum", [matrix, Tensor.Scalar(0)], I32, Flag("exclusive", false), Flag("reverse", false)).ToArray<int>());
        Assert.Contains("out of range", Assert.Throws<GraphException>(() => RunOne("Cumsum", [matrix, Tensor.Scalar(2)], I32)).Message);
    }

    [Fact]
    public void TopKWhereAndUnique()
    {
        var values = RunOp("TopKV2", [Tensor.FromArray<float>([1, 5, 3, 5, 2, 9, 0, 9], 2, 4), Tensor.Scalar(2)], 2, F32);
        Assert.Equal([5f, 5f, 9f, 9f], values[0].ToArray<float>());
        // Equal values keep their order: the earlier index first.
        Assert.Equal([1, 3, 1, 3], values[1].ToArray<int>());
        Assert.Contains("k = 5", Assert.Throws<GraphException>(() => RunOp("TopKV2", [Tensor.Vector(1f, 2f), Tensor.Scalar(5)], 2, F32)).Message);

        var where = RunOne("Where", [Tensor.FromArray<bool>([true, false, false, true], 2, 2)], ("T", Type(DType.Bool)));
        Assert.Equal(new TensorShape(2, 2), where.Shape);
        Assert.Equal([0L, 0L, 1L, 1L], where.ToArray<long>());
        Assert.Equal([1L, 3L], RunOne("Where", [Tensor.Vector(0f, 2f, 0f, -1f)], F32).ToArray<long>());

        var unique = RunOp("Unique", [Tensor.Vector(1, 1, 2, 4, 4, 4, 7, 8, 8)], 2, I32, ("out_idx", Type(DType.Int32)));
        Assert.Equal([1, 2, 4, 7, 8], unique[0].ToArray<int>());
        Assert.Equal([0, 0, 1, 2, 2, 2, 3, 4, 4], unique[1].ToArray<int>());
    }

    [Fact]
    public void BoolReductionsNormsAndClipping()
    {
        var flags = Tensor.FromArray<bool>([true, false, true, true], 2, 2);
        (string, Protos.AttrValue) keep = ("keep_dims", Bool(false));
        Assert.Equal([true, false], RunOne("All", [flags, Tensor.Vector(0)], keep).ToArray<bool>());
        Assert.Equal([false, true], RunOne("All", [flags, Tensor.Vector(1)], keep).ToArray<bool>());
        Assert.Equal([true], RunOne("Any", [flags, Tensor.Vector(0, 1)], keep).ToArray<bool>());
        Assert.Equal([5f], RunOne("EuclideanNorm", [Tensor.Vector(3f, 4f), Tensor.Vector(0)], F32, keep).ToArray<float>());
        Assert.Equal(12.5f, RunOne("L2Loss", [Tensor.Vector(3f, 4f)], F32).AsSpan<float>()[0]);
        Assert.Equal([0f, 0.5f, 1f], RunOne("ClipByValue", [Tensor.Vector(-2f, 0.5f, 3f), Tensor.Scalar(0f), Tensor.Scalar(1f)], F32).ToArray<float>());
        Assert.Contains("neither a scalar", Assert.Throws<GraphException>(() =>
            RunOne("ClipByValue", [Tensor.Vector(-2f, 0.5f, 3f), Tensor.Vector(0f, 0f), Tensor.Scalar(1f)], F32)).Message);
    }

    [Fact]
    public void CrossEntropyLossesAndTheirBackprop()
    {
        var logits = Tensor.FromArray<float>([2, 1, 0.1f, 0, 0, 0], 2, 3);
        var dense = RunOp("SoftmaxCrossEntropyWithLogits", [logits, Tensor.FromArray<float>([1, 0, 0, 0, 0.5f, 0.5f], 2, 3)], 2, F32);
        double[] row0 = [2, 1, 0.1];
        double logSum = Math.Log(row0.Sum(Math.Exp));
        Assert.Equal(logSum - 2, dense[0].ToArray<float>()[0], 5);
        Assert.Equal(Math.Log(3), dense[0].ToArray<float>()[1], 5);
        Assert.Equal(Math.Exp(2 - logSum) - 1, dense[1].ToArray<float>()[0], 5);
        Assert.Equal(1 / 3.0 - 0.5, dense[1].ToArray<float>()[5], 5);

        var sparse = RunOp("SparseSoftmaxCrossEntropyWithLogits", [logits, Tensor.Vector(0L, 2L)], 2, F32, ("Tlabels", Type(DType.Int64)));
        Assert.Equal(dense[0].ToArray<float>()[0], sparse[0].ToArray<float>()[0], 6);
        Assert.Equal(Math.Log(3), sparse[0].ToArray<float>()[1], 5);
        var error = Assert.Throws<GraphException>(() => RunOp("SparseSoftmaxCrossEntropyWithLogits", [logits, Tensor.Vector(0L, 3L)], 2, F32, ("Tlabels", Type(DType.Int64))));
        Assert.Contains("outside [0, 3)", error.Message);
        Assert.Equal("SparseSoftmaxCrossEntropyWithLogits", error.Op);
    }

    [Theory]
    [InlineData("SAME", 2, 1)]
    [InlineData("VALID", 1, 2)]
    [InlineData("SAME", 1, 1)]
    public void TransposedConvolutionIsTheAdjointOfConv2D(string padding, int stride, int dilation)
    {
        // <Conv2D(x, w), dy> = <x, Conv2DBackpropInput(shape(x), w, dy)> for every x and dy: the defining property of
        // the input gradient, which pins down the padding split and the strides.
        var random = new Random(stride * 10 + dilation);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1)];
        var x = Tensor.FromArray<float>(Values(2 * 7 * 6 * 3), 2, 7, 6, 3);
        var w = Tensor.FromArray<float>(Values(3 * 2 * 3 * 4), 3, 2, 3, 4);
        var attrs = new[] { F32, ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding)), ("dilations", Ints(1, dilation, dilation, 1)) };
        var y = RunOne("Conv2D", [x, w], attrs);
        var dy = Tensor.FromArray<float>(Values((int)y.ElementCount), [.. y.Shape.Dims]);
        var dx = RunOne("Conv2DBackpropInput", [Tensor.Vector(2, 7, 6, 3), w, dy], attrs);
        Assert.Equal(x.Shape, dx.Shape);
        double left = y.ToArray<float>().Zip(dy.ToArray<float>(), (a, b) => (double)a * b).Sum();
        double right = x.ToArray<float>().Zip(dx.ToArray<float>(), (a, b) => (double)a * b).Sum();
        Assert.Equal(left, right, 4);
        Assert.Contains("is not the", Assert.Throws<GraphException>(() =>
            RunOne("Conv2DBackpropInput", [Tensor.Vector(2, 9, 6, 3), w, dy], attrs)).Message);
    }

    [Theory]
    [InlineData("SAME", 1, 1, 2)]
    [InlineData("VALID", 2, 1, 2)]
    [InlineData("SAME", 1, 2, 2)]
    [InlineData("SAME", 1, 1, 8)] // large enough to split over threads, in several blocks
    public void FilterAndInputGradientsAreTheAdjointsOfConv2DInFloatAndDouble(string padding, int stride, int dilation, int batch)
    {
        // <Conv2D(x, w), dy> = <w, Conv2DBackpropFilter(x, shape(w), dy)> = <x, Conv2DBackpropInput(shape(x), w, dy)>;
        // float32 runs on the packed GEMM, float64 on the direct loops, and the two agree.
        var random = new Random(stride * 100 + dilation * 10 + batch);
        int size = batch > 2 ? 24 : 7, channels = batch > 2 ? 8 : 3, filters = batch > 2 ? 16 : 4;
        double[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1)];
        double[] xs = Values(batch * size * size * channels), ws = Values(3 * 3 * channels * filters);
        var attrs = new[] { ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding)), ("dilations", Ints(1, dilation, dilation, 1)) };
        var results = new Dictionary<string, (double[] Dw, double[] Dx)>();
        foreach (string dtype in new[] { "float", "double" })
        {
            var t = dtype == "float" ? F32 : ("T", new Protos.AttrValue { Type = Protos.DataType.DtDouble });
            Tensor Make(double[] v, params long[] shape) => dtype == "float" ? Tensor.FromArray<float>([.. v.Select(e => (float)e)], shape) : Tensor.FromArray<double>(v, shape);
            double[] Read(Tensor v) => dtype == "float" ? [.. v.ToArray<float>().Select(e => (double)e)] : v.ToArray<double>();
            var x = Make(xs, batch, size, size, channels);
            var w = Make(ws, 3, 3, channels, filters);
            var y = RunOne("Conv2D", [x, w], [t, .. attrs]);
            var dyRandom = new Random(7);
            double[] dyValues = [.. Enumerable.Range(0, (int)y.ElementCount).Select(_ => dyRandom.NextDouble() * 2 - 1)];
            var dy = Make(dyValues, [.. y.Shape.Dims]);
            var dw = RunOne("Conv2DBackpropFilter", [x, Tensor.Vector(3, 3, channels, filters), dy], [t, .. attrs]);
            var dx = RunOne("Conv2DBackpropInput", [Tensor.Vector(batch, size, size, channels), w, dy], [t, .. attrs]);
            double forward = Read(y).Zip(dyValues, (a, b) => a * b).Sum();
            Assert.Equal(forward, ws.Zip(Read(dw), (a, b) => a * b).Sum(), dtype == "float" ? 2 : 9);
            Assert.Equal(forward, xs.Zip(Read(dx), (a, b) => a * b).Sum(), dtype == "float" ? 2 : 9);
            results[dtype] = (Read(dw), Read(dx));
        }
        for (int i = 0; i < results["double"].Dw.Length; i++) Assert.Equal(results["double"].Dw[i], results["float"].Dw[i], 1e-3 * Math.Max(1, Math.Abs(results["double"].Dw[i])));
        for (int i = 0; i < results["double"].Dx.Length; i++) Assert.Equal(results["double"].Dx[i], results["float"].Dx[i], 1e-4 * Math.Max(1, Math.Abs(results["double"].Dx[i])));
    }

    [Fact]
    public void LrnNormalizesOverNeighbouringChannels()
    {
        var x = Tensor.FromArray<float>([1, 2, 3], 1, 1, 1, 3);
        var y = RunOne("LRN", [x], F32, ("depth_radius", Int(1)), ("bias", new Protos.AttrValue { F = 1 }), ("alpha", new Protos.AttrValue { F = 1 }), ("beta", new Protos.AttrValue { F = 0.5f })).ToArray<float>();
        Assert.Equal(1 / Math.Sqrt(1 + 1 + 4), y[0], 6);
        Assert.Equal(2 / Math.Sqrt(1 + 1 + 4 + 9), y[1], 6);
        Assert.Equal(3 / Math.Sqrt(1 + 4 + 9), y[2], 6);
    }

    [Theory]
    [InlineData(false, true, new float[] { 0, 0.25f, 0.75f, 1 })]
    [InlineData(false, false, new float[] { 0, 0.5f, 1, 1 })]
    [InlineData(true, false, new float[] { 0, 1 / 3f, 2 / 3f, 1 })]
    public void ResizeBilinearPlacesSamplesAsTensorFlowDoes(bool alignCorners, bool halfPixelCenters, float[] steps)
    {
        // [[0, 1], [2, 3]] to 4x4: each output is 2·f(row) + f(column) for the mode's sample positions f.
        var images = Tensor.FromArray<float>([0, 1, 2, 3], 1, 2, 2, 1);
        var resized = RunOne("ResizeBilinear", [images, Tensor.Vector(4, 4)], F32, ("align_corners", Bool(alignCorners)), ("half_pixel_centers", Bool(halfPixelCenters)));
        Assert.Equal(new TensorShape(1, 4, 4, 1), resized.Shape);
        float[] expected = [.. steps.SelectMany(fy => steps.Select(fx => 2 * fy + fx))];
        float[] got = resized.ToArray<float>();
        for (int i = 0; i < 16; i++) Assert.Equal(expected[i], got[i], 5);
    }

    [Theory]
    [InlineData(false, false, new[] { 0, 1 })]
    [InlineData(false, true, new[] { 0, 2 })]
    [InlineData(true, false, new[] { 0, 2 })]
    public void ResizeNearestNeighborPicksTensorFlowsPixels(bool alignCorners, bool halfPixelCenters, int[] rows)
    {
        var images = Tensor.FromArray<int>([.. Enumerable.Range(0, 9)], 1, 3, 3, 1);
        var resized = RunOne("ResizeNearestNeighbor", [images, Tensor.Vector(2, 2)], I32, ("align_corners", Bool(alignCorners)), ("half_pixel_centers", Bool(halfPixelCenters)));
        Assert.Equal(DType.Int32, resized.DType);
        Assert.Equal([.. rows.SelectMany(r => rows.Select(col => 3 * r + col))], resized.ToArray<int>());
    }

    [Fact]
    public void EinsumFollowsItsEquation()
    {
        Tensor Einsum(string equation, params Tensor[] inputs) => RunOne("Einsum", inputs, F32, ("equation", Str(equation)), ("N", Int(inputs.Length)));
        var a = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor.FromArray<float>([1, 0, 2, 1, 0, 3], 3, 2);
        var product = RunOne("MatMul", [a, b], F32).ToArray<float>();
        Assert.Equal(product, Einsum("ij,jk->ik", a, b).ToArray<float>());
        Assert.Equal(product, Einsum("ij,jk", a, b).ToArray<float>());
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], Einsum("ij->ji", a).ToArray<float>());
        Assert.Equal([1f, 5f], Einsum("ii->i", Tensor.FromArray<float>([1, 2, 3, 5], 2, 2)).ToArray<float>());
        Assert.Equal([21f], Einsum("ij->", a).ToArray<float>().Take(1));
        // The subscripts Keras's MultiHeadAttention writes for its scores: [B, T, N, H] x [B, S, N, H] -> [B, N, T, S].
        var random = new Random(3);
        var query = Tensor.FromArray<float>([.. Enumerable.Range(0, 2 * 3 * 2 * 4).Select(_ => random.NextSingle())], 2, 3, 2, 4);
        var key = Tensor.FromArray<float>([.. Enumerable.Range(0, 2 * 5 * 2 * 4).Select(_ => random.NextSingle())], 2, 5, 2, 4);
        var scores = Einsum("aecd,abcd->acbe", key, query);
        Assert.Equal(new TensorShape(2, 2, 3, 5), scores.Shape);
        float[] q = query.ToArray<float>(), k = key.ToArray<float>(), s = scores.ToArray<float>();
        double Score(int batch, int head, int t, int src) =>
            Enumerable.Range(0, 4).Sum(h => (double)q[((batch * 3 + t) * 2 + head) * 4 + h] * k[((batch * 5 + src) * 2 + head) * 4 + h]);
        Assert.Equal(Score(1, 1, 2, 4), s[((1 * 2 + 1) * 3 + 2) * 5 + 4], 5);
        Assert.Contains("ellipsis", Assert.Throws<GraphException>(() => Einsum("...ij,...jk->...ik", a, b)).Message);
        Assert.Contains("subscript 'j'", Assert.Throws<GraphException>(() => Einsum("ij,jk->ik", a, a)).Message);
    }

    [Fact]
    public void GammaFunctionsMatchExactValues()
    {
        const double EulerGamma = 0.57721566490153286061;
        double[] digamma = RunOne("Digamma", [Tensor.Vector(1.0, 0.5, 0.1, -0.5)], ("T", Type(DType.Float64))).ToArray<double>();
        Assert.Equal(-EulerGamma, digamma[0], 12);
        Assert.Equal(-EulerGamma - 2 * Math.Log(2), digamma[1], 12);
        // ψ(0.1) from its published value; ψ(-0.5) by reflection, ψ(1 - x) - ψ(x) = π·cot(πx) = 0, so ψ(1.5) = ψ(0.5) + 2.
        Assert.Equal(-10.423754940411076, digamma[2], 11);
        Assert.Equal(2 - EulerGamma - 2 * Math.Log(2), digamma[3], 11);
        double[] lgamma = RunOne("Lgamma", [Tensor.Vector(0.5, 1, 5, -0.5)], ("T", Type(DType.Float64))).ToArray<double>();
        Assert.Equal(0.5 * Math.Log(Math.PI), lgamma[0], 12);
        Assert.Equal(0, lgamma[1], 12);
        Assert.Equal(Math.Log(24), lgamma[2], 12);
        Assert.Equal(Math.Log(2 * Math.Sqrt(Math.PI)), lgamma[3], 12);
        Assert.True(double.IsPositiveInfinity(RunOne("Lgamma", [Tensor.Vector(-2.0)], ("T", Type(DType.Float64))).ToArray<double>()[0]));
    }

    [Fact]
    public void BitwiseOpsAndShiftsFollowTensorFlow()
    {
        var x = Tensor.Vector(0b1100, -8, 7);
        var y = Tensor.Vector(0b1010, 1, 40);
        Assert.Equal([0b1000, 0, 0], RunOne("BitwiseAnd", [x, y], I32).ToArray<int>());
        Assert.Equal([0b1110, -7, 47], RunOne("BitwiseOr", [x, y], I32).ToArray<int>());
        Assert.Equal([0b0110, -7, 47], RunOne("BitwiseXor", [x, y], I32).ToArray<int>());
        Assert.Equal([~0b1100, 7, -8], RunOne("Invert", [x], I32).ToArray<int>());
        // Shifts clamp the count to [0, 31]: -8 >> 40 keeps the sign, 7 << 40 shifts by 31.
        Assert.Equal([12 << 10, -16, 7 << 31], RunOne("LeftShift", [x, Tensor.Vector(10, 1, 40)], I32).ToArray<int>());
        Assert.Equal([3, -4, -1], RunOne("RightShift", [Tensor.Vector(12, -8, -8), Tensor.Vector(2, 1, 40)], I32).ToArray<int>());
        Assert.Equal([(byte)0b11110000], RunOne("Invert", [Tensor.Vector((byte)0b00001111)], ("T", Type(DType.UInt8))).ToArray<byte>());
        Assert.Equal("BitwiseAnd", Assert.Throws<KernelNotFoundException>(() => RunOne("BitwiseAnd", [Tensor.Vector(1f), Tensor.Vector(1f)], F32)).Op);
    }

    [Fact]
    public void ScatterConcatDiagAndBuckets()
    {
        // tf.scatter_nd's example: indices [[4], [3], [1], [7]], updates [9, 10, 11, 12], shape [8]; a repeated index sums.
        var i32 = ("Tindices", Type(DType.Int32));
        Assert.Equal([0, 11, 0, 10, 9, 0, 0, 12], RunOne("ScatterNd", [Tensor.FromArray<int>([4, 3, 1, 7], 4, 1), Tensor.Vector(9, 10, 11, 12), Tensor.Vector(8)], I32, i32).ToArray<int>());
        Assert.Equal([0, 0, 5], RunOne("ScatterNd", [Tensor.FromArray<int>([2, 2], 2, 1), Tensor.Vector(2, 3), Tensor.Vector(3)], I32, i32).ToArray<int>());
        var tensor = Tensor.Vector(1, 1, 1, 1);
        Assert.Equal([1, 6, 1, 1], RunOne("TensorScatterAdd", [tensor, Tensor.FromArray<int>([1], 1, 1), Tensor.Vector(5)], I32, i32).ToArray<int>());
        Assert.Equal([1, -4, 1, 1], RunOne("TensorScatterSub", [tensor, Tensor.FromArray<int>([1], 1, 1), Tensor.Vector(5)], I32, i32).ToArray<int>());
        Assert.Contains("out of range", Assert.Throws<GraphException>(() => RunOne("ScatterNd", [Tensor.FromArray<int>([8], 1, 1), Tensor.Vector(1), Tensor.Vector(8)], I32, i32)).Message);

        var concat = RunOp("Concat", [Tensor.Scalar(1), Tensor.FromArray<int>([1, 2], 2, 1), Tensor.FromArray<int>([3, 4, 5, 6], 2, 2)], 1, I32, ("N", Int(2)))[0];
        Assert.Equal(new TensorShape(2, 3), concat.Shape);
        Assert.Equal([1, 3, 4, 2, 5, 6], concat.ToArray<int>());

        var diag = RunOne("Diag", [Tensor.Vector(1, 2, 3)], I32);
        Assert.Equal(new TensorShape(3, 3), diag.Shape);
        Assert.Equal([1, 0, 0, 0, 2, 0, 0, 0, 3], diag.ToArray<int>());
        Assert.Equal([1, 2, 3], RunOne("DiagPart", [diag], I32).ToArray<int>());

        // tf.raw_ops.Bucketize's example: boundaries [0, 10, 100], input [[-5, 10000], [150, 10], [5, 100]] -> [[0, 3], [3, 2], [1, 3]].
        var buckets = RunOne("Bucketize", [Tensor.FromArray<int>([-5, 10000, 150, 10, 5, 100], 3, 2)], I32, ("boundaries", new Protos.AttrValue { List = new Protos.AttrValue.Types.ListValue { F = { 0f, 10f, 100f } } }));
        Assert.Equal([0, 3, 3, 2, 1, 3], buckets.ToArray<int>());
        Assert.Equal([10f, 11f, 12f, 13f, 14f], RunOne("LinSpace", [Tensor.Scalar(10f), Tensor.Scalar(14f), Tensor.Scalar(5)], F32, ("Tidx", Type(DType.Int32))).ToArray<float>());
        Assert.Equal([true, false], RunOne("ApproximateEqual", [Tensor.Vector(1f, 2f), Tensor.Vector(1.000001f, 2.1f)], F32, ("tolerance", new Protos.AttrValue { F = 1e-3f })).ToArray<bool>());
    }

    [Fact]
    public void MatrixDiagonals()
    {
        var diag = RunOne("MatrixDiag", [Tensor.FromArray<int>([1, 2, 3, 4], 2, 2)], I32);
        Assert.Equal(new TensorShape(2, 2, 2), diag.Shape);
        Assert.Equal([1, 0, 0, 2, 3, 0, 0, 4], diag.ToArray<int>());
        var wide = Tensor.FromArray<int>([.. Enumerable.Range(1, 6)], 2, 3);
        Assert.Equal([1, 5], RunOne("MatrixDiagPart", [wide], I32).ToArray<int>());
        Assert.Equal([9, 2, 3, 4, 9, 6], RunOne("MatrixSetDiag", [wide, Tensor.Vector(9, 9)], I32).ToArray<int>());
        Assert.Contains("diagonal must be", Assert.Throws<GraphException>(() => RunOne("MatrixSetDiag", [wide, Tensor.Vector(9, 9, 9)], I32)).Message);
    }
}
