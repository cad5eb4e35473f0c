using System.Text.Json.Nodes;
using StaticFlow.Operations;
using StaticFlow.Tensors;
using Xunit.Abstractions;

namespace StaticFlow.Tests;

/// <summary>
/// Every gradient rule, run eagerly through <see cref="GradientTape"/> (the rules the generator uses at compile time),
/// against central finite differences in double precision and against TensorFlow.js's <c>tf.grads</c>.
/// </summary>
public class GradientRuleTests(ITestOutputHelper output)
{
    /// <summary>An op input: dtype, shape and values; floating inputs are differentiated.</summary>
    internal sealed record In(string DType, long[] Shape, double[] Values)
    {
        public bool IsFloating => DType is "double" or "float";

        public Tensor ToTensor() => DType switch
        {
            "double" => Tensor.FromArray<double>(Values, Shape),
            "float" => Tensor.FromArray<float>([.. Values.Select(v => (float)v)], Shape),
            "int32" => Tensor.FromArray<int>([.. Values.Select(v => (int)v)], Shape),
            "int64" => Tensor.FromArray<long>([.. Values.Select(v => (long)v)], Shape),
            _ => Tensor.FromArray<bool>([.. Values.Select(v => v != 0)], Shape),
        };
    }

    /// <summary>One op call to differentiate; <see cref="Js"/> is the same function in TensorFlow.js over the inputs <c>x</c> (null: no equivalent).</summary>
    /// <summary><see cref="NoGradient"/>: flattened inputs TensorFlow's rule gives no gradient (None) though they are floating.</summary>
    internal sealed record Case(string Name, string Op, In[][] Arguments, BuiltAttr[] Attrs, string? Js, string?[]? OutputTypes = null, double Step = 1e-6, int[]? JsWrt = null,
        int[]? NoGradient = null);

    private static int s_seed = 1;

    private static double[] Draw(long[] shape, Func<Random, double> value)
    {
        var random = new Random(s_seed++);
        return [.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => value(random))];
    }

    // Away from the kinks of Relu, Abs, Max and friends, where finite differences straddle two slopes.
    private static In F(params long[] shape) => new("double", shape, Draw(shape, r => (r.NextDouble() * 1.9 + 0.1) * (r.Next(2) == 0 ? -1 : 1)));
    private static In Pos(params long[] shape) => new("double", shape, Draw(shape, r => 0.2 + r.NextDouble() * 2.3));
    private static In Unit(params long[] shape) => new("double", shape, Draw(shape, r => r.NextDouble() * 1.6 - 0.8));
    private static In AboveOne(params long[] shape) => new("double", shape, Draw(shape, r => 1.2 + r.NextDouble() * 2));
    private static In Floats(params long[] shape) => new("float", shape, Draw(shape, r => Math.Round(r.NextDouble() * 2 - 1, 3)));
    private static In I32(long[] shape, params double[] values) => new("int32", shape, values);
    private static In Axes(params double[] values) => new("int32", [values.Length], values);
    private static In Scalar32(double value) => new("int32", [], [value]);
    private static In Bools(long[] shape, params double[] values) => new("bool", shape, values);
    private static In[] One(In input) => [input];
    private static BuiltAttr A(string name, object value) => new(name, value);

    private static Case Unary(string op, string? js, Func<long[], In>? domain = null) => new(op, op, [One((domain ?? F)([2, 3]))], [], js);

    private static Case Binary(string op, string js, In x, In y) => new(op, op, [One(x), One(y)], [], js);

    internal static readonly Case[] Cases = BuildCases();

    private static Case[] BuildCases()
    {
        s_seed = 1;
        return
        [
            Unary("Identity", "tf.clone(x[0])"),
            Unary("Snapshot", "tf.clone(x[0])"),
            new("CheckNumerics", "CheckNumerics", [One(F(2, 3))], [A("message", "checked")], "tf.clone(x[0])"),
            new("EnsureShape", "EnsureShape", [One(F(2, 3))], [A("shape", new Protos.AttrValue { Shape = new TensorShape(2, 3).ToProto() })], "tf.clone(x[0])"),
            new("AddN", "AddN", [[F(2, 3), F(2, 3), F(2, 3)]], [], "tf.addN([x[0], x[1], x[2]])"),
            new("Cast", "Cast", [One(F(2, 3))], [], "tf.cast(x[0], 'float32')", OutputTypes: ["float"], Step: 1e-2),
            Binary("Add", "tf.add(x[0], x[1])", F(2, 3), F(3)),
            Binary("AddV2", "tf.add(x[0], x[1])", F(2, 1), F(1, 3)),
            Binary("Sub", "tf.sub(x[0], x[1])", F(2, 3), F(1)),
            Binary("Mul", "tf.mul(x[0], x[1])", F(4, 1, 3), F(2, 1)),
            Binary("RealDiv", "tf.div(x[0], x[1])", F(2, 3), Pos(3)),
            Binary("Div", "tf.div(x[0], x[1])", F(2, 3), Pos(2, 1)),
            Binary("DivNoNan", "tf.div(x[0], x[1])" /* tfjs has no gradient for divNoNan; y > 0 here */, F(2, 3), Pos(2, 1)),
            Binary("SquaredDifference", "tf.squaredDifference(x[0], tf.broadcastTo(x[1], [2, 3]))" /* tfjs 4.22 mis-shapes the broadcast gradient */, F(2, 3), F(3)),
            Binary("Maximum", "tf.maximum(x[0], x[1])", F(2, 3), F(2, 3)),
            Binary("Minimum", "tf.minimum(x[0], tf.broadcastTo(x[1], [2, 3]))" /* as SquaredDifference */, F(2, 3), F(1, 3)),
            Binary("Pow", "tf.pow(x[0], x[1])", Pos(2, 3), F(2, 3)),
            Binary("Atan2", "tf.atan2(x[0], x[1])", F(2, 3), F(2, 3)),
            new("SelectV2", "SelectV2", [One(Bools([2, 3], 1, 0, 0, 1, 1, 0)), One(F(2, 3)), One(F(3))], [],
                "tf.where(x[0], x[1], tf.broadcastTo(x[2], [2, 3]))", JsWrt: [1, 2]),
            Unary("Neg", "tf.neg(x[0])"),
            Unary("Abs", "tf.abs(x[0])"),
            Unary("Square", "tf.square(x[0])"),
            Unary("Exp", "tf.exp(x[0])"),
            Unary("Expm1", "tf.expm1(x[0])"),
            Unary("Log", "tf.log(x[0])", Pos),
            Unary("Log1p", "tf.log1p(x[0])", Pos),
            Unary("Sqrt", "tf.sqrt(x[0])", Pos),
            Unary("Rsqrt", "tf.rsqrt(x[0])", Pos),
            Unary("Reciprocal", "tf.reciprocal(x[0])", Pos),
            Unary("Inv", "tf.reciprocal(x[0])", Pos),
            Unary("Tanh", "tf.tanh(x[0])"),
            Unary("Sigmoid", "tf.sigmoid(x[0])"),
            Unary("Sin", "tf.sin(x[0])"),
            Unary("Cos", "tf.cos(x[0])"),
            Unary("Tan", "tf.tan(x[0])", Unit),
            Unary("Sinh", "tf.sinh(x[0])"),
            Unary("Cosh", "tf.cosh(x[0])"),
            Unary("Asin", "tf.asin(x[0])", Unit),
            Unary("Acos", "tf.acos(x[0])", Unit),
            Unary("Atan", "tf.atan(x[0])"),
            Unary("Asinh", "tf.asinh(x[0])"),
            Unary("Acosh", "tf.acosh(x[0])", AboveOne),
            Unary("Atanh", "tf.atanh(x[0])", Unit),
            Unary("Erf", "tf.erf(x[0])"),
            Unary("Erfc", "tf.sub(1, tf.erf(x[0]))"),
            Unary("Relu", "tf.relu(x[0])"),
            new("Relu6", "Relu6", [One(new In("double", [2, 4], [-1.5, 0.5, 2, 5.5, 6.5, 7, -0.2, 3]))], [], "tf.relu6(x[0])"),
            Unary("Elu", "tf.elu(x[0])"),
            Unary("Selu", "tf.selu(x[0])"),
            Unary("Softplus", "tf.softplus(x[0])"),
            Unary("Softsign", "tf.div(x[0], tf.add(1, tf.abs(x[0])))"),
            new("LeakyRelu", "LeakyRelu", [One(F(2, 3))], [A("alpha", 0.3)], "tf.leakyRelu(x[0], 0.3)"),
            new("Softmax", "Softmax", [One(F(2, 4))], [], "tf.softmax(x[0])"),
            new("LogSoftmax", "LogSoftmax", [One(F(2, 4))], [], "tf.logSoftmax(x[0])"),
            new("MatMul", "MatMul", [One(F(2, 3)), One(F(3, 4))], [], "tf.matMul(x[0], x[1])"),
            new("MatMul (a transposed)", "MatMul", [One(F(3, 2)), One(F(3, 4))], [A("transpose_a", true)], "tf.matMul(x[0], x[1], true, false)"),
            new("MatMul (b transposed)", "MatMul", [One(F(2, 3)), One(F(4, 3))], [A("transpose_b", true)], "tf.matMul(x[0], x[1], false, true)"),
            new("MatMul (both transposed)", "MatMul", [One(F(3, 2)), One(F(4, 3))], [A("transpose_a", true), A("transpose_b", true)], "tf.matMul(x[0], x[1], true, true)"),
            new("BatchMatMulV2", "BatchMatMulV2", [One(F(2, 2, 3)), One(F(3, 4))], [], "tf.matMul(x[0], tf.broadcastTo(x[1], [2, 3, 4]))"),
            new("BatchMatMulV2 (adjoint)", "BatchMatMulV2", [One(F(2, 3, 2)), One(F(2, 4, 3))], [A("adj_x", true), A("adj_y", true)], "tf.matMul(x[0], x[1], true, true)"),
            new("BiasAdd", "BiasAdd", [One(F(2, 3, 4)), One(F(4))], [], "tf.add(x[0], x[1])"),
            new("Sum", "Sum", [One(F(2, 3, 4)), One(Axes(0, 2))], [], "tf.sum(x[0], [0, 2])", JsWrt: [0]),
            new("Mean", "Mean", [One(F(2, 3)), One(Axes(1))], [A("keep_dims", true)], "tf.mean(x[0], 1, true)", JsWrt: [0]),
            new("Max", "Max", [One(F(2, 3)), One(Axes(1))], [], "tf.max(x[0], 1)", JsWrt: [0]),
            new("Min", "Min", [One(F(3, 4)), One(Axes(0))], [], "tf.min(x[0], 0)", JsWrt: [0]),
            new("L2Loss", "L2Loss", [One(F(2, 3))], [], "tf.div(tf.sum(tf.square(x[0])), 2)"),
            new("EuclideanNorm", "EuclideanNorm", [One(F(2, 3)), One(Axes(1))], [], "tf.norm(x[0], 'euclidean', 1)", JsWrt: [0]),
            new("Reshape", "Reshape", [One(F(2, 3)), One(Axes(3, 2))], [], "tf.reshape(x[0], [3, 2])", JsWrt: [0]),
            new("Squeeze", "Squeeze", [One(F(2, 1, 3))], [A("squeeze_dims", new long[] { 1 })], "tf.squeeze(x[0], [1])"),
            new("ExpandDims", "ExpandDims", [One(F(2, 3)), One(Scalar32(1))], [], "tf.expandDims(x[0], 1)", JsWrt: [0]),
            new("Transpose", "Transpose", [One(F(2, 3, 4)), One(Axes(2, 0, 1))], [], "tf.transpose(x[0], [2, 0, 1])", JsWrt: [0]),
            new("BroadcastTo", "BroadcastTo", [One(F(1, 3)), One(Axes(2, 3))], [], "tf.broadcastTo(x[0], [2, 3])", JsWrt: [0]),
            new("Tile", "Tile", [One(F(2, 3)), One(Axes(2, 1))], [], "tf.tile(x[0], [2, 1])", JsWrt: [0]),
            new("Pack", "Pack", [[F(2, 3), F(2, 3), F(2, 3)]], [A("axis", 1L)], "tf.stack([x[0], x[1], x[2]], 1)"),
            new("ConcatV2", "ConcatV2", [[F(2, 3), F(2, 2)], One(Scalar32(1))], [], "tf.concat([x[0], x[1]], 1)", JsWrt: [0, 1]),
            new("GatherV2", "GatherV2", [One(F(5, 3)), One(I32([3], 4, 0, 4)), One(Scalar32(0))], [], "tf.gather(x[0], x[1], 0)", JsWrt: [0]),
            new("ClipByValue", "ClipByValue", [One(F(2, 3)), One(new In("double", [], [-0.7])), One(new In("double", [], [0.9]))], [], "tf.clipByValue(x[0], -0.7, 0.9)", JsWrt: [0]),
            new("Conv2D", "Conv2D", [One(F(2, 5, 5, 2)), One(F(3, 3, 2, 3))], [A("strides", new long[] { 1, 1, 1, 1 }), A("padding", "SAME")],
                "tf.conv2d(x[0], x[1], 1, 'same')"),
            new("Conv2D (VALID, stride 2)", "Conv2D", [One(F(1, 7, 6, 2)), One(F(3, 2, 2, 2))], [A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "VALID")],
                "tf.conv2d(x[0], x[1], 2, 'valid')"),
            new("Conv2DBackpropInput", "Conv2DBackpropInput", [One(I32([4], 1, 6, 6, 2)), One(F(3, 3, 2, 3)), One(F(1, 3, 3, 3))],
                [A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")], "tf.conv2dTranspose(x[2], x[1], [1, 6, 6, 2], 2, 'same')", JsWrt: [1, 2]),
            new("DepthwiseConv2dNative", "DepthwiseConv2dNative", [One(F(2, 5, 5, 3)), One(F(3, 3, 3, 2))], [A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")],
                "tf.depthwiseConv2d(x[0], x[1], 2, 'same')"),
            new("MaxPool", "MaxPool", [One(F(2, 4, 6, 3))], [A("ksize", new long[] { 1, 2, 2, 1 }), A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "VALID")],
                "tf.maxPool(x[0], 2, 2, 'valid')"),
            new("MaxPool (SAME, overlapping)", "MaxPool", [One(F(1, 5, 5, 2))], [A("ksize", new long[] { 1, 3, 3, 1 }), A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")],
                "tf.maxPool(x[0], 3, 2, 'same')"),
            new("AvgPool", "AvgPool", [One(F(2, 4, 6, 3))], [A("ksize", new long[] { 1, 2, 3, 1 }), A("strides", new long[] { 1, 2, 3, 1 }), A("padding", "VALID")],
                "tf.avgPool(x[0], [2, 3], [2, 3], 'valid')"),
            // TensorFlow averages a SAME window over its cells inside the input, and so does its gradient; TensorFlow.js's
            // gradient divides by the whole window instead, so this case is checked by finite differences only.
            new("AvgPool (SAME)", "AvgPool", [One(F(2, 5, 5, 3))], [A("ksize", new long[] { 1, 3, 3, 1 }), A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")], null),
            new("FusedBatchNormV3 (training)", "FusedBatchNormV3",
                [One(F(3, 2, 2, 4)), One(Floats(4)), One(Floats(4)), One(new In("float", [0], [])), One(new In("float", [0], []))],
                [A("epsilon", 0.001), A("is_training", true)],
                "tf.add(tf.mul(tf.div(tf.sub(x[0], tf.moments(x[0], [0, 1, 2]).mean), tf.sqrt(tf.add(tf.moments(x[0], [0, 1, 2]).variance, 0.001))), x[1]), x[2])",
                JsWrt: [0, 1, 2], Step: 1e-2 /* the kernel computes its statistics in float32 */),
            new("FusedBatchNormV3 (inference)", "FusedBatchNormV3",
                [One(F(2, 2, 2, 3)), One(Floats(3)), One(Floats(3)), One(Floats(3)), One(new In("float", [3], [0.5, 1.5, 2]))],
                [A("epsilon", 0.001), A("is_training", false)], "tf.batchNorm(x[0], x[3], x[4], x[2], x[1], 0.001)", JsWrt: [0, 1, 2], Step: 1e-2,
                NoGradient: [3, 4] /* TensorFlow gives the population statistics none */),
            // Its rule is checked whole (training too) by FusedBatchNormGradV3sRuleMatchesFiniteDifferencesOfTheBackwardPass.
            new("FusedBatchNormGradV3 (inference)", "FusedBatchNormGradV3",
                [One(Floats(2, 2, 2, 3)), One(Floats(2, 2, 2, 3)), One(Floats(3)), One(Floats(3)), One(new In("float", [3], [0.5, 1.5, 2])), One(new In("float", [0], []))],
                [A("epsilon", 0.001), A("is_training", false)], null, Step: 1e-2, NoGradient: [3, 4, 5]),
            new("IdentityN", "IdentityN", [[F(2, 3), F(3)]], [], "tf.clone(x[0])", JsWrt: [0]),
            new("PlaceholderWithDefault", "PlaceholderWithDefault", [One(F(2, 3))], [A("shape", new Protos.AttrValue { Shape = new TensorShape(2, 3).ToProto() })], "tf.clone(x[0])"),
            new("Slice", "Slice", [One(F(3, 4)), One(Axes(1, 0)), One(Axes(2, -1))], [], "tf.slice(x[0], [1, 0], [2, -1])", JsWrt: [0]),
            new("StridedSlice", "StridedSlice", [One(F(4, 5)), One(Axes(1, 0)), One(Axes(3, 5)), One(Axes(1, 2))], [],
                "tf.gather(tf.slice(x[0], [1, 0], [2, 5]), [0, 2, 4], 1)" /* tfjs has no stridedSlice gradient */, JsWrt: [0]),
            new("StridedSlice (shrink, reversed)", "StridedSlice", [One(F(3, 4, 2)), One(Axes(1, -1)), One(Axes(2, 0)), One(Axes(1, -1))],
                [A("shrink_axis_mask", 1L), A("end_mask", 2L)], "tf.reverse(tf.slice(x[0], [1, 0, 0], [1, 4, 2]), 1).squeeze([0])", JsWrt: [0]),
            new("Einsum (attention scores)", "Einsum", [[F(2, 3, 4), F(2, 5, 4)]], [A("equation", "bqd,bkd->bqk")], "tf.matMul(x[0], x[1], false, true)" /* tfjs has no einsum gradient */),
            new("Einsum (an index summed inside one operand)", "Einsum", [[F(2, 3), F(3, 4)]], [A("equation", "ij,jk->i")], null),
            new("Einsum (a whole reduction)", "Einsum", [[F(2, 3, 4)]], [A("equation", "abc->b")], null),
            new("Einsum (a diagonal)", "Einsum", [[F(3, 3)]], [A("equation", "ii->i")], null),
            new("Einsum (a trace)", "Einsum", [[F(4, 4)]], [A("equation", "ii->")], null),
            new("Einsum (a batched diagonal times a matrix)", "Einsum", [[F(2, 3, 3), F(3, 4)]], [A("equation", "bii,ij->bj")], null),
            new("Einsum (projection)", "Einsum", [[F(2, 3, 4), F(4, 2, 5)]], [A("equation", "abc,cde->abde")], "tf.reshape(tf.matMul(tf.reshape(x[0], [6, 4]), tf.reshape(x[1], [4, 10])), [2, 3, 2, 5])"),
            new("Pad", "Pad", [One(F(2, 3)), One(I32([2, 2], 1, 0, 0, 2))], [], "tf.pad(x[0], [[1, 0], [0, 2]])", JsWrt: [0]),
            new("PadV2", "PadV2", [One(F(2, 3)), One(I32([2, 2], 0, 1, 2, 0)), One(new In("double", [], [0.5]))], [], "tf.pad(x[0], [[0, 1], [2, 0]], 0.5)", JsWrt: [0]),
            new("Unpack", "Unpack", [One(F(3, 2, 4))], [A("num", 3L), A("axis", 0L)], "tf.unstack(x[0], 0)[0]"),
            new("Split", "Split", [One(Scalar32(1)), One(F(2, 6))], [A("num_split", 3L)], "tf.split(x[1], 3, 1)[0]", JsWrt: [1]),
            new("SplitV", "SplitV", [One(F(2, 6)), One(Axes(1, 2, 3)), One(Scalar32(1))], [A("num_split", 3L)], "tf.split(x[0], [1, 2, 3], 1)[0]", JsWrt: [0]),
            new("ReverseV2", "ReverseV2", [One(F(2, 3)), One(Axes(1))], [], "tf.reverse(x[0], 1)", JsWrt: [0]),
            new("Roll", "Roll", [One(F(2, 5)), One(Scalar32(2)), One(Scalar32(1))], [], null),
            new("Cumsum", "Cumsum", [One(F(2, 4)), One(Scalar32(1))], [A("exclusive", true)], "tf.cumsum(x[0], 1, true, false)", JsWrt: [0]),
            new("Fill", "Fill", [One(Axes(2, 3)), One(new In("double", [], [0.7]))], [], null),
            new("Concat", "Concat", [One(Scalar32(1)), [F(2, 3), F(2, 2)]], [], "tf.concat([x[1], x[2]], 1)", JsWrt: [1, 2]),
            new("SpaceToDepth", "SpaceToDepth", [One(F(1, 4, 4, 2))], [A("block_size", 2L)], null),
            new("DepthToSpace", "DepthToSpace", [One(F(1, 2, 2, 8))], [A("block_size", 2L)], null /* tfjs 4.22 has no gradient for depthToSpace */),
            new("MatrixBandPart", "MatrixBandPart", [One(F(4, 4)), One(new In("int64", [], [1])), One(new In("int64", [], [-1]))], [], null /* tfjs 4.22's bandPart cannot be differentiated */),
            new("MatrixDiag", "MatrixDiag", [One(F(2, 3))], [], null),
            new("MatrixDiagPart", "MatrixDiagPart", [One(F(2, 3, 3))], [], null),
            new("MatrixSetDiag", "MatrixSetDiag", [One(F(3, 3)), One(F(3))], [], null),
            new("Diag", "Diag", [One(F(3))], [], null),
            new("DiagPart", "DiagPart", [One(F(3, 3))], [], null),
            new("GatherNd", "GatherNd", [One(F(3, 4)), One(I32([2, 2], 0, 1, 2, 3))], [], null /* tfjs 4.22 has no gradient for gatherND */),
            new("ScatterNd", "ScatterNd", [One(I32([2, 1], 0, 2)), One(F(2, 3)), One(Axes(4, 3))], [], null /* tfjs 4.22 has no gradient for scatterND */),
            new("TensorScatterUpdate", "TensorScatterUpdate", [One(F(4, 3)), One(I32([2, 1], 1, 3)), One(F(2, 3))], [], null),
            new("TensorScatterAdd", "TensorScatterAdd", [One(F(4, 3)), One(I32([2, 1], 1, 3)), One(F(2, 3))], [], null),
            new("TensorScatterSub", "TensorScatterSub", [One(F(4, 3)), One(I32([2, 1], 1, 3)), One(F(2, 3))], [], null),
            new("UnsortedSegmentSum", "UnsortedSegmentSum", [One(F(4, 3)), One(I32([4], 0, 2, 0, 1)), One(Scalar32(3))], [], "tf.unsortedSegmentSum(x[0], x[1], 3)", JsWrt: [0]),
            new("SegmentSum", "SegmentSum", [One(F(4, 3)), One(I32([4], 0, 0, 1, 2))], [], null),
            new("Select", "Select", [One(Bools([2, 3], 0, 1, 1, 0, 1, 0)), One(F(2, 3)), One(F(2, 3))], [], "tf.where(x[0], x[1], x[2])", JsWrt: [1, 2]),
            Binary("Xlogy", "tf.mul(x[0], tf.log(x[1]))", Pos(2, 3), Pos(3)),
            Binary("Xdivy", "tf.div(x[0], x[1])", Pos(2, 3), Pos(2, 3)),
            Binary("Xlog1py", "tf.mul(x[0], tf.log1p(x[1]))", Pos(2, 3), Pos(2, 3)),
            Binary("FloorMod", "tf.mod(x[0], x[1])", F(2, 3), Pos(3)),
            Unary("Lgamma", null /* not in tfjs */, Pos),
            Unary("Digamma", null /* not in tfjs */, Pos),
            new("Polygamma", "Polygamma", [One(new In("double", [3], [1, 2, 1])), One(Pos(3))], [], null, NoGradient: [0]),
            new("Zeta", "Zeta", [One(new In("double", [3], [2, 3, 2.5])), One(Pos(3))], [], null, NoGradient: [0]),
            new("LRN", "LRN", [One(F(1, 2, 2, 6))], [A("depth_radius", 2L), A("bias", 1.5), A("alpha", 0.3), A("beta", 0.75)],
                "tf.localResponseNormalization(x[0], 2, 1.5, 0.3, 0.75)"),
            Unary("Erfinv", null, Unit),
            Unary("Ndtri", null, shape => new("double", shape, Draw(shape, r => 0.1 + r.NextDouble() * 0.8))),
            new("SoftmaxCrossEntropyWithLogits", "SoftmaxCrossEntropyWithLogits", [One(F(2, 4)), One(new In("double", [2, 4], [0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1]))], [],
                "tf.neg(tf.sum(tf.mul(x[1], tf.logSoftmax(x[0])), -1))"),
            new("SparseSoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits", [One(F(3, 4)), One(new In("int64", [3], [1, 3, 0]))], [],
                "tf.neg(tf.sum(tf.mul(tf.oneHot(x[1], 4), tf.logSoftmax(x[0])), -1))", JsWrt: [0]),
            // Gradients of gradient ops (second order), each against the formula the gradient op computes.
            Binary("TanhGrad", "tf.mul(x[1], tf.sub(1, tf.square(x[0])))", Unit(2, 3), F(2, 3)),
            Binary("SigmoidGrad", "tf.mul(x[1], tf.mul(x[0], tf.sub(1, x[0])))", Unit(2, 3), F(2, 3)),
            Binary("SqrtGrad", "tf.div(tf.mul(x[1], 0.5), x[0])", Pos(2, 3), F(2, 3)),
            Binary("RsqrtGrad", "tf.mul(tf.mul(x[1], -0.5), tf.pow(x[0], 3))", Pos(2, 3), F(2, 3)),
            Binary("ReciprocalGrad", "tf.neg(tf.mul(x[1], tf.square(x[0])))", Pos(2, 3), F(2, 3)),
            Binary("InvGrad", "tf.neg(tf.mul(x[1], tf.square(x[0])))", Pos(2, 3), F(2, 3)),
            // tf.step stands in for comparisons, which TensorFlow.js cannot differentiate through.
            Binary("ReluGrad", "tf.mul(x[0], tf.step(x[1]))", F(2, 3), F(2, 3)),
            Binary("Relu6Grad", "tf.mul(x[0], tf.mul(tf.step(x[1]), tf.step(tf.sub(6, x[1]))))", F(2, 3), F(2, 3)),
            new("LeakyReluGrad", "LeakyReluGrad", [One(F(2, 3)), One(F(2, 3))], [A("alpha", 0.3)], "tf.mul(x[0], tf.step(x[1], 0.3))"),
            Binary("EluGrad", "tf.mul(x[0], tf.add(tf.step(x[1]), tf.mul(tf.sub(1, tf.step(x[1])), tf.add(x[1], 1))))", F(2, 3), Unit(2, 3)),
            Binary("SeluGrad", "tf.mul(x[0], tf.add(tf.mul(tf.step(x[1]), 1.0507009873554805), tf.mul(tf.sub(1, tf.step(x[1])), tf.add(x[1], 1.7580993408473768))))", F(2, 3), Unit(2, 3)),
            Binary("SoftplusGrad", "tf.mul(x[0], tf.sigmoid(x[1]))", F(2, 3), F(2, 3)),
            Binary("SoftsignGrad", "tf.div(x[0], tf.square(tf.add(1, tf.abs(x[1]))))", F(2, 3), F(2, 3)),
            new("BiasAddGrad", "BiasAddGrad", [One(F(2, 3, 4))], [], "tf.sum(x[0], [0, 1])"),
            new("AvgPoolGrad", "AvgPoolGrad", [One(I32([4], 2, 4, 6, 3)), One(F(2, 2, 2, 3))],
                [A("ksize", new long[] { 1, 2, 3, 1 }), A("strides", new long[] { 1, 2, 3, 1 }), A("padding", "VALID")], null),
            new("StridedSliceGrad", "StridedSliceGrad", [One(Axes(4, 5)), One(Axes(1, 0)), One(Axes(3, 5)), One(Axes(1, 2)), One(F(2, 3))], [], null),
            new("Conv2DBackpropFilter", "Conv2DBackpropFilter", [One(F(2, 5, 5, 2)), One(I32([4], 3, 3, 2, 3)), One(F(2, 5, 5, 3))],
                [A("strides", new long[] { 1, 1, 1, 1 }), A("padding", "SAME")], null),
            new("DepthwiseConv2dNativeBackpropInput", "DepthwiseConv2dNativeBackpropInput", [One(I32([4], 2, 5, 5, 3)), One(F(3, 3, 3, 2)), One(F(2, 3, 3, 6))],
                [A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")], null),
            new("DepthwiseConv2dNativeBackpropFilter", "DepthwiseConv2dNativeBackpropFilter", [One(F(2, 5, 5, 3)), One(I32([4], 3, 3, 3, 2)), One(F(2, 3, 3, 6))],
                [A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")], null),
            new("Cumprod", "Cumprod", [One(F(2, 4)), One(Scalar32(1))], [], null),
            new("Cumprod (exclusive, reverse)", "Cumprod", [One(F(2, 4)), One(Scalar32(1))], [A("exclusive", true), A("reverse", true)], null),
            Binary("TruncateMod", "tf.sub(x[0], tf.mul(tf.sign(tf.div(x[0], x[1])), tf.mul(tf.floor(tf.abs(tf.div(x[0], x[1]))), x[1])))", F(2, 3), Pos(3)),
            Binary("Mod", "tf.sub(x[0], tf.mul(tf.sign(tf.div(x[0], x[1])), tf.mul(tf.floor(tf.abs(tf.div(x[0], x[1]))), x[1])))", F(2, 3), Pos(3)),
            new("TopKV2", "TopKV2", [One(F(2, 5)), One(Scalar32(3))], [], null /* tfjs 4.22 has no gradient for topk */),
            new("SegmentMean", "SegmentMean", [One(F(4, 3)), One(I32([4], 0, 0, 1, 2))], [], null),
            new("SegmentMax", "SegmentMax", [One(F(4, 3)), One(I32([4], 0, 0, 1, 1))], [], null),
            new("SegmentMin", "SegmentMin", [One(F(4, 3)), One(I32([4], 0, 1, 1, 2))], [], null),
            new("ResizeBilinearGrad", "ResizeBilinearGrad", [One(new In("float", [1, 5, 6, 2], Draw([1, 5, 6, 2], r => r.NextDouble() * 2 - 1))), One(F(1, 3, 4, 2))],
                [A("half_pixel_centers", true)], null, NoGradient: [1]),
            new("ResizeNearestNeighborGrad", "ResizeNearestNeighborGrad", [One(F(2, 5, 6, 2)), One(Axes(3, 4))], [A("align_corners", true)], null),
            // Third order in a CNN's training step: MaxPoolGrad is linear in its gradient input and flat in the others.
            new("MaxPoolGrad", "MaxPoolGrad", [One(F(1, 4, 5, 2)), One(F(1, 2, 3, 2)), One(F(1, 2, 3, 2))],
                [A("ksize", new long[] { 1, 2, 2, 1 }), A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")], null),
            new("MaxPoolGradGrad", "MaxPoolGradGrad", [One(F(1, 4, 5, 2)), One(F(1, 2, 3, 2)), One(F(1, 4, 5, 2))],
                [A("ksize", new long[] { 1, 3, 3, 1 }), A("strides", new long[] { 1, 2, 2, 1 }), A("padding", "SAME")], null),
            new("UnsortedSegmentProd", "UnsortedSegmentProd", [One(F(5, 3)), One(I32([5], 1, 0, 1, 0, 2)), One(Scalar32(3))], [], null),
            new("UnsortedSegmentProd (zeros)", "UnsortedSegmentProd", [One(new In("double", [5, 2], [0, 2, 3, 0.5, 0, -1, 0.25, 4, 2, 0])), One(I32([5], 1, 0, 1, 1, 2)), One(Scalar32(3))], [], null),
            new("UnsortedSegmentMax", "UnsortedSegmentMax", [One(F(4, 3)), One(I32([4], 1, 0, 1, 0)), One(Scalar32(2))], [], null),
            new("Prod", "Prod", [One(F(2, 3, 4)), One(Axes(0, 2))], [], "tf.prod(x[0], [0, 2])", JsWrt: [0]),
            new("Prod (keep dims, one axis)", "Prod", [One(F(3, 4)), One(Axes(-1))], [A("keep_dims", true)], "tf.prod(x[0], 1, true)" /* tfjs 4.22 mishandles a negative axis here */, JsWrt: [0]),
            // TensorFlow.js 4.22's resizeBilinear gradient swaps height and width and ignores half_pixel_centers (its
            // forward pass does not): it is compared on square images with the default conventions only.
            new("ResizeBilinear", "ResizeBilinear", [One(F(1, 4, 4, 2)), One(Axes(6, 6))], [],
                "tf.image.resizeBilinear(x[0], [6, 6])", OutputTypes: ["float"], Step: 1e-2, JsWrt: [0]),
            new("ResizeBilinear (half-pixel centres)", "ResizeBilinear", [One(F(1, 3, 4, 2)), One(Axes(5, 7))], [A("half_pixel_centers", true)],
                null, OutputTypes: ["float"], Step: 1e-2),
            new("ResizeBilinear (align corners, down, not square)", "ResizeBilinear", [One(F(1, 5, 6, 1)), One(Axes(3, 4))], [A("align_corners", true)],
                null, OutputTypes: ["float"], Step: 1e-2),
            // TensorFlow.js 4.22's resizeNearestNeighbor gradient is wrong past the first image of a batch: one image here.
            new("ResizeNearestNeighbor", "ResizeNearestNeighbor", [One(F(1, 4, 4, 2)), One(Axes(6, 6))], [], "tf.image.resizeNearestNeighbor(x[0], [6, 6])", JsWrt: [0]),
            new("ResizeNearestNeighbor (half-pixel centres)", "ResizeNearestNeighbor", [One(F(2, 3, 4, 2)), One(Axes(5, 7))], [A("half_pixel_centers", true)], null),
            // TensorFlow.js 4.22 differentiates mirrorPad as a plain pad (the borders' gradients are dropped, not folded back
            // as TensorFlow's MirrorPadGrad does): finite differences only.
            new("MirrorPad (REFLECT)", "MirrorPad", [One(F(3, 4)), One(I32([2, 2], 2, 1, 1, 3))], [A("mode", "REFLECT")], null),
            new("MirrorPad (SYMMETRIC)", "MirrorPad", [One(F(2, 3, 2)), One(I32([3, 2], 1, 2, 0, 3, 1, 0))], [A("mode", "SYMMETRIC")], null),
            new("MirrorPadGrad", "MirrorPadGrad", [One(F(6, 8)), One(I32([2, 2], 2, 1, 1, 3))], [A("mode", "REFLECT")], null),
            new("UnsortedSegmentMin", "UnsortedSegmentMin", [One(F(4, 3)), One(I32([4], 2, 0, 2, 1)), One(Scalar32(3))], [], null),
        ];
    }

    public static TheoryData<string> CaseNames() => [.. Cases.Select(c => c.Name)];

    /// <summary>Σ weights ⊙ op(inputs), the scalar every case differentiates; recorded when a tape is open.</summary>
    /// <summary>
    /// FusedBatchNormGradV3's rule (third order in a training step) against central differences of the whole backward
    /// pass: in training the statistics are x's own, recomputed by the forward op whenever x moves, as TensorFlow's
    /// _BatchNormGrad recomputes them; in inference they are the population's. Every output is weighed.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FusedBatchNormGradV3sRuleMatchesFiniteDifferencesOfTheBackwardPass(bool training)
    {
        var random = new Random(training ? 5 : 6);
        Tensor Draw(params long[] shape) => Tensor.FromArray<float>([.. Enumerable.Range(0, (int)shape.Aggregate(1L, (x, y) => x * y)).Select(_ => (float)(random.NextDouble() * 2 - 1))], shape);
        Tensor x = Draw(2, 2, 2, 3), dy = Draw(2, 2, 2, 3), scale = Draw(3), offset = Draw(3), weightsX = Draw(2, 2, 2, 3), weightsScale = Draw(3), weightsOffset = Draw(3);
        Tensor popMean = Draw(3), popVariance = Tensor.FromArray<float>([0.5f, 1.5f, 2f], 3), empty = Tensor.FromArray<float>([], 0);
        BuiltAttr[] attrs = [A("epsilon", 0.001), A("is_training", training)];
        Tensor Loss(Tensor xs, Tensor dys, Tensor scales)
        {
            var b = new EagerOpBuilder();
            BuiltTensor mean = EagerOpBuilder.Built(popMean), variance = EagerOpBuilder.Built(popVariance), reserve = EagerOpBuilder.Built(empty);
            if (training)
            {
                var forward = b.Emit("FusedBatchNormV3", [[EagerOpBuilder.Built(xs)], [EagerOpBuilder.Built(scales)], [EagerOpBuilder.Built(offset)], [reserve], [reserve]], attrs);
                (mean, variance, reserve) = (forward[3], forward[4], forward[5]);
            }
            var grads = b.Emit("FusedBatchNormGradV3", [[EagerOpBuilder.Built(dys)], [EagerOpBuilder.Built(xs)], [EagerOpBuilder.Built(scales)], [mean], [variance], [reserve]], attrs);
            BuiltTensor Weighed(BuiltTensor value, Tensor weights) =>
                b.Sum(b.Mul(b.Cast(value, "double"), EagerOpBuilder.Built(weights.Cast(DType.Float64))), [.. Enumerable.Range(0, value.Shape!.Length).Select(i => (long)i)]);
            return EagerOpBuilder.Unbuilt(b.Add(b.Add(Weighed(grads[0], weightsX), Weighed(grads[1], weightsScale)), Weighed(grads[2], weightsOffset)));
        }

        Tensor[] analytic;
        using (var tape = GradientTape.Start()) analytic = tape.Gradient(Loss(x, dy, scale), [x, dy, scale]);
        Tensor[] points = [x, dy, scale];
        for (int source = 0; source < 3; source++)
        {
            float[] values = points[source].ToArray<float>();
            double[] gradient = analytic[source].Cast(DType.Float64).ToArray<double>();
            for (int e = 0; e < values.Length; e++)
            {
                double Evaluate(float delta)
                {
                    var changed = (float[])values.Clone();
                    changed[e] += delta;
                    Tensor[] moved = [.. points];
                    moved[source] = Tensor.FromArray<float>(changed, [.. points[source].Shape.Dims]);
                    return Loss(moved[0], moved[1], moved[2]).ToArray<double>()[0];
                }
                const float step = 1e-2f;
                double numeric = (Evaluate(step) - Evaluate(-step)) / (2 * step);
                Assert.True(Math.Abs(numeric - gradient[e]) <= 2e-3 * (1 + Math.Abs(numeric)),
                    $"{(training ? "training" : "inference")}: d/d input {source}[{e}]: finite differences {numeric}, rule {gradient[e]}");
            }
        }
    }

    private static Tensor Objective(Case c, Tensor[][] inputs, Tensor weights)
    {
        var b = new EagerOpBuilder();
        BuiltTensor[][] arguments = [.. inputs.Select(a => a.Select(EagerOpBuilder.Built).ToArray())];
        var y = b.Cast(b.Emit(c.Op, arguments, c.Attrs, c.OutputTypes)[0], "double");
        var product = b.Mul(y, EagerOpBuilder.Built(weights));
        return EagerOpBuilder.Unbuilt(b.Sum(product, [.. Enumerable.Range(0, product.Shape!.Length).Select(a => (long)a)]));
    }

    private static Tensor Weights(Case c)
    {
        var b = new EagerOpBuilder();
        var y = b.Emit(c.Op, [.. c.Arguments.Select(a => a.Select(i => EagerOpBuilder.Built(i.ToTensor())).ToArray())], c.Attrs, c.OutputTypes)[0];
        var random = new Random(c.Name.Length * 7919 + c.Op.Length);
        return Tensor.FromArray<double>([.. Enumerable.Range(0, (int)y.ElementCount).Select(_ => random.NextDouble() * 2 - 1)], y.Shape!);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TheRuleMatchesCentralFiniteDifferences(string name)
    {
        Case c = Cases.Single(k => k.Name == name);
        Tensor weights = Weights(c);
        Tensor[][] inputs = [.. c.Arguments.Select(a => a.Select(i => i.ToTensor()).ToArray())];
        var sources = new List<(int Argument, int Item)>();
        for (int a = 0; a < inputs.Length; a++)
            for (int i = 0; i < inputs[a].Length; i++)
                if (c.Arguments[a][i].IsFloating && !(c.NoGradient ?? []).Contains(c.Arguments.Take(a).Sum(x => x.Length) + i)) sources.Add((a, i));

        Tensor[] analytic;
        using (var tape = GradientTape.Start())
        {
            Tensor objective = Objective(c, inputs, weights);
            analytic = tape.Gradient(objective, [.. sources.Select(s => inputs[s.Argument][s.Item])]);
        }
        for (int s = 0; s < sources.Count; s++)
        {
            var (a, item) = sources[s];
            double[] values = c.Arguments[a][item].Values;
            double[] gradient = analytic[s].Cast(DType.Float64).ToArray<double>();
            Assert.Equal(values.Length, gradient.Length);
            for (int e = 0; e < values.Length; e++)
            {
                double Evaluate(double delta)
                {
                    var changed = (double[])values.Clone();
                    changed[e] += delta;
                    Tensor[][] perturbed = [.. inputs.Select(x => (Tensor[])x.Clone())];
                    perturbed[a][item] = (c.Arguments[a][item] with { Values = changed }).ToTensor();
                    return Objective(c, perturbed, weights).ToArray<double>()[0];
                }
                // float32 inputs (batch norm's scale and offset) take a step float32 can represent.
                double step = c.Arguments[a][item].DType == "float" ? Math.Max(c.Step, 1e-2) : c.Step;
                double numeric = (Evaluate(step) - Evaluate(-step)) / (2 * step);
                double tolerance = (step >= 1e-3 ? 1e-4 : 1e-6) * (1 + Math.Abs(numeric));
                Assert.True(Math.Abs(numeric - gradient[e]) <= tolerance,
                    $"{name}: d/d input {a}.{item}[{e}]: finite differences {numeric}, rule {gradient[e]}");
            }
        }
    }

    [Fact]
    public void TensorFlowJsComputesTheSameGradients()
    {
        var cases = Cases.Where(c => c.Js is not null).ToList();
        var requests = new JsonArray();
        var analytics = new List<Tensor[]>();
        foreach (var c in cases)
        {
            Tensor weights = Weights(c);
            In[] flat = [.. c.Arguments.SelectMany(a => a)];
            int[] wrt = c.JsWrt ?? [.. Enumerable.Range(0, flat.Length).Where(i => flat[i].IsFloating)];
            Tensor[][] inputs = [.. c.Arguments.Select(a => a.Select(i => i.ToTensor()).ToArray())];
            Tensor[] flatTensors = [.. inputs.SelectMany(a => a)];
            using (var tape = GradientTape.Start())
                analytics.Add(tape.Gradient(Objective(c, inputs, weights), [.. wrt.Select(i => flatTensors[i])]));
            requests.Add(new JsonObject
            {
                ["kind"] = "gradient",
                ["js"] = c.Js,
                ["inputs"] = new JsonArray([.. flat.Select(i => (JsonNode)TensorFlowJs.Spec(i.IsFloating ? "float32" : i.DType == "bool" ? "bool" : "int32", i.Shape, i.Values))]),
                ["weights"] = TensorFlowJs.Spec("float32", weights.Shape.Dims.ToArray(), weights.ToArray<double>()),
                ["wrt"] = new JsonArray([.. wrt.Select(i => (JsonNode)i)]),
            });
        }
        var results = TensorFlowJs.Run(requests);
        var failures = new List<string>();
        for (int k = 0; k < cases.Count; k++)
        {
            var (values, error) = results[k];
            if (values is null) { failures.Add($"{cases[k].Name}: TensorFlow.js failed: {error}"); continue; }
            for (int s = 0; s < values.Length; s++)
            {
                double[] ours = analytics[k][s].Cast(DType.Float64).ToArray<double>();
                for (int e = 0; e < ours.Length; e++)
                    if (Math.Abs(ours[e] - values[s][e]) > 1e-3 * (1 + Math.Abs(ours[e])))
                        failures.Add($"{cases[k].Name}: gradient {s}[{e}]: StaticFlow {ours[e]}, TensorFlow.js {values[s][e]}");
            }
        }
        output.WriteLine($"{cases.Count} gradient cases checked against TensorFlow.js 4.22.0 (float32, tolerance 1e-3 relative).");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void EveryRuleHasACaseAndEveryDifferentiableOpWithoutOneIsCounted()
    {
        var withRules = OpCatalog.StandardSchemas.Values.Where(s => s.Gradient is not null).Select(s => s.Name).ToHashSet();
        var covered = Cases.Select(c => c.Op).ToHashSet();
        Assert.Empty(withRules.Except(covered).Order());
        var missing = OpCatalog.StandardSchemas.Values.Where(s => s.IsDifferentiable && s.Gradient is null && s.Outputs.Count > 0).Select(s => s.Name).Order().ToList();
        output.WriteLine($"{withRules.Count} ops have gradient rules; {missing.Count} differentiable ops have none yet: {string.Join(", ", missing)}");
        Assert.True(withRules.Count >= 75, $"only {withRules.Count} gradient rules");
    }
}
