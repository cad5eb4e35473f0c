using System.Buffers.Binary;
using StaticFlow.Formats.Hashing;
using StaticFlow.IO;

namespace StaticFlow.Formats.Records;

/// <summary>
/// Reads TFRecord framing, checking both CRCs of every record. A record cut off at the end of the file (a
/// writer still running, or killed) ends the reading, as TensorBoard's reader does, and is reported to the
/// caller's <c>truncated</c> callback with the byte it starts at; damaged bytes raise a
/// <see cref="ChecksumMismatchException"/> naming the file and record.
/// </summary>
public static class RecordReader
{
    /// <summary>The largest record accepted, so a damaged length can never make us allocate gigabytes.</summary>
    public const long MaxRecordBytes = 1L << 30;

    /// <summary>Reads every complete record of <paramref name="path"/>; <paramref name="truncated"/> hears of a record cut short at the end.</summary>
    public static IEnumerable<byte[]> ReadAll(string path, Action<RecordTruncation>? truncated = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16);
        foreach (byte[] record in Read(stream, path, truncated)) yield return record;
    }

    /// <summary>Reads records from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    /// <param name="stream">The records.</param>
    /// <param name="name">The file's name, for messages.</param>
    /// <param name="truncated">Called once if the stream ends inside a record, with where that record starts.</param>
    public static IEnumerable<byte[]> Read(Stream stream, string name, Action<RecordTruncation>? truncated = null)
    {
        byte[] header = new byte[RecordWriter.HeaderSize];
        byte[] footer = new byte[RecordWriter.FooterSize];
        long offset = 0;
        for (long index = 0; ; index++)
        {
            int got = Fill(stream, header);
            if (got == 0) yield break;
            if (got < header.Length)
            {
                truncated?.Invoke(new RecordTruncation(name, index, offset, offset + got));
                yield break;
            }
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            uint lengthCrc = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
            uint actual = Crc32C.Compute(header.AsSpan(0, 8));
            if (lengthCrc != actual) throw new ChecksumMismatchException(name, $"the length of record {index}", lengthCrc, actual);
            if (length > MaxRecordBytes) throw new StaticFlowFormatException(name, $"record {index} claims {length} bytes");
            // A length past the end of a file is a cut-off record: say so without allocating for it.
            if (stream.CanSeek && (long)length + footer.Length > stream.Length - stream.Position)
            {
                truncated?.Invoke(new RecordTruncation(name, index, offset, stream.Length));
                yield break;
            }
            byte[] data = new byte[length];
            int dataGot = Fill(stream, data), footerGot = dataGot == data.Length ? Fill(stream, footer) : 0;
            if (dataGot < data.Length || footerGot < footer.Length)
            {
                truncated?.Invoke(new RecordTruncation(name, index, offset, offset + header.Length + dataGot + footerGot));
                yield break;
            }
            offset += header.Length + data.Length + footer.Length;
            uint dataCrc = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(footer));
            actual = Crc32C.Compute(data);
            if (dataCrc != actual) throw new ChecksumMismatchException(name, $"the data of record {index}", dataCrc, actual);
            yield return data;
        }
    }

    // How many bytes were read: fewer than the buffer holds when the stream ends first (a truncated tail).
    private static int Fill(Stream stream, byte[] buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = stream.Read(buffer, done, buffer.Length - done);
            if (read == 0) break;
            done += read;
        }
        return done;
    }
}

/// <summary>A record file ends inside record <paramref name="Record"/>, which starts at byte <paramref name="Offset"/>.</summary>
/// <param name="File">The file (or stream name).</param>
/// <param name="Record">The index of the record cut short.</param>
/// <param name="Offset">The byte where that record starts: everything before it was read.</param>
/// <param name="Length">Where the data ends.</param>
public sealed record RecordTruncation(string File, long Record, long Offset, long Length)
{
    /// <inheritdoc/>
    public override string ToString() => $"{File} is truncated at byte {Length}: record {Record}, starting at byte {Offset}, is cut short";
}
