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

    /// <summary>The CRC32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Extends <paramref name="crc"/> (the CRC32C of earlier bytes) over <paramref name="data"/>.</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        if (Sse42.X64.IsSupported)
        {
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
