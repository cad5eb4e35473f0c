using System.Diagnostics;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>
/// Kills a saving process (tests/StaticFlow.SaveLoop) at random moments, over and over in one folder, and checks
/// after every kill that the last reported checkpoint (or a newer whole one) reads back, and at the end that
/// cleaning up leaves only the live files. STATICFLOW_KILL_TRIALS sets the kills per mode (default 100).
/// </summary>
public class CrashSafetyTests
{
    private static readonly int Trials =
        int.TryParse(Environment.GetEnvironmentVariable("STATICFLOW_KILL_TRIALS"), out int n) && n > 0 ? n : 100;

    [Fact]
    public void KillsDuringNumberedSavesNeverLoseTheLatestCheckpointNorLeaveLeftovers()
    {
        string dir = TempDirectory.Create();
        KillLoop(dir, "numbered", seed: 1, open: () => CheckpointReader.Open(dir));

        var manager = new CheckpointManager(dir, maxToKeep: 2);
        // A save killed after its bundle was complete but before the state file named it is redone over the same
        // prefix, which alternates the shard count: each kept checkpoint has the shards its own index names.
        var expected = manager.Checkpoints.SelectMany(prefix =>
        {
            using var reader = TensorBundleReader.Open(prefix);
            return BundleFiles.AllPaths(prefix, reader.Header.NumShards);
        }).Append(Path.Combine(dir, "checkpoint"));
        Assert.Equal(2, manager.Checkpoints.Count);
        Assert.Equal(expected.Order(StringComparer.Ordinal), Directory.GetFiles(dir).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KillsWhileOverwritingOnePrefixNeverLoseIt()
    {
        string dir = TempDirectory.Create();
        string prefix = Path.Combine(dir, "model");
        KillLoop(dir, "fixed", seed: 2, open: () => CheckpointReader.Open(prefix));

        TensorBundleWriter.DeleteStaleFiles(prefix);
        using var reader = TensorBundleReader.Open(prefix);
        Assert.Equal(
            BundleFiles.AllPaths(prefix, reader.Header.NumShards).Order(StringComparer.Ordinal),
            Directory.GetFiles(dir).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KillsWhileAManagerResavesItsLatestNumberNeverLoseIt()
    {
        string dir = TempDirectory.Create();
        KillLoop(dir, "resave", seed: 3, open: () => CheckpointReader.Open(dir), trials: Math.Max(20, Trials / 3));

        new CheckpointManager(dir, maxToKeep: 2);
        string prefix = Path.Combine(dir, "ckpt-1");
        using var reader = TensorBundleReader.Open(prefix);
        Assert.Equal(
            BundleFiles.AllPaths(prefix, reader.Header.NumShards).Append(Path.Combine(dir, "checkpoint")).Order(StringComparer.Ordinal),
            Directory.GetFiles(dir).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ABundleReplacingAnotherAtItsPrefixAlternatesShardCountsAndKeepsNoStaleData()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "model");
        for (int step = 1; step <= 3; step++)
        {
            Checkpoint.Save(prefix, new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar((float)step) });
            using var reader = CheckpointReader.Open(prefix);
            Assert.Equal(step, reader.Read("w").AsSpan<float>()[0]);
            Assert.Equal(step % 2 == 1 ? 1 : 2, reader.Bundle.Header.NumShards);
            Assert.Equal(1 + reader.Bundle.Header.NumShards, Directory.GetFiles(Path.GetDirectoryName(prefix)!).Length);
        }
    }

    [Fact]
    public void AStateFileNamingOtherFoldersNeverMakesTheManagerDeleteThere()
    {
        string root = TempDirectory.Create();
        string victim = Path.Combine(root, "victim");
        Checkpoint.Save(Path.Combine(victim, "ckpt-7"), new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(7f) });
        string dir = Path.Combine(root, "mine");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "checkpoint"),
            "model_checkpoint_path: \"../victim/ckpt-7\"\nall_model_checkpoint_paths: \"../victim/ckpt-7\"\n" +
            $"all_model_checkpoint_paths: \"{Path.Combine(victim, "ckpt-7")}\"\n");
        File.WriteAllText(Path.Combine(dir, CheckpointManager.JournalFileName), "../victim/ckpt-7\nckpt-7/../../victim/ckpt-7\n");

        var manager = new CheckpointManager(dir, maxToKeep: 1);
        for (int i = 0; i < 3; i++) manager.Save(new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(1f) });

        Assert.Equal(2, Directory.GetFiles(victim).Length);
        using var reader = CheckpointReader.Open(Path.Combine(victim, "ckpt-7"));
        Assert.Equal(7f, reader.Read("w").AsSpan<float>()[0]);
    }

    [Fact]
    public void AStateFileNamingAMissingCheckpointIsAnErrorNamingIt()
    {
        string dir = TempDirectory.Create();
        Checkpoint.Save(Path.Combine(dir, "other"), new Dictionary<string, Tensor> { ["w"] = Tensor.Scalar(1f) });
        File.WriteAllText(Path.Combine(dir, "checkpoint"), "model_checkpoint_path: \"ckpt-9\"\n");
        var error = Assert.Throws<IO.StaticFlowFormatException>(() => CheckpointReader.Open(dir));
        Assert.Contains("ckpt-9", error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    private static void KillLoop(string dir, string mode, int seed, Func<CheckpointReader> open, int? trials = null)
    {
        string helper = Path.Combine(TestData.RepositoryRoot, "tests", "StaticFlow.SaveLoop", "bin",
            new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name, "net10.0", "StaticFlow.SaveLoop.dll");
        Assert.True(File.Exists(helper), $"crash-test helper not built at {helper}");
        var random = new Random(seed);
        int maxFiles = 0;
        for (int trial = 0; trial < (trials ?? Trials); trial++)
        {
            // 1 MB per save: long enough for kills to land inside writes, short enough for a hundred trials.
            var start = new ProcessStartInfo("dotnet", [helper, dir, "250000", mode]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var child = Process.Start(start)!;
            long saved = 0;
            int wanted = 1 + random.Next(3);
            for (int seen = 0; seen < wanted && child.StandardOutput.ReadLine() is { } line; seen++) saved = long.Parse(line.Split(' ')[1]);
            Thread.Sleep(random.Next(0, 12));
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            Assert.True(saved > 0, $"trial {trial}: the helper reported no save");

            using var reader = open();
            long step = reader.Read("model/step").AsSpan<long>()[0];
            Assert.True(step >= saved, $"trial {trial}: the checkpoint holds step {step}, older than the {saved} reported saved");
            float[] weights = reader.Read("model/weights").ToArray<float>();
            Assert.All(weights, w => Assert.Equal(step, (long)w));
            maxFiles = Math.Max(maxFiles, Directory.GetFiles(dir).Length);
        }
        // Each restart cleans what the previous kill left, so leftovers never pile up across trials.
        Assert.True(maxFiles <= 12, $"{maxFiles} files in the folder at one point");
    }
}
