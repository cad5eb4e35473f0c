using System.Text.Json;
using StaticFlow.Checkpoints;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Keras;

/// <summary>One weight Keras saved: where it came from, its dtype and shape, and how to read it.</summary>
internal sealed record KerasWeight(string SourceName, DType DType, TensorShape Shape, Func<Tensor> Read);

/// <summary>
/// A Keras layer's saved weights by their path inside the layer (<c>kernel</c>, <c>query/kernel</c>), or, for a
/// model (or a model nested as a layer), its layers that have weights, in Keras' order.
/// </summary>
internal sealed class KerasLayerWeights(string name)
{
    /// <summary>How the file names the layer (<c>layer_with_weights-2</c>, <c>dense_1</c>).</summary>
    public string Name { get; } = name;

    /// <summary>The layers with weights of a model, in order; empty for a plain layer.</summary>
    public List<KerasLayerWeights> Layers { get; } = [];

    /// <summary>A plain layer's weights by canonical path (<see cref="KerasWeightsSource.Canonical"/>); several paths may name one weight.</summary>
    public Dictionary<string, KerasWeight> Weights { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// Reads what Keras writes into one shape, <see cref="KerasLayerWeights"/>: a TF2 checkpoint or SavedModel
/// (object-based keys, a model's layers as <c>layer_with_weights-N</c>, see Keras' <c>_layer_checkpoint_dependencies</c>),
/// or a TensorFlow.js layers model (<c>model.json</c> with its weight shards, as tfjs and <c>tensorflowjs_converter</c> write).
/// </summary>
internal sealed class KerasWeightsSource : IDisposable
{
    private const string WeightedLayerPrefix = "layer_with_weights-";
    // A layer's weights sit a few objects below it (cell/kernel, _query_dense/kernel); a bound keeps a hostile graph finite.
    private const int MaxDepthInLayer = 6;
    private const int MaxModelNesting = 32;

    private readonly CheckpointReader? _checkpoint;

    private KerasWeightsSource(string path, KerasLayerWeights root, CheckpointReader? checkpoint)
    {
        Path = path;
        Root = root;
        _checkpoint = checkpoint;
    }

    /// <summary>The file or directory read.</summary>
    public string Path { get; }

    /// <summary>The model: its layers with weights.</summary>
    public KerasLayerWeights Root { get; }

    /// <summary>Opens a TF.js <c>model.json</c> (or a directory holding one), or a TF2 checkpoint / SavedModel directory.</summary>
    public static KerasWeightsSource Open(string path)
    {
        string modelJson = Directory.Exists(path) ? System.IO.Path.Combine(path, "model.json") : path;
        if (modelJson.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(modelJson))
            return new KerasWeightsSource(modelJson, LayersModel.Read(modelJson), null);
        if (path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".keras", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase))
            throw new WrongFileKindException(path, "Keras HDF5 and .keras files are not read; save the weights as a TF2 checkpoint (model.save_weights('ckpt') in TF 2.x), a SavedModel, or a TensorFlow.js layers model, and pass that");
        var checkpoint = CheckpointReader.Open(path);
        try { return new KerasWeightsSource(checkpoint.Prefix, ObjectGraphModel.Read(checkpoint), checkpoint); }
        catch { checkpoint.Dispose(); throw; }
    }

    /// <summary>
    /// A weight's path inside its layer as the layer library names it, whichever way Keras wrote it: no <c>:0</c>
    /// suffix, no RNN cell object (<c>cell/kernel</c>, <c>lstm_cell/kernel</c> are <c>kernel</c>), and
    /// MultiHeadAttention's tracked sub-layers by their layer names (<c>_query_dense</c> is <c>query</c>).
    /// </summary>
    public static string Canonical(IEnumerable<string> segments) => string.Join("/", segments
        .Select(s => s.IndexOf(':') is int colon and > 0 ? s[..colon] : s)
        .Where(s => s != "cell" && !s.EndsWith("_cell", StringComparison.Ordinal))
        .Select(s => s switch
        {
            "_query_dense" => "query",
            "_key_dense" => "key",
            "_value_dense" => "value",
            "_output_dense" => "attention_output",
            _ => s,
        }));

    /// <inheritdoc/>
    public void Dispose() => _checkpoint?.Dispose();

    /// <summary>The TF2 object graph: the root's <c>layer_with_weights-N</c> children, each layer's variables below it.</summary>
    private static class ObjectGraphModel
    {
        public static KerasLayerWeights Read(CheckpointReader checkpoint)
        {
            string file = checkpoint.Prefix + ".index";
            TrackableObjectGraph graph = checkpoint.ObjectGraphProto
                ?? throw new StaticFlowFormatException(file, "a name-based (TF1) checkpoint has no Keras layer structure; restore it with RestoreCheckpoint, which matches variable names");
            var infos = checkpoint.ListVariables().ToDictionary(v => v.Name, StringComparer.Ordinal);
            var root = Model(graph, 0, "the model", file, checkpoint, infos, []);
            if (root.Layers.Count == 0)
                throw new StaticFlowFormatException(file, "the object graph's root has no 'layer_with_weights-N' children: this is not a Keras Sequential or functional model's checkpoint (a subclassed model's checkpoint restores by object path with RestoreCheckpoint)");
            return root;
        }

        private static KerasLayerWeights Model(TrackableObjectGraph graph, int id, string name, string file, CheckpointReader checkpoint,
            Dictionary<string, Formats.Bundles.BundleTensorInfo> infos, HashSet<int> enclosing)
        {
            if (enclosing.Count > MaxModelNesting || !enclosing.Add(id))
                throw new StaticFlowFormatException(file, $"the object graph nests models more than {MaxModelNesting} deep or in a cycle at '{name}'");
            var result = new KerasLayerWeights(name);
            var layers = new SortedDictionary<int, TrackableObjectGraph.Types.TrackableObject.Types.ObjectReference>();
            foreach (var child in Node(graph, id, file).Children)
            {
                if (!child.LocalName.StartsWith(WeightedLayerPrefix, StringComparison.Ordinal)) continue;
                if (!int.TryParse(child.LocalName.AsSpan(WeightedLayerPrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)
                    || !layers.TryAdd(index, child))
                    throw new StaticFlowFormatException(file, $"object '{name}' has a child named '{child.LocalName}', which is not one 'layer_with_weights-N' per layer");
            }
            if (layers.Count > 0 && layers.Keys.Last() != layers.Count - 1)
                throw new StaticFlowFormatException(file, $"the layers with weights of '{name}' are numbered {string.Join(", ", layers.Keys)}, not 0 to {layers.Count - 1}");
            foreach (var (_, layer) in layers)
            {
                bool isModel = Node(graph, layer.NodeId, file).Children.Any(c => c.LocalName.StartsWith(WeightedLayerPrefix, StringComparison.Ordinal));
                result.Layers.Add(isModel
                    ? Model(graph, layer.NodeId, layer.LocalName, file, checkpoint, infos, enclosing)
                    : Layer(graph, layer.NodeId, layer.LocalName, file, checkpoint, infos));
            }
            enclosing.Remove(id);
            return result;
        }

        /// <summary>Every variable under the layer's object, by every path to it within <see cref="MaxDepthInLayer"/> objects.</summary>
        private static KerasLayerWeights Layer(TrackableObjectGraph graph, int id, string name, string file, CheckpointReader checkpoint,
            Dictionary<string, Formats.Bundles.BundleTensorInfo> infos)
        {
            var layer = new KerasLayerWeights(name);
            var pending = new Queue<(int Id, string[] Path)>([(id, [])]);
            int visits = 0;
            while (pending.Count > 0)
            {
                var (nodeId, path) = pending.Dequeue();
                if (++visits > 100_000) throw new StaticFlowFormatException(file, $"layer '{name}' reaches more than 100000 objects");
                var node = Node(graph, nodeId, file);
                foreach (var attribute in node.Attributes)
                {
                    if (attribute.Name != ObjectGraph.VariableValue || path.Length == 0) continue;
                    if (!infos.TryGetValue(attribute.CheckpointKey, out var info))
                        throw new StaticFlowFormatException(file, $"the object graph saves '{name}/{string.Join('/', path)}' under key '{attribute.CheckpointKey}', which the bundle does not hold");
                    var dtype = DTypes.FromProto(info.DataType, $"{file}: {attribute.CheckpointKey}");
                    layer.Weights.TryAdd(Canonical(path), new KerasWeight(attribute.CheckpointKey, dtype, info.Shape, () => checkpoint.Bundle.Read(attribute.CheckpointKey)));
                }
                if (path.Length == MaxDepthInLayer) continue;
                foreach (var child in node.Children)
                    if (!path.Contains(child.LocalName)) pending.Enqueue((child.NodeId, [.. path, child.LocalName]));
            }
            return layer;
        }

        private static TrackableObjectGraph.Types.TrackableObject Node(TrackableObjectGraph graph, int id, string file) =>
            id >= 0 && id < graph.Nodes.Count ? graph.Nodes[id] : throw new StaticFlowFormatException(file, $"the object graph references node {id}, but has {graph.Nodes.Count} nodes");
    }

    /// <summary>TensorFlow.js's layers-model format: <c>model.json</c> (Keras topology + weights manifest) and binary shards.</summary>
    private static class LayersModel
    {
        private const long MaxModelJsonBytes = 64L << 20;

        public static KerasLayerWeights Read(string modelJson)
        {
            // A topology is kilobytes (the weights are in the shards); a model.json far larger is not one.
            long length = new FileInfo(modelJson).Length;
            if (length > MaxModelJsonBytes)
                throw new StaticFlowFormatException(modelJson, $"the file is {length} bytes; a layers model's model.json holds its topology and manifest, at most {MaxModelJsonBytes} bytes");
            JsonDocument document;
            try { document = JsonDocument.Parse(File.ReadAllBytes(modelJson)); }
            catch (JsonException e) { throw new StaticFlowFormatException(modelJson, $"not JSON: {e.Message}", e); }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("modelTopology", out var topology) || !root.TryGetProperty("weightsManifest", out var manifest))
                    throw new WrongFileKindException(modelJson, "not a TensorFlow.js layers model: it needs 'modelTopology' and 'weightsManifest'");
                if (topology.ValueKind == JsonValueKind.Object && topology.TryGetProperty("model_config", out var modelConfig)) topology = modelConfig;
                var weights = Weights(modelJson, manifest);
                var claimed = new HashSet<string>(StringComparer.Ordinal);
                var model = Model(modelJson, topology, "the model", weights, claimed, 0);
                string? stray = weights.Keys.FirstOrDefault(k => !claimed.Contains(k));
                if (stray is not null)
                    throw new StaticFlowFormatException(modelJson, $"the weights manifest names '{stray}', which belongs to no layer of the topology");
                return model;
            }
        }

        private static KerasLayerWeights Model(string file, JsonElement model, string name, Dictionary<string, KerasWeight> weights, HashSet<string> claimed, int depth)
        {
            if (depth > MaxModelNesting) throw new StaticFlowFormatException(file, $"models nest more than {MaxModelNesting} deep");
            var result = new KerasLayerWeights(name);
            foreach (var layer in LayerList(file, model))
            {
                string layerName = layer.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
                    && config.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
                    : throw new StaticFlowFormatException(file, "a layer of the topology has no config.name");
                if (config.TryGetProperty("layers", out var nested) && nested.ValueKind == JsonValueKind.Array)
                {
                    var inner = Model(file, layer, layerName, weights, claimed, depth + 1);
                    if (inner.Layers.Count > 0) result.Layers.Add(inner);
                    continue;
                }
                var own = new KerasLayerWeights(layerName);
                string prefix = layerName + "/";
                foreach (var (weightName, weight) in weights)
                {
                    if (!weightName.StartsWith(prefix, StringComparison.Ordinal) || !claimed.Add(weightName)) continue;
                    if (!own.Weights.TryAdd(Canonical(weightName[prefix.Length..].Split('/')), weight))
                        throw new StaticFlowFormatException(file, $"layer '{layerName}' has two weights named like '{weightName}'");
                }
                if (own.Weights.Count > 0) result.Layers.Add(own);
            }
            return result;
        }

        /// <summary>A Sequential's or functional model's layer configs: <c>config.layers</c> (or, from old Keras, <c>config</c> itself).</summary>
        private static IEnumerable<JsonElement> LayerList(string file, JsonElement model)
        {
            if (model.ValueKind == JsonValueKind.Object && model.TryGetProperty("config", out var config))
            {
                if (config.ValueKind == JsonValueKind.Array) return config.EnumerateArray();
                if (config.ValueKind == JsonValueKind.Object && config.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                    return layers.EnumerateArray();
            }
            throw new StaticFlowFormatException(file, "the model topology has no list of layers (config.layers)");
        }

        /// <summary>The manifest's weights by name, each group's shards read and split in order; sizes are checked before anything is allocated.</summary>
        private static Dictionary<string, KerasWeight> Weights(string file, JsonElement manifest)
        {
            if (manifest.ValueKind != JsonValueKind.Array) throw new StaticFlowFormatException(file, "weightsManifest is not a list");
            string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file))!;
            var result = new Dictionary<string, KerasWeight>(StringComparer.Ordinal);
            foreach (var group in manifest.EnumerateArray())
            {
                if (group.ValueKind != JsonValueKind.Object || !group.TryGetProperty("paths", out var paths) || paths.ValueKind != JsonValueKind.Array
                    || !group.TryGetProperty("weights", out var specs) || specs.ValueKind != JsonValueKind.Array)
                    throw new StaticFlowFormatException(file, "a weightsManifest group needs 'paths' and 'weights' lists");
                var shards = new List<string>();
                long available = 0;
                foreach (var shard in paths.EnumerateArray())
                {
                    string relative = shard.ValueKind == JsonValueKind.String ? shard.GetString()! : throw new StaticFlowFormatException(file, "a shard path is not a string");
                    string full = System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, relative));
                    // Shards live next to model.json; a path out of that folder is refused, not followed.
                    if (!full.StartsWith(directory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                        throw new StaticFlowFormatException(file, $"shard '{relative}' is outside the model's folder");
                    if (!File.Exists(full)) throw new StaticFlowFormatException(file, $"shard '{relative}' does not exist");
                    shards.Add(full);
                    available += new FileInfo(full).Length;
                }
                var layout = new List<(string Name, DType DType, TensorShape Shape, long Offset, long Bytes)>();
                long offset = 0;
                foreach (var spec in specs.EnumerateArray())
                {
                    var (name, dtype, shape) = Spec(file, spec);
                    long bytes = shape.TryGetElementCount(out long count) && count <= available / dtype.SizeOf() ? count * dtype.SizeOf()
                        : throw new StaticFlowFormatException(file, $"weight '{name}' of shape {shape} does not fit: the shards hold {available} bytes");
                    layout.Add((name, dtype, shape, offset, bytes));
                    offset += bytes;
                    if (offset > available) throw new StaticFlowFormatException(file, $"the weights up to '{name}' need {offset} bytes, but the shards hold {available} bytes");
                }
                if (available > Tensor.MaxStorageBytes) throw new StaticFlowFormatException(file, $"a weight group's shards hold {available} bytes, more than one allocation ({Tensor.MaxStorageBytes})");
                if (offset != available)
                    throw new StaticFlowFormatException(file, $"the manifest's weights take {offset} bytes, but the shards ({string.Join(", ", shards.Select(System.IO.Path.GetFileName))}) hold {available} bytes");
                byte[] data = new byte[available];
                int at = 0;
                foreach (string shard in shards)
                {
                    using var stream = File.OpenRead(shard);
                    stream.ReadExactly(data, at, (int)stream.Length);
                    at += (int)stream.Length;
                }
                foreach (var (name, dtype, shape, start, bytes) in layout)
                {
                    var tensor = Tensor.Uninitialized(dtype, shape);
                    // The format is little-endian, as .NET's supported hosts are.
                    data.AsSpan((int)start, (int)bytes).CopyTo(tensor.AsBytes());
                    if (!result.TryAdd(name, new KerasWeight(name, dtype, shape, () => tensor)))
                        throw new StaticFlowFormatException(file, $"the manifest names weight '{name}' twice");
                }
            }
            return result;
        }

        private static (string Name, DType DType, TensorShape Shape) Spec(string file, JsonElement spec)
        {
            if (spec.ValueKind != JsonValueKind.Object || !spec.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !spec.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
                throw new StaticFlowFormatException(file, "a weight spec needs a 'name' and a 'shape'");
            string weight = name.GetString()!;
            if (spec.TryGetProperty("quantization", out var quantization) && quantization.ValueKind != JsonValueKind.Null)
                throw new StaticFlowFormatException(file, $"weight '{weight}' is quantized; convert the model without quantization");
            string dtypeName = spec.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "float32";
            DType dtype = dtypeName switch
            {
                "float32" => DType.Float32,
                "int32" => DType.Int32,
                _ => throw new StaticFlowFormatException(file, $"weight '{weight}' has dtype '{dtypeName}'; float32 and int32 are read"),
            };
            var dims = new List<long>();
            foreach (var dim in shape.EnumerateArray())
            {
                if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long value) || value < 0 || dims.Count >= 32)
                    throw new StaticFlowFormatException(file, $"weight '{weight}' has an invalid shape {shape.GetRawText()}");
                dims.Add(value);
            }
            return (weight, dtype, new TensorShape([.. dims]));
        }
    }
}
