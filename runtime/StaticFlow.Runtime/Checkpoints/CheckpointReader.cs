using StaticFlow.Formats.Bundles;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Checkpoints;

/// <summary>
/// Reads a checkpoint (like <c>tf.train.load_checkpoint</c>): lists its variables, reads them by name, and
/// for TF2 object-based checkpoints maps object paths (<c>dense/kernel</c>) to their keys.
/// </summary>
public sealed class CheckpointReader : IDisposable
{
    private readonly TensorBundleReader _bundle;
    private readonly Dictionary<string, string> _keyOfObjectPath = new(StringComparer.Ordinal);

    private CheckpointReader(TensorBundleReader bundle)
    {
        _bundle = bundle;
        if (bundle.Contains(ObjectGraph.ObjectGraphKey))
        {
            Tensor serialized = bundle.Read(ObjectGraph.ObjectGraphKey);
            if (serialized.DType != DType.String || serialized.ElementCount != 1)
                throw new StaticFlowFormatException(BundleFiles.IndexPath(bundle.Prefix), $"{ObjectGraph.ObjectGraphKey} is {serialized}, not a scalar string");
            ObjectGraphProto = TensorBundleReader.ParseProto(TrackableObjectGraph.Parser, serialized.Strings[0], BundleFiles.DataPath(bundle.Prefix, 0, bundle.Header.NumShards), ObjectGraph.ObjectGraphKey);
            try { ObjectValues = ObjectGraph.Values(ObjectGraphProto); }
            catch (FormatException e) { throw new StaticFlowFormatException(BundleFiles.IndexPath(bundle.Prefix), e.Message, e); }
            foreach (var value in ObjectValues)
                if (value.Attribute == ObjectGraph.VariableValue) _keyOfObjectPath.TryAdd(value.ObjectPath, value.CheckpointKey);
        }
    }

    /// <summary>The checkpoint's prefix.</summary>
    public string Prefix => _bundle.Prefix;

    /// <summary>The underlying tensor bundle.</summary>
    public TensorBundleReader Bundle => _bundle;

    /// <summary>True for a TF2 object-based checkpoint.</summary>
    public bool IsObjectBased => ObjectGraphProto is not null;

    /// <summary>The TF2 object graph, or null for a TF1 name-based checkpoint.</summary>
    public TrackableObjectGraph? ObjectGraphProto { get; }

    /// <summary>Every value the object graph names, with its object path (empty for TF1 checkpoints).</summary>
    public IReadOnlyList<ObjectGraphValue> ObjectValues { get; } = [];

    /// <summary>
    /// Opens a checkpoint named the way users name one: its prefix (<c>dir/ckpt-3</c>), its <c>.index</c> or a
    /// data file, a directory with a <c>checkpoint</c> state file (its latest checkpoint), or a SavedModel
    /// directory (its <c>variables/variables</c>).
    /// </summary>
    /// <exception cref="StaticFlowFormatException">Nothing there is a checkpoint; the message says what was found.</exception>
    public static CheckpointReader Open(string path) => new(TensorBundleReader.Open(ResolvePrefix(path)));

    /// <summary>Resolves any of the names <see cref="Open"/> accepts to a checkpoint prefix.</summary>
    public static string ResolvePrefix(string path)
    {
        if (path.EndsWith(".index", StringComparison.Ordinal) && File.Exists(path)) return path[..^".index".Length];
        int data = path.LastIndexOf(".data-", StringComparison.Ordinal);
        if (data > 0 && File.Exists(path)) return path[..data];
        if (File.Exists(path + ".index")) return path;
        if (Directory.Exists(path))
        {
            if (CheckpointStateFile.Read(path) is { ModelCheckpointPath.Length: > 0 } state)
            {
                string latest = CheckpointStateFile.Resolve(path, state.ModelCheckpointPath);
                if (File.Exists(BundleFiles.IndexPath(latest))) return latest;
                // Opening some other .index here would show the wrong checkpoint without a word.
                throw new StaticFlowFormatException(Path.Combine(path, CheckpointStateFile.FileName),
                    $"the state file names checkpoint '{state.ModelCheckpointPath}' as the latest, but {BundleFiles.IndexPath(latest)} does not exist; pass a checkpoint prefix to open another one");
            }
            string savedModelVariables = Path.Combine(path, "variables", "variables");
            if (File.Exists(savedModelVariables + ".index")) return savedModelVariables;
            string[] indexes = Directory.GetFiles(path, "*.index");
            if (indexes.Length == 1) return indexes[0][..^".index".Length];
            throw new StaticFlowFormatException(path, indexes.Length == 0
                ? "the directory holds no checkpoint (no 'checkpoint' state file and no *.index file)"
                : $"the directory holds {indexes.Length} checkpoints and no 'checkpoint' state file naming the latest; pass one prefix: {string.Join(", ", indexes.Select(i => Path.GetFileName(i)[..^6]))}");
        }
        if (File.Exists(path) && (path.EndsWith(".pb", StringComparison.Ordinal) || path.EndsWith(".pbtxt", StringComparison.Ordinal)))
            throw new WrongFileKindException(path, "this is a graph or SavedModel file, not a checkpoint; checkpoints are PREFIX.index + PREFIX.data-* files (for a SavedModel, pass its directory)");
        throw new StaticFlowFormatException(path, $"no checkpoint here: neither {path}.index nor a directory exists");
    }

    /// <summary>Every tensor's name, dtype and shape, sorted by name (like <c>tf.train.list_variables</c>).</summary>
    public IReadOnlyList<BundleTensorInfo> ListVariables() => _bundle.List();

    /// <summary>True when <paramref name="name"/> is a key or (TF2) an object path with a saved value.</summary>
    public bool Contains(string name) => _bundle.Contains(name) || _keyOfObjectPath.ContainsKey(name);

    /// <summary>
    /// Reads a variable by its checkpoint key, or, for TF2 checkpoints, by its object path (<c>dense/kernel</c>
    /// finds <c>dense/kernel/.ATTRIBUTES/VARIABLE_VALUE</c>).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No key or object path is called <paramref name="name"/>.</exception>
    /// <exception cref="StaticFlowFormatException">The object graph maps <paramref name="name"/> to a key the bundle does not hold, or the data is corrupt.</exception>
    public Tensor Read(string name)
    {
        if (_bundle.Contains(name) || !_keyOfObjectPath.TryGetValue(name, out string? key)) return _bundle.Read(name);
        if (!_bundle.Contains(key))
            throw new StaticFlowFormatException(BundleFiles.IndexPath(_bundle.Prefix),
                $"the object graph ({ObjectGraph.ObjectGraphKey}) saves '{name}' under key '{key}', which the bundle does not hold");
        return _bundle.Read(key);
    }

    /// <summary>Reads every variable (the object graph itself excluded) into a dictionary keyed by checkpoint key.</summary>
    public Dictionary<string, Tensor> ReadAll()
    {
        var all = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in _bundle.Names)
            if (name != ObjectGraph.ObjectGraphKey) all.Add(name, _bundle.Read(name));
        return all;
    }

    /// <inheritdoc/>
    public void Dispose() => _bundle.Dispose();
}
