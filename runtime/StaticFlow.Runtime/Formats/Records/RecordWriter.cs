using System.Buffers.Binary;
using StaticFlow.Formats.Hashing;

namespace StaticFlow.Formats.Records;

/// <summary>
/// Writes TFRecord framing (tensorflow/core/lib/io/record_writer.cc): for each record, the length as a
/// little-endian uint64, the masked CRC32C of those 8 bytes, the data, and the masked CRC32C of the data.
/// Event files and <c>.tfrecord</c> files both use it (uncompressed).
/// </summary>
public sealed class RecordWriter(Stream output)
{
    /// <summary>Length (8) plus its CRC (4).</summary>
    public const int HeaderSize = 12;

    /// <summary>The data CRC.</summary>
    public const int FooterSize = 4;

    /// <summary>Appends one record.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Compute(header[..8])));
        Span<byte> footer = stackalloc byte[FooterSize];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Compute(data)));
        output.Write(header);
        output.Write(data);
        output.Write(footer);
    }

    /// <summary>Flushes buffered records to the stream.</summary>
    public void Flush() => output.Flush();
}
