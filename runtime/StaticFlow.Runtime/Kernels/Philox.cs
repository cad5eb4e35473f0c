using System.Runtime.CompilerServices;

namespace StaticFlow.Kernels;

/// <summary>
/// Philox-4x32-10 (Salmon et al., SC 2011), the counter-based generator behind every TensorFlow random op on CPU
/// (<c>tensorflow/core/lib/random/philox_random.h</c>): a 128-bit counter and a 64-bit key give four 32-bit
/// words per call, after which the counter advances by one.
/// </summary>
internal struct Philox
{
    private const uint W32A = 0x9E3779B9, W32B = 0xBB67AE85, M4x32A = 0xD2511F53, M4x32B = 0xCD9E8D57;

    private uint _c0, _c1, _c2, _c3;
    private readonly uint _k0, _k1;

    /// <summary>A generator at counter (c0 lowest word .. c3) under key (k0, k1).</summary>
    public Philox(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        (_c0, _c1, _c2, _c3) = (c0, c1, c2, c3);
        (_k0, _k1) = (k0, k1);
    }

    /// <summary>TensorFlow's <c>PhiloxRandom(seed_lo, seed_hi)</c>: the key from the first seed, the counter's high words from the second.</summary>
    public static Philox FromSeeds(ulong seed, ulong seed2) => new(0, 0, (uint)seed2, (uint)(seed2 >> 32), (uint)seed, (uint)(seed >> 32));

    /// <summary>
    /// The key and counter a stateless op derives from its two seeds: TensorFlow scrambles them with one Philox call
    /// under a fixed key (<c>GenerateKey</c> in <c>stateless_random_ops.cc</c>).
    /// </summary>
    public static Philox FromStatelessSeed(ulong seed0, ulong seed1)
    {
        var mixer = new Philox((uint)seed0, (uint)(seed0 >> 32), (uint)seed1, (uint)(seed1 >> 32), 0x3ec8f720, 0x02461e29);
        var (m0, m1, m2, m3) = mixer.Next();
        return new Philox(0, 0, m2, m3, m0, m1);
    }

    /// <summary>The 64-bit key (low word first) and 128-bit counter as TensorFlow's V2 stateless ops pass them.</summary>
    public (ulong Key, ulong Counter0, ulong Counter1) State =>
        (_k0 | (ulong)_k1 << 32, _c0 | (ulong)_c1 << 32, _c2 | (ulong)_c3 << 32);

    /// <summary>Four random words; the counter moves on by one.</summary>
    public (uint, uint, uint, uint) Next()
    {
        uint c0 = _c0, c1 = _c1, c2 = _c2, c3 = _c3, k0 = _k0, k1 = _k1;
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W32A; k1 += W32B; }
            ulong p0 = (ulong)M4x32A * c0, p1 = (ulong)M4x32B * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        Skip(1);
        return (c0, c1, c2, c3);
    }

    /// <summary>Moves the counter on by <paramref name="count"/> calls, carrying into the higher words.</summary>
    public void Skip(ulong count)
    {
        uint low = (uint)count, high = (uint)(count >> 32);
        _c0 += low;
        if (_c0 < low) high++;
        _c1 += high;
        if (_c1 < high && ++_c2 == 0) _c3++;
    }

    /// <summary>A float in [0, 1) from 23 random bits, as TensorFlow's <c>Uint32ToFloat</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(uint x) => BitConverter.Int32BitsToSingle((int)(127u << 23 | x & 0x7fffffu)) - 1f;

    /// <summary>A double in [0, 1) from 52 random bits, as TensorFlow's <c>Uint64ToDouble</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble(uint x0, uint x1) =>
        BitConverter.Int64BitsToDouble((long)(1023UL << 52 | (ulong)(x0 & 0xfffffu) << 32 | x1)) - 1.0;

    /// <summary>A half in [0, 1) from the low 10 bits, as TensorFlow's <c>Uint16ToHalf</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Half ToHalf(uint x) => (Half)((float)BitConverter.UInt16BitsToHalf((ushort)(15 << 10 | x & 0x3ffu)) - 1f);

    /// <summary>Two standard normal floats from two words (TensorFlow's <c>BoxMullerFloat</c>, in float precision).</summary>
    public static (float, float) BoxMuller(uint x0, uint x1)
    {
        float u1 = ToFloat(x0);
        if (u1 < 1.0e-7f) u1 = 1.0e-7f;
        float v1 = 2.0f * MathF.PI * ToFloat(x1);
        float u2 = MathF.Sqrt(-2.0f * MathF.Log(u1));
        var (sin, cos) = MathF.SinCos(v1);
        return (sin * u2, cos * u2);
    }

    /// <summary>Two standard normal doubles from four words (TensorFlow's <c>BoxMullerDouble</c>).</summary>
    public static (double, double) BoxMuller(uint x0, uint x1, uint x2, uint x3)
    {
        double u1 = ToDouble(x0, x1);
        if (u1 < 1.0e-7) u1 = 1.0e-7;
        double v1 = 2 * Math.PI * ToDouble(x2, x3);
        double u2 = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(v1);
        return (sin * u2, cos * u2);
    }
}
