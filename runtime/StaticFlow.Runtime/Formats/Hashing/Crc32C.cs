using System.Buffers.Binary;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace StaticFlow.Formats.Hashing;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of TensorFlow's tables, tensor bundles and TFRecord files,
/// with TensorFlow's masking (tsl/lib/hash/crc32c.h).
/// </summary>
/// <remarks>
/// Uses the CPU's CRC32C instruction (SSE4.2 or ARMv8 CRC) where present, so checking every byte of a
/// large checkpoint costs far less than reading it.
/// </remarks>
public static class Crc32C
{
    private const uint Polynomial = 0x82F63B78; // reflected Castagnoli polynomial
    private const uint MaskDelta = 0xa282ead8;
    private static readonly uint[] Table = BuildTable();

    // The CRC instruction has a latency of three cycles but issues every cycle, so three independent
    // lanes over adjacent stretches of LaneBytes run about three times faster than one chain. The lanes
    // are joined by advancing a CRC state over LaneBytes zero bytes, a linear map on 32 bits that is
    // applied a byte at a time through four 256-entry tables.
    private const int LaneBytes = 4096;
    private static readonly uint[]? ShiftTables = Sse42.X64.IsSupported ? BuildShiftTables() : null;

    /// <summary>The CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Extends <paramref name="crc"/> (the CRC32C of earlier bytes) over <paramref name="data"/>.</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        if (Sse42.X64.IsSupported)
        {
            while (data.Length >= 3 * LaneBytes)
            {
                state = ThreeLanes(state, data[..(3 * LaneBytes)]);
                data = data[(3 * LaneBytes)..];
            }
            ulong wide = state;
            while (data.Length >= 8)
            {
                wide = Sse42.X64.Crc32(wide, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            state = (uint)wide;
            foreach (byte b in data) state = Sse42.Crc32(state, b);
        }
        else if (Crc32.Arm64.IsSupported)
        {
            while (data.Length >= 8)
            {
                state = Crc32.Arm64.ComputeCrc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
                data = data[8..];
            }
            foreach (byte b in data) state = Crc32.ComputeCrc32C(state, b);
        }
        else
        {
            foreach (byte b in data) state = Table[(state ^ b) & 0xFF] ^ (state >> 8);
        }
        return ~state;
    }

    /// <summary>
    /// TensorFlow's masked form of a CRC, stored wherever a CRC sits next to the data it covers
    /// (computing the CRC of a string that embeds CRCs is otherwise problematic).
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>Inverse of <see cref="Mask"/>.</summary>
    public static uint Unmask(uint masked)
    {
        uint rotated = masked - MaskDelta;
        return (rotated >> 17) | (rotated << 15);
    }

    private static uint ThreeLanes(uint state, ReadOnlySpan<byte> block)
    {
        ulong a = state, b = 0, c = 0;
        ref byte start = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(block);
        for (int i = 0; i < LaneBytes; i += 8)
        {
            a = Sse42.X64.Crc32(a, System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, i)));
            b = Sse42.X64.Crc32(b, System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, i + LaneBytes)));
            c = Sse42.X64.Crc32(c, System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ref System.Runtime.CompilerServices.Unsafe.Add(ref start, i + 2 * LaneBytes)));
        }
        return ShiftOverLane(ShiftOverLane((uint)a) ^ (uint)b) ^ (uint)c;
    }

    private static uint ShiftOverLane(uint state)
    {
        uint[] t = ShiftTables!;
        return t[state & 0xFF] ^ t[256 + ((state >> 8) & 0xFF)] ^ t[512 + ((state >> 16) & 0xFF)] ^ t[768 + (state >> 24)];
    }

    private static uint[] BuildShiftTables()
    {
        // Image of each single-bit state after LaneBytes zero bytes...
        Span<uint> basis = stackalloc uint[32];
        for (int bit = 0; bit < 32; bit++)
        {
            ulong s = 1u << bit;
            for (int i = 0; i < LaneBytes; i += 8) s = Sse42.X64.Crc32(s, 0UL);
            basis[bit] = (uint)s;
        }
        // ...combined by linearity into one table per state byte.
        var tables = new uint[4 * 256];
        for (int k = 0; k < 4; k++)
            for (int value = 0; value < 256; value++)
            {
                uint image = 0;
                for (int j = 0; j < 8; j++)
                    if ((value & (1 << j)) != 0) image ^= basis[k * 8 + j];
                tables[k * 256 + value] = image;
            }
        return tables;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ Polynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
