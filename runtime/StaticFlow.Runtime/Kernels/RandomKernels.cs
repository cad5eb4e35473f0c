using System.Security.Cryptography;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// TensorFlow's random ops on Philox-4x32-10, drawing the same bits in the same order as its CPU kernels
/// (<c>random_op.cc</c>, <c>stateless_random_ops.cc</c>, <c>stateless_random_ops_v2.cc</c>): stateful ops seeded by
/// their <c>seed</c>/<c>seed2</c> attrs (graph and op seed), stateless ops by a seed tensor or a key and counter.
/// </summary>
internal static class RandomKernels
{
    /// <summary>Philox calls a stateful kernel reserves per output element, and a truncated-normal group may use (TensorFlow's kReservedSamplesPerOutput).</summary>
    private const int ReservedSamplesPerOutput = 256;

    private enum Distribution { Uniform, Normal, TruncatedNormal, UniformInt }

    public static void Register(KernelRegistrar add)
    {
        // TensorFlow constrains these kernels on the output dtype, not on T (the shape's index type).
        DType[] integers = [DType.Int32, DType.Int64];
        add.Add("RandomUniform", KernelDTypes.Float, node => Stateful(node, Distribution.Uniform), dtypeAttr: "dtype");
        add.Add("RandomStandardNormal", KernelDTypes.Float, node => Stateful(node, Distribution.Normal), dtypeAttr: "dtype");
        add.Add("TruncatedNormal", KernelDTypes.Float, node => Stateful(node, Distribution.TruncatedNormal), dtypeAttr: "dtype");
        add.Add("RandomUniformInt", integers, node => Stateful(node, Distribution.UniformInt), dtypeAttr: "Tout");

        add.Add("StatelessRandomUniform", KernelDTypes.Float, node => Stateless(node, Distribution.Uniform, v2: false), dtypeAttr: "dtype");
        add.Add("StatelessRandomNormal", KernelDTypes.Float, node => Stateless(node, Distribution.Normal, v2: false), dtypeAttr: "dtype");
        add.Add("StatelessTruncatedNormal", KernelDTypes.Float, node => Stateless(node, Distribution.TruncatedNormal, v2: false), dtypeAttr: "dtype");
        add.Add("StatelessRandomUniformInt", integers, node => Stateless(node, Distribution.UniformInt, v2: false), dtypeAttr: "dtype");
        add.Add("StatelessRandomUniformV2", KernelDTypes.Float, node => Stateless(node, Distribution.Uniform, v2: true), dtypeAttr: "dtype");
        add.Add("StatelessRandomNormalV2", KernelDTypes.Float, node => Stateless(node, Distribution.Normal, v2: true), dtypeAttr: "dtype");
        add.Add("StatelessTruncatedNormalV2", KernelDTypes.Float, node => Stateless(node, Distribution.TruncatedNormal, v2: true), dtypeAttr: "dtype");
        add.Add("StatelessRandomUniformIntV2", integers, node => Stateless(node, Distribution.UniformInt, v2: true), dtypeAttr: "dtype");
        add.Add("StatelessRandomGetKeyCounter", _ => new DelegateKernel(c =>
        {
            var (key, counter0, counter1) = SeedGenerator(c, 0).State;
            c.SetOutput(0, Tensor.Vector(key));
            c.SetOutput(1, Tensor.Vector(counter0, counter1));
        }));
    }

    /// <summary>
    /// A stateful op keeps its generator across runs, as TensorFlow's kernel does: each run takes the stream where
    /// the last one left it and reserves 256 calls per element. Seeds (0, 0) mean fresh random seeds.
    /// </summary>
    private static IOpKernel Stateful(GraphNode node, Distribution distribution)
    {
        long seed = KernelHelpers.IntAttr(node, "seed"), seed2 = KernelHelpers.IntAttr(node, "seed2");
        if (seed == 0 && seed2 == 0)
        {
            seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
            seed2 = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
        }
        var generator = Philox.FromSeeds((ulong)seed, (ulong)seed2);
        var gate = new object();
        DType dtype = KernelHelpers.DTypeAttr(node, distribution == Distribution.UniformInt ? "Tout" : "dtype");
        return new DelegateKernel(c =>
        {
            TensorShape shape = ShapeInput(c, 0);
            Philox local;
            lock (gate)
            {
                local = generator;
                generator.Skip((ulong)shape.ElementCount * ReservedSamplesPerOutput);
            }
            c.SetOutput(0, distribution == Distribution.UniformInt ? UniformInt(c, local, dtype, shape, 1) : Fill(c, local, distribution, dtype, shape));
        });
    }

    private static IOpKernel Stateless(GraphNode node, Distribution distribution, bool v2)
    {
        DType dtype = KernelHelpers.DTypeAttr(node, "dtype");
        return new DelegateKernel(c =>
        {
            TensorShape shape = ShapeInput(c, 0);
            Philox generator = v2 ? KeyCounterGenerator(c) : SeedGenerator(c, 1);
            int bounds = v2 ? 4 : 2;
            c.SetOutput(0, distribution == Distribution.UniformInt ? UniformInt(c, generator, dtype, shape, bounds) : Fill(c, generator, distribution, dtype, shape));
        });
    }

    private static TensorShape ShapeInput(KernelContext c, int input)
    {
        long[] dims = c.ToLongs(input);
        if (dims.Any(d => d < 0)) throw c.Error($"shape [{string.Join(",", dims)}] holds a negative size");
        return new TensorShape(dims);
    }

    /// <summary>The generator of a V1 stateless op's seed input: two int32 or int64 values, scrambled.</summary>
    private static Philox SeedGenerator(KernelContext c, int input)
    {
        long[] seed = c.ToLongs(input);
        if (seed.Length != 2) throw c.Error($"seed must have 2 values, got {seed.Length}");
        return Philox.FromStatelessSeed((ulong)seed[0], (ulong)seed[1]);
    }

    /// <summary>The generator of a V2 stateless op: a uint64 key, a uint64[2] counter and the algorithm (1 Philox, 3 the device's default).</summary>
    private static Philox KeyCounterGenerator(KernelContext c)
    {
        Tensor key = c.Input(1), counter = c.Input(2);
        long[] alg = c.ToLongs(3);
        if (alg is not [1 or 3]) throw c.Error($"algorithm {string.Join(",", alg)} is not supported on CPU (1 Philox, 3 auto-select)");
        if (key.DType != DType.UInt64 || key.ElementCount != 1) throw c.Error($"key must be one uint64, got {key.DType.Name()} {key.Shape}");
        if (counter.DType != DType.UInt64 || counter.ElementCount < 2) throw c.Error($"counter must hold two uint64 for Philox, got {counter.DType.Name()} {counter.Shape}");
        ulong k = key.AsSpan<ulong>()[0], c0 = counter.AsSpan<ulong>()[0], c1 = counter.AsSpan<ulong>()[1];
        return new Philox((uint)c0, (uint)(c0 >> 32), (uint)c1, (uint)(c1 >> 32), (uint)k, (uint)(k >> 32));
    }

    /// <summary>Fills a float tensor: uniform and normal samples in the generator's order; truncated normal group by group.</summary>
    private static Tensor Fill(KernelContext c, Philox generator, Distribution distribution, DType dtype, TensorShape shape)
    {
        var output = Tensor.Zeros(dtype, shape);
        switch (dtype)
        {
            case DType.Float32:
                FillGroups(output.AsSpan<float>(), generator, distribution, 4, (ref Philox g, Span<float> group) =>
                {
                    if (distribution == Distribution.TruncatedNormal) { TruncatedFloats(ref g, group); return; }
                    var (x0, x1, x2, x3) = g.Next();
                    if (distribution == Distribution.Uniform)
                    {
                        Span<float> values = [Philox.ToFloat(x0), Philox.ToFloat(x1), Philox.ToFloat(x2), Philox.ToFloat(x3)];
                        values[..group.Length].CopyTo(group);
                        return;
                    }
                    var (a, b) = Philox.BoxMuller(x0, x1);
                    var (d, e) = Philox.BoxMuller(x2, x3);
                    Span<float> normals = [a, b, d, e];
                    normals[..group.Length].CopyTo(group);
                });
                break;
            case DType.Float16:
                if (distribution == Distribution.Uniform)
                {
                    var halves = output.AsSpan<Half>();
                    FillGroups(halves, generator, distribution, 4, (ref Philox g, Span<Half> group) =>
                    {
                        var (x0, x1, x2, x3) = g.Next();
                        Span<Half> values = [Philox.ToHalf(x0), Philox.ToHalf(x1), Philox.ToHalf(x2), Philox.ToHalf(x3)];
                        values[..group.Length].CopyTo(group);
                    });
                    break;
                }
                // Normal halves are float normals rounded, as TensorFlow computes them.
                var asFloat = Fill(c, generator, distribution, DType.Float32, shape).AsSpan<float>();
                var target = output.AsSpan<Half>();
                for (int i = 0; i < target.Length; i++) target[i] = (Half)asFloat[i];
                break;
            case DType.Float64:
                FillGroups(output.AsSpan<double>(), generator, distribution, 2, (ref Philox g, Span<double> group) =>
                {
                    if (distribution == Distribution.TruncatedNormal) { TruncatedDoubles(ref g, group); return; }
                    var (x0, x1, x2, x3) = g.Next();
                    var (first, second) = distribution == Distribution.Uniform ? (Philox.ToDouble(x0, x1), Philox.ToDouble(x2, x3)) : Philox.BoxMuller(x0, x1, x2, x3);
                    group[0] = first;
                    if (group.Length > 1) group[1] = second;
                });
                break;
            default:
                throw c.Error($"no kernel for dtype {dtype.Name()}");
        }
        return output;
    }

    private delegate void GroupFiller<T>(ref Philox generator, Span<T> group);

    /// <summary>
    /// Fills <paramref name="output"/> in groups of <paramref name="groupSize"/>. A fixed-cost distribution takes one
    /// Philox call per group in order; a truncated normal starts each group 256 calls per element after the last
    /// (TensorFlow's <c>FillPhiloxRandomTask</c>), so its output does not depend on how the work is split.
    /// </summary>
    private static void FillGroups<T>(Span<T> output, Philox generator, Distribution distribution, int groupSize, GroupFiller<T> fill)
    {
        bool variable = distribution == Distribution.TruncatedNormal;
        ulong skipPerGroup = (ulong)(groupSize * ReservedSamplesPerOutput / 4);
        Philox running = generator;
        for (int start = 0, group = 0; start < output.Length; start += groupSize, group++)
        {
            Span<T> slice = output.Slice(start, Math.Min(groupSize, output.Length - start));
            if (variable)
            {
                Philox local = generator;
                local.Skip((ulong)group * skipPerGroup);
                fill(ref local, slice);
            }
            else fill(ref running, slice);
        }
    }

    /// <summary>TensorFlow's truncated normal: Box-Muller pairs from single words, keeping values with |x| &lt; 2.</summary>
    private static void TruncatedFloats(ref Philox generator, Span<float> group)
    {
        var words = new SingleWords(generator);
        int index = 0;
        while (index < group.Length)
        {
            var (a, b) = Philox.BoxMuller(words.Next(), words.Next());
            if (MathF.Abs(a) < 2f) group[index++] = a;
            if (index < group.Length && MathF.Abs(b) < 2f) group[index++] = b;
        }
    }

    private static void TruncatedDoubles(ref Philox generator, Span<double> group)
    {
        var words = new SingleWords(generator);
        int index = 0;
        while (index < group.Length)
        {
            var (a, b) = Philox.BoxMuller(words.Next(), words.Next(), words.Next(), words.Next());
            if (Math.Abs(a) < 2) group[index++] = a;
            if (index < group.Length && Math.Abs(b) < 2) group[index++] = b;
        }
    }

    /// <summary>Philox's words one at a time (TensorFlow's <c>SingleSampleAdapter</c>).</summary>
    private sealed class SingleWords(Philox generator)
    {
        private Philox _generator = generator;
        private readonly uint[] _words = new uint[4];
        private int _used = 4;

        public uint Next()
        {
            if (_used == 4)
            {
                (_words[0], _words[1], _words[2], _words[3]) = _generator.Next();
                _used = 0;
            }
            return _words[_used++];
        }
    }

    /// <summary>Uniform integers in [minval, maxval): lo + bits mod range, one word per int32, two per int64.</summary>
    private static Tensor UniformInt(KernelContext c, Philox generator, DType dtype, TensorShape shape, int boundsInput)
    {
        long[] low = c.ToLongs(boundsInput), high = c.ToLongs(boundsInput + 1);
        if (low.Length != 1 || high.Length != 1) throw c.Error("minval and maxval must be scalars");
        if (low[0] >= high[0] && shape.ElementCount > 0) throw c.Error($"need minval < maxval, got {low[0]} >= {high[0]}");
        var output = Tensor.Zeros(dtype, shape);
        if (dtype == DType.Int32)
        {
            var values = output.AsSpan<int>();
            uint range = (uint)high[0] - (uint)low[0];
            for (int i = 0; i < values.Length; i += 4)
            {
                var (x0, x1, x2, x3) = generator.Next();
                uint[] words = [x0, x1, x2, x3];
                for (int j = 0; j < 4 && i + j < values.Length; j++) values[i + j] = (int)((uint)low[0] + words[j] % range);
            }
        }
        else if (dtype == DType.Int64)
        {
            var values = output.AsSpan<long>();
            ulong range = (ulong)high[0] - (ulong)low[0];
            for (int i = 0; i < values.Length; i += 2)
            {
                var (x0, x1, x2, x3) = generator.Next();
                values[i] = (long)((ulong)low[0] + (x0 | (ulong)x1 << 32) % range);
                if (i + 1 < values.Length) values[i + 1] = (long)((ulong)low[0] + (x2 | (ulong)x3 << 32) % range);
            }
        }
        else throw c.Error($"no kernel for dtype {dtype.Name()}");
        return output;
    }
}
