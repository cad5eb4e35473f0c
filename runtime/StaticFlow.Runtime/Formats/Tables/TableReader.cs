using System.Buffers.Binary;
using StaticFlow.Formats.Hashing;
using StaticFlow.IO;

namespace StaticFlow.Formats.Tables;

/// <summary>
/// Reads a LevelDB-format table (a tensor bundle's <c>.index</c>), verifying the footer magic and every
/// block's CRC32C. Any damage raises a <see cref="StaticFlowFormatException"/> naming the file.
/// </summary>
/// <remarks>
/// An index table holds one small entry per tensor, so the reader decodes all blocks up front: lookups
/// are then a binary search, and every checksum has been verified before any entry is trusted.
/// </remarks>
public sealed class TableReader
{
    /// <summary>The largest index file read (1 GiB, some ten million tensors).</summary>
    public const long MaxIndexBytes = 1L << 30;

    private readonly byte[][] _keys;
    private readonly byte[][] _values;

    private TableReader(string path, byte[][] keys, byte[][] values)
    {
        FilePath = path;
        _keys = keys;
        _values = values;
    }

    /// <summary>The file this table was read from.</summary>
    public string FilePath { get; }

    /// <summary>Number of entries.</summary>
    public int Count => _keys.Length;

    /// <summary>Entries in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Entries
    {
        get
        {
            for (int i = 0; i < _keys.Length; i++) yield return new(_keys[i], _values[i]);
        }
    }

    /// <summary>Finds the value stored under <paramref name="key"/>.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[] value)
    {
        int lo = 0, hi = _keys.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int cmp = _keys[mid].AsSpan().SequenceCompareTo(key);
            if (cmp == 0)
            {
                value = _values[mid];
                return true;
            }
            if (cmp < 0) lo = mid + 1; else hi = mid - 1;
        }
        value = [];
        return false;
    }

    /// <summary>Opens and fully verifies the table at <paramref name="path"/>.</summary>
    public static TableReader Open(string path)
    {
        byte[] file;
        try
        {
            // An index holds one small entry per tensor; anything near 2 GiB is not one.
            long length = new FileInfo(path).Length;
            if (length > MaxIndexBytes)
                throw new StaticFlowFormatException(path, $"{length} bytes is too large for a tensor bundle index (limit {MaxIndexBytes})");
            file = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new StaticFlowFormatException(path, "file not found", e);
        }
        return Parse(path, file);
    }

    /// <summary>Parses and verifies a table held in memory; <paramref name="path"/> names it in errors.</summary>
    public static TableReader Parse(string path, ReadOnlySpan<byte> file)
    {
        if (file.Length < TableFormat.FooterLength)
            throw new StaticFlowFormatException(path, $"truncated table: {file.Length} bytes is shorter than the {TableFormat.FooterLength}-byte footer");

        ReadOnlySpan<byte> footer = file[^TableFormat.FooterLength..];
        if (BinaryPrimitives.ReadUInt64LittleEndian(footer[^8..]) != TableFormat.Magic)
            throw new StaticFlowFormatException(path, "not an sstable (bad magic number in the footer); the file is truncated or is not a tensor bundle index");

        int position = 0;
        if (!BlockHandle.TryDecode(footer, ref position, out _) || !BlockHandle.TryDecode(footer, ref position, out BlockHandle indexHandle))
            throw new StaticFlowFormatException(path, "corrupt table footer (bad block handle)");

        var keys = new List<byte[]>();
        var values = new List<byte[]>();
        byte[] index = ReadBlock(path, file, indexHandle, "index block");
        foreach (var (_, handleBytes) in DecodeBlock(path, index, "index block"))
        {
            int p = 0;
            if (!BlockHandle.TryDecode(handleBytes, ref p, out BlockHandle dataHandle))
                throw new StaticFlowFormatException(path, "corrupt index entry (bad block handle)");
            byte[] block = ReadBlock(path, file, dataHandle, $"data block at offset {dataHandle.Offset}");
            foreach (var (key, value) in DecodeBlock(path, block, $"data block at offset {dataHandle.Offset}"))
            {
                if (keys.Count > 0 && keys[^1].AsSpan().SequenceCompareTo(key) >= 0)
                    throw new StaticFlowFormatException(path, "corrupt table: keys are not in increasing order");
                keys.Add(key);
                values.Add(value);
            }
        }
        return new TableReader(path, [.. keys], [.. values]);
    }

    private static byte[] ReadBlock(string path, ReadOnlySpan<byte> file, BlockHandle handle, string what)
    {
        ulong available = (ulong)(file.Length - TableFormat.FooterLength);
        if (handle.Offset > available || handle.Size > available - handle.Offset ||
            handle.Offset + handle.Size + TableFormat.BlockTrailerLength > available)
            throw new StaticFlowFormatException(path, $"truncated table: {what} (offset {handle.Offset}, size {handle.Size}) runs past the end of the file");

        ReadOnlySpan<byte> contents = file.Slice((int)handle.Offset, (int)handle.Size);
        byte type = file[(int)(handle.Offset + handle.Size)];
        uint stored = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(file[(int)(handle.Offset + handle.Size + 1)..]));
        uint actual = Crc32C.Extend(Crc32C.Compute(contents), [type]);
        if (stored != actual) throw new ChecksumMismatchException(path, $"{what} (block checksum mismatch)", stored, actual);

        return type switch
        {
            TableFormat.NoCompression => contents.ToArray(),
            TableFormat.SnappyCompression => Decompress(path, contents, what),
            _ => throw new StaticFlowFormatException(path, $"{what} has unknown compression type {type}"),
        };
    }

    private static byte[] Decompress(string path, ReadOnlySpan<byte> compressed, string what)
    {
        try
        {
            // Snappy expands at most ~21x; refuse lengths no real block could have before allocating.
            int length = Snappier.Snappy.GetUncompressedLength(compressed);
            if (length < 0 || (long)length > 32L * compressed.Length + 64)
                throw new StaticFlowFormatException(path, $"{what}: implausible snappy length {length}");
            byte[] output = new byte[length];
            int written = Snappier.Snappy.Decompress(compressed, output);
            return written == length ? output : output[..written];
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new StaticFlowFormatException(path, $"{what}: corrupt snappy data", e);
        }
    }

    private static List<(byte[] Key, byte[] Value)> DecodeBlock(string path, byte[] block, string what)
    {
        if (block.Length < sizeof(uint))
            throw new StaticFlowFormatException(path, $"{what} is too short to hold its restart count");
        uint restarts = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
        long restartBytes = (restarts + 1L) * sizeof(uint);
        if (restarts == 0 || restartBytes > block.Length)
            throw new StaticFlowFormatException(path, $"{what} has an impossible restart count {restarts}");
        int end = block.Length - (int)restartBytes;

        var entries = new List<(byte[], byte[])>();
        byte[] lastKey = [];
        int position = 0;
        while (position < end)
        {
            ReadOnlySpan<byte> span = block.AsSpan(0, end);
            if (!Varint.TryRead32(span, ref position, out uint shared) ||
                !Varint.TryRead32(span, ref position, out uint nonShared) ||
                !Varint.TryRead32(span, ref position, out uint valueLength) ||
                shared > lastKey.Length ||
                (long)nonShared + valueLength > end - position)
                throw new StaticFlowFormatException(path, $"corrupt entry in {what} at byte {position}");

            byte[] key = new byte[shared + nonShared];
            lastKey.AsSpan(0, (int)shared).CopyTo(key);
            span.Slice(position, (int)nonShared).CopyTo(key.AsSpan((int)shared));
            position += (int)nonShared;
            byte[] value = span.Slice(position, (int)valueLength).ToArray();
            position += (int)valueLength;
            entries.Add((key, value));
            lastKey = key;
        }
        return entries;
    }
}
