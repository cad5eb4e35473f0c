namespace StaticFlow.Formats.Tables;

/// <summary>Where a block lives in a table file: offset and size of its contents (the 5-byte trailer excluded).</summary>
internal readonly record struct BlockHandle(ulong Offset, ulong Size)
{
    public const int MaxEncodedLength = 20;

    public void EncodeTo(List<byte> output)
    {
        Varint.Write(output, Offset);
        Varint.Write(output, Size);
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, ref int position, out BlockHandle handle)
    {
        handle = default;
        if (!Varint.TryRead(data, ref position, out ulong offset) || !Varint.TryRead(data, ref position, out ulong size))
            return false;
        handle = new BlockHandle(offset, size);
        return true;
    }
}

/// <summary>Constants of TensorFlow's table format (tensorflow/core/lib/io/format.h, table_options.h).</summary>
internal static class TableFormat
{
    /// <summary>The last 8 bytes of every table file.</summary>
    public const ulong Magic = 0xdb4775248b80fb57UL;

    /// <summary>Two handles padded to 40 bytes, then the magic.</summary>
    public const int FooterLength = 2 * BlockHandle.MaxEncodedLength + 8;

    /// <summary>Compression type byte + masked CRC32C.</summary>
    public const int BlockTrailerLength = 5;

    public const int DefaultBlockSize = 256 * 1024;
    public const int DataBlockRestartInterval = 16;

    public const byte NoCompression = 0;
    public const byte SnappyCompression = 1;
}
