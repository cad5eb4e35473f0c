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
/// Writes a single-shard TensorFlow tensor bundle (<c>PREFIX.index</c> + <c>PREFIX.data-00000-of-00001</c>)
/// that TensorFlow's <c>BundleReader</c> reads. Files are written under temporary names and renamed only by
/// <see cref="Finish"/>: data first, index last, so an interrupted save never leaves a readable index
/// pointing at missing data.
/// </summary>
public sealed class TensorBundleWriter : IDisposable
{
    private readonly SortedDictionary<byte[], BundleEntryProto> _entries = new(ByteOrder.Instance);
    private readonly string _dataPath;
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
        _dataPath = BundleFiles.DataPath(prefix, 0, 1);
        _dataTemp = AtomicFile.TemporaryPathFor(_dataPath);
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

    /// <summary>Flushes the data to disk and publishes the data shard, then the index.</summary>
    public void Finish()
    {
        FileStream data = _data ?? throw new ObjectDisposedException(nameof(TensorBundleWriter));
        data.Flush(flushToDisk: true);
        data.Dispose();
        _data = null;
        File.Move(_dataTemp, _dataPath, overwrite: true);

        AtomicFile.Write(BundleFiles.IndexPath(Prefix), stream =>
        {
            var table = new TableWriter(stream, compression: _indexCompression);
            var header = new BundleHeaderProto
            {
                NumShards = 1,
                Endianness = BundleHeaderProto.Types.Endianness.Little,
                Version = new VersionDef { Producer = TensorBundleReader.FormatVersion },
            };
            table.Add([], header.ToByteArray());
            foreach (var (key, entry) in _entries) table.Add(key, entry.ToByteArray());
            table.Finish();
        });
        _finished = true;
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
