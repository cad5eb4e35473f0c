using System.Globalization;
using StaticFlow.Formats.Bundles;
using StaticFlow.Protos;
using StaticFlow.IO;
using StaticFlow.Tensors;

namespace StaticFlow.Checkpoints;

/// <summary>
/// Numbered checkpoints in a directory, like <c>tf.train.CheckpointManager</c>: saves <c>ckpt-N</c>, keeps the
/// newest <see cref="MaxToKeep"/>, and records them in the <c>checkpoint</c> state file.
/// </summary>
/// <remarks>
/// <para>A save first records what it is about to write and delete in a journal (<c>checkpoint.journal</c>), writes
/// the new bundle completely (see <see cref="TensorBundleWriter"/>: crash-safe even when it replaces a checkpoint of
/// the same number), then the state file, then deletes checkpoints that fell out of the kept set and finally the
/// journal. A crash at any moment leaves the state file naming a complete checkpoint; opening a manager on the
/// directory finishes what the journal names (a rotated-out checkpoint not yet deleted, a new one never recorded)
/// and removes temporaries, so leftovers never accumulate.</para>
/// <para>The manager only ever deletes files in its own directory named like its checkpoints
/// (<c>ckpt-N.index</c>, <c>ckpt-N.data-*</c>, their <c>*.tempstate*</c> temporaries and the state file's). A
/// state file naming paths elsewhere (<c>../other/ckpt-7</c>, or absolute paths as TensorFlow 1 wrote them) is
/// read, but nothing outside the directory is deleted. As with TensorFlow, one manager at a time may write a
/// directory.</para>
/// </remarks>
public sealed class CheckpointManager
{
    /// <summary>The file that records a save in progress; it exists only while a save runs or after one crashed.</summary>
    public const string JournalFileName = CheckpointStateFile.FileName + ".journal";

    /// <summary>Manages checkpoints named <paramref name="checkpointName"/>-N in <paramref name="directory"/>.</summary>
    /// <param name="directory">Created if missing. Leftovers of an interrupted save are cleaned up here.</param>
    /// <param name="maxToKeep">How many checkpoints to keep; null keeps all.</param>
    /// <param name="checkpointName">The prefix's file name part, <c>ckpt</c> as in TensorFlow.</param>
    /// <param name="style">Object-based (TF2, default) or name-based (TF1) keys.</param>
    /// <exception cref="StaticFlowFormatException">The state file does not parse.</exception>
    public CheckpointManager(string directory, int? maxToKeep = 5, string checkpointName = "ckpt", CheckpointKeyStyle style = CheckpointKeyStyle.ObjectBased)
    {
        if (maxToKeep is <= 0) throw new ArgumentOutOfRangeException(nameof(maxToKeep), "Keep at least one checkpoint, or pass null to keep all.");
        if (checkpointName.Length == 0 || checkpointName.IndexOfAny(['/', '\\']) >= 0 || checkpointName is "." or "..")
            throw new ArgumentException($"'{checkpointName}' is not a file name; the checkpoint name is the file name part of ckpt-N.", nameof(checkpointName));
        Directory = Path.GetFullPath(directory);
        MaxToKeep = maxToKeep;
        CheckpointName = checkpointName;
        Style = style;
        System.IO.Directory.CreateDirectory(Directory);
        CleanUp();
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
    /// <param name="slots">Optimizer slot variables among <paramref name="variables"/>, keyed as TensorFlow 2 keys them (see <see cref="Checkpoint.Save"/>).</param>
    public string Save(IReadOnlyDictionary<string, Tensor> variables, long? checkpointNumber = null, IReadOnlyCollection<OptimizerSlot>? slots = null)
    {
        if (checkpointNumber is < 0) throw new ArgumentOutOfRangeException(nameof(checkpointNumber), "Checkpoint numbers are not negative.");
        CheckpointState state = CheckpointStateFile.Read(Directory) ?? new CheckpointState();
        long number = checkpointNumber ?? NextNumber(state);
        string name = NameOf(number);
        string prefix = Path.Combine(Directory, name);

        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var kept = state.AllModelCheckpointPaths.Zip(PadTimestamps(state)).Where(p => !SamePrefix(p.First, prefix)).ToList();
        kept.Add((name, now));
        var removed = new List<string>();
        if (MaxToKeep is int max)
            while (kept.Count > max)
            {
                removed.Add(kept[0].First);
                kept.RemoveAt(0);
            }

        // The journal names everything this save may leave behind, so that a crash at any later point is undone.
        WriteJournal([name, .. removed.Select(r => OwnName(r)).OfType<string>()]);

        IReadOnlyDictionary<string, Tensor> toSave = variables;
        if (Style == CheckpointKeyStyle.ObjectBased && !variables.ContainsKey("save_counter"))
            toSave = new Dictionary<string, Tensor>(variables) { ["save_counter"] = Tensor.Scalar(number) };
        Checkpoint.Save(prefix, toSave, Style, slots);

        var next = new CheckpointState { ModelCheckpointPath = name, LastPreservedTimestamp = state.LastPreservedTimestamp };
        next.AllModelCheckpointPaths.AddRange(kept.Select(k => k.First));
        next.AllModelCheckpointTimestamps.AddRange(kept.Select(k => k.Second));
        CheckpointStateFile.Write(Directory, next);

        CleanUp();
        return prefix;
    }

    /// <summary>Opens the latest checkpoint, or null when the directory has none.</summary>
    public CheckpointReader? RestoreLatest() => LatestCheckpoint is { } prefix ? CheckpointReader.Open(prefix) : null;

    /// <summary>
    /// Finishes an interrupted save: deletes the checkpoints the journal names that the state file does not keep,
    /// the unused data shards and temporaries of every kept checkpoint, temporaries of the state file, then the
    /// journal. Only files of this manager's naming in its own directory are touched. Returns how many files
    /// were deleted.
    /// </summary>
    public int CleanUp()
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        if (CheckpointStateFile.Read(Directory) is { } state)
            foreach (string path in state.AllModelCheckpointPaths.Append(state.ModelCheckpointPath))
                if (OwnName(path) is { } own) live.Add(own);

        int deleted = 0;
        foreach (string name in ReadJournal())
            if (!live.Contains(name)) deleted += DeleteCheckpointFiles(Path.Combine(Directory, name));
        foreach (string name in live) deleted += TensorBundleWriter.DeleteStaleFiles(Path.Combine(Directory, name));
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory, CheckpointStateFile.FileName + ".*"))
            if (AtomicFile.IsTemporaryName(Path.GetFileName(file)) && AtomicFile.TryDelete(file)) deleted++;
        if (AtomicFile.TryDelete(JournalPath)) deleted++;
        return deleted;
    }

    private string JournalPath => Path.Combine(Directory, JournalFileName);

    private string NameOf(long number) => string.Create(CultureInfo.InvariantCulture, $"{CheckpointName}-{number}");

    /// <summary>
    /// The file name of a state-file entry when it is one of this manager's checkpoints (in its directory and
    /// named <c>ckpt-N</c>), else null: such entries are kept in the state but never deleted.
    /// </summary>
    private string? OwnName(string stateEntry)
    {
        if (stateEntry.Length == 0) return null;
        string full;
        try { full = Path.GetFullPath(CheckpointStateFile.Resolve(Directory, stateEntry)); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        if (!string.Equals(Path.GetDirectoryName(full), Directory, StringComparison.Ordinal)) return null;
        string file = Path.GetFileName(full);
        return IsOwnName(file) ? file : null;
    }

    private bool IsOwnName(string file) =>
        file.Length > CheckpointName.Length + 1
        && file.StartsWith(CheckpointName + "-", StringComparison.Ordinal)
        && file.AsSpan(CheckpointName.Length + 1).IndexOfAnyExceptInRange('0', '9') < 0;

    private bool SamePrefix(string stateEntry, string prefix)
    {
        try { return string.Equals(Path.GetFullPath(CheckpointStateFile.Resolve(Directory, stateEntry)), prefix, StringComparison.Ordinal); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return false; }
    }

    private void WriteJournal(IEnumerable<string> names) =>
        AtomicFile.WriteAllText(JournalPath, string.Join('\n', names) + "\n");

    /// <summary>The journal's checkpoint names; lines that are not this manager's names are ignored, never acted on.</summary>
    private IEnumerable<string> ReadJournal()
    {
        if (!File.Exists(JournalPath)) return [];
        var info = new FileInfo(JournalPath);
        // A journal names at most a few checkpoints; a large one is not ours.
        if (info.Length > 1 << 20) return [];
        return File.ReadAllLines(JournalPath).Where(IsOwnName).ToList();
    }

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

    /// <summary>Deletes the index, the data shards and the temporaries of the bundle at <paramref name="prefix"/>.</summary>
    private static int DeleteCheckpointFiles(string prefix)
    {
        string? directory = Path.GetDirectoryName(prefix);
        if (directory is null || !System.IO.Directory.Exists(directory)) return 0;
        string stem = Path.GetFileName(prefix);
        int deleted = 0;
        // The index goes first: without it no reader takes the remaining data files for a checkpoint.
        if (AtomicFile.TryDelete(BundleFiles.IndexPath(prefix))) deleted++;
        foreach (string file in System.IO.Directory.EnumerateFiles(directory, stem + ".*"))
        {
            string rest = Path.GetFileName(file)[stem.Length..];
            bool ours = rest.StartsWith(".index.", StringComparison.Ordinal) && AtomicFile.IsTemporaryName(rest)
                || rest.StartsWith(".data-", StringComparison.Ordinal) && (AtomicFile.IsTemporaryName(rest) || BundleFiles.TryParseDataSuffix(rest, out _, out _));
            if (ours && AtomicFile.TryDelete(file)) deleted++;
        }
        return deleted;
    }
}
