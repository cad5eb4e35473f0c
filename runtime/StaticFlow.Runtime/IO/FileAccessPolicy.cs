namespace StaticFlow.IO;

/// <summary>
/// Which files a graph's own ops (SaveV2, RestoreV2, MergeV2Checkpoints) may read and write. A graph comes with its
/// model, and a model from elsewhere is code: its restore or init op can name any path. A confined policy admits
/// only paths inside its folders, after resolving <c>..</c> and symbolic links, and refuses the rest before any
/// file is opened.
/// </summary>
/// <remarks>
/// <see cref="SavedModels.SavedModelBundle.Load(SavedModels.SavedModelDirectory, string[], Execution.SessionOptions, CancellationToken)"/> adds the model's own folder, read-only, to a confined policy, so
/// an untrusted model can restore its variables and nothing else. The default is <see cref="Unrestricted"/>, as in
/// TensorFlow, for graphs the caller trusts.
/// </remarks>
public sealed class FileAccessPolicy
{
    private readonly string[] _readable;
    private readonly string[] _writable;

    private FileAccessPolicy(bool confined, string[] readable, string[] writable)
    {
        IsConfined = confined;
        _readable = readable;
        _writable = writable;
    }

    /// <summary>Ops may read and write any path the process can (TensorFlow's behaviour).</summary>
    public static FileAccessPolicy Unrestricted { get; } = new(false, [], []);

    /// <summary>Ops may read and write only inside <paramref name="writableFolders"/> (none: no file at all, until a model's folder is added).</summary>
    public static FileAccessPolicy Confined(params string[] writableFolders)
    {
        string[] folders = [.. writableFolders.Select(Canonical)];
        return new(true, folders, folders);
    }

    /// <summary>True when paths are checked.</summary>
    public bool IsConfined { get; }

    /// <summary>The folders ops may read inside (writable ones included).</summary>
    public IReadOnlyList<string> ReadableFolders => _readable;

    /// <summary>The folders ops may write inside.</summary>
    public IReadOnlyList<string> WritableFolders => _writable;

    /// <summary>This policy with <paramref name="folder"/> readable too (no change when unrestricted).</summary>
    public FileAccessPolicy WithReadableFolder(string folder) =>
        IsConfined ? new(true, [.. _readable, Canonical(folder)], _writable) : this;

    /// <summary>Null when <paramref name="path"/> may be read (or written), else why not.</summary>
    public string? Refusal(string path, bool write)
    {
        if (!IsConfined) return null;
        string resolved;
        try { resolved = Resolve(path); }
        catch (Exception e) when (e is ArgumentException or IOException or NotSupportedException or UnauthorizedAccessException)
        {
            return $"path '{path}' cannot be resolved ({e.Message})";
        }
        var folders = write ? _writable : _readable;
        if (folders.Any(folder => IsInside(resolved, folder))) return null;
        string allowed = folders.Length == 0 ? "no folder" : string.Join(", ", folders.Select(f => $"'{f}'"));
        return $"{(write ? "writing" : "reading")} '{path}' is refused: untrusted models may {(write ? "write" : "read")} only inside {allowed} (FileAccessPolicy; the CLI's --allow_any_path lifts it)";
    }

    private static bool IsInside(string path, string folder) =>
        path.StartsWith(folder, StringComparison.Ordinal) &&
        (path.Length == folder.Length || path[folder.Length] == Path.DirectorySeparatorChar || folder.EndsWith(Path.DirectorySeparatorChar));

    private static string Canonical(string folder) => Resolve(folder).TrimEnd(Path.DirectorySeparatorChar) is { Length: > 0 } f ? f : Path.GetPathRoot(Path.GetFullPath(folder))!;

    // The absolute path with '..' removed and every symbolic link among its existing components followed, so a link
    // inside an allowed folder cannot lead out of it.
    private static string Resolve(string path, int links = 0)
    {
        // As the kernel's ELOOP: a chain this long is a loop.
        if (links > 40) throw new IOException("too many levels of symbolic links");
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        string current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(current, parts[i]);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            // A link counts even when its target does not exist yet: writing through it would create the target.
            if (info.LinkTarget is not null)
            {
                // Follow the link, then resolve what is left under its target.
                string target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next;
                return Resolve(Path.Combine([target, .. parts[(i + 1)..]]), links + 1);
            }
            current = next;
        }
        return current;
    }
}

/// <summary>A graph's op asked for a file its <see cref="FileAccessPolicy"/> does not admit; nothing was read or written.</summary>
public sealed class ModelAccessException(string node, string op, string reason) : Graphs.GraphException(node, op, reason);
