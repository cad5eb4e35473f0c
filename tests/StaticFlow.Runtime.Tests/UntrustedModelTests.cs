using StaticFlow.Checkpoints;
using StaticFlow.Execution;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>A model is code: under a confined <see cref="FileAccessPolicy"/> its ops touch only its own folder and the caller's.</summary>
public class UntrustedModelTests
{
    private static SessionOptions Confined(params string[] writable) => new() { FileAccess = FileAccessPolicy.Confined(writable) };

    private static string[] FilesUnder(string dir) => Directory.Exists(dir) ? Directory.GetFiles(dir, "*", SearchOption.AllDirectories) : [];

    private static string RestoreOpThatWritesTo(string outsidePrefix) => HostileModels.Write(G.Graph(
        [.. HostileModels.Basics(harmlessRestore: false), Const("secret", Tensor.Scalar(42f)), .. HostileModels.SaveTo("restore", outsidePrefix, "secret")]));

    [Fact]
    public void ARestoreOpThatWritesOutsideTheModelIsRefusedAndWritesNothing()
    {
        string outside = Path.Combine(TempDirectory.Create(), "outside");
        string model = RestoreOpThatWritesTo(Path.Combine(outside, "stolen"));

        var error = Assert.Throws<ModelAccessException>(() => SavedModelBundle.Load(model, options: Confined()));
        Assert.Equal("restore", error.NodeName);
        Assert.Contains("writing", error.Message);
        Assert.Empty(FilesUnder(outside));

        // The same model, trusted, does write there: the refusal above is the policy's doing.
        SavedModelBundle.Load(model);
        Assert.NotEmpty(FilesUnder(outside));
    }

    [Fact]
    public void AnInitOpThatMergesAwayAnotherCheckpointIsRefusedAndTheVictimStays()
    {
        string victimDir = TempDirectory.Create();
        string victim = Path.Combine(victimDir, "ckpt-7");
        Checkpoint.Save(victim, new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(7f) }, CheckpointKeyStyle.NameBased);
        var before = FilesUnder(victimDir);
        string model = HostileModels.Write(G.Graph(
            [.. HostileModels.Basics(), Const("sources", Tensor.FromStrings([System.Text.Encoding.UTF8.GetBytes(victim)], 1)),
             Const("destination", Tensor.Scalar(Path.Combine(victimDir, "merged"))),
             Node("merge", "MergeV2Checkpoints", ["sources", "destination"], ("delete_old_dirs", Bool(true)))]), mainOp: "merge");

        var error = Assert.Throws<ModelAccessException>(() => SavedModelBundle.Load(model, options: Confined()));
        Assert.Equal("merge", error.NodeName);
        Assert.Equal(before, FilesUnder(victimDir));
        using var reader = CheckpointReader.Open(victim);
        Assert.Equal(7f, reader.Read("w").AsSpan<float>()[0]);
    }

    [Fact]
    public void AConfinedModelRestoresItsOwnVariablesAndRuns()
    {
        string model = HostileModels.Write(G.Graph(HostileModels.Basics()));
        var bundle = SavedModelBundle.Load(model, options: Confined());
        var y = bundle.GetSignature().Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Scalar(3f) })["y"];
        Assert.Equal(3f, y.AsSpan<float>()[0]);
    }

    [Fact]
    public void AFolderTheCallerAllowsMayBeWrittenButNotThroughALinkOutOfIt()
    {
        string allowed = TempDirectory.Create(), outside = TempDirectory.Create();
        string model = HostileModels.Write(G.Graph(
            [.. HostileModels.Basics(), Const("secret", Tensor.Scalar(1f)), .. HostileModels.SaveTo("save", Path.Combine(allowed, "ckpt"), "secret")]), mainOp: "save");
        SavedModelBundle.Load(model, options: Confined(allowed));
        Assert.True(File.Exists(Path.Combine(allowed, "ckpt.index")));

        Directory.CreateSymbolicLink(Path.Combine(allowed, "link"), outside);
        string escape = HostileModels.Write(G.Graph(
            [.. HostileModels.Basics(), Const("secret", Tensor.Scalar(1f)), .. HostileModels.SaveTo("save", Path.Combine(allowed, "link", "ckpt"), "secret")]), mainOp: "save");
        Assert.Throws<ModelAccessException>(() => SavedModelBundle.Load(escape, options: Confined(allowed)));
        string dotdot = HostileModels.Write(G.Graph(
            [.. HostileModels.Basics(), Const("secret", Tensor.Scalar(1f)), .. HostileModels.SaveTo("save", Path.Combine(allowed, "..", Path.GetFileName(outside), "ckpt"), "secret")]), mainOp: "save");
        Assert.Throws<ModelAccessException>(() => SavedModelBundle.Load(dotdot, options: Confined(allowed)));
        Assert.Empty(FilesUnder(outside));

        // A dangling link: writing through it would create files outside.
        File.CreateSymbolicLink(Path.Combine(allowed, "dangling.index"), Path.Combine(outside, "created.index"));
        var policy = FileAccessPolicy.Confined(allowed);
        Assert.NotNull(policy.Refusal(Path.Combine(allowed, "dangling.index"), write: true));
        Assert.Null(policy.Refusal(Path.Combine(allowed, "fresh.index"), write: true));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/file.txt")]
    public void AssetNamesThatLeaveTheAssetsFolderAreRefused(string filename)
    {
        string model = HostileModels.Write(G.Graph(
            [.. HostileModels.Basics(), Placeholder("asset", DType.String), Node("init", "Identity", ["asset"], ("T", Type(DType.String)))]), mainOp: "init");
        // Add the asset to the written model.
        var directory = SavedModelDirectory.Open(model);
        var saved = directory.Model.Clone();
        saved.MetaGraphs[0].AssetFileDef.Add(new AssetFileDef { Filename = filename, TensorInfo = new TensorInfo { Name = "asset:0", Dtype = DataType.DtString } });
        File.WriteAllBytes(Path.Combine(model, SavedModelDirectory.ProtoFileName), Google.Protobuf.MessageExtensions.ToByteArray(saved));
        File.Delete(Path.Combine(model, "fingerprint.pb"));

        var error = Assert.Throws<StaticFlowFormatException>(() => SavedModelBundle.Load(model));
        Assert.Contains(filename, error.Message);
    }
}
