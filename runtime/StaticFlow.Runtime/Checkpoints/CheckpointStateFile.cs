using StaticFlow.Formats.Text;
using StaticFlow.IO;
using StaticFlow.Protos;

namespace StaticFlow.Checkpoints;

/// <summary>
/// The text-format <c>checkpoint</c> file of a checkpoint directory, which names the latest checkpoint and
/// the ones still kept (tensorflow/python/checkpoint/checkpoint_management.py).
/// </summary>
public static class CheckpointStateFile
{
    /// <summary>TensorFlow's default file name (<c>latest_filename</c>).</summary>
    public const string FileName = "checkpoint";

    /// <summary>Reads the state of <paramref name="directory"/>, or null when it has no state file.</summary>
    /// <exception cref="StaticFlowFormatException">The state file does not parse.</exception>
    public static CheckpointState? Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return TextFormat.Parse<CheckpointState>(File.ReadAllText(path));
        }
        catch (FormatException e)
        {
            throw new StaticFlowFormatException(path, $"not a valid checkpoint state file: {e.Message}", e);
        }
    }

    /// <summary>Atomically replaces the state file of <paramref name="directory"/>.</summary>
    public static void Write(string directory, CheckpointState state) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), TextFormat.Print(state));

    /// <summary>
    /// The prefix of the latest checkpoint in <paramref name="directory"/> (like <c>tf.train.latest_checkpoint</c>),
    /// or null when there is none or its index file is missing. Relative paths are resolved against the directory.
    /// </summary>
    public static string? LatestCheckpoint(string directory)
    {
        CheckpointState? state = Read(directory);
        if (state is null || state.ModelCheckpointPath.Length == 0) return null;
        string prefix = Resolve(directory, state.ModelCheckpointPath);
        return File.Exists(prefix + ".index") ? prefix : null;
    }

    internal static string Resolve(string directory, string path) =>
        Path.IsPathRooted(path) ? path : Path.Combine(directory, path);
}
