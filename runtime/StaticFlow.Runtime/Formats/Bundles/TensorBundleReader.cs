using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Microsoft.Win32.SafeHandles;
using StaticFlow.Formats.Hashing;
using StaticFlow.Formats.Tables;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Formats.Bundles;

/// <summary>Name, dtype and shape of one tensor in a bundle (what <c>tf.train.list_variables</c> shows).</summary>
/// <param name="Name">The key in the bundle.</param>
/// <param name="DataType">TensorFlow's dtype, which may be one StaticFlow tensors cannot hold.</param>
/// <param name="Shape">The stored shape.</param>
public sealed record BundleTensorInfo(string Name, DataType DataType, TensorShape Shape)
{
    /// <summary>TensorFlow's short name of <see cref="DataType"/> (<c>float32</c>, ...), or the proto name when unsupported.</summary>
    public string DTypeName => DTypes.DisplayName(DataType);
}

/// <summary>
/// Reads a TensorFlow tensor bundle (checkpoint V2): <c>PREFIX.index</c> and its
/// <c>PREFIX.data-NNNNN-of-NNNNN</c> shards, as tensorflow/core/util/tensor_bundle/tensor_bundle.cc writes them.
/// </summary>
/// <remarks>
/// The index is read and every block checksum verified at open. Reading a tensor reads only that tensor's
/// bytes from its shard, straight into the tensor's storage, and checks their CRC32C. Instances are safe
/// for concurrent reads.
/// </remarks>
public sealed class TensorBundleReader : IDisposable
{
    /// <summary>The bundle format version this reader implements (<c>kTensorBundleVersion</c>).</summary>
    public const int FormatVersion = 1;

    private const int ChecksumChunkBytes = 512 * 1024;

    private readonly SortedDictionary<string, BundleEntryProto> _entries;
    private readonly SafeFileHandle?[] _shards;
    private readonly bool _bigEndian;

    private TensorBundleReader(string prefix, BundleHeaderProto header, SortedDictionary<string, BundleEntryProto> entries)
    {
        Prefix = prefix;
        Header = header;
        _entries = entries;
        _shards = new SafeFileHandle?[header.NumShards];
        _bigEndian = header.Endianness == BundleHeaderProto.Types.Endianness.Big;
    }

    /// <summary>The bundle's prefix (paths without <c>.index</c>).</summary>
    public string Prefix { get; }

    /// <summary>The header stored under the empty key.</summary>
    public BundleHeaderProto Header { get; }

    /// <summary>The names of all tensors, in the index's (bytewise) order.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    /// <summary>Every tensor's name, dtype and shape, sorted by name.</summary>
    public IReadOnlyList<BundleTensorInfo> List() =>
        [.. _entries.Select(e => new BundleTensorInfo(e.Key, e.Value.Dtype, ShapeOf(e.Key, e.Value)))];

    /// <summary>True when the bundle holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The raw index entry of a tensor (dtype, shape, shard, offset, size, CRC).</summary>
    public BundleEntryProto GetEntry(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry : throw NotFound(name);

    /// <summary>Opens the bundle at <paramref name="prefix"/> and verifies its index.</summary>
    /// <exception cref="StaticFlowFormatException">The index is missing, corrupt, or from an incompatible writer.</exception>
    public static TensorBundleReader Open(string prefix)
    {
        string indexPath = BundleFiles.IndexPath(prefix);
        if (!File.Exists(indexPath))
            throw new StaticFlowFormatException(indexPath, "no such tensor bundle index (is the checkpoint prefix right?)");
        var table = TableReader.Open(indexPath);

        BundleHeaderProto? header = null;
        var entries = new SortedDictionary<string, BundleEntryProto>(StringComparer.Ordinal);
        foreach (var (keyBytes, value) in table.Entries)
        {
            if (keyBytes.Length == 0)
            {
                header = ParseProto(BundleHeaderProto.Parser, value, indexPath, "the bundle header");
                continue;
            }
            string key = DecodeKey(keyBytes, indexPath);
            entries.Add(key, ParseProto(BundleEntryProto.Parser, value, indexPath, $"the entry of '{key}'"));
        }
        if (header is null) throw new StaticFlowFormatException(indexPath, "the index has no bundle header (empty key); it is not a tensor bundle");
        CheckHeader(indexPath, header);
        foreach (var (name, entry) in entries)
        {
            if (entry.ShardId < 0 || entry.ShardId >= header.NumShards)
                throw new StaticFlowFormatException(indexPath, $"tensor '{name}' names shard {entry.ShardId} of a bundle with {header.NumShards} shards");
            if (entry.Offset < 0 || entry.Size < 0)
                throw new StaticFlowFormatException(indexPath, $"tensor '{name}' has a negative offset or size");
        }
        return new TensorBundleReader(prefix, header, entries);
    }

    /// <summary>Reads a tensor by name, touching only its bytes, and verifies its CRC32C.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="StaticFlowFormatException">The data is missing, truncated or corrupt.</exception>
    /// <exception cref="NotSupportedException">The tensor is partitioned (slices) or of an unsupported dtype.</exception>
    public Tensor Read(string name)
    {
        BundleEntryProto entry = GetEntry(name);
        string dataPath = BundleFiles.DataPath(Prefix, entry.ShardId, Header.NumShards);
        if (entry.Slices.Count > 0)
            throw new NotSupportedException($"{dataPath}: tensor '{name}' is partitioned into {entry.Slices.Count} slices, which StaticFlow does not read yet.");
        DType dtype = DTypes.FromProto(entry.Dtype, $"{BundleFiles.IndexPath(Prefix)}: tensor '{name}'");
        TensorShape shape = ShapeOf(name, entry);
        if (!shape.TryGetElementCount(out long count))
            throw new StaticFlowFormatException(BundleFiles.IndexPath(Prefix), $"tensor '{name}' has shape {shape} whose element count overflows");

        SafeFileHandle shard = OpenShard(entry.ShardId, dataPath);
        long fileLength = RandomAccess.GetLength(shard);
        if (entry.Offset > fileLength || entry.Size > fileLength - entry.Offset)
            throw new StaticFlowFormatException(dataPath, $"tensor '{name}' (offset {entry.Offset}, {entry.Size} bytes) runs past the end of the {fileLength}-byte shard; the file is truncated");

        return dtype == DType.String
            ? ReadStrings(name, entry, shape, count, shard, dataPath)
            : ReadNumeric(name, entry, dtype, shape, count, shard, dataPath);
    }

    private Tensor ReadNumeric(string name, BundleEntryProto entry, DType dtype, TensorShape shape, long count, SafeFileHandle shard, string dataPath)
    {
        int elementSize = dtype.SizeOf();
        if (count > long.MaxValue / elementSize || count * elementSize != entry.Size)
            throw new StaticFlowFormatException(dataPath, $"tensor '{name}' of shape {shape} and dtype {dtype.Name()} needs {(count > long.MaxValue / elementSize ? "more than 2^63" : (count * elementSize).ToString())} bytes but its entry says {entry.Size}");
        if (!Tensor.FitsInStorage(count, dtype))
            throw new StaticFlowFormatException(dataPath, $"tensor '{name}' ({entry.Size} bytes) is larger than the largest tensor this runtime allocates");

        var tensor = Tensor.Uninitialized(dtype, shape);
        Span<byte> bytes = tensor.AsBytes();
        // Checksum each chunk right after reading it, while it is still in the CPU cache.
        uint crc = 0;
        for (int done = 0; done < bytes.Length; done += ChecksumChunkBytes)
        {
            Span<byte> chunk = bytes.Slice(done, Math.Min(ChecksumChunkBytes, bytes.Length - done));
            ReadExactly(shard, chunk, entry.Offset + done, dataPath, name);
            crc = Crc32C.Extend(crc, chunk);
        }
        VerifyCrc(crc, entry, dataPath, name);
        if (_bigEndian) ReverseEndianness(bytes, elementSize);
        return tensor;
    }

    private Tensor ReadStrings(string name, BundleEntryProto entry, TensorShape shape, long count, SafeFileHandle shard, string dataPath)
    {
        // Every string costs at least one varint byte, so the element count is bounded by the stored size.
        if (count > entry.Size || entry.Size > Tensor.MaxStorageBytes)
            throw new StaticFlowFormatException(dataPath, $"string tensor '{name}' of shape {shape} cannot fit in its {entry.Size} stored bytes");
        byte[] raw = GC.AllocateUninitializedArray<byte>((int)entry.Size);
        ReadExactly(shard, raw, entry.Offset, dataPath, name);

        var lengths = new ulong[count];
        int position = 0;
        uint crc = 0;
        Span<byte> lengthBytes = stackalloc byte[8];
        for (long i = 0; i < count; i++)
        {
            if (!Varint.TryRead(raw, ref position, out lengths[i]))
                throw new StaticFlowFormatException(dataPath, $"string tensor '{name}': corrupt length of element {i}");
            ulong length = lengths[i];
            // TensorFlow checksums each length as a fixed-width little-endian integer, not as the varint.
            if (length <= uint.MaxValue)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(lengthBytes, (uint)length);
                crc = Crc32C.Extend(crc, lengthBytes[..4]);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, length);
                crc = Crc32C.Extend(crc, lengthBytes);
            }
        }
        if (raw.Length - position < 4)
            throw new StaticFlowFormatException(dataPath, $"string tensor '{name}' is truncated before its length checksum");
        uint storedLengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(position));
        if (Crc32C.Unmask(storedLengthCrc) != crc)
            throw new ChecksumMismatchException(dataPath, $"the string lengths of tensor '{name}'", Crc32C.Unmask(storedLengthCrc), crc);
        crc = Crc32C.Extend(crc, raw.AsSpan(position, 4));
        position += 4;
        int stringBytesStart = position;

        var strings = new byte[count][];
        for (long i = 0; i < count; i++)
        {
            if (lengths[i] > (ulong)(raw.Length - position))
                throw new StaticFlowFormatException(dataPath, $"string tensor '{name}': element {i} ({lengths[i]} bytes) runs past the tensor's stored bytes");
            strings[i] = raw.AsSpan(position, (int)lengths[i]).ToArray();
            position += (int)lengths[i];
        }
        if (position != raw.Length)
            throw new StaticFlowFormatException(dataPath, $"string tensor '{name}': {raw.Length - position} stray bytes after the last element");
        crc = Crc32C.Extend(crc, raw.AsSpan(stringBytesStart));
        VerifyCrc(crc, entry, dataPath, name);
        return Tensor.FromStrings(strings, [.. shape.Dims]);
    }

    /// <summary>Reads the bytes of a tensor exactly as stored, after checking their CRC (for copying bundles).</summary>
    public byte[] ReadRawBytes(string name)
    {
        BundleEntryProto entry = GetEntry(name);
        // A string tensor's CRC covers its lengths in fixed width, not the stored varints: verify by decoding.
        if (entry.Dtype == DataType.DtString) Read(name);
        string dataPath = BundleFiles.DataPath(Prefix, entry.ShardId, Header.NumShards);
        SafeFileHandle shard = OpenShard(entry.ShardId, dataPath);
        if (entry.Offset > RandomAccess.GetLength(shard) - entry.Size || entry.Size > Tensor.MaxStorageBytes)
            throw new StaticFlowFormatException(dataPath, $"tensor '{name}' runs past the end of the shard; the file is truncated");
        byte[] raw = GC.AllocateUninitializedArray<byte>((int)entry.Size);
        ReadExactly(shard, raw, entry.Offset, dataPath, name);
        if (entry.Dtype != DataType.DtString) VerifyCrc(Crc32C.Compute(raw), entry, dataPath, name);
        return raw;
    }

    /// <summary>Closes the shard files.</summary>
    public void Dispose()
    {
        lock (_shards)
        {
            for (int i = 0; i < _shards.Length; i++)
            {
                _shards[i]?.Dispose();
                _shards[i] = null;
            }
        }
    }

    private SafeFileHandle OpenShard(int shard, string dataPath)
    {
        lock (_shards)
        {
            if (_shards[shard] is { } open) return open;
            try
            {
                return _shards[shard] = File.OpenHandle(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            }
            catch (FileNotFoundException e)
            {
                throw new StaticFlowFormatException(dataPath, "data shard is missing", e);
            }
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> destination, long offset, string dataPath, string name)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(file, destination, offset);
            if (read == 0) throw new StaticFlowFormatException(dataPath, $"tensor '{name}' is truncated");
            destination = destination[read..];
            offset += read;
        }
    }

    private static void VerifyCrc(uint actual, BundleEntryProto entry, string dataPath, string name)
    {
        uint expected = Crc32C.Unmask(entry.Crc32C);
        if (expected != actual) throw new ChecksumMismatchException(dataPath, $"the bytes of tensor '{name}'", expected, actual);
    }

    private static void ReverseEndianness(Span<byte> bytes, int elementSize)
    {
        if (elementSize == 1) return;
        for (int i = 0; i < bytes.Length; i += elementSize) bytes.Slice(i, elementSize).Reverse();
    }

    private TensorShape ShapeOf(string name, BundleEntryProto entry)
    {
        try { return TensorShape.FromProto(entry.Shape); }
        catch (FormatException e) { throw new StaticFlowFormatException(BundleFiles.IndexPath(Prefix), $"tensor '{name}': {e.Message}", e); }
    }

    private KeyNotFoundException NotFound(string name) =>
        new($"{BundleFiles.IndexPath(Prefix)}: no tensor named '{name}'. It holds: {string.Join(", ", _entries.Keys.Take(20))}{(_entries.Count > 20 ? ", ..." : "")}");

    private static void CheckHeader(string indexPath, BundleHeaderProto header)
    {
        if (header.NumShards <= 0 || header.NumShards > 100_000)
            throw new StaticFlowFormatException(indexPath, $"the bundle header declares {header.NumShards} shards");
        if ((int)header.Endianness is not (0 or 1))
            throw new StaticFlowFormatException(indexPath, $"unknown endianness {(int)header.Endianness} in the bundle header");
        var version = header.Version ?? new VersionDef();
        if (version.MinConsumer > FormatVersion)
            throw new StaticFlowFormatException(indexPath, $"the bundle needs a reader of version {version.MinConsumer} or newer; this reader is version {FormatVersion}");
        if (version.BadConsumers.Contains(FormatVersion))
            throw new StaticFlowFormatException(indexPath, $"the bundle's writer marks reader version {FormatVersion} as unable to read it");
    }

    private static string DecodeKey(byte[] key, string indexPath)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(key); }
        catch (DecoderFallbackException e) { throw new StaticFlowFormatException(indexPath, "a tensor name is not valid UTF-8", e); }
    }

    internal static T ParseProto<T>(MessageParser<T> parser, byte[] bytes, string path, string what) where T : IMessage<T>
    {
        try { return parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw new StaticFlowFormatException(path, $"{what} is not a valid protobuf: {e.Message}", e); }
    }
}
