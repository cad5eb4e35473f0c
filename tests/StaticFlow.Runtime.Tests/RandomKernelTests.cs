using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Kernels;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// Philox-4x32-10 against Random123's published known answers, and TensorFlow's random ops against the guarantees
/// TensorFlow's own tests check: a stateless op given the inverse-Philox pre-seed of (seed, seed2) draws exactly
/// what the stateful op seeded with them draws on its first run, V2 ops given GetKeyCounter's key and counter
/// draw what V1 ops draw from the seed, and the distributions hold their ranges and moments.
/// </summary>
public class RandomKernelTests
{
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesRandom123sKnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3)
    {
        var philox = new Philox(c0, c1, c2, c3, k0, k1);
        Assert.Equal((r0, r1, r2, r3), philox.Next());
    }

    [Fact]
    public void SkippingCarriesIntoTheHigherCounterWords()
    {
        var philox = new Philox(0xffffffffu, 0xffffffffu, 0xffffffffu, 0, 7, 9);
        philox.Skip(1);
        Assert.Equal((7UL | 9UL << 32, 0UL, 1UL << 32), philox.State);
        var a = new Philox(5, 0, 0, 0, 1, 2);
        a.Skip(1UL << 32);
        Assert.Equal((1UL | 2UL << 32, 5UL | 1UL << 32, 0UL), a.State);
    }

    [Theory]
    [InlineData("RandomUniform", "StatelessRandomUniform", 7, 17)]
    [InlineData("RandomStandardNormal", "StatelessRandomNormal", 11, 5)]
    [InlineData("TruncatedNormal", "StatelessTruncatedNormal", 2, 3)]
    public void StatelessOnThePreSeedDrawsWhatTheStatefulOpDrawsFirst(string stateful, string stateless, long seed, long seed2)
    {
        foreach (DType dtype in new[] { DType.Float32, DType.Float64, DType.Float16 })
        {
            var shape = Tensor.Vector(3, 7);
            var first = RunOne(stateful, [shape], ("dtype", Type(dtype)), ("T", Type(DType.Int32)), ("seed", Int(seed)), ("seed2", Int(seed2)));
            (uint v0, uint v1, uint v2, uint v3) = InvertPhilox(0x3ec8f720, 0x02461e29, ((uint)seed, 0, (uint)seed2, 0));
            var preseed = Tensor.Vector((long)(v0 | (ulong)v1 << 32), (long)(v2 | (ulong)v3 << 32));
            var pure = RunOne(stateless, [shape, preseed], ("dtype", Type(dtype)), ("T", Type(DType.Int32)), ("Tseed", Type(DType.Int64)));
            Assert.Equal(first.Cast(DType.Float64).ToArray<double>(), pure.Cast(DType.Float64).ToArray<double>());
        }
    }

    [Fact]
    public void V2OpsOnGetKeyCountersOutputDrawWhatV1OpsDrawFromTheSeed()
    {
        var seed = Tensor.Vector(42L, 1234L);
        var keyCounter = RunOp("StatelessRandomGetKeyCounter", [seed], 2, ("Tseed", Type(DType.Int64)));
        var shape = Tensor.Vector(5, 3);
        foreach (var (v1, v2) in new[] { ("StatelessRandomUniform", "StatelessRandomUniformV2"), ("StatelessRandomNormal", "StatelessRandomNormalV2"), ("StatelessTruncatedNormal", "StatelessTruncatedNormalV2") })
        {
            var fromSeed = RunOne(v1, [shape, seed], ("dtype", Type(DType.Float32)), ("T", Type(DType.Int32)), ("Tseed", Type(DType.Int64)));
            var fromKey = RunOne(v2, [shape, keyCounter[0], keyCounter[1], Tensor.Scalar(1)], ("dtype", Type(DType.Float32)), ("Tshape", Type(DType.Int32)));
            Assert.Equal(fromSeed.ToArray<float>(), fromKey.ToArray<float>());
        }
        var error = Assert.Throws<GraphException>(() => RunOne("StatelessRandomUniformV2", [shape, keyCounter[0], keyCounter[1], Tensor.Scalar(2)], ("dtype", Type(DType.Float32)), ("Tshape", Type(DType.Int32))));
        Assert.Contains("algorithm 2", error.Message);
    }

    [Fact]
    public void DistributionsHoldTheirRangesAndMoments()
    {
        var shape = Tensor.Vector(20000);
        (string, Protos.AttrValue)[] Seeded(DType dtype) => [("dtype", Type(dtype)), ("T", Type(DType.Int32)), ("seed", Int(1)), ("seed2", Int(2))];
        float[] uniform = RunOne("RandomUniform", [shape], Seeded(DType.Float32)).ToArray<float>();
        Assert.All(uniform, u => Assert.InRange(u, 0f, 0.99999994f));
        Assert.Equal(0.5, uniform.Average(), 2);
        double[] normal = RunOne("RandomStandardNormal", [shape], Seeded(DType.Float64)).ToArray<double>();
        Assert.Equal(0, normal.Average(), 1);
        Assert.Equal(1, Math.Sqrt(normal.Select(v => v * v).Average()), 1);
        float[] truncated = RunOne("TruncatedNormal", [shape], Seeded(DType.Float32)).ToArray<float>();
        Assert.All(truncated, t => Assert.InRange(t, -2f, 2f));
        // The standard deviation of a normal truncated at two deviations is 0.8796.
        Assert.Equal(0.88, Math.Sqrt(truncated.Select(v => (double)v * v).Average()), 1);
        Half[] halves = RunOne("RandomUniform", [Tensor.Vector(1000)], Seeded(DType.Float16)).ToArray<Half>();
        Assert.All(halves, h => Assert.InRange((float)h, 0f, 1f - 1f / 1024));

        var ints = RunOne("RandomUniformInt", [shape, Tensor.Scalar(-3), Tensor.Scalar(4)], ("Tout", Type(DType.Int32)), ("T", Type(DType.Int32)), ("seed", Int(3)), ("seed2", Int(4))).ToArray<int>();
        Assert.Equal(Enumerable.Range(-3, 7), ints.Distinct().Order());
        var longs = RunOne("RandomUniformInt", [Tensor.Vector(9), Tensor.Scalar(10L), Tensor.Scalar(12L)], ("Tout", Type(DType.Int64)), ("T", Type(DType.Int32)), ("seed", Int(3)), ("seed2", Int(4))).ToArray<long>();
        Assert.All(longs, v => Assert.InRange(v, 10L, 11L));
        var empty = Assert.Throws<GraphException>(() => RunOne("RandomUniformInt", [shape, Tensor.Scalar(4), Tensor.Scalar(4)], ("Tout", Type(DType.Int32)), ("T", Type(DType.Int32))));
        Assert.Contains("minval < maxval", empty.Message);
        var negative = Assert.Throws<GraphException>(() => RunOne("RandomUniform", [Tensor.Vector(2, -1)], Seeded(DType.Float32)));
        Assert.Equal("RandomUniform", negative.Op);
    }

    [Fact]
    public void StatelessIntegersStayInTheirRange()
    {
        var shape = Tensor.Vector(1000);
        var v1 = RunOne("StatelessRandomUniformInt", [shape, Tensor.Vector(1L, 2L), Tensor.Scalar(5L), Tensor.Scalar(9L)],
            ("dtype", Type(DType.Int64)), ("T", Type(DType.Int32)), ("Tseed", Type(DType.Int64))).ToArray<long>();
        Assert.Equal([5L, 6L, 7L, 8L], v1.Distinct().Order());
        var keyCounter = RunOp("StatelessRandomGetKeyCounter", [Tensor.Vector(1L, 2L)], 2, ("Tseed", Type(DType.Int64)));
        var v2 = RunOne("StatelessRandomUniformIntV2", [shape, keyCounter[0], keyCounter[1], Tensor.Scalar(1), Tensor.Scalar(5L), Tensor.Scalar(9L)],
            ("dtype", Type(DType.Int64)), ("Tshape", Type(DType.Int32))).ToArray<long>();
        Assert.Equal(v1, v2);
    }

    [Fact]
    public void AStatefulOpMovesOnFromRunToRunAndAStatelessOneDoesNot()
    {
        var session = new GraphSession(GraphImporter.Import(Graph(
            Const("shape", Tensor.Vector(4)),
            Node("stateful", "RandomUniform", ["shape"], ("dtype", Type(DType.Float32)), ("T", Type(DType.Int32)), ("seed", Int(5)), ("seed2", Int(6))),
            Const("seed", Tensor.Vector(5L, 6L)),
            Node("stateless", "StatelessRandomUniform", ["shape", "seed"], ("dtype", Type(DType.Float32)), ("T", Type(DType.Int32)), ("Tseed", Type(DType.Int64))))));
        float[] first = session.Run(null, ["stateful"])[0].ToArray<float>(), second = session.Run(null, ["stateful"])[0].ToArray<float>();
        Assert.NotEqual(first, second);
        Assert.Equal(session.Run(null, ["stateless"])[0].ToArray<float>(), session.Run(null, ["stateless"])[0].ToArray<float>());
        // The same seeds in a new session start the stream again.
        var again = new GraphSession(session.Graph);
        Assert.Equal(first, again.Run(null, ["stateful"])[0].ToArray<float>());
    }

    [Fact]
    public void OpsMethodsDrawTheSameValuesEagerly()
    {
        var eager = Ops.StatelessRandomNormal<float>([2, 3], [8, 9]).ToArray();
        var graph = RunOne("StatelessRandomNormal", [Tensor.Vector(2, 3), Tensor.Vector(8L, 9L)], ("dtype", Type(DType.Float32)), ("T", Type(DType.Int32)), ("Tseed", Type(DType.Int64)));
        Assert.Equal(graph.ToArray<float>(), eager);
        // As in TensorFlow's eager mode, the op's kernel is kept, so a second call with the same seeds goes on with the stream.
        Assert.NotEqual(Ops.RandomUniform<double>([3], seed: 1, seed2: 1).ToArray(), Ops.RandomUniform<double>([3], seed: 1, seed2: 1).ToArray());
    }

    [Fact]
    public void ATf1StyleModelWhoseMainOpDrawsRandomUniformLoadsAndRunsOnItsCheckpointWeights()
    {
        var f32 = ("dtype", Type(DType.Float32));
        // y = x·w + b + 0·sum(noise): noise is a local (reference) variable the checkpoint does not hold; only the
        // main op, which draws it with RandomUniform, makes it readable, as TensorFlow 1.x models initialize local state.
        var graph = Graph(
            Node("x", "Placeholder", null, f32, ("shape", Shape(-1, 2))),
            Node("w", "VarHandleOp", null, f32, ("shape", Shape(2, 1)), ("shared_name", Str("w"))),
            Node("b", "VarHandleOp", null, f32, ("shape", Shape(1)), ("shared_name", Str("b"))),
            Node("noise", "VariableV2", null, f32, ("shape", Shape(3))),
            Const("noise_shape", Tensor.Vector(3)),
            Node("noise/draw", "RandomUniform", ["noise_shape"], f32, ("T", Type(DType.Int32)), ("seed", Int(1)), ("seed2", Int(2))),
            Node("noise/assign", "Assign", ["noise", "noise/draw"], ("T", Type(DType.Float32))),
            Node("main_op", "NoOp", ["^noise/assign"]),
            Node("w/read", "ReadVariableOp", ["w"], f32),
            Node("b/read", "ReadVariableOp", ["b"], f32),
            Node("noise/read", "Identity", ["noise"], ("T", Type(DType.Float32))),
            Node("xw", "MatMul", ["x", "w/read"], ("T", Type(DType.Float32))),
            Node("xwb", "AddV2", ["xw", "b/read"], ("T", Type(DType.Float32))),
            Const("axis", Tensor.Vector(0)),
            Node("noise_sum", "Sum", ["noise/read", "axis"], ("T", Type(DType.Float32))),
            Const("zero", Tensor.Scalar(0f)),
            Node("silenced", "Mul", ["noise_sum", "zero"], ("T", Type(DType.Float32))),
            Node("y", "AddV2", ["xwb", "silenced"], ("T", Type(DType.Float32))));
        var variables = new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray<float>([2, -1], 2, 1), ["b"] = Tensor.Vector(0.5f) };
        string directory = SavedModels.SavedModelExporter.Export(Path.Combine(TempDirectory.Create(), "model"), graph, variables,
            [new SavedModels.SignatureSpec("serving_default", [new SavedModels.TensorSpec("x", "x:0", Protos.DataType.DtFloat, new TensorShape(-1, 2))],
                [new SavedModels.TensorSpec("y", "y:0", Protos.DataType.DtFloat, new TensorShape(-1, 1))])],
            new SavedModels.SavedModelExportOptions { MainOp = "main_op" });

        var model = SavedModels.SavedModelBundle.Load(directory);
        var y = model.GetSignature().Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1, 2, 3, 4], 2, 2) })["y"];
        Assert.Equal([2f * 1 - 1 * 2 + 0.5f, 2f * 3 - 1 * 4 + 0.5f], y.ToArray<float>());
        float[] noise = model.Session.Run(null, ["noise/read"])[0].ToArray<float>();
        Assert.All(noise, v => Assert.InRange(v, 0f, 1f));
    }

    /// <summary>The inverse of Philox-4x32-10 under a key (TensorFlow's <c>invert_philox</c> in <c>stateless_random_ops_test.py</c>).</summary>
    private static (uint, uint, uint, uint) InvertPhilox(uint key0, uint key1, (uint, uint, uint, uint) value)
    {
        var (x0, x1, x2, x3) = value;
        for (int n = 9; n >= 0; n--)
        {
            uint k0 = key0 + (uint)n * 0x9E3779B9u, k1 = key1 + (uint)n * 0xBB67AE85u;
            uint v0 = x3 * 0x991a7cdbu, v2 = x1 * 0x6d7cae67u;
            uint hi0 = (uint)((ulong)v0 * 0xD2511F53u >> 32), hi1 = (uint)((ulong)v2 * 0xCD9E8D57u >> 32);
            (x0, x1, x2, x3) = (v0, hi1 ^ x0 ^ k0, v2, hi0 ^ x2 ^ k1);
        }
        return (x0, x1, x2, x3);
    }
}
