using System.Buffers.Binary;
using StaticFlow.Formats.Hashing;

namespace StaticFlow.Formats.Tables;

/// <summary>How a <see cref="TableWriter"/> stores blocks.</summary>
public enum TableCompression
{
    /// <summary>Raw blocks: readable by every TensorFlow release.</summary>
    None,
    /// <summary>
    /// Snappy where it saves at least 12.5% (else raw), as TensorFlow 1.1 and later write bundle indexes
    /// (the shared TF 1.14 and 2.14 files have snappy data blocks; TF 1.0's are raw).
    /// </summary>
    Snappy,
}

/// <summary>
/// Writes a string-to-string table in the LevelDB SSTable format as TensorFlow's
/// <c>table::TableBuilder</c> does (no filter blocks, empty metaindex, no compression): the format of a
/// tensor bundle's <c>.index</c> file.
/// </summary>
public sealed class TableWriter
{
    private readonly Stream _output;
    private readonly int _blockSize;
    private readonly TableCompression _compression;
    private readonly BlockBuilder _dataBlock = new(TableFormat.DataBlockRestartInterval);
    private readonly BlockBuilder _indexBlock = new(restartInterval: 1);
    private byte[]? _lastKey;
    private BlockHandle? _pendingHandle;
    private ulong _offset;
    private bool _finished;

    /// <summary>Creates a writer over <paramref name="output"/>, which must be positioned at its start.</summary>
    public TableWriter(Stream output, int blockSize = TableFormat.DefaultBlockSize, TableCompression compression = TableCompression.None)
    {
        _output = output;
        _blockSize = blockSize;
        _compression = compression;
    }

    /// <summary>Adds an entry. Keys must be added in strictly increasing bytewise order.</summary>
    /// <exception cref="ArgumentException">The key is not greater than the previous one.</exception>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (_lastKey is not null && key.SequenceCompareTo(_lastKey) <= 0)
            throw new ArgumentException(
                $"Table keys must be strictly increasing: '{System.Text.Encoding.UTF8.GetString(key)}' follows '{System.Text.Encoding.UTF8.GetString(_lastKey)}'.",
                nameof(key));

        if (_pendingHandle is { } handle)
        {
            AddIndexEntry(ShortestSeparator(_lastKey!, key), handle);
            _pendingHandle = null;
        }
        _dataBlock.Add(key, value);
        _lastKey = key.ToArray();
        if (_dataBlock.EstimatedSize >= _blockSize) FlushDataBlock();
    }

    /// <summary>Writes the remaining blocks and the footer. The stream is left open.</summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        FlushDataBlock();
        _finished = true;

        BlockHandle metaIndex = WriteBlock(new BlockBuilder(TableFormat.DataBlockRestartInterval).Finish());
        if (_pendingHandle is { } handle)
        {
            AddIndexEntry(ShortSuccessor(_lastKey!), handle);
            _pendingHandle = null;
        }
        BlockHandle index = WriteBlock(_indexBlock.Finish());

        var footer = new List<byte>(TableFormat.FooterLength);
        metaIndex.EncodeTo(footer);
        index.EncodeTo(footer);
        while (footer.Count < 2 * BlockHandle.MaxEncodedLength) footer.Add(0);
        Span<byte> magic = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(magic, TableFormat.Magic);
        footer.AddRange(magic);
        _output.Write([.. footer]);
        _offset += (ulong)footer.Count;
    }

    private void FlushDataBlock()
    {
        if (_dataBlock.IsEmpty) return;
        _pendingHandle = WriteBlock(_dataBlock.Finish());
    }

    private void AddIndexEntry(byte[] separator, BlockHandle handle)
    {
        var encoded = new List<byte>(BlockHandle.MaxEncodedLength);
        handle.EncodeTo(encoded);
        _indexBlock.Add(separator, [.. encoded]);
    }

    private BlockHandle WriteBlock(byte[] contents)
    {
        byte type = TableFormat.NoCompression;
        if (_compression == TableCompression.Snappy)
        {
            byte[] compressed = Snappier.Snappy.CompressToArray(contents);
            // LevelDB's rule: keep the compressed form only when it saves at least an eighth.
            if (compressed.Length < contents.Length - contents.Length / 8)
            {
                contents = compressed;
                type = TableFormat.SnappyCompression;
            }
        }
        var handle = new BlockHandle(_offset, (ulong)contents.Length);
        Span<byte> trailer = stackalloc byte[TableFormat.BlockTrailerLength];
        trailer[0] = type;
        uint crc = Crc32C.Extend(Crc32C.Compute(contents), trailer[..1]);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(crc));
        _output.Write(contents);
        _output.Write(trailer);
        _offset += (ulong)(contents.Length + trailer.Length);
        return handle;
    }

    /// <summary>A short key k with start &lt;= k &lt; limit (LevelDB's bytewise FindShortestSeparator).</summary>
    internal static byte[] ShortestSeparator(ReadOnlySpan<byte> start, ReadOnlySpan<byte> limit)
    {
        int minLength = Math.Min(start.Length, limit.Length);
        int diff = 0;
        while (diff < minLength && start[diff] == limit[diff]) diff++;
        if (diff < minLength)
        {
            byte b = start[diff];
            if (b < 0xff && b + 1 < limit[diff])
            {
                byte[] shortened = start[..(diff + 1)].ToArray();
                shortened[diff]++;
                return shortened;
            }
        }
        return start.ToArray();
    }

    /// <summary>A short key k &gt;= key (LevelDB's bytewise FindShortSuccessor).</summary>
    internal static byte[] ShortSuccessor(ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] != 0xff)
            {
                byte[] successor = key[..(i + 1)].ToArray();
                successor[i]++;
                return successor;
            }
        }
        return key.ToArray();
    }
}
