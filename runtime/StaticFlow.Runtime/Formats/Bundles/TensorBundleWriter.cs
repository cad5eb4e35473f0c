using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using StaticFlow.Formats.Hashing;
using StaticFlow.Formats.Tables;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Formats.Bundles;

/// <summary>
/// Writes a TensorFlow tensor bundle (<c>PREFIX.index</c> + <c>PREFIX.data-00000-of-00001</c>) that TensorFlow's
/// <c>BundleReader</c> reads, crash-safe even over an existing bundle at the same prefix.
/// </summary>
/// <remarks>
/// Files are written under temporary names and published only by <see cref="Finish"/>: data first, index last.
/// The rename of the index is the single commit point. A reader finds the data through the index's shard count
/// (<c>PREFIX.data-NNNNN-of-COUNT</c>), so when a bundle already lives at the prefix the new one is written with
/// another shard count (two shards, the second empty, as a sharded <c>tf.compat.v1.train.Saver</c> writes, then
/// one again): its data never replaces the files the old index points at. A crash at any moment leaves either
/// the old bundle or the new one whole; the data files of the bundle that lost are deleted after the switch,
/// and <see cref="DeleteStaleFiles"/> removes any that a crash left behind.
/// </remarks>
public sealed class TensorBundleWriter : IDisposable
{
    private readonly SortedDictionary<byte[], BundleEntryProto> _entries = new(ByteOrder.Instance);
    private readonly int _shardCount;
    private readonly string _dataTemp;
    private FileStream? _data;
    private long _offset;
    private bool _finished;

    private readonly TableCompression _indexCompression;

    /// <summary>Starts a bundle at <paramref name="prefix"/>, creating its directory if needed.</summary>
    /// <param name="prefix">The bundle prefix.</param>
    /// <param name="indexCompression">
    /// Snappy (the default) writes the index as TensorFlow 1.1 and later do, byte for byte; None writes an index
    /// that TensorFlow 1.0 can read too.
    /// </param>
    public TensorBundleWriter(string prefix, TableCompression indexCompression = TableCompression.Snappy)
    {
        Prefix = prefix;
        _indexCompression = indexCompression;
        string? directory = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (directory is not null) Directory.CreateDirectory(directory);
        _shardCount = ShardCountBesides(prefix);
        _dataTemp = AtomicFile.TemporaryPathFor(BundleFiles.DataPath(prefix, 0, _shardCount));
        _data = new FileStream(_dataTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
    }

    /// <summary>The bundle's prefix.</summary>
    public string Prefix { get; }

    /// <summary>Appends a tensor under <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty or was already added.</exception>
    public void Add(string name, Tensor tensor)
    {
        FileStream data = _data ?? throw new ObjectDisposedException(nameof(TensorBundleWriter));
        byte[] key = Encoding.UTF8.GetBytes(name);
        if (key.Length == 0) throw new ArgumentException("The empty name is reserved for the bundle header.", nameof(name));
        if (_entries.ContainsKey(key)) throw new ArgumentException($"Adding duplicate key '{name}' to bundle {Prefix}.", nameof(name));
        if (tensor.DType == DType.Variant) throw new ArgumentException($"Tensor '{name}' is a {tensor}, which exists only while a graph runs and cannot be saved.", nameof(tensor));

        var entry = new BundleEntryProto { Dtype = tensor.DType.ToProto(), Shape = tensor.Shape.ToProto(), Offset = _offset };
        uint crc;
        long size;
        if (tensor.DType == DType.String) (crc, size) = WriteStrings(data, tensor.Strings);
        else
        {
            ReadOnlySpan<byte> bytes = tensor.AsBytes();
            data.Write(bytes);
            crc = Crc32C.Compute(bytes);
            size = bytes.Length;
        }
        entry.Size = size;
        entry.Crc32C = Crc32C.Mask(crc);
        _offset += size;
        _entries.Add(key, entry);
    }

    /// <summary>The number of data shards this bundle is written with: 1, or 2 when replacing a one-shard bundle.</summary>
    public int ShardCount => _shardCount;

    /// <summary>
    /// Flushes the data to disk, publishes the data shards under names the current index does not use, then
    /// switches to the new bundle with one rename of the index, and deletes the replaced bundle's data.
    /// </summary>
    public void Finish()
    {
        FileStream data = _data ?? throw new ObjectDisposedException(nameof(TensorBundleWriter));
        data.Flush(flushToDisk: true);
        data.Dispose();
        _data = null;
        File.Move(_dataTemp, BundleFiles.DataPath(Prefix, 0, _shardCount), overwrite: true);
        for (int shard = 1; shard < _shardCount; shard++)
            AtomicFile.WriteAllBytes(BundleFiles.DataPath(Prefix, shard, _shardCount), []);

        AtomicFile.Write(BundleFiles.IndexPath(Prefix), stream =>
        {
            var table = new TableWriter(stream, compression: _indexCompression);
            var header = new BundleHeaderProto
            {
                NumShards = _shardCount,
                Endianness = BundleHeaderProto.Types.Endianness.Little,
                Version = new VersionDef { Producer = TensorBundleReader.FormatVersion },
            };
            table.Add([], header.ToByteArray());
            foreach (var (key, entry) in _entries) table.Add(key, entry.ToByteArray());
            table.Finish();
        });
        _finished = true;
        DeleteStaleFiles(Prefix);
    }

    /// <summary>
    /// Deletes the files at <paramref name="prefix"/> that its index does not use: data shards of another shard
    /// count and temporaries (<c>*.tempstate*</c>) that a crashed save left. Without a readable index, only
    /// temporaries are deleted. Returns how many files were deleted.
    /// </summary>
    public static int DeleteStaleFiles(string prefix)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (directory is null || !Directory.Exists(directory)) return 0;
        int? liveShards = ReadShardCount(prefix);
        string stem = Path.GetFileName(prefix);
        int deleted = 0;
        foreach (string file in Directory.EnumerateFiles(directory, stem + ".*"))
        {
            string rest = Path.GetFileName(file)[stem.Length..];
            bool stale = IsTemporary(rest)
                || (liveShards is int count && BundleFiles.TryParseDataSuffix(rest, out _, out int fileShards) && fileShards != count);
            if (stale && AtomicFile.TryDelete(file)) deleted++;
        }
        return deleted;
    }

    private static bool IsTemporary(string rest) =>
        (rest.StartsWith(".index.", StringComparison.Ordinal) || rest.StartsWith(".data-", StringComparison.Ordinal))
        && AtomicFile.IsTemporaryName(rest);

    /// <summary>The shard count for a new bundle at <paramref name="prefix"/>: one the current index does not use.</summary>
    private static int ShardCountBesides(string prefix) => ReadShardCount(prefix) == 1 ? 2 : 1;

    /// <summary>The shard count the index at <paramref name="prefix"/> declares, or null when there is no readable index.</summary>
    private static int? ReadShardCount(string prefix)
    {
        if (!File.Exists(BundleFiles.IndexPath(prefix))) return null;
        try
        {
            using var reader = TensorBundleReader.Open(prefix);
            return reader.Header.NumShards;
        }
        catch (Exception e) when (e is StaticFlowFormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Abandons an unfinished bundle, deleting its temporary files.</summary>
    public void Dispose()
    {
        _data?.Dispose();
        _data = null;
        if (!_finished) AtomicFile.TryDelete(_dataTemp);
    }

    /// <summary>
    /// TensorFlow's string layout: varint64 lengths, a masked CRC32C of the lengths (each as a fixed-width
    /// little-endian integer), then the bytes. The entry CRC covers lengths, that checksum and the bytes.
    /// </summary>
    private static (uint Crc, long Size) WriteStrings(Stream output, ReadOnlySpan<byte[]> strings)
    {
        uint crc = 0;
        long size = 0;
        Span<byte> buffer = stackalloc byte[10];
        foreach (byte[] s in strings)
        {
            int n = Varint.Encode(buffer, (ulong)s.Length);
            output.Write(buffer[..n]);
            size += n;
            BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)s.Length);
            crc = Crc32C.Extend(crc, buffer[..4]);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Crc32C.Mask(crc));
        output.Write(buffer[..4]);
        crc = Crc32C.Extend(crc, buffer[..4]);
        size += 4;
        foreach (byte[] s in strings)
        {
            output.Write(s);
            crc = Crc32C.Extend(crc, s);
            size += s.Length;
        }
        return (crc, size);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
