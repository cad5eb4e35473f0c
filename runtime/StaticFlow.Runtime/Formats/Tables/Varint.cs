namespace StaticFlow.Formats.Tables;

/// <summary>Little-endian base-128 varints as LevelDB and protobuf encode them, with bounds-checked decoding.</summary>
internal static class Varint
{
    public static void Write(Stream stream, ulong value)
    {
        Span<byte> buffer = stackalloc byte[10];
        stream.Write(buffer[..Encode(buffer, value)]);
    }

    public static void Write(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }

    public static int Encode(Span<byte> buffer, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[i++] = (byte)value;
        return i;
    }

    /// <summary>Decodes a varint of at most <paramref name="maxBytes"/> bytes at <paramref name="position"/>; false if it runs off the end or is too long.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, ref int position, out ulong value, int maxBytes = 10)
    {
        value = 0;
        for (int shift = 0, count = 0; count < maxBytes; shift += 7, count++)
        {
            if (position >= data.Length) return false;
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    public static bool TryRead32(ReadOnlySpan<byte> data, ref int position, out uint value)
    {
        bool ok = TryRead(data, ref position, out ulong wide, maxBytes: 5);
        value = (uint)wide;
        return ok && wide <= uint.MaxValue;
    }
}
