using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.Formats.Tables;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

public class BundleTests
{
    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    [InlineData(TestData.HalfPlusThree)]
    public void RealCheckpointRewrittenByOurWriterReadsBackIdenticallyWithAByteIdenticalIndex(string model)
    {
        string source = Path.Combine(TestData.CopyModel(model), "variables", "variables");
        string copy = Path.Combine(TempDirectory.Create(), "rewritten");
        using (var reader = TensorBundleReader.Open(source))
        {
            // TF 1.0 wrote raw index blocks; TF 1.14 and 2.14 snappy-compress them.
            using var writer = new TensorBundleWriter(copy, model == TestData.HalfPlusThree ? TableCompression.None : TableCompression.Snappy);
            // TensorFlow appends tensors to the data file in the order it saves them; adding in offset order
            // reproduces the same offsets.
            foreach (string name in reader.Names.OrderBy(n => reader.GetEntry(n).Offset)) writer.Add(name, reader.Read(name));
            writer.Finish();
        }
        using (var original = TensorBundleReader.Open(source))
        using (var rewritten = TensorBundleReader.Open(copy))
        {
            Assert.Equal(original.Names, rewritten.Names);
            foreach (string name in original.Names)
            {
                Assert.True(original.Read(name).ContentEquals(rewritten.Read(name)), name);
                Assert.Equal(original.GetEntry(name), rewritten.GetEntry(name));
            }
        }
        Assert.Equal(File.ReadAllBytes(source + ".data-00000-of-00001"), File.ReadAllBytes(copy + ".data-00000-of-00001"));
        Assert.Equal(File.ReadAllBytes(source + ".index"), File.ReadAllBytes(copy + ".index"));
    }

    [Fact]
    public void EveryDTypeAndEdgeShapeRoundTrips()
    {
        var random = new Random(11);
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensor.FromArray<float>([1.5f, -2f, float.NaN, float.PositiveInfinity, 0f, -0f], 2, 3),
            ["f64"] = Tensor.FromArray<double>([Math.PI, double.Epsilon], 2),
            ["f16"] = Tensor.FromArray<Half>([(Half)1.5, (Half)(-0.25)], 2),
            ["bf16"] = Tensor.FromArray<BFloat16>([(BFloat16)1.5f, (BFloat16)3f], 2, 1),
            ["i8"] = Tensor.FromArray<sbyte>([-128, 127], 2),
            ["i16"] = Tensor.FromArray<short>([-32768, 32767], 2),
            ["i32"] = Tensor.FromArray<int>([int.MinValue, int.MaxValue, 0], 3),
            ["i64"] = Tensor.FromArray<long>([long.MinValue, long.MaxValue], 2),
            ["u8"] = Tensor.FromArray<byte>([0, 255], 2),
            ["u16"] = Tensor.FromArray<ushort>([0, 65535], 2),
            ["u32"] = Tensor.FromArray<uint>([0, uint.MaxValue], 2),
            ["u64"] = Tensor.FromArray<ulong>([0, ulong.MaxValue], 2),
            ["bool"] = Tensor.FromArray<bool>([true, false, true], 3),
            ["scalar"] = Tensor.Scalar(42f),
            ["empty"] = Tensor.Zeros(DType.Float32, new TensorShape(0, 5)),
            ["strings"] = Tensor.FromStrings([[], "hello"u8.ToArray(), [0, 255, 10], new byte[300]], 2, 2),
            ["empty strings"] = Tensor.FromStrings([], 0),
            ["large"] = Tensor.FromArray<float>(Enumerable.Range(0, 100_003).Select(_ => random.NextSingle()).ToArray(), 100_003),
        };
        string prefix = Path.Combine(TempDirectory.Create(), "all");
        Checkpoint.Save(prefix, tensors, CheckpointKeyStyle.NameBased);
        using var reader = CheckpointReader.Open(prefix);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), reader.ListVariables().Select(v => v.Name));
        foreach (var (name, tensor) in tensors) Assert.True(tensor.ContentEquals(reader.Read(name)), name);
    }

    [Fact]
    public void ObjectBasedSaveWritesTheObjectGraphAndEscapedKeys()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "ckpt-1");
        Checkpoint.Save(prefix, new Dictionary<string, Tensor>
        {
            ["dense/kernel"] = Tensor.FromArray<float>([1, 2, 3, 4], 2, 2),
            ["dense/bias"] = Tensor.FromArray<float>([5, 6], 2),
            ["odd.name"] = Tensor.Scalar(7L),
        });
        using var reader = CheckpointReader.Open(prefix);
        Assert.True(reader.IsObjectBased);
        Assert.Equal(
            ["_CHECKPOINTABLE_OBJECT_GRAPH", "dense/bias/.ATTRIBUTES/VARIABLE_VALUE", "dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", "odd..name/.ATTRIBUTES/VARIABLE_VALUE"],
            reader.ListVariables().Select(v => v.Name));
        Assert.Equal([1f, 2f, 3f, 4f], reader.Read("dense/kernel").ToArray<float>());
        Assert.Equal(7L, reader.Read("odd.name").AsSpan<long>()[0]);
        var paths = reader.ObjectValues.Select(v => v.ObjectPath).Order(StringComparer.Ordinal);
        Assert.Equal(["dense/bias", "dense/kernel", "odd.name"], paths);
    }

    [Fact]
    public void DuplicateNamesAreRefusedAndAnAbandonedWriterLeavesNoFiles()
    {
        string dir = TempDirectory.Create();
        using (var writer = new TensorBundleWriter(Path.Combine(dir, "x")))
        {
            writer.Add("a", Tensor.Scalar(1f));
            Assert.Throws<ArgumentException>(() => writer.Add("a", Tensor.Scalar(2f)));
        }
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void ReadingOneTensorReadsOnlyItsBytes()
    {
        // A tensor whose bytes are intact reads even when another tensor's bytes are damaged.
        string prefix = Path.Combine(TempDirectory.Create(), "two");
        Checkpoint.Save(prefix, new Dictionary<string, Tensor> { ["a"] = Tensor.Vector(new float[1000]), ["b"] = Tensor.Scalar(3f) }, CheckpointKeyStyle.NameBased);
        string data = BundleFiles.DataPath(prefix, 0, 1);
        byte[] bytes = File.ReadAllBytes(data);
        bytes[10] ^= 0xFF;
        File.WriteAllBytes(data, bytes);
        using var reader = TensorBundleReader.Open(prefix);
        Assert.Equal(3f, reader.Read("b").AsSpan<float>()[0]);
        Assert.Throws<IO.ChecksumMismatchException>(() => reader.Read("a"));
    }

    [Fact]
    public void TableWithManyBlocksRoundTrips()
    {
        var entries = Enumerable.Range(0, 5000).Select(i => ($"key/{i:D6}/{new string('x', i % 37)}", $"value {i}")).OrderBy(e => e.Item1, StringComparer.Ordinal).ToList();
        using var stream = new MemoryStream();
        var writer = new TableWriter(stream, blockSize: 1024);
        foreach (var (k, v) in entries) writer.Add(System.Text.Encoding.UTF8.GetBytes(k), System.Text.Encoding.UTF8.GetBytes(v));
        writer.Finish();
        var table = TableReader.Parse("memory", stream.ToArray());
        Assert.Equal(entries.Count, table.Count);
        Assert.Equal(entries.Select(e => e.Item1), table.Entries.Select(e => System.Text.Encoding.UTF8.GetString(e.Key)));
        Assert.True(table.TryGet("key/004321/"u8.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(new string('x', 4321 % 37))).ToArray(), out byte[] value));
        Assert.Equal("value 4321", System.Text.Encoding.UTF8.GetString(value));
        Assert.False(table.TryGet("key/zzz"u8, out _));
    }

    [Theory]
    [InlineData("abc", "abd", "abc")]
    [InlineData("abc", "abz", "abd")]
    [InlineData("a", "abc", "a")]
    [InlineData("helloworld", "hellozoomer", "hellox")]
    public void ShortestSeparatorFollowsLevelDb(string start, string limit, string expected) =>
        Assert.Equal(expected, System.Text.Encoding.Latin1.GetString(TableWriter.ShortestSeparator(System.Text.Encoding.Latin1.GetBytes(start), System.Text.Encoding.Latin1.GetBytes(limit))));

    [Fact]
    public void ShortSuccessorFollowsLevelDb()
    {
        Assert.Equal("b"u8.ToArray(), TableWriter.ShortSuccessor("abc"u8));
        Assert.Equal(new byte[] { 0xff, 0x01 }, TableWriter.ShortSuccessor([0xff, 0x00, 0x05]));
        Assert.Equal(new byte[] { 0xff, 0xff }, TableWriter.ShortSuccessor([0xff, 0xff]));
    }
}

public class BigEndianBundleTests
{
    [Fact]
    public void ABigEndianBundleIsByteSwappedOnRead()
    {
        // Forge what a big-endian machine writes: header endianness BIG, element bytes reversed, CRC over the file bytes.
        string prefix = Path.Combine(TempDirectory.Create(), "big");
        byte[] data = [.. BitConverter.GetBytes(1.5f).Reverse(), .. BitConverter.GetBytes(-2f).Reverse()];
        File.WriteAllBytes(BundleFiles.DataPath(prefix, 0, 1), data);
        var header = new Protos.BundleHeaderProto { NumShards = 1, Endianness = Protos.BundleHeaderProto.Types.Endianness.Big, Version = new Protos.VersionDef { Producer = 1 } };
        var entry = new Protos.BundleEntryProto
        {
            Dtype = Protos.DataType.DtFloat, Shape = new TensorShape(2).ToProto(), Size = data.Length,
            Crc32C = Formats.Hashing.Crc32C.Mask(Formats.Hashing.Crc32C.Compute(data)),
        };
        using (var stream = File.Create(prefix + ".index"))
        {
            var table = new TableWriter(stream);
            table.Add([], Google.Protobuf.MessageExtensions.ToByteArray(header));
            table.Add("w"u8, Google.Protobuf.MessageExtensions.ToByteArray(entry));
            table.Finish();
        }
        using var reader = TensorBundleReader.Open(prefix);
        Assert.Equal([1.5f, -2f], reader.Read("w").ToArray<float>());
    }
}
