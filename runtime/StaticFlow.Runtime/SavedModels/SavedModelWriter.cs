using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Text;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.SavedModels;

/// <summary>Options of <see cref="SavedModelWriter"/>.</summary>
public sealed record SavedModelWriteOptions
{
    /// <summary>Write <c>saved_model.pbtxt</c> instead of <c>saved_model.pb</c>.</summary>
    public bool AsText { get; init; }

    /// <summary>Replace an existing directory (otherwise writing over one fails).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Write <c>fingerprint.pb</c> (see <see cref="SavedModelFingerprint"/>); it is optional for loaders.</summary>
    public bool WriteFingerprint { get; init; } = true;

    /// <summary>Files copied into <c>assets/</c>: file name there to source path.</summary>
    public IReadOnlyDictionary<string, string> Assets { get; init; } = new Dictionary<string, string>();

    /// <summary>Files copied into <c>assets.extra/</c>: file name there to source path.</summary>
    public IReadOnlyDictionary<string, string> AssetsExtra { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Writes SavedModel directories. The whole directory is assembled under a temporary sibling name and renamed
/// into place, so readers never see a partial SavedModel.
/// </summary>
public static class SavedModelWriter
{
    /// <summary>Writes <paramref name="model"/> and its variables (keys exactly as given) to <paramref name="directory"/>.</summary>
    public static void Write(string directory, SavedModel model, IReadOnlyDictionary<string, Tensor>? variables, CheckpointKeyStyle style, SavedModelWriteOptions? options = null) =>
        Write(directory, model, variables is null ? null : prefix => Checkpoint.Save(prefix, variables, style), options);

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="directory"/>; <paramref name="writeVariables"/>, when
    /// given, writes the variables bundle at the prefix it is passed.
    /// </summary>
    /// <exception cref="IOException">The directory exists and <see cref="SavedModelWriteOptions.Overwrite"/> is false.</exception>
    public static void Write(string directory, SavedModel model, Action<string>? writeVariables, SavedModelWriteOptions? options = null)
    {
        options ??= new SavedModelWriteOptions();
        string target = Path.GetFullPath(directory);
        RecoverInterruptedOverwrite(target);
        if (Directory.Exists(target) && !options.Overwrite)
            throw new IOException($"{target}: the SavedModel directory already exists (set Overwrite to replace it).");
        string parent = Path.GetDirectoryName(target) ?? ".";
        Directory.CreateDirectory(parent);
        string staging = AtomicFile.TemporaryPathFor(target);
        try
        {
            Directory.CreateDirectory(staging);
            byte[] modelBytes = model.ToByteArray();
            if (options.AsText)
                File.WriteAllText(Path.Combine(staging, SavedModelDirectory.TextProtoFileName), TextFormat.Print(model));
            else
                File.WriteAllBytes(Path.Combine(staging, SavedModelDirectory.ProtoFileName), modelBytes);

            string variablesDir = Path.Combine(staging, SavedModelDirectory.VariablesName);
            Directory.CreateDirectory(variablesDir);
            string variablesPrefix = Path.Combine(variablesDir, SavedModelDirectory.VariablesName);
            writeVariables?.Invoke(variablesPrefix);

            CopyInto(Path.Combine(staging, SavedModelDirectory.AssetsDirectoryName), options.Assets);
            CopyInto(Path.Combine(staging, SavedModelDirectory.AssetsExtraDirectoryName), options.AssetsExtra);
            if (options.WriteFingerprint)
            {
                byte[] index = File.Exists(variablesPrefix + ".index") ? File.ReadAllBytes(variablesPrefix + ".index") : [];
                File.WriteAllBytes(Path.Combine(staging, SavedModelDirectory.FingerprintFileName),
                    SavedModelFingerprint.Compute(modelBytes, model, index).ToByteArray());
            }
            Publish(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    private static void CopyInto(string directory, IReadOnlyDictionary<string, string> files)
    {
        if (files.Count == 0) return;
        Directory.CreateDirectory(directory);
        foreach (var (name, source) in files)
        {
            if (name.Length == 0 || Path.GetFileName(name) != name)
                throw new ArgumentException($"Asset name '{name}' must be a plain file name.", nameof(files));
            File.Copy(source, Path.Combine(directory, name));
        }
    }

    private const string AsideSuffix = ".old";

    /// <summary>
    /// An overwrite that moved the old model aside and crashed before moving the new one in leaves the path empty
    /// and the old model beside it: put it back. (Only where directories cannot be swapped in one step.)
    /// </summary>
    internal static void RecoverInterruptedOverwrite(string target)
    {
        if (Directory.Exists(target) || Path.GetDirectoryName(target) is not { } parent || !Directory.Exists(parent)) return;
        string pattern = Path.GetFileName(target) + ".tempstate*" + AsideSuffix;
        if (Directory.GetDirectories(parent, pattern).OrderByDescending(Directory.GetLastWriteTimeUtc).FirstOrDefault() is { } aside)
            Directory.Move(aside, target);
    }

    private static void Publish(string staging, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        // Where the system can swap two directories in one step, the path always holds a whole model, old or new.
        if (AtomicFile.TryExchangeDirectories(staging, target))
        {
            Directory.Delete(staging, recursive: true);
            return;
        }
        // Elsewhere directories cannot be renamed over each other: move the old one aside first, so that a crash
        // leaves either the old model under a temporary name (the next write puts it back first) or the new one in place.
        string aside = AtomicFile.TemporaryPathFor(target) + AsideSuffix;
        Directory.Move(target, aside);
        Directory.Move(staging, target);
        Directory.Delete(aside, recursive: true);
    }
}
