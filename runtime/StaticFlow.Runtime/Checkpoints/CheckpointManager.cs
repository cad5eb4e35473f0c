using System.Globalization;
using StaticFlow.Formats.Bundles;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Checkpoints;

/// <summary>
/// Numbered checkpoints in a directory, like <c>tf.train.CheckpointManager</c>: saves <c>ckpt-N</c>, keeps the
/// newest <see cref="MaxToKeep"/>, and records them in the <c>checkpoint</c> state file.
/// </summary>
/// <remarks>
/// A save writes the new bundle completely (temporary names, then renames), then the state file, and only
/// then deletes checkpoints that fell out of the kept set, so a crash at any moment leaves the state file
/// naming a complete checkpoint.
/// </remarks>
public sealed class CheckpointManager
{
    /// <summary>Manages checkpoints named <paramref name="checkpointName"/>-N in <paramref name="directory"/>.</summary>
    /// <param name="directory">Created if missing.</param>
    /// <param name="maxToKeep">How many checkpoints to keep; null keeps all.</param>
    /// <param name="checkpointName">The prefix's file name part, <c>ckpt</c> as in TensorFlow.</param>
    /// <param name="style">Object-based (TF2, default) or name-based (TF1) keys.</param>
    public CheckpointManager(string directory, int? maxToKeep = 5, string checkpointName = "ckpt", CheckpointKeyStyle style = CheckpointKeyStyle.ObjectBased)
    {
        if (maxToKeep is <= 0) throw new ArgumentOutOfRangeException(nameof(maxToKeep), "Keep at least one checkpoint, or pass null to keep all.");
        Directory = Path.GetFullPath(directory);
        MaxToKeep = maxToKeep;
        CheckpointName = checkpointName;
        Style = style;
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>How many checkpoints are kept (null: all).</summary>
    public int? MaxToKeep { get; }

    /// <summary>The file name stem of checkpoints.</summary>
    public string CheckpointName { get; }

    /// <summary>How keys are written.</summary>
    public CheckpointKeyStyle Style { get; }

    /// <summary>The newest checkpoint's prefix, or null.</summary>
    public string? LatestCheckpoint => CheckpointStateFile.LatestCheckpoint(Directory);

    /// <summary>The kept checkpoints' prefixes, oldest first.</summary>
    public IReadOnlyList<string> Checkpoints =>
        CheckpointStateFile.Read(Directory) is { } state
            ? [.. state.AllModelCheckpointPaths.Select(p => CheckpointStateFile.Resolve(Directory, p))]
            : [];

    /// <summary>
    /// Saves <paramref name="variables"/> as the next checkpoint and returns its prefix. With an object-based
    /// style the bundle also holds <c>save_counter</c> (int64), as <c>tf.train.Checkpoint</c> writes it.
    /// </summary>
    /// <param name="variables">Variables by name (TF1) or object path (TF2).</param>
    /// <param name="checkpointNumber">The N of <c>ckpt-N</c>; by default one more than the latest.</param>
    public string Save(IReadOnlyDictionary<string, Tensor> variables, long? checkpointNumber = null)
    {
        CheckpointState state = CheckpointStateFile.Read(Directory) ?? new CheckpointState();
        long number = checkpointNumber ?? NextNumber(state);
        string name = string.Create(CultureInfo.InvariantCulture, $"{CheckpointName}-{number}");
        string prefix = Path.Combine(Directory, name);

        IReadOnlyDictionary<string, Tensor> toSave = variables;
        if (Style == CheckpointKeyStyle.ObjectBased && !variables.ContainsKey("save_counter"))
            toSave = new Dictionary<string, Tensor>(variables) { ["save_counter"] = Tensor.Scalar(number) };
        Checkpoint.Save(prefix, toSave, Style);

        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var kept = state.AllModelCheckpointPaths.Zip(PadTimestamps(state)).Where(p => p.First != name).ToList();
        kept.Add((name, now));
        var removed = new List<string>();
        if (MaxToKeep is int max)
            while (kept.Count > max)
            {
                removed.Add(kept[0].First);
                kept.RemoveAt(0);
            }

        var next = new CheckpointState { ModelCheckpointPath = name, LastPreservedTimestamp = state.LastPreservedTimestamp };
        next.AllModelCheckpointPaths.AddRange(kept.Select(k => k.First));
        next.AllModelCheckpointTimestamps.AddRange(kept.Select(k => k.Second));
        CheckpointStateFile.Write(Directory, next);

        foreach (string old in removed) DeleteCheckpointFiles(CheckpointStateFile.Resolve(Directory, old));
        return prefix;
    }

    /// <summary>Opens the latest checkpoint, or null when the directory has none.</summary>
    public CheckpointReader? RestoreLatest() => LatestCheckpoint is { } prefix ? CheckpointReader.Open(prefix) : null;

    private long NextNumber(CheckpointState state)
    {
        long max = 0;
        foreach (string path in state.AllModelCheckpointPaths)
        {
            string file = Path.GetFileName(path);
            int dash = file.LastIndexOf('-');
            if (dash > 0 && long.TryParse(file.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n)) max = Math.Max(max, n);
        }
        return max + 1;
    }

    private static IEnumerable<double> PadTimestamps(CheckpointState state) =>
        state.AllModelCheckpointTimestamps.Concat(Enumerable.Repeat(0.0, Math.Max(0, state.AllModelCheckpointPaths.Count - state.AllModelCheckpointTimestamps.Count)));

    private static void DeleteCheckpointFiles(string prefix)
    {
        string? directory = Path.GetDirectoryName(prefix);
        if (directory is null || !System.IO.Directory.Exists(directory)) return;
        string stem = Path.GetFileName(prefix);
        foreach (string file in System.IO.Directory.GetFiles(directory, stem + ".*"))
        {
            string rest = Path.GetFileName(file)[stem.Length..];
            if (rest == ".index" || rest.StartsWith(".data-", StringComparison.Ordinal))
                IO.AtomicFile.TryDelete(file);
        }
    }
}
