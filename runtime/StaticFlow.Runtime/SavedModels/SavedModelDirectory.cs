using System.Globalization;
using Google.Protobuf;
using StaticFlow.Formats.Hashing;
using StaticFlow.Formats.Text;
using StaticFlow.IO;
using StaticFlow.Protos;

namespace StaticFlow.SavedModels;

/// <summary>
/// A SavedModel directory read at the file level: <c>saved_model.pb</c> (or <c>.pbtxt</c>), <c>variables/</c>,
/// <c>assets/</c>, <c>assets.extra/</c> and <c>fingerprint.pb</c> (tensorflow/cc/saved_model/constants.h).
/// </summary>
public sealed class SavedModelDirectory
{
    /// <summary><c>saved_model.pb</c>.</summary>
    public const string ProtoFileName = "saved_model.pb";
    /// <summary><c>saved_model.pbtxt</c>.</summary>
    public const string TextProtoFileName = "saved_model.pbtxt";
    /// <summary><c>fingerprint.pb</c>.</summary>
    public const string FingerprintFileName = "fingerprint.pb";
    /// <summary><c>variables</c>: both the directory and the bundle's file name stem.</summary>
    public const string VariablesName = "variables";
    /// <summary><c>assets</c>.</summary>
    public const string AssetsDirectoryName = "assets";
    /// <summary><c>assets.extra</c>, not managed by TensorFlow (TensorFlow Serving reads warm-up requests there).</summary>
    public const string AssetsExtraDirectoryName = "assets.extra";
    /// <summary>The tag of serving graphs.</summary>
    public const string ServeTag = "serve";
    /// <summary>The default signature key.</summary>
    public const string DefaultSignatureKey = "serving_default";

    private readonly byte[]? _originalBytes;
    private readonly SavedModel? _original;

    private SavedModelDirectory(string path, SavedModel model, byte[]? originalBytes, FingerprintDef? fingerprint)
    {
        Path = path;
        Model = model;
        Fingerprint = fingerprint;
        _originalBytes = originalBytes;
        _original = originalBytes is null ? null : model.Clone();
    }

    /// <summary>
    /// The bytes of <see cref="Model"/>: the file's own bytes while the model is unchanged, otherwise the canonical
    /// serialization. Writers may order fields freely (TensorFlow 2.14's Python writes some messages' fields in
    /// reverse order), and a canonical serializer cannot reproduce that, so an unchanged model keeps its bytes.
    /// </summary>
    public byte[] Serialize() =>
        _originalBytes is not null && Model.Equals(_original) ? (byte[])_originalBytes.Clone() : Model.ToByteArray();

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>The parsed <c>saved_model.pb</c>.</summary>
    public SavedModel Model { get; }

    /// <summary>The parsed <c>fingerprint.pb</c>, or null (files written before TensorFlow 2.11 have none).</summary>
    public FingerprintDef? Fingerprint { get; }

    /// <summary>The prefix of the variables bundle (<c>DIR/variables/variables</c>).</summary>
    public string VariablesPrefix => System.IO.Path.Combine(Path, VariablesName, VariablesName);

    /// <summary>True when the model has saved variables (TensorFlow logs "no variables" otherwise).</summary>
    public bool HasVariables => File.Exists(VariablesPrefix + ".index");

    /// <summary><c>DIR/assets</c>.</summary>
    public string AssetsDirectory => System.IO.Path.Combine(Path, AssetsDirectoryName);

    /// <summary><c>DIR/assets.extra</c>.</summary>
    public string AssetsExtraDirectory => System.IO.Path.Combine(Path, AssetsExtraDirectoryName);

    /// <summary>
    /// Opens a SavedModel. <paramref name="path"/> may be the model directory, its <c>saved_model.pb</c>, or a
    /// TensorFlow Serving base directory of numbered versions (the newest is taken).
    /// </summary>
    /// <exception cref="StaticFlowFormatException">No SavedModel is there, or it does not parse.</exception>
    /// <exception cref="WrongFileKindException">The path holds a frozen GraphDef or a checkpoint instead; the message says what to call.</exception>
    /// <exception cref="FingerprintMismatchException"><paramref name="verifyFingerprint"/> is set and <c>fingerprint.pb</c> does not match the files.</exception>
    public static SavedModelDirectory Open(string path, bool verifyFingerprint = true)
    {
        if (File.Exists(path))
        {
            string name = System.IO.Path.GetFileName(path);
            if (name is ProtoFileName or TextProtoFileName) return Open(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, verifyFingerprint);
            if (path.EndsWith(".pb", StringComparison.Ordinal) && ModelFileSniffer.Detect(File.ReadAllBytes(path)) == ModelFileKind.GraphDef)
                throw new WrongFileKindException(path, "this is a frozen GraphDef, not a SavedModel; read it with GraphDefFile.Read (or 'staticflow graph')");
            if (path.EndsWith(".index", StringComparison.Ordinal))
                throw new WrongFileKindException(path, "this is a checkpoint index, not a SavedModel; read it with CheckpointReader.Open (or 'staticflow inspect')");
            throw new StaticFlowFormatException(path, "not a SavedModel: pass the directory that holds saved_model.pb");
        }
        if (!Directory.Exists(path)) throw new StaticFlowFormatException(path, "no such SavedModel directory");

        string pb = System.IO.Path.Combine(path, ProtoFileName);
        string pbtxt = System.IO.Path.Combine(path, TextProtoFileName);
        if (!File.Exists(pb) && !File.Exists(pbtxt))
        {
            if (ServingVersions.Latest(path) is { } version) return Open(version, verifyFingerprint);
            if (File.Exists(System.IO.Path.Combine(path, "checkpoint")) || Directory.GetFiles(path, "*.index").Length > 0)
                throw new WrongFileKindException(path, "this directory holds a checkpoint, not a SavedModel; read it with CheckpointReader.Open (or 'staticflow inspect')");
            string[] graphs = Directory.GetFiles(path, "*.pb");
            if (graphs.Length > 0)
                throw new WrongFileKindException(path, $"no saved_model.pb here, but {System.IO.Path.GetFileName(graphs[0])} is; if it is a frozen GraphDef read it with GraphDefFile.Read");
            throw new StaticFlowFormatException(path, "no saved_model.pb or saved_model.pbtxt in this directory");
        }

        byte[]? bytes = File.Exists(pb) ? File.ReadAllBytes(pb) : null;
        SavedModel model = bytes is not null ? ParseBinary(pb, bytes) : ReadText(pbtxt);
        FingerprintDef? fingerprint = null;
        string fingerprintPath = System.IO.Path.Combine(path, FingerprintFileName);
        if (File.Exists(fingerprintPath))
        {
            try { fingerprint = FingerprintDef.Parser.ParseFrom(File.ReadAllBytes(fingerprintPath)); }
            catch (InvalidProtocolBufferException e) { throw new StaticFlowFormatException(fingerprintPath, $"not a valid FingerprintDef: {e.Message}", e); }
            if (verifyFingerprint) Verify(fingerprint, fingerprintPath, bytes, System.IO.Path.Combine(path, VariablesName, VariablesName + ".index"));
        }
        return new SavedModelDirectory(System.IO.Path.GetFullPath(path), model, bytes, fingerprint);
    }

    // The hashes TensorFlow defines on the bytes alone (0 means "not computed" and is not checked): a mismatch means
    // saved_model.pb or the variables index changed after the model was written.
    private static void Verify(FingerprintDef fingerprint, string fingerprintPath, byte[]? savedModelBytes, string variablesIndex)
    {
        if (fingerprint.SavedModelChecksum != 0 && savedModelBytes is not null)
        {
            ulong actual = FarmHash.Fingerprint64(savedModelBytes);
            if (actual != fingerprint.SavedModelChecksum)
                throw new FingerprintMismatchException(fingerprintPath, ProtoFileName, fingerprint.SavedModelChecksum, actual);
        }
        if (fingerprint.CheckpointHash != 0 && File.Exists(variablesIndex))
        {
            ulong actual = FarmHash.Fingerprint64(File.ReadAllBytes(variablesIndex));
            if (actual != fingerprint.CheckpointHash)
                throw new FingerprintMismatchException(fingerprintPath, "variables/variables.index", fingerprint.CheckpointHash, actual);
        }
    }

    /// <summary>The meta graph whose tags are exactly <paramref name="tags"/> (default: <c>serve</c>).</summary>
    /// <exception cref="KeyNotFoundException">No meta graph has those tags; the message lists the tag sets present.</exception>
    public MetaGraphDef GetMetaGraph(params string[] tags)
    {
        if (tags.Length == 0) tags = [ServeTag];
        var wanted = new HashSet<string>(tags, StringComparer.Ordinal);
        foreach (var metaGraph in Model.MetaGraphs)
            if (wanted.SetEquals(metaGraph.MetaInfoDef?.Tags ?? [])) return metaGraph;
        throw new KeyNotFoundException($"{Path}: no meta graph with tags {{{string.Join(", ", tags)}}}; present: {string.Join("; ", TagSets.Select(t => "{" + string.Join(", ", t) + "}"))}");
    }

    /// <summary>The tag set of each meta graph.</summary>
    public IReadOnlyList<IReadOnlyList<string>> TagSets => [.. Model.MetaGraphs.Select(m => (IReadOnlyList<string>)[.. m.MetaInfoDef?.Tags ?? []])];

    /// <summary>Reads a binary <c>saved_model.pb</c>.</summary>
    public static SavedModel ReadBinary(string path) => ParseBinary(path, File.ReadAllBytes(path));

    private static SavedModel ParseBinary(string path, byte[] bytes)
    {
        SavedModel model;
        try { model = SavedModel.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e)
        {
            throw new StaticFlowFormatException(path, $"not a valid SavedModel protobuf: {e.Message}", e);
        }
        if (model.MetaGraphs.Count == 0)
        {
            throw ModelFileSniffer.Detect(bytes) == ModelFileKind.GraphDef
                ? new WrongFileKindException(path, "this is a frozen GraphDef, not a SavedModel; read it with GraphDefFile.Read (or 'staticflow graph')")
                : new StaticFlowFormatException(path, "the SavedModel has no meta graphs");
        }
        return model;
    }

    /// <summary>Reads a text <c>saved_model.pbtxt</c>.</summary>
    public static SavedModel ReadText(string path)
    {
        try { return TextFormat.Parse<SavedModel>(File.ReadAllText(path)); }
        catch (FormatException e) { throw new StaticFlowFormatException(path, $"not a valid SavedModel text proto: {e.Message}", e); }
    }
}

/// <summary>TensorFlow Serving's versioned layout: <c>base/1</c>, <c>base/2</c>, ..., the highest number served.</summary>
public static class ServingVersions
{
    /// <summary>The numbered version directories of <paramref name="basePath"/> that hold a SavedModel, lowest first.</summary>
    public static IReadOnlyList<(long Version, string Path)> List(string basePath)
    {
        if (!Directory.Exists(basePath)) return [];
        var versions = new List<(long, string)>();
        foreach (string dir in Directory.GetDirectories(basePath))
        {
            if (long.TryParse(System.IO.Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out long version) &&
                (File.Exists(System.IO.Path.Combine(dir, SavedModelDirectory.ProtoFileName)) || File.Exists(System.IO.Path.Combine(dir, SavedModelDirectory.TextProtoFileName))))
                versions.Add((version, dir));
        }
        versions.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return versions;
    }

    /// <summary>The newest version's directory, or null.</summary>
    public static string? Latest(string basePath) => List(basePath) is { Count: > 0 } list ? list[^1].Path : null;

    /// <summary>The directory for the next version (one more than the newest, or 1).</summary>
    public static string Next(string basePath) =>
        System.IO.Path.Combine(basePath, ((List(basePath) is { Count: > 0 } list ? list[^1].Version : 0) + 1).ToString(CultureInfo.InvariantCulture));
}
