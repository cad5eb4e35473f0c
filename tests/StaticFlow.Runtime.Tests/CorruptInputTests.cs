using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.IO;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>Damaged files give typed errors naming the file, never a crash, a hang or a huge allocation.</summary>
public class CorruptInputTests
{
    // STATICFLOW_FUZZ_TRIALS raises the count for a longer local hunt; CI runs the default.
    private static readonly int Trials = int.TryParse(Environment.GetEnvironmentVariable("STATICFLOW_FUZZ_TRIALS"), out int t) ? t : 300;

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    [InlineData(TestData.HalfPlusThree)]
    public void RandomFlipsAndTruncationsOfTheIndexAreRejectedWithTypedErrors(string model)
    {
        string prefix = Path.Combine(TestData.CopyModel(model), "variables", "variables");
        byte[] original = File.ReadAllBytes(prefix + ".index");
        var random = new Random(model.GetHashCode(StringComparison.Ordinal));
        int detected = 0;
        for (int trial = 0; trial < Trials; trial++)
        {
            byte[] damaged = Damage(original, random, trial);
            File.WriteAllBytes(prefix + ".index", damaged);
            Exception? error = Record(() =>
            {
                using var reader = TensorBundleReader.Open(prefix);
                foreach (string name in reader.Names) reader.Read(name);
            });
            if (error is null) continue; // only bytes no checksum covers (footer padding) can change unnoticed
            detected++;
            // A damaged dtype field is a NotSupportedException; everything else is a format error. Both name the index.
            Assert.True(error is StaticFlowFormatException or NotSupportedException, $"untyped error: {error}");
            Assert.Contains(".index", error.Message);
        }
        // Every block is CRC-checked, so nearly all damage is caught.
        Assert.True(detected > Trials * 3 / 4, $"only {detected} of {Trials} damaged indexes were rejected");
    }

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    public void EveryFlippedByteOfTheDataShardIsDetected(string model)
    {
        string prefix = Path.Combine(TestData.CopyModel(model), "variables", "variables");
        string data = BundleFiles.DataPath(prefix, 0, 1);
        byte[] original = File.ReadAllBytes(data);
        for (int i = 0; i < original.Length; i++)
        {
            byte[] damaged = (byte[])original.Clone();
            damaged[i] ^= (byte)(1 << (i % 8));
            File.WriteAllBytes(data, damaged);
            using var reader = TensorBundleReader.Open(prefix);
            var error = Record(() => { foreach (string name in reader.Names) reader.Read(name); });
            var typed = Assert.IsAssignableFrom<StaticFlowFormatException>(error);
            Assert.Contains("data-00000-of-00001", typed.Message);
        }
    }

    [Fact]
    public void TruncatedDataShardIsReportedAsTruncated()
    {
        string prefix = Path.Combine(TestData.CopyModel(TestData.HalfPlusTwoTf1), "variables", "variables");
        string data = BundleFiles.DataPath(prefix, 0, 1);
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..10]);
        using var reader = TensorBundleReader.Open(prefix);
        var error = Assert.Throws<StaticFlowFormatException>(() => reader.Read("c2"));
        Assert.Contains("truncated", error.Message);
        Assert.Contains("'c2'", error.Message);
    }

    [Fact]
    public void AnEntryClaimingAHugeShapeFailsBeforeAllocating()
    {
        // Forge an index whose entry promises 2^40 floats backed by four bytes.
        string prefix = Path.Combine(TempDirectory.Create(), "forged");
        using (var writer = new TensorBundleWriter(prefix)) { writer.Add("x", Tensor.Scalar(1f)); writer.Finish(); }
        var entry = new Protos.BundleEntryProto { Dtype = Protos.DataType.DtFloat, Shape = new TensorShape(1 << 20, 1 << 20).ToProto(), Size = 4 };
        RewriteIndex(prefix, "x", entry);
        using var reader = TensorBundleReader.Open(prefix);
        var error = Assert.Throws<StaticFlowFormatException>(() => reader.Read("x"));
        Assert.Contains("needs", error.Message);

        // And one whose element count overflows 64 bits.
        entry.Shape = new TensorShape(long.MaxValue / 2, 4).ToProto();
        RewriteIndex(prefix, "x", entry);
        using var overflowing = TensorBundleReader.Open(prefix);
        Assert.Contains("overflows", Assert.Throws<StaticFlowFormatException>(() => overflowing.Read("x")).Message);
    }

    [Fact]
    public void UnknownDTypeIsNamed()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "forged");
        using (var writer = new TensorBundleWriter(prefix)) { writer.Add("x", Tensor.Scalar(1f)); writer.Finish(); }
        RewriteIndex(prefix, "x", new Protos.BundleEntryProto { Dtype = (Protos.DataType)77, Size = 4 });
        using var reader = TensorBundleReader.Open(prefix);
        var error = Assert.Throws<NotSupportedException>(() => reader.Read("x"));
        Assert.Contains("unknown (77)", error.Message);
        Assert.Contains("'x'", error.Message);
    }

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    public void RandomDamageToSavedModelPbNeverCrashes(string model)
    {
        string dir = TestData.CopyModel(model);
        string pb = Path.Combine(dir, "saved_model.pb");
        byte[] original = File.ReadAllBytes(pb);
        var random = new Random(5);
        for (int trial = 0; trial < Trials; trial++)
        {
            File.WriteAllBytes(pb, Damage(original, random, trial));
            var error = Record(() => SavedModelDirectory.Open(dir));
            if (error is not null) Assert.IsAssignableFrom<StaticFlowFormatException>(error);
        }
        File.WriteAllBytes(pb, [0xFF, 0xFF, 0xFF]);
        Assert.Contains("saved_model.pb", Assert.ThrowsAny<StaticFlowFormatException>(() => SavedModelDirectory.Open(dir)).Message);
    }

    [Fact]
    public void FrozenGraphDefGivenAsSavedModelSaysWhatItIs()
    {
        var model = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1));
        string frozen = Path.Combine(TempDirectory.Create(), "frozen.pb");
        GraphDefFile.Write(frozen, model.GetMetaGraph().GraphDef);

        var error = Assert.Throws<WrongFileKindException>(() => SavedModelDirectory.Open(frozen));
        Assert.Contains("frozen GraphDef", error.Message);
        Assert.Contains("GraphDefFile.Read", error.Message);
        Assert.Throws<WrongFileKindException>(() => SavedModelDirectory.Open(Path.GetDirectoryName(frozen)!));
        Assert.Equal(model.GetMetaGraph().GraphDef, GraphDefFile.Read(frozen));

        // A frozen graph renamed saved_model.pb is recognised too.
        string fakeDir = TempDirectory.Create();
        File.Copy(frozen, Path.Combine(fakeDir, "saved_model.pb"));
        Assert.Contains("frozen GraphDef", Assert.Throws<WrongFileKindException>(() => SavedModelDirectory.Open(fakeDir)).Message);
    }

    [Fact]
    public void SavedModelGivenAsGraphDefSaysWhatItIs()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        var error = Assert.Throws<WrongFileKindException>(() => GraphDefFile.Read(Path.Combine(dir, "saved_model.pb")));
        Assert.Contains("SavedModel", error.Message);
        Assert.Contains("SavedModelDirectory.Open", error.Message);
        Assert.Throws<WrongFileKindException>(() => GraphDefFile.Read(dir));
    }

    [Fact]
    public void CheckpointGivenAsSavedModelSaysWhatItIs()
    {
        string dir = TempDirectory.Create();
        new CheckpointManager(dir).Save(new Dictionary<string, Tensor> { ["v"] = Tensor.Scalar(1f) });
        Assert.Contains("checkpoint", Assert.Throws<WrongFileKindException>(() => SavedModelDirectory.Open(dir)).Message);
        Assert.Throws<WrongFileKindException>(() => CheckpointReader.Open(Path.Combine(TestData.CopyModel(TestData.HalfPlusTwoTf1), "saved_model.pb")));
    }

    private static byte[] Damage(byte[] original, Random random, int trial)
    {
        if (trial % 3 == 2) return original[..random.Next(original.Length)];
        byte[] damaged = (byte[])original.Clone();
        int flips = 1 + random.Next(3);
        for (int i = 0; i < flips; i++) damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
        return damaged;
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e;
        }
    }

    private static void RewriteIndex(string prefix, string name, Protos.BundleEntryProto entry)
    {
        using var stream = new MemoryStream();
        var table = new Formats.Tables.TableWriter(stream);
        table.Add([], Google.Protobuf.MessageExtensions.ToByteArray(new Protos.BundleHeaderProto { NumShards = 1, Version = new Protos.VersionDef { Producer = 1 } }));
        table.Add(System.Text.Encoding.UTF8.GetBytes(name), Google.Protobuf.MessageExtensions.ToByteArray(entry));
        table.Finish();
        File.WriteAllBytes(prefix + ".index", stream.ToArray());
    }
}

public class CorruptModelLoadTests
{
    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    public void LoadingDamagedSavedModelsGivesOnlyTypedErrors(string model)
    {
        string dir = TestData.CopyModel(model);
        string pb = Path.Combine(dir, "saved_model.pb");
        byte[] original = File.ReadAllBytes(pb);
        // STATICFLOW_FUZZ_TRIALS raises the count for a longer local hunt; CI runs the default.
        int trials = int.TryParse(Environment.GetEnvironmentVariable("STATICFLOW_FUZZ_TRIALS"), out int t) ? t : 150;
        var random = new Random(17 + trials);
        int loaded = 0, rejected = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            byte[] damaged = (byte[])original.Clone();
            for (int i = 0, flips = 1 + random.Next(4); i < flips; i++) damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            File.WriteAllBytes(pb, damaged);
            try
            {
                var bundle = SavedModelBundle.Load(dir);
                if (bundle.Signatures.TryGetValue("serving_default", out var signature) && signature.Inputs.Count == 1 && signature.Inputs[0].DataType == Protos.DataType.DtFloat)
                    signature.Run(new Dictionary<string, Tensor> { [signature.Inputs[0].Key] = Tensor.FromArray<float>([1], 1, 1) });
                loaded++;
            }
            catch (Exception e) when (e is StaticFlowFormatException or Graphs.GraphException or NotSupportedException or KeyNotFoundException)
            {
                rejected++;
            }
        }
        Assert.Equal(trials, loaded + rejected);
        Assert.True(rejected > 0);
    }
}
