// Shared source: compiled into the runtime and linked into the generator and analyzers. Each rule follows
// TensorFlow's own (tensorflow/python/ops/math_grad.py, nn_grad.py, array_grad.py), with the same gradient ops, so an
// exported train step is a graph TensorFlow itself would build.
using System;
using System.Collections.Generic;
using System.Linq;

namespace StaticFlow.Operations;

/// <summary>
/// The gradient rule of each differentiable op, by op name. <see cref="StandardOps"/> attaches a rule to the op's
/// single definition; an op marked differentiable without a rule fails at build time naming the op.
/// </summary>
internal static class GradientRules
{
    private static readonly Dictionary<string, GradientFunction> s_rules = Build();

    /// <summary>The rule for <paramref name="op"/>, or null.</summary>
    public static GradientFunction? Find(string op) => s_rules.TryGetValue(op, out var rule) ? rule : null;

    private static BuiltTensor?[] One(BuiltTensor? gradient) => new[] { gradient };

    private static Dictionary<string, GradientFunction> Build()
    {
        var rules = new Dictionary<string, GradientFunction>(StringComparer.Ordinal);

        // Identities pass the gradient through.
        foreach (string op in new[] { "Identity", "Snapshot", "EnsureShape", "CheckNumerics" })
            rules[op] = g => One(g.Dy());
        rules["AddN"] = g =>
        {
            var result = new BuiltTensor?[g.Node.Inputs.Count];
            for (int i = 0; i < result.Length; i++) result[i] = g.Dy();
            return result;
        };
        rules["Cast"] = g => One(Backpropagation.IsFloating(g.X(0).DType) && Backpropagation.IsFloating(g.Y().DType) ? g.B.Cast(g.Dy(), g.X(0).DType) : null);

        // Broadcasting binary ops: each operand's gradient is summed back to its own shape.
        rules["Add"] = rules["AddV2"] = g => Binary(g, g.Dy(), g.Dy());
        rules["Sub"] = g => Binary(g, g.Dy(), g.B.Neg(g.Dy()));
        rules["Mul"] = g => Binary(g, g.B.Mul(g.Dy(), g.X(1)), g.B.Mul(g.X(0), g.Dy()));
        rules["RealDiv"] = rules["Div"] = g => Binary(g,
            g.B.Div(g.Dy(), g.X(1)),
            g.B.Mul(g.Dy(), g.B.Div(g.B.Div(g.B.Neg(g.X(0)), g.X(1)), g.X(1))));
        rules["DivNoNan"] = g => Binary(g,
            g.B.Op("DivNoNan", g.Dy(), g.X(1)),
            g.B.Mul(g.Dy(), g.B.Op("DivNoNan", g.B.Op("DivNoNan", g.B.Neg(g.X(0)), g.X(1)), g.X(1))));
        rules["SquaredDifference"] = g =>
        {
            var twice = g.B.Mul(g.B.Mul(g.Dy(), g.B.Sub(g.X(0), g.X(1))), 2);
            return Binary(g, twice, g.B.Neg(twice));
        };
        rules["Maximum"] = g => MinMax(g, "GreaterEqual");
        rules["Minimum"] = g => MinMax(g, "LessEqual");
        rules["Pow"] = g =>
        {
            var b = g.B;
            BuiltTensor x = g.X(0), y = g.X(1), dy = g.Dy();
            var gx = b.Mul(b.Mul(dy, y), b.Op("Pow", x, b.Sub(y, b.Scalar(y.DType, 1))));
            // d/dy x^y = x^y log x, taken as 0 where x <= 0 (TensorFlow's convention).
            var positive = b.Op("Greater", x, b.ZerosLike(x));
            var logX = b.Op("SelectV2", positive, b.Op("Log", b.Op("SelectV2", positive, x, b.Op("OnesLike", x))), b.ZerosLike(x));
            var gy = b.Mul(b.Mul(dy, g.Y()), logX);
            return Binary(g, gx, gy);
        };
        rules["Atan2"] = g =>
        {
            var b = g.B;
            BuiltTensor y = g.X(0), x = g.X(1);
            var scale = b.Div(g.Dy(), b.Add(b.Op("Square", x), b.Op("Square", y)));
            return Binary(g, b.Mul(x, scale), b.Neg(b.Mul(y, scale)));
        };
        rules["SelectV2"] = g =>
        {
            var b = g.B;
            var zeros = b.ZerosLike(g.Dy());
            var whenTrue = b.Op("SelectV2", g.X(0), g.Dy(), zeros);
            var whenFalse = b.Op("SelectV2", g.X(0), zeros, g.Dy());
            return new[] { null, b.ReduceToShapeOf(whenTrue, g.X(1), g.X(2)), b.ReduceToShapeOf(whenFalse, g.X(2), g.X(1)) };
        };

        // Elementwise unary ops.
        rules["Neg"] = g => One(g.B.Neg(g.Dy()));
        rules["Abs"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Sign", g.X(0))));
        rules["Square"] = g => One(g.B.Mul(g.Dy(), g.B.Mul(g.X(0), 2)));
        rules["Exp"] = g => One(g.B.Mul(g.Dy(), g.Y()));
        rules["Expm1"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Exp", g.X(0))));
        rules["Log"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Reciprocal", g.X(0))));
        rules["Log1p"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Reciprocal", g.B.Add(g.B.Scalar(g.X(0).DType, 1), g.X(0)))));
        rules["Sqrt"] = g => One(g.B.Op("SqrtGrad", g.Y(), g.Dy()));
        rules["Rsqrt"] = g => One(g.B.Op("RsqrtGrad", g.Y(), g.Dy()));
        rules["Reciprocal"] = rules["Inv"] = g => One(g.B.Op("ReciprocalGrad", g.Y(), g.Dy()));
        rules["Tanh"] = g => One(g.B.Op("TanhGrad", g.Y(), g.Dy()));
        rules["Sigmoid"] = g => One(g.B.Op("SigmoidGrad", g.Y(), g.Dy()));
        rules["Sin"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Cos", g.X(0))));
        rules["Cos"] = g => One(g.B.Neg(g.B.Mul(g.Dy(), g.B.Op("Sin", g.X(0)))));
        rules["Tan"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Square", g.B.Op("Reciprocal", g.B.Op("Cos", g.X(0))))));
        rules["Sinh"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Cosh", g.X(0))));
        rules["Cosh"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Sinh", g.X(0))));
        rules["Asin"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Rsqrt", OneMinusSquare(g))));
        rules["Acos"] = g => One(g.B.Neg(g.B.Mul(g.Dy(), g.B.Op("Rsqrt", OneMinusSquare(g)))));
        rules["Atan"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Reciprocal", g.B.Add(g.B.Scalar(g.X(0).DType, 1), g.B.Op("Square", g.X(0))))));
        rules["Asinh"] = g => One(g.B.Div(g.Dy(), g.B.Op("Cosh", g.Y())));
        rules["Acosh"] = g => One(g.B.Div(g.Dy(), g.B.Op("Sinh", g.Y())));
        rules["Atanh"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Reciprocal", OneMinusSquare(g))));
        rules["Erf"] = g => One(g.B.Mul(g.Dy(), ErfDerivative(g)));
        rules["Erfc"] = g => One(g.B.Neg(g.B.Mul(g.Dy(), ErfDerivative(g))));

        // Activations, with TensorFlow's fused gradient ops.
        rules["Relu"] = g => One(g.B.Op("ReluGrad", g.Dy(), g.Y()));
        rules["Relu6"] = g => One(g.B.Op("Relu6Grad", g.Dy(), g.X(0)));
        rules["Elu"] = g => One(g.B.Op("EluGrad", g.Dy(), g.Y()));
        rules["Selu"] = g => One(g.B.Op("SeluGrad", g.Dy(), g.Y()));
        rules["Softplus"] = g => One(g.B.Op("SoftplusGrad", g.Dy(), g.X(0)));
        rules["Softsign"] = g => One(g.B.Op("SoftsignGrad", g.Dy(), g.X(0)));
        rules["LeakyRelu"] = g => One(g.B.Op("LeakyReluGrad", new[] { g.Dy(), g.X(0) }, OpBuilder.Attr("alpha", g.Float("alpha", 0.2))));
        rules["Softmax"] = g =>
        {
            var b = g.B;
            var dot = b.Sum(b.Mul(g.Dy(), g.Y()), new long[] { -1 }, keepDims: true);
            return One(b.Mul(b.Sub(g.Dy(), dot), g.Y()));
        };
        rules["LogSoftmax"] = g =>
        {
            var b = g.B;
            var total = b.Sum(g.Dy(), new long[] { -1 }, keepDims: true);
            return One(b.Sub(g.Dy(), b.Mul(total, b.Op("Exp", g.Y()))));
        };

        // Matrix products.
        rules["MatMul"] = g => ProductGradient(g, "MatMul", "transpose_a", "transpose_b");
        // Batch dimensions broadcast: each gradient is summed back over the batch axes its operand lacks.
        rules["BatchMatMulV2"] = g =>
        {
            var gradients = ProductGradient(g, "BatchMatMulV2", "adj_x", "adj_y");
            return new[] { ReduceBatch(g.B, gradients[0]!, g.X(0)), ReduceBatch(g.B, gradients[1]!, g.X(1)) };
        };
        rules["BiasAdd"] = g => new[] { g.Dy(), g.B.Op("BiasAddGrad", new[] { g.Dy() }, OpBuilder.Attr("data_format", g.Text("data_format") ?? "NHWC")) };

        // Reductions.
        rules["Sum"] = g => new[] { BroadcastReduced(g, g.Dy()), null };
        rules["Mean"] = g =>
        {
            var b = g.B;
            BuiltTensor x = g.X(0), y = g.Y();
            long inCount = x.ElementCount, outCount = y.ElementCount;
            BuiltTensor scaled = inCount >= 0 && outCount >= 0
                ? b.Mul(g.Dy(), outCount == 0 ? 0 : (double)outCount / Math.Max(1, inCount))
                : b.Div(g.Dy(), b.Cast(b.Div(b.Cast(b.Op("Size", x), "float"), b.Cast(b.Op("Size", y), "float")), x.DType));
            return new[] { BroadcastReduced(g, scaled), null };
        };
        foreach (string op in new[] { "Max", "Min" })
        {
            rules[op] = g =>
            {
                var b = g.B;
                BuiltTensor x = g.X(0);
                var keptY = Kept(g, g.Y());
                var indicators = b.Cast(b.Op("Equal", keptY, x), x.DType);
                var count = b.Op("Sum", new[] { indicators, g.X(1) }, OpBuilder.Attr("keep_dims", true));
                var share = b.Div(Kept(g, g.Dy()), count);
                return new[] { b.Mul(indicators, share), null };
            };
        }
        // Prod (math_grad.py _ProdGrad): each element's gradient is the product of the others in its group, the
        // exclusive cumulative products from both ends (no division, so zeros are fine). The reduced axes are moved
        // to the front and flattened; the input's shape must be static.
        rules["Prod"] = g =>
        {
            var b = g.B;
            long[] shape = g.StaticShape(g.X(0), "the input");
            long[] axes = OpBuilder.NormalizeAxes(g.ConstantInput(1, "the axes"), shape)
                ?? throw new OpBuildException($"the gradient of Prod node '{g.Node.Name}' needs constant axes within the input's rank");
            var reduced = axes.Distinct().OrderBy(a => a).ToArray();
            var other = Enumerable.Range(0, shape.Length).Select(a => (long)a).Where(a => Array.IndexOf(reduced, a) < 0).ToArray();
            long[] permutation = reduced.Concat(other).ToArray();
            long rows = reduced.Aggregate(1L, (p, a) => p * shape[a]), columns = other.Aggregate(1L, (p, a) => p * shape[a]);
            var matrix = b.Reshape(b.Op("Transpose", g.X(0), b.Int32s(permutation)), b.Int32s(rows, columns));
            var zero = b.Scalar("int32", 0);
            var before = b.Op("Cumprod", new[] { matrix, zero }, OpBuilder.Attr("exclusive", true), OpBuilder.Attr("reverse", false));
            var after = b.Op("Cumprod", new[] { matrix, zero }, OpBuilder.Attr("exclusive", true), OpBuilder.Attr("reverse", true));
            var others = b.Reshape(b.Mul(before, after), b.Int32s(permutation.Select(a => shape[a]).ToArray()));
            var inverse = new long[permutation.Length];
            for (int i = 0; i < permutation.Length; i++) inverse[permutation[i]] = i;
            var restored = b.Op("Transpose", others, b.Int32s(inverse));
            return new[] { b.Mul(restored, BroadcastReduced(g, g.Dy())), null };
        };
        rules["L2Loss"] = g => One(g.B.Mul(g.X(0), g.Dy()));
        rules["EuclideanNorm"] = g =>
        {
            var b = g.B;
            var keptY = Kept(g, g.Y());
            return new[] { b.Mul(b.Op("DivNoNan", g.X(0), keptY), Kept(g, g.Dy())), null };
        };

        // Shapes and layout.
        rules["Reshape"] = g => new[] { g.B.ReshapeLike(g.Dy(), g.X(0)), null };
        rules["Squeeze"] = g => One(g.B.ReshapeLike(g.Dy(), g.X(0)));
        rules["ExpandDims"] = g => new[] { g.B.ReshapeLike(g.Dy(), g.X(0)), null };
        rules["Transpose"] = g =>
        {
            long[] perm = g.ConstantInput(1, "the permutation");
            var inverse = new long[perm.Length];
            for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
            return new[] { g.B.Op("Transpose", g.Dy(), g.B.Int32s(inverse)), null };
        };
        rules["BroadcastTo"] = g => new[] { g.B.ReduceToShapeOf(g.Dy(), g.X(0), g.Y()), null };
        rules["Tile"] = g =>
        {
            var b = g.B;
            long[] shape = g.StaticShape(g.X(0), "the input");
            long[] multiples = g.ConstantInput(1, "the multiples");
            // Split each axis into (multiple, size) and sum the copies away.
            var split = new List<long>();
            var axes = new List<long>();
            for (int i = 0; i < shape.Length; i++)
            {
                axes.Add(split.Count);
                split.Add(multiples[i]);
                split.Add(shape[i]);
            }
            var reshaped = b.Reshape(g.Dy(), b.Int32s(split.ToArray()));
            return new[] { b.ReshapeLike(b.Sum(reshaped, axes.ToArray()), g.X(0)), null };
        };
        rules["Pack"] = g =>
        {
            int count = g.Node.Inputs.Count;
            var parts = g.B.Emit("Unpack", new[] { new[] { g.Dy() } }, new[] { OpBuilder.Attr("num", (long)count), OpBuilder.Attr("axis", g.Int("axis")) });
            var result = new BuiltTensor?[count];
            for (int i = 0; i < count; i++) result[i] = parts[i];
            return result;
        };
        rules["ConcatV2"] = g => ConcatGradient(g, firstValue: 0, axisInput: g.Node.Inputs.Count - 1);
        rules["GatherV2"] = g =>
        {
            var b = g.B;
            long axis = g.ConstantInput(2, "the axis")[0];
            if (axis != 0 || g.Int("batch_dims") != 0)
                throw new OpBuildException($"the gradient of GatherV2 node '{g.Node.Name}' is implemented for axis 0 without batch dims (embedding lookups)");
            long rows = g.StaticShape(g.X(0), "the params")[0];
            if (rows < 0) throw new OpBuildException($"the gradient of GatherV2 node '{g.Node.Name}' needs the number of rows of params");
            var ids = g.X(1);
            var summed = b.Op("UnsortedSegmentSum", g.Dy(), ids, b.Scalar("int32", rows));
            return new[] { summed, null, null };
        };
        rules["ClipByValue"] = g =>
        {
            var b = g.B;
            BuiltTensor x = g.X(0), low = g.X(1), high = g.X(2), dy = g.Dy();
            var zeros = b.ZerosLike(dy);
            var below = b.Op("Less", x, low);
            var above = b.Op("Greater", x, high);
            var inside = b.Op("LogicalNot", b.Op("LogicalOr", below, above));
            return new[]
            {
                b.Op("SelectV2", inside, dy, zeros),
                b.ReduceToShapeOf(b.Op("SelectV2", below, dy, zeros), low, x),
                b.ReduceToShapeOf(b.Op("SelectV2", above, dy, zeros), high, x),
            };
        };

        // More of array_grad.py: slicing, padding, splitting, reversing and scattering move gradients back to where values came from.
        rules["IdentityN"] = g =>
        {
            var result = new BuiltTensor?[g.Node.Inputs.Count];
            for (int i = 0; i < result.Length; i++) result[i] = g.HasDy(i) ? g.Dy(i) : null;
            return result;
        };
        rules["PlaceholderWithDefault"] = g => One(g.Dy());
        rules["Slice"] = g =>
        {
            long[] shape = g.StaticShape(g.X(0), "the input");
            long[] begin = g.ConstantInput(1, "begin");
            long[] size = g.ConstantInput(2, "size");
            var paddings = new long[shape.Length * 2];
            for (int i = 0; i < shape.Length; i++)
            {
                long extent = size[i] < 0 ? shape[i] - begin[i] : size[i];
                if (shape[i] < 0) throw new OpBuildException($"the gradient of Slice node '{g.Node.Name}' needs the input's size along axis {i}");
                paddings[2 * i] = begin[i];
                paddings[2 * i + 1] = shape[i] - begin[i] - extent;
            }
            return new[] { g.B.Op("Pad", g.Dy(), Matrix(g.B, paddings, shape.Length)), null, null };
        };
        rules["StridedSlice"] = g =>
        {
            var b = g.B;
            var attrs = new List<BuiltAttr>();
            foreach (string mask in new[] { "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask" })
                attrs.Add(OpBuilder.Attr(mask, g.Int(mask)));
            var shape = b.Cast(b.ShapeOf(g.X(0)), g.X(1).DType);
            var inputs = new[] { new[] { shape }, new[] { g.X(1) }, new[] { g.X(2) }, new[] { g.X(3) }, new[] { g.Dy() } };
            return new[] { b.Emit("StridedSliceGrad", inputs, attrs)[0], null, null, null };
        };
        rules["Pad"] = rules["PadV2"] = g =>
        {
            long[] shape = g.StaticShape(g.X(0), "the input");
            long[] paddings = g.ConstantInput(1, "the paddings");
            var begin = new long[shape.Length];
            var size = new long[shape.Length];
            for (int i = 0; i < shape.Length; i++)
            {
                begin[i] = paddings[2 * i];
                size[i] = shape[i];
            }
            var sliced = g.B.Op("Slice", g.Dy(), g.B.Int32s(begin), g.B.Int32s(size));
            return g.Node.Inputs.Count == 3
                ? new[] { sliced, null, g.B.Sub(g.B.Sum(g.Dy(), AllAxes(g.Dy())), g.B.Sum(sliced, AllAxes(sliced))) }
                : new[] { sliced, null };
        };
        rules["Unpack"] = g =>
        {
            var parts = new BuiltTensor[g.Node.Outputs.Count];
            for (int i = 0; i < parts.Length; i++) parts[i] = g.Dy(i);
            return One(g.B.Emit("Pack", new[] { parts }, new[] { OpBuilder.Attr("axis", g.Int("axis")) })[0]);
        };
        rules["Split"] = g =>
        {
            var parts = new BuiltTensor[g.Node.Outputs.Count];
            for (int i = 0; i < parts.Length; i++) parts[i] = g.Dy(i);
            return new[] { null, g.B.Emit("ConcatV2", new[] { parts, new[] { g.X(0) } }, Array.Empty<BuiltAttr>())[0] };
        };
        rules["SplitV"] = g =>
        {
            var parts = new BuiltTensor[g.Node.Outputs.Count];
            for (int i = 0; i < parts.Length; i++) parts[i] = g.Dy(i);
            return new[] { g.B.Emit("ConcatV2", new[] { parts, new[] { g.X(2) } }, Array.Empty<BuiltAttr>())[0], null, null };
        };
        rules["ReverseV2"] = g => new[] { g.B.Op("ReverseV2", g.Dy(), g.X(1)), null };
        rules["Roll"] = g => new[] { g.B.Op("Roll", g.Dy(), g.B.Neg(g.X(1)), g.X(2)), null, null };
        rules["Cumsum"] = g => new[]
        {
            g.B.Op("Cumsum", new[] { g.Dy(), g.X(1) }, OpBuilder.Attr("exclusive", g.Flag("exclusive")), OpBuilder.Attr("reverse", !g.Flag("reverse"))), null,
        };
        rules["Fill"] = g => new[] { null, g.B.Sum(g.Dy(), AllAxes(g.Dy())) };
        rules["Concat"] = g => ConcatGradient(g, firstValue: 1, axisInput: 0);
        rules["SpaceToDepth"] = g => One(g.B.Op("DepthToSpace", new[] { g.Dy() }, OpBuilder.Attr("block_size", g.Int("block_size")), OpBuilder.Attr("data_format", g.Text("data_format") ?? "NHWC")));
        rules["DepthToSpace"] = g => One(g.B.Op("SpaceToDepth", new[] { g.Dy() }, OpBuilder.Attr("block_size", g.Int("block_size")), OpBuilder.Attr("data_format", g.Text("data_format") ?? "NHWC")));
        rules["MatrixBandPart"] = g => new[] { g.B.Op("MatrixBandPart", g.Dy(), g.X(1), g.X(2)), null, null };
        rules["MatrixDiag"] = g => One(g.B.Op("MatrixDiagPart", g.Dy()));
        rules["MatrixDiagPart"] = g => One(g.B.Op("MatrixDiag", g.Dy()));
        rules["Diag"] = g => One(g.B.Op("DiagPart", g.Dy()));
        rules["DiagPart"] = g => One(g.B.Op("Diag", g.Dy()));
        rules["MatrixSetDiag"] = g => new[]
        {
            g.B.Op("MatrixSetDiag", g.Dy(), g.B.ZerosLike(g.X(1))), g.B.Op("MatrixDiagPart", g.Dy()),
        };
        rules["GatherNd"] = g => new[] { g.B.Op("ScatterNd", g.X(1), g.Dy(), g.B.Cast(g.B.ShapeOf(g.X(0)), g.X(1).DType)), null };
        rules["ScatterNd"] = g => new[] { null, g.B.Op("GatherNd", g.Dy(), g.X(0)), null };
        rules["TensorScatterUpdate"] = g => new[]
        {
            g.B.Op("TensorScatterUpdate", g.Dy(), g.X(1), g.B.ZerosLike(g.X(2))), null, g.B.Op("GatherNd", g.Dy(), g.X(1)),
        };
        rules["TensorScatterAdd"] = g => new[] { g.Dy(), null, g.B.Op("GatherNd", g.Dy(), g.X(1)) };
        rules["TensorScatterSub"] = g => new[] { g.Dy(), null, g.B.Neg(g.B.Op("GatherNd", g.Dy(), g.X(1))) };
        rules["UnsortedSegmentSum"] = rules["SegmentSum"] = g =>
        {
            var result = new BuiltTensor?[g.Node.Inputs.Count];
            result[0] = g.B.Op("GatherV2", g.Dy(), g.X(1), g.B.Scalar("int32", 0));
            return result;
        };
        rules["Select"] = g =>
        {
            var b = g.B;
            if (g.X(0).Shape is not { } condition || g.X(1).Shape is not { } value || condition.Length != value.Length)
                throw new OpBuildException($"the gradient of Select node '{g.Node.Name}' is implemented for a condition of the values' shape (use SelectV2)");
            var zeros = b.ZerosLike(g.Dy());
            return new[] { null, b.Op("Select", g.X(0), g.Dy(), zeros), b.Op("Select", g.X(0), zeros, g.Dy()) };
        };

        // More of math_grad.py.
        rules["Xlogy"] = g =>
        {
            var b = g.B;
            var nonZero = b.Cast(b.Op("NotEqual", g.X(0), b.ZerosLike(g.X(0))), g.X(0).DType);
            return Binary(g, b.Mul(b.Op("Xlogy", nonZero, g.X(1)), g.Dy()), b.Mul(b.Op("Xdivy", g.X(0), g.X(1)), g.Dy()));
        };
        rules["Xdivy"] = g =>
        {
            var b = g.B;
            var nonZero = b.Cast(b.Op("NotEqual", g.X(0), b.ZerosLike(g.X(0))), g.X(0).DType);
            return Binary(g, b.Mul(b.Op("Xdivy", nonZero, g.X(1)), g.Dy()), b.Mul(b.Op("Xdivy", b.Neg(g.X(0)), b.Op("Square", g.X(1))), g.Dy()));
        };
        rules["Xlog1py"] = g =>
        {
            var b = g.B;
            var nonZero = b.Cast(b.Op("NotEqual", g.X(0), b.ZerosLike(g.X(0))), g.X(0).DType);
            var onePlusY = b.Add(g.X(1), b.Scalar(g.X(1).DType, 1));
            return Binary(g, b.Mul(b.Op("Xlog1py", nonZero, g.X(1)), g.Dy()), b.Mul(b.Op("Xdivy", g.X(0), onePlusY), g.Dy()));
        };
        rules["FloorMod"] = g => Binary(g, g.Dy(), g.B.Mul(g.B.Neg(g.Dy()), g.B.Op("FloorDiv", g.X(0), g.X(1))));
        rules["Lgamma"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Digamma", g.X(0))));
        rules["Digamma"] = g => One(g.B.Mul(g.Dy(), g.B.Op("Polygamma", g.B.Scalar(g.X(0).DType, 1), g.X(0))));
        // TensorFlow differentiates Polygamma and Zeta in x and q only (their order a and exponent x get None).
        rules["Polygamma"] = g => new BuiltTensor?[] { null, g.B.Mul(g.Dy(), g.B.Op("Polygamma", g.B.Add(g.X(0), g.B.Scalar(g.X(0).DType, 1)), g.X(1))) };
        rules["Zeta"] = g => new BuiltTensor?[] { null, g.B.Mul(g.Dy(), g.B.Mul(g.B.Neg(g.X(0)), g.B.Op("Zeta", g.B.Add(g.X(0), g.B.Scalar(g.X(0).DType, 1)), g.X(1)))) };
        rules["LRN"] = g => One(g.B.Emit("LRNGrad", new[] { new[] { g.Dy() }, new[] { g.X(0) }, new[] { g.Y() } },
            new[] { OpBuilder.Attr("depth_radius", g.Int("depth_radius", 5)), OpBuilder.Attr("bias", g.Float("bias", 1)), OpBuilder.Attr("alpha", g.Float("alpha", 1)), OpBuilder.Attr("beta", g.Float("beta", 0.5)) })[0]);
        rules["Erfinv"] = g => One(g.B.Mul(g.Dy(), g.B.Mul(g.B.Op("Exp", g.B.Op("Square", g.Y())), Math.Sqrt(Math.PI) / 2)));
        rules["Ndtri"] = g => One(g.B.Mul(g.Dy(), g.B.Mul(g.B.Op("Exp", g.B.Mul(g.B.Op("Square", g.Y()), 0.5)), Math.Sqrt(2 * Math.PI))));

        // Einsum: each operand's gradient is the einsum of the output gradient with the other operands, back to that
        // operand's subscripts (TensorFlow's _EinsumGrad).
        rules["Einsum"] = g =>
        {
            int count = g.Node.Inputs.Count;
            string text = g.Text("equation") ?? "";
            var equation = EinsumEquation.TryParse(text, count, out string? problem)
                ?? throw new OpBuildException($"the gradient of Einsum node '{g.Node.Name}': {problem}");
            var result = new BuiltTensor?[count];
            for (int i = 0; i < count; i++)
            {
                string target = equation.Operands[i];
                var subscripts = new List<string> { equation.Output };
                var operands = new List<BuiltTensor> { g.Dy() };
                for (int j = 0; j < count; j++)
                {
                    if (j == i) continue;
                    subscripts.Add(equation.Operands[j]);
                    operands.Add(g.X(j));
                }
                string available = string.Concat(subscripts);
                // A subscript repeated in this operand (ii->i, a diagonal) is worked out once: the gradient over the
                // operand's distinct subscripts, then written back onto the diagonal by an einsum that repeats it
                // in its output (TensorFlow's _GetGradReduced does the same).
                string distinct = new([.. target.Distinct()]);
                // An index summed away inside this operand alone (ij->i) gets no einsum term: the gradient is the same
                // along it, so it is computed without that index and broadcast back (TensorFlow's _EinsumGrad does so).
                string kept = string.Concat(distinct.Where(letter => available.IndexOf(letter) >= 0));
                var gradient = g.B.Emit("Einsum", new[] { operands.ToArray() }, new[] { OpBuilder.Attr("equation", string.Join(",", subscripts) + "->" + kept) })[0];
                if (kept.Length < distinct.Length)
                {
                    long[] shape = g.StaticShape(g.X(i), "an Einsum operand with an index summed inside it");
                    long[] distinctShape = [.. distinct.Select(letter => shape[target.IndexOf(letter)])];
                    if (distinctShape.Any(d => d < 0))
                        throw new OpBuildException($"the gradient of Einsum node '{g.Node.Name}' ('{text}') needs the static shape of operand {i}");
                    long[] withUnitAxes = [.. distinct.Select((letter, axis) => available.IndexOf(letter) >= 0 ? distinctShape[axis] : 1)];
                    gradient = g.B.Op("BroadcastTo", g.B.Op("Reshape", gradient, g.B.Int32s(withUnitAxes)), g.B.Int32s(distinctShape));
                }
                if (distinct.Length < target.Length)
                    gradient = g.B.Emit("Einsum", new[] { new[] { gradient } }, new[] { OpBuilder.Attr("equation", distinct + "->" + target) })[0];
                result[i] = gradient;
            }
            return result;
        };

        // Convolution, pooling and batch normalization (nn_grad.py), by TensorFlow's gradient ops.
        rules["Conv2D"] = g =>
        {
            var b = g.B;
            var attrs = ConvAttrs(g);
            var input = b.Op("Conv2DBackpropInput", new[] { b.ShapeOf(g.X(0)), g.X(1), g.Dy() }, attrs);
            var filter = b.Op("Conv2DBackpropFilter", new[] { g.X(0), b.ShapeOf(g.X(1)), g.Dy() }, attrs);
            return new[] { input, filter };
        };
        rules["Conv2DBackpropInput"] = g =>
        {
            var b = g.B;
            var attrs = ConvAttrs(g);
            var filter = b.Op("Conv2DBackpropFilter", new[] { g.Dy(), b.ShapeOf(g.X(1)), g.X(2) }, attrs);
            var outBackprop = b.Op("Conv2D", new[] { g.Dy(), g.X(1) }, attrs);
            return new[] { null, filter, outBackprop };
        };
        rules["DepthwiseConv2dNative"] = g =>
        {
            var b = g.B;
            var attrs = ConvAttrs(g);
            var input = b.Op("DepthwiseConv2dNativeBackpropInput", new[] { b.ShapeOf(g.X(0)), g.X(1), g.Dy() }, attrs);
            var filter = b.Op("DepthwiseConv2dNativeBackpropFilter", new[] { g.X(0), b.ShapeOf(g.X(1)), g.Dy() }, attrs);
            return new[] { input, filter };
        };
        rules["MaxPool"] = g => One(g.B.Op("MaxPoolGrad", new[] { g.X(0), g.Y(), g.Dy() }, PoolAttrs(g)));
        // nn_grad.py: MaxPoolGrad is linear in its gradient input, whose adjoint reads the gradient at each window's
        // maximum (MaxPoolGradGrad); the adjoint of that is MaxPoolGrad again. The argmax does not move under small changes.
        rules["MaxPoolGrad"] = g => new[] { g.B.ZerosLike(g.X(0)), g.B.ZerosLike(g.X(1)), g.B.Op("MaxPoolGradGrad", new[] { g.X(0), g.X(1), g.Dy() }, PoolAttrs(g)) };
        rules["MaxPoolGradGrad"] = g => new[] { g.B.ZerosLike(g.X(0)), g.B.ZerosLike(g.X(1)), g.B.Op("MaxPoolGrad", new[] { g.X(0), g.X(1), g.Dy() }, PoolAttrs(g)) };
        rules["AvgPool"] = g => One(g.B.Op("AvgPoolGrad", new[] { g.B.ShapeOf(g.X(0)), g.Dy() }, PoolAttrs(g)));
        // Mirror padding (array_grad.py): its adjoint folds the mirrored borders back; and the adjoint's own gradient pads again.
        rules["MirrorPad"] = g => new[] { g.B.Op("MirrorPadGrad", new[] { g.Dy(), g.X(1) }, OpBuilder.Attr("mode", g.Text("mode") ?? "REFLECT")), null };
        rules["MirrorPadGrad"] = g => new[] { g.B.Op("MirrorPad", new[] { g.Dy(), g.X(1) }, OpBuilder.Attr("mode", g.Text("mode") ?? "REFLECT")), null };
        // The resizes (image_grad.py): their adjoint ops, with the forward pass's corner and centre conventions.
        rules["ResizeBilinear"] = g => new[] { g.B.Op("ResizeBilinearGrad", new[] { g.Dy(), g.X(0) }, ResizeAttrs(g)), null };
        rules["ResizeNearestNeighbor"] = g =>
        {
            var b = g.B;
            long[] shape = g.StaticShape(g.X(0), "the images");
            if (shape.Length != 4 || shape[1] < 0 || shape[2] < 0)
                throw new OpBuildException($"the gradient of ResizeNearestNeighbor node '{g.Node.Name}' needs the images' height and width");
            return new[] { b.Op("ResizeNearestNeighborGrad", new[] { g.Dy(), b.Int32s(shape[1], shape[2]) }, ResizeAttrs(g)), null };
        };
        // The resizes' adjoints are linear in the gradient they spread; their own adjoint is the resize again, from the
        // original size to the gradient's (TensorFlow registers none; this is the rule models add for double backprop).
        rules["ResizeBilinearGrad"] = g =>
        {
            long[] shape = g.StaticShape(g.X(0), "the gradient");
            if (shape.Length != 4 || shape[1] < 0 || shape[2] < 0)
                throw new OpBuildException($"the gradient of ResizeBilinearGrad node '{g.Node.Name}' needs the incoming gradient's height and width");
            return new[] { g.B.Op("ResizeBilinear", new[] { g.Dy(), g.B.Int32s(shape[1], shape[2]) }, ResizeAttrs(g)), null };
        };
        rules["ResizeNearestNeighborGrad"] = g =>
        {
            long[] shape = g.StaticShape(g.X(0), "the gradient");
            if (shape.Length != 4 || shape[1] < 0 || shape[2] < 0)
                throw new OpBuildException($"the gradient of ResizeNearestNeighborGrad node '{g.Node.Name}' needs the incoming gradient's height and width");
            return new[] { g.B.Op("ResizeNearestNeighbor", new[] { g.Dy(), g.B.Int32s(shape[1], shape[2]) }, ResizeAttrs(g)), null };
        };
        rules["FusedBatchNormV3"] = g =>
        {
            var b = g.B;
            var outputs = b.Emit("FusedBatchNormGradV3",
                new[] { new[] { g.Dy(0) }, new[] { g.X(0) }, new[] { g.X(1) }, new[] { g.Y(3) }, new[] { g.Y(4) }, new[] { g.Y(5) } },
                new[]
                {
                    OpBuilder.Attr("epsilon", g.Float("epsilon", 1e-4)), OpBuilder.Attr("data_format", g.Text("data_format") ?? "NHWC"),
                    OpBuilder.Attr("is_training", g.Flag("is_training")),
                });
            // The batch statistics' own gradients (outputs 1 and 2) are not propagated, as in TensorFlow.
            return new BuiltTensor?[] { outputs[0], outputs[1], outputs[2], null, null };
        };

        // nn_grad.py's _FusedBatchNormGradGrad (TensorFlow differentiates _BatchNormGrad with a tape; here its derivatives
        // are written out). With x̂ = (x - mean) r and r = 1 / sqrt(variance + epsilon), the op computes per channel
        // dx = scale r P(dy), dscale = Σ dy x̂, doffset = Σ dy, where P(v) = v - mean(v) - x̂ mean(v x̂) in training (the
        // statistics are x's own, so x moves them too) and P(v) = v in inference. The statistics get no gradient.
        rules["FusedBatchNormGradV3"] = g =>
        {
            var b = g.B;
            if ((g.Text("data_format") ?? "NHWC") != "NHWC")
                throw new OpBuildException($"the gradient of FusedBatchNormGradV3 node '{g.Node.Name}' is implemented for NHWC");
            BuiltTensor dy = g.X(0), x = g.X(1);
            string dtype = x.DType;
            BuiltTensor AsT(BuiltTensor t) => t.DType == dtype ? t : b.Cast(t, dtype);
            long[] shape = g.StaticShape(x, "x");
            long[] axes = new long[shape.Length - 1];
            for (int i = 0; i < axes.Length; i++) axes[i] = i;
            long count = 1;
            for (int i = 0; i < axes.Length; i++) count *= shape[i];
            if (count <= 0) throw new OpBuildException($"the gradient of FusedBatchNormGradV3 node '{g.Node.Name}' needs x's static shape");
            BuiltTensor scale = AsT(g.X(2)), mean = AsT(g.X(3)), variance = AsT(g.X(4));
            BuiltTensor a = g.Dy(0), bScale = AsT(g.Dy(1)), bOffset = AsT(g.Dy(2));
            var r = b.Op("Rsqrt", b.Add(variance, b.Scalar(dtype, g.Float("epsilon", 1e-4))));
            var xHat = b.Mul(b.Sub(x, mean), r);
            var scaleR = b.Mul(scale, r);
            BuiltTensor Sum(BuiltTensor v) => b.Sum(v, axes);
            BuiltTensor BackToU(BuiltTensor t) => t.DType == g.X(2).DType ? t : b.Cast(t, g.X(2).DType);
            if (!g.Flag("is_training"))
            {
                return new BuiltTensor?[]
                {
                    b.Add(b.Add(b.Mul(a, scaleR), b.Mul(bScale, xHat)), bOffset), b.Mul(dy, b.Mul(bScale, r)), BackToU(b.Mul(Sum(b.Mul(a, dy)), r)), null, null, null,
                };
            }
            BuiltTensor Mean(BuiltTensor v) => b.Mul(Sum(v), 1.0 / count);
            BuiltTensor Project(BuiltTensor v) => b.Sub(b.Sub(v, Mean(v)), b.Mul(xHat, Mean(b.Mul(v, xHat))));
            var projectedA = Project(a);
            var projectedDy = Project(dy);
            var u = Sum(b.Mul(a, xHat));
            var v = Sum(b.Mul(dy, xHat));
            var s1 = b.Sub(Sum(b.Mul(a, dy)), b.Mul(Mean(dy), Sum(a)));
            var inner = b.Add(b.Add(b.Mul(b.Sub(s1, b.Mul(b.Mul(u, v), 1.0 / count)), xHat), b.Mul(v, projectedA)), b.Mul(u, projectedDy));
            var gradX = b.Add(b.Mul(b.Neg(b.Mul(b.Mul(scaleR, r), 1.0 / count)), inner), b.Mul(b.Mul(bScale, r), projectedDy));
            var gradDy = b.Add(b.Add(b.Mul(scaleR, projectedA), b.Mul(bScale, xHat)), bOffset);
            var gradScale = BackToU(Sum(b.Mul(b.Mul(a, r), projectedDy)));
            return new BuiltTensor?[] { gradDy, gradX, gradScale, null, null, null };
        };

        // Fused losses: TensorFlow's kernels return the backprop alongside the loss.
        rules["SoftmaxCrossEntropyWithLogits"] = g =>
        {
            var b = g.B;
            var perRow = b.Op("ExpandDims", g.Dy(0), b.Scalar("int32", -1));
            var features = b.Mul(perRow, g.Y(1));
            var labels = b.Mul(perRow, b.Neg(b.Op("LogSoftmax", g.X(0))));
            return new[] { features, labels };
        };
        rules["SparseSoftmaxCrossEntropyWithLogits"] = g =>
        {
            var b = g.B;
            var perRow = b.Op("ExpandDims", g.Dy(0), b.Scalar("int32", -1));
            return new[] { b.Mul(perRow, g.Y(1)), null };
        };

        // Gradients of gradient ops (second order), as math_grad.py and nn_grad.py write them: each takes the
        // gradient of its output and gives one for the forward value and one for the incoming gradient.
        rules["TanhGrad"] = g => new[] { g.B.Mul(g.B.Mul(g.Dy(), g.X(1)), g.B.Mul(g.X(0), -2)), g.B.Op("TanhGrad", g.X(0), g.Dy()) };
        rules["SigmoidGrad"] = g =>
        {
            var gb = g.B.Mul(g.Dy(), g.X(1));
            return new[] { g.B.Sub(gb, g.B.Mul(g.B.Mul(gb, g.X(0)), 2)), g.B.Op("SigmoidGrad", g.X(0), g.Dy()) };
        };
        rules["SqrtGrad"] = g =>
        {
            var ga = g.B.Div(g.Dy(), g.X(0));
            return new[] { g.B.Div(g.B.Mul(g.B.Neg(g.X(1)), ga), g.B.Mul(g.X(0), 2)), g.B.Mul(ga, 0.5) };
        };
        rules["RsqrtGrad"] = g => new[]
        {
            g.B.Mul(g.B.Mul(g.Dy(), g.X(1)), g.B.Mul(g.B.Op("Square", g.X(0)), -1.5)), g.B.Op("RsqrtGrad", g.X(0), g.Dy()),
        };
        rules["ReciprocalGrad"] = rules["InvGrad"] = g => new[]
        {
            g.B.Mul(g.B.Mul(g.Dy(), g.X(1)), g.B.Mul(g.X(0), -2)), g.B.Op(g.Node.Schema.Name, g.X(0), g.Dy()),
        };
        // ReluGrad(dy, x) is dy where x > 0: linear in dy, piecewise constant in x.
        rules["ReluGrad"] = g => new[] { g.B.Op("ReluGrad", g.Dy(), g.X(1)), g.B.ZerosLike(g.X(1)) };
        rules["Relu6Grad"] = g => new[] { g.B.Op("Relu6Grad", g.Dy(), g.X(1)), g.B.ZerosLike(g.X(1)) };
        rules["LeakyReluGrad"] = g => new[]
        {
            g.B.Op("LeakyReluGrad", new[] { g.Dy(), g.X(1) }, OpBuilder.Attr("alpha", g.Float("alpha", 0.2))), g.B.ZerosLike(g.X(1)),
        };
        // EluGrad/SeluGrad(dy, y): for y < 0 the result is dy * (y + c), whose derivative in y is dy.
        rules["EluGrad"] = rules["SeluGrad"] = g =>
        {
            var b = g.B;
            var negative = b.Op("Less", g.X(1), b.ZerosLike(g.X(1)));
            return new[] { b.Op(g.Node.Schema.Name, g.Dy(), g.X(1)), b.Op("SelectV2", negative, b.Mul(g.Dy(), g.X(0)), b.ZerosLike(g.X(1))) };
        };
        rules["SoftplusGrad"] = g =>
        {
            var b = g.B;
            // d/dx dy·sigmoid(x) = dy / (e^-x + 2 + e^x).
            var denominator = b.Add(b.Add(b.Op("Exp", b.Neg(g.X(1))), b.Scalar(g.X(1).DType, 2)), b.Op("Exp", g.X(1)));
            return new[] { b.Op("SoftplusGrad", g.Dy(), g.X(1)), b.Div(b.Mul(g.Dy(), g.X(0)), denominator) };
        };
        rules["SoftsignGrad"] = g =>
        {
            var b = g.B;
            // SoftsignGrad(dy, x) = dy / (1 + |x|)^2; its derivative in x is -2 dy sign(x) / (1 + |x|)^3.
            var onePlus = b.Add(b.Scalar(g.X(1).DType, 1), b.Op("Abs", g.X(1)));
            var cube = b.Mul(b.Op("Square", onePlus), onePlus);
            return new[] { b.Op("SoftsignGrad", g.Dy(), g.X(1)), b.Div(b.Mul(b.Mul(g.Dy(), g.X(0)), b.Mul(b.Op("Sign", g.X(1)), -2)), cube) };
        };
        rules["BiasAddGrad"] = g =>
        {
            // The per-channel sums' gradient spreads back over every position of the channel (channels last, or
            // axis 1 for NCHW).
            var b = g.B;
            if ((g.Text("data_format") ?? "NHWC") == "NHWC") return One(b.Op("BroadcastTo", g.Dy(), b.ShapeOf(g.X(0))));
            long[] shape = g.StaticShape(g.X(0), "the incoming gradient");
            var channels = new long[shape.Length];
            for (int i = 0; i < shape.Length; i++) channels[i] = i == 1 ? -1 : 1;
            return One(b.Op("BroadcastTo", b.Reshape(g.Dy(), b.Int32s(channels)), b.ShapeOf(g.X(0))));
        };
        rules["AvgPoolGrad"] = g => new[] { null, g.B.Op("AvgPool", new[] { g.Dy() }, PoolAttrs(g)) };
        rules["StridedSliceGrad"] = g =>
        {
            var attrs = new List<BuiltAttr>();
            foreach (string mask in new[] { "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask" })
                attrs.Add(OpBuilder.Attr(mask, g.Int(mask)));
            return new[] { null, null, null, null, g.B.Op("StridedSlice", new[] { g.Dy(), g.X(1), g.X(2), g.X(3) }, attrs.ToArray()) };
        };
        rules["Conv2DBackpropFilter"] = g =>
        {
            var b = g.B;
            var attrs = ConvAttrs(g);
            return new[]
            {
                b.Op("Conv2DBackpropInput", new[] { b.ShapeOf(g.X(0)), g.Dy(), g.X(2) }, attrs), null, b.Op("Conv2D", new[] { g.X(0), g.Dy() }, attrs),
            };
        };
        rules["DepthwiseConv2dNativeBackpropInput"] = g =>
        {
            var b = g.B;
            var attrs = ConvAttrs(g);
            return new[]
            {
                null, b.Op("DepthwiseConv2dNativeBackpropFilter", new[] { g.Dy(), b.ShapeOf(g.X(1)), g.X(2) }, attrs),
                b.Op("DepthwiseConv2dNative", new[] { g.Dy(), g.X(1) }, attrs),
            };
        };
        rules["DepthwiseConv2dNativeBackpropFilter"] = g =>
        {
            var b = g.B;
            var attrs = ConvAttrs(g);
            return new[]
            {
                b.Op("DepthwiseConv2dNativeBackpropInput", new[] { b.ShapeOf(g.X(0)), g.Dy(), g.X(2) }, attrs), null,
                b.Op("DepthwiseConv2dNative", new[] { g.X(0), g.Dy() }, attrs),
            };
        };

        // Cumulative product (math_grad.py _CumprodGrad): a reverse cumulative sum of dy · y, divided by x (x without zeros).
        rules["Cumprod"] = g =>
        {
            var b = g.B;
            bool exclusive = g.Flag("exclusive"), reverse = g.Flag("reverse");
            var summed = b.Op("Cumsum", new[] { b.Mul(g.Y(), g.Dy()), g.X(1) }, OpBuilder.Attr("exclusive", exclusive), OpBuilder.Attr("reverse", !reverse));
            return new[] { b.Div(summed, g.X(0)), null };
        };
        // Truncated remainders: x - trunc(x / y) · y.
        rules["TruncateMod"] = rules["Mod"] = g =>
        {
            var b = g.B;
            var quotient = b.Div(g.X(0), g.X(1));
            var truncated = b.Mul(b.Op("Sign", quotient), b.Op("Floor", b.Op("Abs", quotient)));
            return Binary(g, g.Dy(), b.Mul(b.Neg(g.Dy()), truncated));
        };
        // TopKV2: each value's gradient goes back to the position it came from (a one-hot over the last axis).
        rules["TopKV2"] = g =>
        {
            var b = g.B;
            long[] shape = g.StaticShape(g.X(0), "the input");
            long depth = shape.Length > 0 && shape[^1] >= 0 ? shape[^1]
                : throw new OpBuildException($"the gradient of TopKV2 node '{g.Node.Name}' needs the size of the input's last axis");
            string dtype = g.X(0).DType;
            var spread = b.Emit("OneHot", new[] { new[] { g.Y(1) }, new[] { b.Scalar("int32", depth) }, new[] { b.Scalar(dtype, 1) }, new[] { b.Scalar(dtype, 0) } },
                new[] { OpBuilder.Attr("axis", -1L) })[0];
            return new[] { b.Sum(b.Mul(spread, b.Op("ExpandDims", g.Dy(0), b.Scalar("int32", -1))), new long[] { -2 }), null };
        };
        // Segment means and extremes (math_grad.py): the mean's gradient is shared by its segment's rows; an
        // extreme's goes to the rows that equal it, split evenly among ties.
        rules["SegmentMean"] = g =>
        {
            var b = g.B;
            var counts = b.Op("SegmentSum", b.Op("OnesLike", g.X(0)), g.X(1));
            return new[] { b.Op("GatherV2", b.Div(g.Dy(), counts), g.X(1), b.Scalar("int32", 0)), null };
        };
        // math_grad.py's _UnsortedSegmentProdGrad: each element's partial is its segment's product divided by it, or,
        // for the one zero of a segment, the product of the others; a segment with two zeros has zero gradient.
        rules["UnsortedSegmentProd"] = g =>
        {
            var b = g.B;
            BuiltTensor data = g.X(0), ids = g.X(1), count = g.X(2);
            var isZero = b.Op("Equal", data, b.ZerosLike(data));
            var zeros = b.Op("UnsortedSegmentSum", b.Cast(isZero, "int32"), ids, count);
            var dy = b.Op("SelectV2", b.Op("Greater", zeros, b.Scalar("int32", 1)), b.ZerosLike(g.Dy()), g.Dy());
            var nonZeroProduct = b.Op("UnsortedSegmentProd", b.Op("SelectV2", isZero, b.Op("OnesLike", data), data), ids, count);
            var axis = b.Scalar("int32", 0);
            var partial = b.Op("SelectV2", isZero, b.Op("GatherV2", nonZeroProduct, ids, axis), b.Div(b.Op("GatherV2", g.Y(), ids, axis), data));
            return new[] { b.Mul(b.Op("GatherV2", dy, ids, axis), partial), null, null };
        };
        rules["SegmentMax"] = rules["SegmentMin"] = g => SegmentExtremeGradient(g, sorted: true);
        rules["UnsortedSegmentMax"] = rules["UnsortedSegmentMin"] = g => SegmentExtremeGradient(g, sorted: false);

        return rules;
    }

    private static long[] AllAxes(BuiltTensor x)
    {
        var axes = new long[x.Shape?.Length ?? throw new OpBuildException("a gradient needs the rank of a summed tensor")];
        for (int i = 0; i < axes.Length; i++) axes[i] = i;
        return axes;
    }

    /// <summary>An int32 [rows, 2] constant of (before, after) pairs.</summary>
    private static BuiltTensor Matrix(OpBuilder b, long[] pairs, int rows)
    {
        var values = new double[pairs.Length];
        for (int i = 0; i < values.Length; i++) values[i] = pairs[i];
        return b.Constant("int32", new long[] { rows, 2 }, values);
    }

    private static BuiltTensor?[] SegmentExtremeGradient(GradientContext g, bool sorted)
    {
        var b = g.B;
        var zero = b.Scalar("int32", 0);
        var selected = b.Op("Equal", g.X(0), b.Op("GatherV2", g.Y(), g.X(1), zero));
        var ones = b.Cast(selected, g.Dy().DType);
        var ties = sorted ? b.Op("SegmentSum", ones, g.X(1)) : b.Op("UnsortedSegmentSum", ones, g.X(1), g.X(2));
        var shared = b.Op("GatherV2", b.Div(g.Dy(), ties), g.X(1), zero);
        var gradient = b.Op("SelectV2", selected, shared, b.ZerosLike(g.X(0)));
        return sorted ? new[] { gradient, null } : new[] { gradient, null, null };
    }

    private static BuiltAttr[] ConvAttrs(GradientContext g) => new[]
    {
        OpBuilder.Attr("strides", g.Ints("strides") ?? new long[] { 1, 1, 1, 1 }), OpBuilder.Attr("padding", g.Text("padding") ?? "VALID"),
        OpBuilder.Attr("explicit_paddings", g.Ints("explicit_paddings") ?? Array.Empty<long>()), OpBuilder.Attr("data_format", g.Text("data_format") ?? "NHWC"),
        OpBuilder.Attr("dilations", g.Ints("dilations") ?? new long[] { 1, 1, 1, 1 }),
    };

    private static BuiltAttr[] ResizeAttrs(GradientContext g) => new[]
    {
        OpBuilder.Attr("align_corners", g.Flag("align_corners")), OpBuilder.Attr("half_pixel_centers", g.Flag("half_pixel_centers")),
    };

    private static BuiltAttr[] PoolAttrs(GradientContext g) => new[]
    {
        OpBuilder.Attr("ksize", g.Ints("ksize")!), OpBuilder.Attr("strides", g.Ints("strides")!), OpBuilder.Attr("padding", g.Text("padding") ?? "VALID"),
        OpBuilder.Attr("data_format", g.Text("data_format") ?? "NHWC"),
    };

    /// <summary>A matrix product's rule: op(a)·op(b) differentiated by transposed products of the same op, for each transpose flag.</summary>
    private static BuiltTensor?[] ProductGradient(GradientContext g, string op, string transposeA, string transposeB)
    {
        bool ta = g.Flag(transposeA), tb = g.Flag(transposeB);
        BuiltTensor a = g.X(0), m = g.X(1), dy = g.Dy();
        BuiltTensor Product(BuiltTensor p, BuiltTensor q, bool tp, bool tq) =>
            g.B.Op(op, new[] { p, q }, OpBuilder.Attr(transposeA, tp), OpBuilder.Attr(transposeB, tq));
        return (ta, tb) switch
        {
            (false, false) => new[] { Product(dy, m, false, true), Product(a, dy, true, false) },
            (false, true) => new[] { Product(dy, m, false, false), Product(dy, a, true, false) },
            (true, false) => new[] { Product(m, dy, false, true), Product(a, dy, false, false) },
            _ => new[] { Product(m, dy, true, true), Product(dy, a, true, true) },
        };
    }

    /// <summary>ConcatV2's and Concat's rule: each value's gradient is its slice of the output gradient along the axis.</summary>
    private static BuiltTensor?[] ConcatGradient(GradientContext g, int firstValue, int axisInput)
    {
        var b = g.B;
        int count = g.Node.Inputs.Count - 1;
        long rank = g.StaticShape(g.Dy(), "the result").Length;
        long axis = g.ConstantInput(axisInput, "the axis")[0];
        if (axis < 0) axis += rank;
        var result = new BuiltTensor?[count + 1];
        long offset = 0;
        for (int i = 0; i < count; i++)
        {
            long[] shape = g.StaticShape(g.X(firstValue + i), $"input {i}");
            if (shape[axis] < 0) throw new OpBuildException($"the gradient of {g.Node.Schema.Name} node '{g.Node.Name}' needs the size of input {i} along the axis");
            var begin = new long[rank];
            var size = new long[rank];
            for (int d = 0; d < rank; d++) size[d] = -1;
            begin[axis] = offset;
            size[axis] = shape[axis];
            result[firstValue + i] = b.Op("Slice", g.Dy(), b.Int32s(begin), b.Int32s(size));
            offset += shape[axis];
        }
        return result;
    }

    private static BuiltTensor?[] Binary(GradientContext g, BuiltTensor dx, BuiltTensor dy) =>
        new[] { g.B.ReduceToShapeOf(dx, g.X(0), g.X(1)), g.B.ReduceToShapeOf(dy, g.X(1), g.X(0)) };

    private static BuiltTensor?[] MinMax(GradientContext g, string comparison)
    {
        var b = g.B;
        var zeros = b.ZerosLike(g.Dy());
        var pickX = b.Op(comparison, g.X(0), g.X(1));
        return Binary(g, b.Op("SelectV2", pickX, g.Dy(), zeros), b.Op("SelectV2", pickX, zeros, g.Dy()));
    }

    private static BuiltTensor OneMinusSquare(GradientContext g) =>
        g.B.Sub(g.B.Scalar(g.X(0).DType, 1), g.B.Op("Square", g.X(0)));

    private static BuiltTensor ErfDerivative(GradientContext g) =>
        g.B.Mul(g.B.Op("Exp", g.B.Neg(g.B.Op("Square", g.X(0)))), 2 / Math.Sqrt(Math.PI));

    private static BuiltTensor ReduceBatch(OpBuilder b, BuiltTensor gradient, BuiltTensor operand)
    {
        if (gradient.Shape is null || operand.Shape is null || gradient.Shape.Length == operand.Shape.Length && operand.IsFullyDefined && gradient.IsFullyDefined
            && Same(gradient.Shape, operand.Shape)) return gradient;
        int lead = gradient.Shape.Length - operand.Shape.Length;
        var axes = new List<long>();
        for (int i = 0; i < gradient.Shape.Length - 2; i++)
            if (i < lead || operand.Shape[i - lead] == 1 && gradient.Shape[i] != 1) axes.Add(i);
        return axes.Count == 0 ? gradient : b.ReshapeLike(b.Sum(gradient, axes.ToArray()), operand);
    }

    private static bool Same(long[] a, long[] b)
    {
        for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
        return true;
    }

    /// <summary>A reduction's output (or its gradient) reshaped to the input's rank with 1 on the reduced axes.</summary>
    private static BuiltTensor Kept(GradientContext g, BuiltTensor reduced)
    {
        if (g.Flag("keep_dims")) return reduced;
        long[] shape = g.StaticShape(g.X(0), "the input");
        long[] axes = OpBuilder.NormalizeAxes(g.ConstantInput(1, "the reduction axes"), shape)!;
        var kept = new long[shape.Length];
        int unknown = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            kept[i] = Array.IndexOf(axes, (long)i) >= 0 ? 1 : shape[i];
            if (kept[i] < 0) unknown++;
        }
        if (unknown > 1) throw new OpBuildException($"the gradient of {g.Node.Schema.Name} node '{g.Node.Name}' needs all but one kept dimension of its input to be known");
        return g.B.Reshape(reduced, g.B.Int32s(kept));
    }

    /// <summary>Sum's and Mean's rule: the output gradient reshaped to the kept shape and broadcast to the input.</summary>
    private static BuiltTensor BroadcastReduced(GradientContext g, BuiltTensor gradient)
    {
        var b = g.B;
        BuiltTensor x = g.X(0);
        var kept = Kept(g, gradient);
        if (kept.Shape is not null && x.IsFullyDefined && kept.IsFullyDefined && Same2(kept.Shape, x.Shape!)) return kept;
        return b.Op("BroadcastTo", kept, b.ShapeOf(x));
    }

    private static bool Same2(long[] a, long[] b) => a.Length == b.Length && Same(a, b);
}
