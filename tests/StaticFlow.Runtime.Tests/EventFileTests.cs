using System.Buffers.Binary;
using StaticFlow.Formats.Records;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;

namespace StaticFlow.Tests;

public class EventFileTests
{
    /// <summary>CRC-32C straight from its definition (bitwise, reflected polynomial 0x82F63B78), independent of ours.</summary>
    private static uint ReferenceCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        return ~crc;
    }

    private static uint ReferenceMask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xa282ead8;

    [Fact]
    public void RecordFramingMatchesBytesAssembledFromTheFormat()
    {
        byte[] payload = "brain.Event:2 and some more bytes"u8.ToArray();
        var expected = new List<byte>();
        byte[] length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)payload.Length);
        expected.AddRange(length);
        byte[] crc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, ReferenceMask(ReferenceCrc(length)));
        expected.AddRange(crc);
        expected.AddRange(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, ReferenceMask(ReferenceCrc(payload)));
        expected.AddRange(crc);

        using var stream = new MemoryStream();
        new RecordWriter(stream).Write(payload);
        Assert.Equal(expected, stream.ToArray());
        Assert.Equal([payload], RecordReader.Read(new MemoryStream(stream.ToArray()), "memory"));
    }

    [Fact]
    public void TheWriterProducesWhatTensorBoardReads()
    {
        string logdir = TempDirectory.Create();
        var graph = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf2)).GetMetaGraph().GraphDef;
        string file;
        using (var writer = new SummaryWriter(logdir))
        {
            file = writer.FilePath;
            writer.AddGraph(graph);
            writer.AddScalar("loss", 0.25f, step: 3);
            writer.AddHistogram("weights", [1, 2, 2, 3, 10], step: 3, buckets: 3);
        }
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\..+$", Path.GetFileName(file));
        Assert.Equal([file], EventFileReader.Files(logdir));

        var events = EventFileReader.Read(file).ToList();
        Assert.Equal(SummaryWriter.FileVersion, events[0].FileVersion);
        Assert.True(events[0].WallTime > 1.7e9);
        Assert.Equal(graph, GraphDef.Parser.ParseFrom(events[1].GraphDef));
        var scalar = events[2].Summary.Value[0];
        Assert.Equal(("loss", "scalars", 3L), (scalar.Tag, scalar.Metadata.PluginData.PluginName, events[2].Step));
        Assert.Equal(0.25f, Tensors.TensorProtos.FromProto(scalar.Tensor).AsSpan<float>()[0]);
        var histogram = Tensors.TensorProtos.FromProto(events[3].Summary.Value[0].Tensor);
        Assert.Equal(new Tensors.TensorShape(3, 3), histogram.Shape);
        Assert.Equal([1.0, 4, 4, 4, 7, 0, 7, 10, 1], histogram.ToArray<double>());
    }

    [Fact]
    public void DamagedRecordsAreRejectedAndATruncatedTailEndsQuietly()
    {
        string logdir = TempDirectory.Create();
        string file;
        using (var writer = new SummaryWriter(logdir))
        {
            file = writer.FilePath;
            writer.AddScalar("a", 1, 1);
        }
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..^3]);
        Assert.Single(EventFileReader.Read(file));

        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            File.WriteAllBytes(file, damaged);
            var error = Record(() => EventFileReader.Read(file).ToList());
            // Every byte is covered by a CRC, except that a damaged length may also read as a truncated tail.
            if (error is not null) Assert.IsAssignableFrom<StaticFlowFormatException>(error);
            else Assert.True(EventFileReader.Read(file).Count() < 2, $"flipping byte {i} went unnoticed");
        }
    }

    [Fact]
    public void TheToolWritesTheGraphOfASavedModelForTensorBoard()
    {
        string logdir = TempDirectory.Create();
        var (code, output, error) = CliRunner.Run("tensorboard", TestData.CopyModel(TestData.HalfPlusTwoTf2), "--logdir", logdir);
        Assert.True(code == 0, error);
        Assert.Contains("functions", output);
        var events = EventFileReader.Read(EventFileReader.Files(logdir).Single()).ToList();
        var graph = GraphDef.Parser.ParseFrom(events[1].GraphDef);
        Assert.Contains(graph.Node, n => n.Op == "StatefulPartitionedCall");
        Assert.NotEmpty(graph.Library.Function);
    }

    private static Exception? Record(Action action)
    {
        try { action(); return null; }
        catch (Exception e) { return e; }
    }
}

public class TruncatedEventFileTests
{
    [Fact]
    public void AGraphCutShortIsReportedWithTheByteWhereTheFileEnds()
    {
        string logdir = TempDirectory.Create();
        using (var writer = new Summaries.SummaryWriter(logdir))
            writer.AddGraph(G.Graph(G.Placeholder("x", Tensors.DType.Float32), G.Node("y", "Identity", ["x"], ("T", G.Type(Tensors.DType.Float32)))));
        string file = Summaries.EventFileReader.Files(logdir).Single();
        long full = new FileInfo(file).Length;
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(full - 5);

        var cut = new List<Formats.Records.RecordTruncation>();
        var events = Summaries.EventFileReader.Read(file, cut.Add).ToList();
        Assert.Single(events); // the file-version event; the graph's record is cut short
        var truncation = Assert.Single(cut);
        Assert.Equal(1, truncation.Record);
        Assert.Equal(full - 5, truncation.Length);

        var error = Assert.Throws<IO.StaticFlowFormatException>(() => Visualization.ViewerSource.Load(logdir));
        Assert.Contains($"truncated at byte {full - 5}", error.Message);
        Assert.Contains("record 1", error.Message);
    }

    [Fact]
    public void ARecordClaimingMoreBytesThanTheFileHoldsIsATruncationNotAnAllocation()
    {
        // A valid header (its CRC matches) announcing 900 MB, then nothing.
        byte[] header = new byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header, 900_000_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), Formats.Hashing.Crc32C.Mask(Formats.Hashing.Crc32C.Compute(header.AsSpan(0, 8))));
        string path = Path.Combine(TempDirectory.Create(), "events.out.tfevents.1");
        File.WriteAllBytes(path, header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var cut = new List<Formats.Records.RecordTruncation>();
        Assert.Empty(Formats.Records.RecordReader.ReadAll(path, cut.Add).ToList());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
        Assert.Equal(12, Assert.Single(cut).Length);
    }
}
