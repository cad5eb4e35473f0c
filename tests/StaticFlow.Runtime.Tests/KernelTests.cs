using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>Kernels run by op name through the real registry, checked against hand values and double-precision loops.</summary>
public class KernelTests
{
    private static readonly (string, Protos.AttrValue) F32 = ("T", Type(DType.Float32));

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(6, 32, 1)]
    [InlineData(7, 33, 17)]
    [InlineData(13, 1, 300)]
    [InlineData(1, 64, 50)]
    [InlineData(1, 70, 9)]
    [InlineData(97, 65, 129)]
    [InlineData(200, 150, 260)]
    public void MatMulMatchesADoubleReferenceForOddShapesAndTransposes(int m, int n, int k)
    {
        var random = new Random(m * 1000 + n * 10 + k);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                float[] a = Random(random, m * k), b = Random(random, k * n);
                Tensor ta_ = ta ? Tensor.FromArray<float>(a, k, m) : Tensor.FromArray<float>(a, m, k);
                Tensor tb_ = tb ? Tensor.FromArray<float>(b, n, k) : Tensor.FromArray<float>(b, k, n);
                var result = RunOne("MatMul", [ta_, tb_], F32, ("transpose_a", Bool(ta)), ("transpose_b", Bool(tb)));
                Assert.Equal(new TensorShape(m, n), result.Shape);
                var c = result.ToArray<float>();
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        double expected = 0;
                        for (int p = 0; p < k; p++) expected += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                        Assert.True(Math.Abs(expected - c[i * n + j]) <= 1e-4 * Math.Max(1, Math.Abs(expected)) + 1e-5 * k,
                            $"C[{i},{j}] = {c[i * n + j]}, expected {expected} (ta={ta}, tb={tb})");
                    }
            }
    }

    [Fact]
    public void MatMulOfEmptyAndMismatchedShapes()
    {
        Assert.Equal(new TensorShape(0, 3), RunOne("MatMul", [Tensor.Zeros(DType.Float32, new TensorShape(0, 2)), Tensor.Zeros(DType.Float32, new TensorShape(2, 3))], F32).Shape);
        var zeroK = RunOne("MatMul", [Tensor.Zeros(DType.Float32, new TensorShape(2, 0)), Tensor.Zeros(DType.Float32, new TensorShape(0, 3))], F32);
        Assert.Equal(new float[6], zeroK.ToArray<float>());
        var e = Assert.Throws<GraphException>(() => RunOne("MatMul", [Tensor.Zeros(DType.Float32, new TensorShape(2, 3)), Tensor.Zeros(DType.Float32, new TensorShape(4, 5))], F32));
        Assert.Contains("[2,3]", e.Message);
        Assert.Contains("[4,5]", e.Message);
    }

    [Fact]
    public void MatMulOfIntsAndDoubles()
    {
        Assert.Equal([19, 22, 43, 50], RunOne("MatMul", [Tensor.FromArray<int>([1, 2, 3, 4], 2, 2), Tensor.FromArray<int>([5, 6, 7, 8], 2, 2)], ("T", Type(DType.Int32))).ToArray<int>());
        Assert.Equal([19.0, 22, 43, 50], RunOne("MatMul", [Tensor.FromArray<double>([1, 2, 3, 4], 2, 2), Tensor.FromArray<double>([5, 6, 7, 8], 2, 2)], ("T", Type(DType.Float64))).ToArray<double>());
    }

    [Fact]
    public void BatchMatMulBroadcastsBatchDimensions()
    {
        var a = Tensor.FromArray<float>([1, 0, 0, 1, 2, 0, 0, 2], 2, 2, 2);
        var b = Tensor.FromArray<float>([1, 2, 3, 4], 1, 2, 2);
        var r = RunOne("BatchMatMulV2", [a, b], F32);
        Assert.Equal(new TensorShape(2, 2, 2), r.Shape);
        Assert.Equal([1f, 2, 3, 4, 2, 4, 6, 8], r.ToArray<float>());
    }

    public static TheoryData<long[], long[]> BroadcastShapes => new()
    {
        { [2, 3], [2, 3] }, { [2, 3], [] }, { [], [2, 3] }, { [2, 3], [3] }, { [2, 1], [1, 3] }, { [4, 1, 5], [3, 1] },
        { [1], [7] }, { [0, 3], [3] }, { [2, 0], [2, 1] }, { [17], [17] }, { [3, 1, 1], [1, 4, 2] },
    };

    [Theory]
    [MemberData(nameof(BroadcastShapes))]
    public void BinaryOpsBroadcastLikeNumPy(long[] sa, long[] sb)
    {
        var random = new Random(7);
        var a = Tensor.FromArray<float>(Random(random, (int)new TensorShape(sa).ElementCount), sa);
        var b = Tensor.FromArray<float>(Random(random, (int)new TensorShape(sb).ElementCount).Select(v => v + 2f).ToArray(), sb);
        var ops = new (string Op, Func<double, double, double> F)[]
        {
            ("AddV2", (x, y) => x + y), ("Sub", (x, y) => x - y), ("Mul", (x, y) => x * y), ("RealDiv", (x, y) => x / y),
            ("Maximum", Math.Max), ("Minimum", Math.Min), ("SquaredDifference", (x, y) => (x - y) * (x - y)), ("Pow", (x, y) => Math.Pow(Math.Abs(x), y)),
        };
        long[] outShape = Kernels.Broadcast.Shape(sa, sb)!;
        foreach (var (op, f) in ops)
        {
            var inputA = op == "Pow" ? Tensor.FromArray<float>(a.ToArray<float>().Select(Math.Abs).ToArray(), sa) : a;
            var r = RunOne(op, [inputA, b], F32);
            Assert.Equal(new TensorShape(outShape), r.Shape);
            var expected = ReferenceBroadcast(inputA, b, outShape, f);
            var actual = r.ToArray<float>();
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"{op} element {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void IncompatibleBroadcastNamesBothShapes()
    {
        var e = Assert.Throws<GraphException>(() => RunOne("AddV2", [Tensor.Zeros(DType.Float32, new TensorShape(2, 3)), Tensor.Zeros(DType.Float32, new TensorShape(4))], F32));
        Assert.Contains("[2,3] and [4]", e.Message);
    }

    [Fact]
    public void IntegerDivisionFloorsAndRejectsZero()
    {
        var i32 = ("T", Type(DType.Int32));
        Assert.Equal([-4, 3, -4], RunOne("FloorDiv", [Tensor.Vector(-7, 7, 7), Tensor.Vector(2, 2, -2)], i32).ToArray<int>());
        Assert.Equal([1, 1, -1], RunOne("FloorMod", [Tensor.Vector(-7, 7, 7), Tensor.Vector(2, 2, -2)], i32).ToArray<int>());
        Assert.Contains("division by zero", Assert.Throws<GraphException>(() => RunOne("FloorDiv", [Tensor.Vector(1), Tensor.Vector(0)], i32)).Message);
        Assert.Equal([0f, 2f], RunOne("DivNoNan", [Tensor.Vector(1f, 4f), Tensor.Vector(0f, 2f)], F32).ToArray<float>());
        Assert.Equal([-4f, 1f], RunOne("FloorDiv", [Tensor.Vector(-7f, 3f), Tensor.Vector(2f, 2f)], F32).ToArray<float>());
    }

    [Fact]
    public void UnaryAndActivationOpsMatchTheirDefinitions()
    {
        float[] x = [-3f, -0.5f, 0f, 0.25f, 1f, 7f, 30f];
        var input = Tensor.Vector(x);
        var cases = new (string Op, Func<double, double> F)[]
        {
            ("Neg", v => -v), ("Abs", Math.Abs), ("Square", v => v * v), ("Exp", Math.Exp), ("Tanh", Math.Tanh),
            ("Sigmoid", v => 1 / (1 + Math.Exp(-v))), ("Relu", v => Math.Max(v, 0)), ("Relu6", v => Math.Min(Math.Max(v, 0), 6)),
            ("Elu", v => v < 0 ? Math.Exp(v) - 1 : v), ("Softplus", v => Math.Log(1 + Math.Exp(v))),
            ("Selu", v => 1.0507009873554804934193349852946 * (v < 0 ? 1.6732632423543772848170429916717 * (Math.Exp(v) - 1) : v)),
        };
        foreach (var (op, f) in cases)
        {
            var r = RunOne(op, [input], F32).ToArray<float>();
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(f(x[i]) - r[i]) <= 1e-5 * Math.Max(1, Math.Abs(f(x[i]))), $"{op}({x[i]}) = {r[i]}, expected {f(x[i])}");
        }
        var positive = Tensor.Vector(0.25f, 1f, 4f, 100f);
        Assert.Equal([-1.3862944f, 0f, 1.3862944f, 4.6051702f], RunOne("Log", [positive], F32).ToArray<float>(), new FloatTolerance(1e-6f));
        Assert.Equal([0.5f, 1f, 2f, 10f], RunOne("Sqrt", [positive], F32).ToArray<float>());
        Assert.Equal([2f, 1f, 0.5f, 0.1f], RunOne("Rsqrt", [positive], F32).ToArray<float>(), new FloatTolerance(1e-6f));
        Assert.Equal([-0.6f, 0f, 2f], RunOne("LeakyRelu", [Tensor.Vector(-3f, 0f, 2f)], F32, ("alpha", new Protos.AttrValue { F = 0.2f })).ToArray<float>(), new FloatTolerance(1e-6f));
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(5.5, 0.9999999999999927)]
    public void ErfMatchesPublishedValues(double x, double expected) =>
        Assert.Equal(expected, RunOne("Erf", [Tensor.Scalar(x)], ("T", Type(DType.Float64))).AsSpan<double>()[0], 1e-14);

    [Fact]
    public void SoftmaxRowsSumToOneAndLogSoftmaxMatches()
    {
        var logits = Tensor.FromArray<float>([1, 2, 3, 1000, 1000, 1000], 2, 3);
        var s = RunOne("Softmax", [logits], F32).ToArray<float>();
        Assert.Equal(1f, s[0] + s[1] + s[2], 5);
        Assert.Equal(0.09003057f, s[0], 6);
        Assert.Equal(1f / 3, s[4], 6);
        var l = RunOne("LogSoftmax", [logits], F32).ToArray<float>();
        Assert.Equal(Math.Log(0.09003057), l[0], 5);

        // Rows long enough for the vectorized float32 path (and a NaN-free row of large logits), against doubles.
        var random = new Random(7);
        const int rows = 4, n = 37;
        float[] values = [.. Enumerable.Range(0, rows * n).Select(i => (random.NextSingle() - 0.5f) * (i < n ? 80f : 8f))];
        var softmax = RunOne("Softmax", [Tensor.FromArray<float>(values, rows, n)], F32).ToArray<float>();
        var logSoftmax = RunOne("LogSoftmax", [Tensor.FromArray<float>(values, rows, n)], F32).ToArray<float>();
        for (int r = 0; r < rows; r++)
        {
            double max = values.Skip(r * n).Take(n).Max(v => (double)v);
            double logSum = Math.Log(values.Skip(r * n).Take(n).Sum(v => Math.Exp(v - max)));
            for (int j = 0; j < n; j++)
            {
                double expected = values[r * n + j] - max - logSum;
                Assert.Equal(Math.Exp(expected), softmax[r * n + j], tolerance: 2e-6);
                Assert.Equal(expected, logSoftmax[r * n + j], tolerance: 1e-4);
            }
        }
    }

    [Fact]
    public void ReductionsOverAxesWithKeepDimsAndNegativeAxes()
    {
        var x = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 2, 3);
        (string, Protos.AttrValue) keep(bool k) => ("keep_dims", Bool(k));
        Assert.Equal([5f, 7f, 9f], RunOne("Sum", [x, Tensor.Vector(0)], F32, keep(false)).ToArray<float>());
        Assert.Equal([6f, 15f], RunOne("Sum", [x, Tensor.Vector(-1)], F32, keep(false)).ToArray<float>());
        var kept = RunOne("Mean", [x, Tensor.Vector(1)], F32, keep(true));
        Assert.Equal(new TensorShape(2, 1), kept.Shape);
        Assert.Equal([2f, 5f], kept.ToArray<float>());
        Assert.Equal([21f], RunOne("Sum", [x, Tensor.Vector(0, 1)], F32, keep(false)).ToArray<float>());
        Assert.Equal([6f], RunOne("Max", [x, Tensor.Vector(0, 1)], F32, keep(false)).ToArray<float>());
        Assert.Equal([1f, 4f], RunOne("Min", [x, Tensor.Vector(1)], F32, keep(false)).ToArray<float>());
        Assert.Equal([720f], RunOne("Prod", [x, Tensor.Vector(0, 1)], F32, keep(false)).ToArray<float>());
        Assert.Equal(x.ToArray<float>(), RunOne("Sum", [x, Tensor.Zeros(DType.Int32, new TensorShape(0))], F32, keep(false)).ToArray<float>());
        Assert.Equal([0f, 0f], RunOne("Sum", [Tensor.Zeros(DType.Float32, new TensorShape(2, 0)), Tensor.Vector(1)], F32, keep(false)).ToArray<float>());
        Assert.Contains("out of range", Assert.Throws<GraphException>(() => RunOne("Sum", [x, Tensor.Vector(2)], F32, keep(false))).Message);
        Assert.Equal([2L, 2L], RunOne("ArgMax", [x, Tensor.Scalar(1)], F32).ToArray<long>());
        Assert.Equal([0L, 0L, 0L], RunOne("ArgMin", [x, Tensor.Scalar(0)], F32).ToArray<long>());
    }

    [Fact]
    public void LayoutOps()
    {
        var x = Tensor.FromArray<int>([0, 1, 2, 3, 4, 5], 2, 3);
        var i32 = ("T", Type(DType.Int32));
        Assert.Equal([0, 3, 1, 4, 2, 5], RunOne("Transpose", [x, Tensor.Vector(1, 0)], i32).ToArray<int>());
        Assert.Equal(new TensorShape(3, 2), RunOne("Reshape", [x, Tensor.Vector(-1, 2)], i32).Shape);
        Assert.Contains("cannot reshape", Assert.Throws<GraphException>(() => RunOne("Reshape", [x, Tensor.Vector(4, -1)], i32)).Message);
        var concat = RunOp("ConcatV2", [x, Tensor.FromArray<int>([6, 7, 8], 1, 3), Tensor.Scalar(0)], 1, i32, ("N", Int(2)))[0];
        Assert.Equal(new TensorShape(3, 3), concat.Shape);
        Assert.Equal(Enumerable.Range(0, 9), concat.ToArray<int>());
        var packed = RunOp("Pack", [Tensor.Vector(1, 2), Tensor.Vector(3, 4)], 1, i32, ("N", Int(2)), ("axis", Int(1)))[0];
        Assert.Equal(new TensorShape(2, 2), packed.Shape);
        Assert.Equal([1, 3, 2, 4], packed.ToArray<int>());
        var parts = RunOp("Unpack", [x], 2, i32, ("num", Int(2)), ("axis", Int(0)));
        Assert.Equal([3, 4, 5], parts[1].ToArray<int>());
        var split = RunOp("SplitV", [x, Tensor.Vector(1L, -1L), Tensor.Scalar(1)], 2, i32, ("num_split", Int(2)), ("Tlen", Type(DType.Int64)));
        Assert.Equal([1, 2, 4, 5], split[1].ToArray<int>());
        Assert.Equal([1, 2, 4, 5], RunOne("Slice", [x, Tensor.Vector(0, 1), Tensor.Vector(-1, 2)], i32, ("Index", Type(DType.Int32))).ToArray<int>());
        Assert.Equal([2, 0, 5, 3], RunOne("GatherV2", [x, Tensor.Vector(2, 0), Tensor.Scalar(1)], ("Tparams", Type(DType.Int32)), ("Tindices", Type(DType.Int32)), ("Taxis", Type(DType.Int32))).ToArray<int>());
        Assert.Contains("out of range", Assert.Throws<GraphException>(() => RunOne("GatherV2", [x, Tensor.Vector(3), Tensor.Scalar(1)], ("Tparams", Type(DType.Int32)), ("Tindices", Type(DType.Int32)), ("Taxis", Type(DType.Int32)))).Message);
        Assert.Equal([0, 1, 0, 1, 2, 3, 2, 3], RunOne("Tile", [Tensor.FromArray<int>([0, 1, 2, 3], 2, 2), Tensor.Vector(1, 2)], i32).ToArray<int>());
        Assert.Equal([0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 0], RunOne("Pad", [Tensor.FromArray<int>([1, 2], 2, 1), Tensor.FromArray<int>([1, 1, 1, 1], 2, 2)], i32).ToArray<int>());
        Assert.Equal([7f, 7f, 7f], RunOne("Fill", [Tensor.Vector(3), Tensor.Scalar(7f)], F32).ToArray<float>());
        Assert.Equal([2, 3], RunOne("Shape", [x], i32).ToArray<int>());
        Assert.Equal([0, 3, 6], RunOne("Range", [Tensor.Scalar(0), Tensor.Scalar(7), Tensor.Scalar(3)], ("Tidx", Type(DType.Int32))).ToArray<int>());
        Assert.Equal(new TensorShape(2, 1, 3), RunOne("ExpandDims", [x, Tensor.Scalar(1)], i32).Shape);
        Assert.Equal(new TensorShape(3), RunOne("Squeeze", [Tensor.Zeros(DType.Int32, new TensorShape(1, 3, 1))], i32).Shape);
    }

    [Fact]
    public void StridedSliceFollowsTheMasks()
    {
        var x = Tensor.FromArray<int>(Enumerable.Range(0, 24).ToArray(), 2, 3, 4);
        var attrs = new List<(string, Protos.AttrValue)> { ("T", Type(DType.Int32)), ("Index", Type(DType.Int32)) };
        Tensor Slice(int[] b, int[] e, int[] s, long beginMask = 0, long endMask = 0, long ellipsis = 0, long newAxis = 0, long shrink = 0) =>
            RunOne("StridedSlice", [x, Tensor.Vector(b), Tensor.Vector(e), Tensor.Vector(s)],
                [.. attrs, ("begin_mask", Int(beginMask)), ("end_mask", Int(endMask)), ("ellipsis_mask", Int(ellipsis)), ("new_axis_mask", Int(newAxis)), ("shrink_axis_mask", Int(shrink))]);

        // x[1, :, ::2]
        var a = Slice([1, 0, 0], [2, 0, 0], [1, 1, 2], beginMask: 0b110, endMask: 0b110, shrink: 0b001);
        Assert.Equal(new TensorShape(3, 2), a.Shape);
        Assert.Equal([12, 14, 16, 18, 20, 22], a.ToArray<int>());
        // x[..., -1]
        var b = Slice([0, -1], [0, 0], [1, 1], ellipsis: 0b01, shrink: 0b10);
        Assert.Equal([3, 7, 11, 15, 19, 23], b.ToArray<int>());
        // x[::-1, 0, newaxis, 1:3]
        var c = Slice([0, 0, 0, 1], [0, 1, 0, 3], [-1, 1, 1, 1], beginMask: 0b0001, endMask: 0b0001, newAxis: 0b0100, shrink: 0b0010);
        Assert.Equal(new TensorShape(2, 1, 2), c.Shape);
        Assert.Equal([13, 14, 1, 2], c.ToArray<int>());
        // x[5:] on the first axis is empty, not an error.
        Assert.Equal(0, Slice([5], [10], [1]).ElementCount);
    }

    [Fact]
    public void IndexSyntaxSlicesAsTensorFlowAndTheStaticShapeRuleAgreesWithTheKernel()
    {
        var x = Tensor<int>.From([.. Enumerable.Range(0, 24)], 2, 3, 4);
        Assert.Equal([20, 21, 22, 23], x[^1, ^1].ToArray());
        Assert.Equal(new TensorShape(2, 3, 2), x[.., .., 1..3].Shape);
        Assert.Equal([1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22], x[.., .., 1..3].ToArray());
        Assert.Equal([3, 7, 11, 15, 19, 23], x[TensorIndex.Ellipsis, -1].ToArray());
        Assert.Equal(new TensorShape(1, 2, 3, 4), x[TensorIndex.NewAxis].Shape);
        Assert.Equal(0, x[^0..].Untyped.ElementCount);
        Assert.Throws<ArgumentException>(() => x[^0]);
        Assert.Throws<ArgumentException>(() => x[TensorIndex.Ellipsis, 0, TensorIndex.Ellipsis]);

        // The shape function (run by graph import and by the generator) on the same operands gives the kernel's shape.
        // Array initializers, not collection expressions: in those a leading .. is a spread.
        TensorIndex[][] cases =
        {
            new TensorIndex[] { 1 }, new TensorIndex[] { ^1, 1.. }, new TensorIndex[] { .., ..^1, 2 }, new TensorIndex[] { TensorIndex.NewAxis, .., 0 },
            new TensorIndex[] { TensorIndex.Ellipsis, 1..3 }, new TensorIndex[] { 0..1, ^2..^1, .. }, new TensorIndex[] { 5.. }, new TensorIndex[] { ..^5 },
        };
        foreach (var indices in cases)
        {
            var spec = StaticFlow.Operations.SliceSpec.From([.. indices.Select(i => i.Item)], out _)!;
            var graph = GraphImporter.Import(Graph(
                Const("x", x.Untyped),
                Const("begin", Tensor.FromArray(spec.Begin.Select(v => (int)v).ToArray(), spec.Begin.Length)),
                Const("end", Tensor.FromArray(spec.End.Select(v => (int)v).ToArray(), spec.End.Length)),
                Const("strides", Tensor.FromArray(spec.Strides.Select(v => (int)v).ToArray(), spec.Strides.Length)),
                Node("slice", "StridedSlice", ["x", "begin", "end", "strides"], ("T", Type(DType.Int32)), ("Index", Type(DType.Int32)),
                    ("begin_mask", Int(spec.BeginMask)), ("end_mask", Int(spec.EndMask)), ("ellipsis_mask", Int(spec.EllipsisMask)),
                    ("new_axis_mask", Int(spec.NewAxisMask)), ("shrink_axis_mask", Int(spec.ShrinkAxisMask)))));
            var inferred = graph.Nodes.Single(n => n.Name == "slice").OutputShapes[0];
            var actual = x[indices].Shape;
            Assert.True(inferred.IsFullyDefined, $"{inferred} for case {Array.IndexOf(cases, indices)}");
            Assert.Equal(actual, inferred);
            Assert.Equal(actual, new StaticFlow.Execution.GraphSession(graph).Run(new Dictionary<string, Tensor>(), ["slice:0"])[0].Shape);
        }
    }

    [Fact]
    public void SelectCastAndComparisons()
    {
        var cond = Tensor.Vector(true, false, true);
        Assert.Equal([1f, 20f, 3f], RunOne("Select", [cond, Tensor.Vector(1f, 2f, 3f), Tensor.Vector(10f, 20f, 30f)], F32).ToArray<float>());
        var rows = RunOne("Select", [Tensor.Vector(true, false), Tensor.FromArray<float>([1, 2, 3, 4], 2, 2), Tensor.FromArray<float>([5, 6, 7, 8], 2, 2)], F32);
        Assert.Equal([1f, 2f, 7f, 8f], rows.ToArray<float>());
        Assert.Equal([1f, 10f], RunOne("SelectV2", [Tensor.FromArray<bool>([true, false], 2), Tensor.Scalar(1f), Tensor.Scalar(10f)], F32).ToArray<float>());
        Assert.Equal([2, -2, 0], RunOne("Cast", [Tensor.Vector(2.9f, -2.9f, 0.1f)], ("SrcT", Type(DType.Float32)), ("DstT", Type(DType.Int32))).ToArray<int>());
        Assert.Equal([true, false], RunOne("Cast", [Tensor.Vector(3, 0)], ("SrcT", Type(DType.Int32)), ("DstT", Type(DType.Bool))).ToArray<bool>());
        Assert.Equal([true, false, false], RunOne("Less", [Tensor.Vector(1f, 2f, 3f), Tensor.Scalar(2f)], F32).ToArray<bool>());
        Assert.Equal([false, true], RunOne("IsNan", [Tensor.Vector(1f, float.NaN)], F32).ToArray<bool>());
        Assert.Equal([false, true], RunOne("LogicalAnd", [Tensor.Vector(true, true), Tensor.Vector(false, true)]).ToArray<bool>());
    }

    [Fact]
    public void BiasAddAndAddN()
    {
        Assert.Equal([11f, 22f, 13f, 24f], RunOne("BiasAdd", [Tensor.FromArray<float>([1, 2, 3, 4], 2, 2), Tensor.Vector(10f, 20f)], F32).ToArray<float>());
        Assert.Equal([11f, 12f, 23f, 24f], RunOne("BiasAdd", [Tensor.FromArray<float>([1, 2, 3, 4], 1, 2, 2), Tensor.Vector(10f, 20f)], F32, ("data_format", Str("NCHW"))).ToArray<float>());
        Assert.Equal([6f, 9f], RunOp("AddN", [Tensor.Vector(1f, 2f), Tensor.Vector(2f, 3f), Tensor.Vector(3f, 4f)], 1, F32, ("N", Int(3)))[0].ToArray<float>());
    }

    [Fact]
    public void MissingKernelNamesTheOpAndDType()
    {
        var e = Assert.Throws<KernelNotFoundException>(() => RunOne("Exp", [Tensor.Vector(1, 2)], ("T", Type(DType.Int32))));
        Assert.Equal("Exp", e.Op);
        Assert.Contains("int32", e.Message);
    }

    private static float[] Random(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => random.NextSingle() * 2 - 1)];

    private static double[] ReferenceBroadcast(Tensor a, Tensor b, long[] shape, Func<double, double, double> f)
    {
        long count = new TensorShape(shape).ElementCount;
        var result = new double[count];
        var index = new long[shape.Length];
        for (long i = 0; i < count; i++)
        {
            long ia = 0, ib = 0, sa = 1, sb = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                int da = d - (shape.Length - a.Shape.Rank), db = d - (shape.Length - b.Shape.Rank);
                if (da >= 0) { ia += (a.Shape[da] == 1 ? 0 : index[d]) * sa; sa *= a.Shape[da]; }
                if (db >= 0) { ib += (b.Shape[db] == 1 ? 0 : index[d]) * sb; sb *= b.Shape[db]; }
            }
            result[i] = f(a.GetDouble(ia), b.GetDouble(ib));
            for (int d = shape.Length - 1; d >= 0 && ++index[d] >= shape[d]; d--) index[d] = 0;
        }
        return result;
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));
        public int GetHashCode(float obj) => 0;
    }
}
