using System.Buffers.Binary;
using StaticFlow.Formats.Hashing;
using StaticFlow.IO;

namespace StaticFlow.Formats.Records;

/// <summary>
/// Reads TFRecord framing, checking both CRCs of every record. A record cut off at the end of the file (a
/// writer still running, or killed) ends the reading quietly, as TensorBoard's reader does; damaged bytes
/// raise a <see cref="ChecksumMismatchException"/> naming the file and record.
/// </summary>
public static class RecordReader
{
    /// <summary>The largest record accepted, so a damaged length can never make us allocate gigabytes.</summary>
    public const long MaxRecordBytes = 1L << 30;

    /// <summary>Reads every complete record of <paramref name="path"/>.</summary>
    public static IEnumerable<byte[]> ReadAll(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        foreach (byte[] record in Read(stream, path)) yield return record;
    }

    /// <summary>Reads records from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static IEnumerable<byte[]> Read(Stream stream, string name)
    {
        byte[] header = new byte[RecordWriter.HeaderSize];
        byte[] footer = new byte[RecordWriter.FooterSize];
        for (long index = 0; ; index++)
        {
            if (!Fill(stream, header)) yield break;
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint lengthCrc = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
            uint actual = Crc32C.Compute(header.AsSpan(0, 8));
            if (lengthCrc != actual) throw new ChecksumMismatchException(name, $"the length of record {index}", lengthCrc, actual);
            if (length > MaxRecordBytes) throw new StaticFlowFormatException(name, $"record {index} claims {length} bytes");
            byte[] data = new byte[length];
            if (!Fill(stream, data) || !Fill(stream, footer)) yield break;
            uint dataCrc = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(footer));
            actual = Crc32C.Compute(data);
            if (dataCrc != actual) throw new ChecksumMismatchException(name, $"the data of record {index}", dataCrc, actual);
            yield return data;
        }
    }

    // False when the stream ends before the buffer is full (a truncated tail).
    private static bool Fill(Stream stream, byte[] buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = stream.Read(buffer, done, buffer.Length - done);
            if (read == 0) return false;
            done += read;
        }
        return true;
    }
}
