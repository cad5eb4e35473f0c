using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.Formats.Hashing;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

public class SavedModelTests
{
    [Fact]
    public void FingerprintMatchesTensorFlowsForTheHashesWeCompute()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        FingerprintDef tensorflows = SavedModelDirectory.Open(dir).Fingerprint!;
        FingerprintDef ours = SavedModelFingerprint.Compute(dir);
        Assert.Equal(tensorflows.SavedModelChecksum, ours.SavedModelChecksum);
        Assert.Equal(tensorflows.SignatureDefHash, ours.SignatureDefHash);
        Assert.Equal(tensorflows.CheckpointHash, ours.CheckpointHash);
        Assert.Equal(tensorflows.Version, ours.Version);
    }

    [Theory]
    [InlineData("", 0x9ae16a3b2f90404fUL)]
    public void FarmHashOfEmptyInputIsK2(string text, ulong expected) =>
        Assert.Equal(expected, FarmHash.Fingerprint64(System.Text.Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void ARealModelRewrittenByOurWriterOpensAlike()
    {
        var original = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1));
        string target = Path.Combine(TempDirectory.Create(), "export", "1");
        using var variables = CheckpointReader.Open(original.VariablesPrefix);
        SavedModelWriter.Write(target, original.Model, variables.ReadAll(), CheckpointKeyStyle.NameBased, new SavedModelWriteOptions
        {
            Assets = new Dictionary<string, string> { ["foo.txt"] = Path.Combine(original.AssetsDirectory, "foo.txt") },
        });

        var rewritten = SavedModelDirectory.Open(Path.GetDirectoryName(target)!);
        Assert.Equal(target, rewritten.Path);
        Assert.Equal(original.Model, rewritten.Model);
        Assert.Equal(File.ReadAllText(Path.Combine(original.AssetsDirectory, "foo.txt")), File.ReadAllText(Path.Combine(rewritten.AssetsDirectory, "foo.txt")));
        using var restored = CheckpointReader.Open(target);
        Assert.Equal(0.5f, restored.Read("a").AsSpan<float>()[0]);
        Assert.Equal(SavedModelFingerprint.Compute(target), rewritten.Fingerprint);
        Assert.Equal(FarmHash.Fingerprint64(File.ReadAllBytes(Path.Combine(target, "saved_model.pb"))), rewritten.Fingerprint!.SavedModelChecksum);
    }

    [Fact]
    public void WritingOverAnExistingModelNeedsOverwriteAndLeavesNoStagingFolders()
    {
        string parent = TempDirectory.Create();
        string target = Path.Combine(parent, "model");
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(new MetaGraphDef { MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { Tags = { "serve" } }, GraphDef = new GraphDef() });
        SavedModelWriter.Write(target, model, writeVariables: null);
        Assert.Throws<IOException>(() => SavedModelWriter.Write(target, model, writeVariables: null));
        model.MetaGraphs[0].MetaInfoDef.TensorflowVersion = "2.14.0";
        SavedModelWriter.Write(target, model, writeVariables: null, new SavedModelWriteOptions { Overwrite = true, AsText = true });
        Assert.Equal(["model"], Directory.GetDirectories(parent).Select(Path.GetFileName));
        Assert.Equal("2.14.0", SavedModelDirectory.Open(target).Model.MetaGraphs[0].MetaInfoDef.TensorflowVersion);
        Assert.False(SavedModelDirectory.Open(target).HasVariables);
    }

    [Fact]
    public void AFailingVariablesWriterLeavesTheOldModelInPlace()
    {
        string target = Path.Combine(TempDirectory.Create(), "model");
        var model = new SavedModel { SavedModelSchemaVersion = 1, MetaGraphs = { new MetaGraphDef { MetaInfoDef = new() { Tags = { "serve" } } } } };
        SavedModelWriter.Write(target, model, writeVariables: null);
        Assert.Throws<InvalidOperationException>(() => SavedModelWriter.Write(target, model,
            _ => throw new InvalidOperationException("disk full"), new SavedModelWriteOptions { Overwrite = true }));
        Assert.NotNull(SavedModelDirectory.Open(target));
        Assert.Single(Directory.GetFileSystemEntries(Path.GetDirectoryName(target)!));
    }

    [Fact]
    public void MissingTagSetNamesThosePresent()
    {
        var model = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1));
        var error = Assert.Throws<KeyNotFoundException>(() => model.GetMetaGraph("train"));
        Assert.Contains("{serve}", error.Message);
    }
}

public class FingerprintVerificationTests
{
    [Fact]
    public void ASavedModelChangedAfterItsFingerprintIsRefusedUnlessToldToIgnoreIt()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        Assert.NotNull(SavedModelDirectory.Open(dir).Fingerprint);
        string pb = Path.Combine(dir, SavedModelDirectory.ProtoFileName);
        var model = SavedModelDirectory.ReadBinary(pb);
        model.MetaGraphs[0].MetaInfoDef.TensorflowVersion = "edited";
        File.WriteAllBytes(pb, Google.Protobuf.MessageExtensions.ToByteArray(model));

        var error = Assert.Throws<FingerprintMismatchException>(() => SavedModelDirectory.Open(dir));
        Assert.Equal("saved_model.pb", error.File);
        Assert.Contains("fingerprint.pb", error.Message);
        Assert.Equal("edited", SavedModelDirectory.Open(dir, verifyFingerprint: false).Model.MetaGraphs[0].MetaInfoDef.TensorflowVersion);

        var (code, _, stderr) = CliRunner.Run("run", dir, "--input", "x=[1]");
        Assert.Equal(Cli.ExitCodes.BadInput, code);
        Assert.Contains("--ignore_fingerprint", stderr);
        Assert.Equal(0, CliRunner.Run("run", dir, "--input", "x=[1]", "--ignore_fingerprint").Code);
    }

    [Fact]
    public void ChangedVariablesAreCaughtByTheCheckpointHash()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        string index = Path.Combine(dir, "variables", "variables.index");
        byte[] bytes = File.ReadAllBytes(index);
        bytes[^9] ^= 1; // inside the footer's magic: any change to the file's bytes will do
        File.WriteAllBytes(index, bytes);
        Assert.Equal("variables/variables.index", Assert.Throws<FingerprintMismatchException>(() => SavedModelDirectory.Open(dir)).File);
    }
}

public class CorruptValueDisplayTests
{
    [Fact]
    public void TheViewerShowsAVariableWhoseDataFailsItsChecksumAsCorruptWithTheReason()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        string prefix = SavedModelDirectory.Open(dir).VariablesPrefix;
        using (var reader = CheckpointReader.Open(prefix))
        {
            var entry = reader.Bundle.GetEntry("b");
            string data = BundleFiles.DataPath(prefix, entry.ShardId, reader.Bundle.Header.NumShards);
            byte[] bytes = File.ReadAllBytes(data);
            bytes[entry.Offset] ^= 0x40;
            File.WriteAllBytes(data, bytes);
        }

        var document = System.Text.Json.JsonDocument.Parse(Visualization.ViewerDocument.ToJson("t", [Visualization.ViewerSource.Load(dir)]));
        var b = document.RootElement.GetProperty("graphs")[0].GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "b");
        var variable = b.GetProperty("variable");
        Assert.True(variable.GetProperty("corrupt").GetBoolean());
        Assert.Contains("CRC32C mismatch", variable.GetProperty("summary").GetString());
        Assert.Equal("float32", variable.GetProperty("dtype").GetString());
    }
}

public class SavedModelOverwriteTests
{
    private static SavedModel Model(string version)
    {
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(new MetaGraphDef { MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { Tags = { "serve" }, TensorflowVersion = version }, GraphDef = new GraphDef() });
        return model;
    }

    [Fact]
    public void DirectoriesSwapInOneStepWhereTheSystemCan()
    {
        string parent = TempDirectory.Create();
        string a = Directory.CreateDirectory(Path.Combine(parent, "a")).FullName, b = Directory.CreateDirectory(Path.Combine(parent, "b")).FullName;
        File.WriteAllText(Path.Combine(a, "from-a"), "");
        File.WriteAllText(Path.Combine(b, "from-b"), "");
        bool swapped = AtomicFile.TryExchangeDirectories(a, b);
        Assert.Equal(OperatingSystem.IsLinux(), swapped); // tmpfs and ext4 both support RENAME_EXCHANGE
        if (swapped)
        {
            Assert.True(File.Exists(Path.Combine(a, "from-b")));
            Assert.True(File.Exists(Path.Combine(b, "from-a")));
        }
    }

    [Fact]
    public void AnOverwriteInterruptedAfterMovingTheOldModelAsideIsUndoneByTheNextWrite()
    {
        string parent = TempDirectory.Create();
        string target = Path.Combine(parent, "model");
        SavedModelWriter.Write(target, Model("old"), writeVariables: null);
        // What a crash between "move the old one aside" and "move the new one in" leaves.
        Directory.Move(target, target + ".tempstate0123456789abcdef.old");

        Assert.Throws<IOException>(() => SavedModelWriter.Write(target, Model("new"), writeVariables: null));
        Assert.Equal("old", SavedModelDirectory.Open(target).Model.MetaGraphs[0].MetaInfoDef.TensorflowVersion);
        SavedModelWriter.Write(target, Model("new"), writeVariables: null, new SavedModelWriteOptions { Overwrite = true });
        Assert.Equal("new", SavedModelDirectory.Open(target).Model.MetaGraphs[0].MetaInfoDef.TensorflowVersion);
        Assert.Equal(["model"], Directory.GetDirectories(parent).Select(Path.GetFileName));
    }
}
