using System.Diagnostics;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Text;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

public class CheckpointManagerTests
{
    [Fact]
    public void KeepsTheNewestAndDeletesOlderCheckpoints()
    {
        string dir = TempDirectory.Create();
        var manager = new CheckpointManager(dir, maxToKeep: 2);
        for (int step = 1; step <= 4; step++)
            manager.Save(new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar((float)step) });

        Assert.Equal(Path.Combine(dir, "ckpt-4"), manager.LatestCheckpoint);
        Assert.Equal([Path.Combine(dir, "ckpt-3"), Path.Combine(dir, "ckpt-4")], manager.Checkpoints);
        Assert.Equal(
            ["checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index", "ckpt-4.data-00000-of-00001", "ckpt-4.index"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        using var reader = manager.RestoreLatest()!;
        Assert.Equal(4f, reader.Read("w").AsSpan<float>()[0]);
        Assert.Equal(4L, reader.Read("save_counter").AsSpan<long>()[0]);
    }

    [Fact]
    public void StateFileIsTensorFlowsTextFormat()
    {
        string dir = TempDirectory.Create();
        var manager = new CheckpointManager(dir, maxToKeep: 3);
        manager.Save(new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(1f) });
        manager.Save(new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(2f) });
        string[] lines = File.ReadAllLines(Path.Combine(dir, "checkpoint"));
        Assert.Equal("model_checkpoint_path: \"ckpt-2\"", lines[0]);
        Assert.Equal("all_model_checkpoint_paths: \"ckpt-1\"", lines[1]);
        Assert.Equal("all_model_checkpoint_paths: \"ckpt-2\"", lines[2]);
        Assert.StartsWith("all_model_checkpoint_timestamps: ", lines[3]);
    }

    [Fact]
    public void ReadsAStateFileAsPythonWritesIt()
    {
        string dir = TempDirectory.Create();
        Checkpoint.Save(Path.Combine(dir, "model.ckpt-200"), new Dictionary<string, Tensor> { ["v"] = Tensor.Scalar(5f) }, CheckpointKeyStyle.NameBased);
        File.WriteAllText(Path.Combine(dir, "checkpoint"),
            "model_checkpoint_path: \"model.ckpt-200\"\nall_model_checkpoint_paths: \"model.ckpt-100\"\n" +
            "all_model_checkpoint_paths: \"model.ckpt-200\"\nall_model_checkpoint_timestamps: 1700000000.5\n" +
            "all_model_checkpoint_timestamps: 1.7000001e+09\nlast_preserved_timestamp: 1699999999.25\n");
        var state = CheckpointStateFile.Read(dir)!;
        Assert.Equal(1700000100d, state.AllModelCheckpointTimestamps[1]);
        Assert.Equal(1699999999.25, state.LastPreservedTimestamp);
        Assert.Equal(Path.Combine(dir, "model.ckpt-200"), Checkpoint.Latest(dir));
        Assert.Equal(state, TextFormat.Parse<CheckpointState>(TextFormat.Print(state)));
    }

    [Fact]
    public void ACheckpointIsFoundByPrefixIndexDataFileOrDirectory()
    {
        string dir = TempDirectory.Create();
        string prefix = new CheckpointManager(dir).Save(new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(1f) });
        foreach (string name in new[] { prefix, prefix + ".index", prefix + ".data-00000-of-00001", dir })
            Assert.Equal(prefix, CheckpointReader.ResolvePrefix(name));
        var error = Assert.Throws<IO.StaticFlowFormatException>(() => CheckpointReader.Open(Path.Combine(dir, "nope")));
        Assert.Contains("no checkpoint here", error.Message);
    }
}
