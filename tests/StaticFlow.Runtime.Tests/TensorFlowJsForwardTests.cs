using System.Text.Json.Nodes;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using Xunit.Abstractions;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// Kernels whose TensorFlow semantics are subtle, run on the same inputs as TensorFlow.js 4.22.0 (its pure-JavaScript
/// CPU backend): SAME padding's uneven split, pooling windows at the edges, ResizeBilinear's and
/// ResizeNearestNeighbor's sample positions (half-pixel centres, aligned corners), Round's ties to even, FloorMod's
/// signs, transposed convolutions, cumulative sums, mirror padding, depth-to-space, LRN, TopK and Unique.
/// </summary>
public class TensorFlowJsForwardTests(ITestOutputHelper output)
{
    /// <summary>One op run both ways: its inputs (float32 unless int32 is given), attrs, and the TensorFlow.js expression over <c>x</c>.</summary>
    private sealed record Case(string Name, string Op, Tensor[] Inputs, (string Key, AttrValue Value)[] Attrs, string Js, int Outputs = 1);

    private static readonly (string, AttrValue) F32 = ("T", Type(DType.Float32));

    private static Tensor Floats(int seed, params long[] shape)
    {
        var random = new Random(seed);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        return Tensor.FromArray<float>([.. Enumerable.Range(0, (int)count).Select(_ => MathF.Round(random.NextSingle() * 4 - 2, 3))], shape);
    }

    private static (string, AttrValue)[] Window(string padding, long kernel, long stride) =>
        [F32, ("ksize", Ints(1, kernel, kernel, 1)), ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding))];

    private static (string, AttrValue)[] Conv(string padding, long stride, long dilation = 1) =>
        [F32, ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding)), ("dilations", Ints(1, dilation, dilation, 1))];

    private static (string, AttrValue)[] Resize(bool alignCorners, bool halfPixelCenters) =>
        [F32, ("align_corners", Bool(alignCorners)), ("half_pixel_centers", Bool(halfPixelCenters))];

    private static IEnumerable<Case> Cases()
    {
        // SAME padding puts the odd pixel after: 2x2 kernel, stride 2 on 5 pixels pads 0 before and 1 after.
        yield return new("Conv2D SAME, even kernel", "Conv2D", [Floats(1, 2, 5, 5, 3), Floats(2, 2, 2, 3, 4)], Conv("SAME", 2), "tf.conv2d(x[0], x[1], 2, 'same')");
        yield return new("Conv2D SAME, kernel 4 stride 3", "Conv2D", [Floats(3, 1, 7, 8, 2), Floats(4, 4, 4, 2, 3)], Conv("SAME", 3), "tf.conv2d(x[0], x[1], 3, 'same')");
        yield return new("Conv2D VALID, dilation 2", "Conv2D", [Floats(5, 1, 7, 7, 2), Floats(6, 3, 3, 2, 2)], Conv("VALID", 1, 2), "tf.conv2d(x[0], x[1], 1, 'valid', 'NHWC', 2)");
        yield return new("DepthwiseConv2dNative SAME, even kernel", "DepthwiseConv2dNative", [Floats(7, 1, 6, 5, 3), Floats(8, 2, 2, 3, 2)], Conv("SAME", 2),
            "tf.depthwiseConv2d(x[0], x[1], 2, 'same')");
        yield return new("Conv2DBackpropInput SAME, stride 2", "Conv2DBackpropInput", [Tensor.Vector(1, 7, 6, 2), Floats(9, 3, 3, 2, 3), Floats(10, 1, 4, 3, 3)], Conv("SAME", 2),
            "tf.conv2dTranspose(x[2], x[1], [1, 7, 6, 2], 2, 'same')");
        // Pooling windows that overhang the edge: max over the cells inside, average divided by their count.
        yield return new("MaxPool SAME 3x3 stride 2", "MaxPool", [Floats(11, 2, 5, 6, 3)], Window("SAME", 3, 2), "tf.maxPool(x[0], 3, 2, 'same')");
        yield return new("AvgPool SAME 3x3 stride 2", "AvgPool", [Floats(12, 2, 5, 6, 3)], Window("SAME", 3, 2), "tf.avgPool(x[0], 3, 2, 'same')");
        yield return new("AvgPool SAME 2x2 stride 1", "AvgPool", [Floats(13, 1, 4, 5, 2)], Window("SAME", 2, 1), "tf.avgPool(x[0], 2, 1, 'same')");
        // Sample positions of the resizes, up and down, with each corner and centre convention.
        foreach (var (align, half) in new[] { (false, false), (true, false), (false, true) })
        {
            string flags = $"{(align ? "true" : "false")}, {(half ? "true" : "false")}";
            yield return new($"ResizeBilinear up ({flags})", "ResizeBilinear", [Floats(14, 2, 3, 4, 2), Tensor.Vector(5, 7)], Resize(align, half), $"tf.image.resizeBilinear(x[0], [5, 7], {flags})");
            yield return new($"ResizeBilinear down ({flags})", "ResizeBilinear", [Floats(15, 1, 7, 6, 1), Tensor.Vector(3, 4)], Resize(align, half), $"tf.image.resizeBilinear(x[0], [3, 4], {flags})");
            yield return new($"ResizeNearestNeighbor up ({flags})", "ResizeNearestNeighbor", [Floats(16, 2, 3, 4, 2), Tensor.Vector(5, 7)], Resize(align, half),
                $"tf.image.resizeNearestNeighbor(x[0], [5, 7], {flags})");
            yield return new($"ResizeNearestNeighbor down ({flags})", "ResizeNearestNeighbor", [Floats(17, 1, 7, 6, 1), Tensor.Vector(3, 4)], Resize(align, half),
                $"tf.image.resizeNearestNeighbor(x[0], [3, 4], {flags})");
        }
        // Ties to even, and the divisor's sign.
        yield return new("Round ties to even", "Round", [Tensor.FromArray<float>([-3.5f, -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 3.5f, 2.4f, -2.6f], 10)], [F32], "tf.round(x[0])");
        yield return new("FloorMod signs (float)", "FloorMod", [Tensor.FromArray<float>([-7, 7, -7, 7, 5.5f, -5.5f], 6), Tensor.FromArray<float>([2, -2, -2, 2, 2, 2], 6)], [F32], "tf.mod(x[0], x[1])");
        yield return new("FloorMod signs (int32)", "FloorMod", [Tensor.FromArray<int>([-7, 7, -7, 7, 0, -1], 6), Tensor.FromArray<int>([2, -2, -2, 2, 3, 3], 6)],
            [("T", Type(DType.Int32))], "tf.mod(x[0], x[1])");
        yield return new("FloorDiv signs (int32)", "FloorDiv", [Tensor.FromArray<int>([-7, 7, -7, 7, 0, -1], 6), Tensor.FromArray<int>([2, -2, -2, 2, 3, 3], 6)],
            [("T", Type(DType.Int32))], "tf.floorDiv(x[0], x[1])");
        yield return new("Cumsum exclusive reverse", "Cumsum", [Floats(18, 3, 4), Tensor.Scalar(1)], [F32, ("exclusive", Bool(true)), ("reverse", Bool(true))], "tf.cumsum(x[0], 1, true, true)");
        yield return new("MirrorPad REFLECT", "MirrorPad", [Floats(19, 3, 4), Tensor.FromArray<int>([2, 1, 1, 3], 2, 2)], [F32, ("mode", Str("REFLECT"))], "tf.mirrorPad(x[0], [[2, 1], [1, 3]], 'reflect')");
        yield return new("MirrorPad SYMMETRIC", "MirrorPad", [Floats(20, 3, 4), Tensor.FromArray<int>([2, 1, 1, 3], 2, 2)], [F32, ("mode", Str("SYMMETRIC"))], "tf.mirrorPad(x[0], [[2, 1], [1, 3]], 'symmetric')");
        yield return new("DepthToSpace", "DepthToSpace", [Floats(21, 1, 2, 3, 8)], [F32, ("block_size", Int(2))], "tf.depthToSpace(x[0], 2)");
        yield return new("SpaceToDepth", "SpaceToDepth", [Floats(22, 1, 4, 6, 2)], [F32, ("block_size", Int(2))], "tf.reshape(tf.transpose(tf.reshape(x[0], [1, 2, 2, 3, 2, 2]), [0, 1, 3, 2, 4, 5]), [1, 2, 3, 8])" /* tfjs has no spaceToDepth */);
        yield return new("LRN", "LRN", [Floats(23, 1, 2, 2, 7)], [F32, ("depth_radius", Int(2)), ("bias", Float(1.5f)), ("alpha", Float(0.3f)), ("beta", Float(0.75f))],
            "tf.localResponseNormalization(x[0], 2, 1.5, 0.3, 0.75)");
        // Ties in TopK: the lower index first.
        yield return new("TopKV2 with ties", "TopKV2", [Tensor.FromArray<float>([1, 3, 3, 2, 5, 5, 0, 5, 1, 2], 2, 5), Tensor.Scalar(3)], [F32, ("sorted", Bool(true))], "tf.topk(x[0], 3, true)", Outputs: 2);
        yield return new("Unique in order of first appearance", "Unique", [Tensor.FromArray<float>([4, 1, 4, 2, 1, 7, 2, 4], 8)], [F32, ("out_idx", Type(DType.Int32))], "tf.unique(x[0])", Outputs: 2);
    }

    [Fact]
    public void KernelsAgreeWithTensorFlowJsWhereTensorFlowsSemanticsAreSubtle()
    {
        var cases = Cases().ToList();
        var specs = new JsonArray();
        foreach (var c in cases)
        {
            var inputs = new JsonArray();
            foreach (var input in c.Inputs)
            {
                string dtype = input.DType == DType.Int32 ? "int32" : "float32";
                double[] values = input.DType == DType.Int32 ? [.. input.ToArray<int>().Select(v => (double)v)] : [.. input.ToArray<float>().Select(v => (double)v)];
                inputs.Add(TensorFlowJs.Spec(dtype, [.. input.Shape.Dims], values));
            }
            specs.Add(new JsonObject { ["kind"] = "forward", ["js"] = c.Js, ["inputs"] = inputs });
        }
        var results = TensorFlowJs.Run(specs);
        var failures = new List<string>();
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            if (results[i].Error is { } error) { failures.Add($"{c.Name}: TensorFlow.js failed: {error}"); continue; }
            Tensor[] ours = RunOp(c.Op, c.Inputs, c.Outputs, c.Attrs);
            for (int k = 0; k < c.Outputs; k++)
            {
                double[] mine = ours[k].DType == DType.Int32 ? [.. ours[k].ToArray<int>().Select(v => (double)v)] : [.. ours[k].ToArray<float>().Select(v => (double)v)];
                double[] theirs = results[i].Values![k];
                if (mine.Length != theirs.Length) { failures.Add($"{c.Name} output {k}: {mine.Length} values, TensorFlow.js {theirs.Length}"); continue; }
                for (int e = 0; e < mine.Length; e++)
                    if (Math.Abs(mine[e] - theirs[e]) > 1e-5 * Math.Max(1, Math.Abs(theirs[e])))
                    {
                        failures.Add($"{c.Name} output {k} element {e}: StaticFlow {mine[e]}, TensorFlow.js {theirs[e]}");
                        break;
                    }
            }
        }
        output.WriteLine($"{cases.Count} forward cases checked against TensorFlow.js 4.22.0 (float32, tolerance 1e-5 relative).");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
