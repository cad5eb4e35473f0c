using StaticFlow.Formats.Bundles;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using Google.Protobuf;

namespace StaticFlow.Checkpoints;

/// <summary>How variable names become checkpoint keys.</summary>
public enum CheckpointKeyStyle
{
    /// <summary>TF1 name-based: the key is the variable's name (<c>dense/kernel</c>), as <c>tf.compat.v1.train.Saver</c> writes.</summary>
    NameBased,
    /// <summary>
    /// TF2 object-based: names are object paths, keys are <c>dense/kernel/.ATTRIBUTES/VARIABLE_VALUE</c>, and the
    /// bundle holds the <c>_CHECKPOINTABLE_OBJECT_GRAPH</c>, as <c>tf.train.Checkpoint</c> writes.
    /// </summary>
    ObjectBased,
}

/// <summary>Saves sets of named tensors as TensorFlow checkpoints.</summary>
public static class Checkpoint
{
    /// <summary>
    /// Writes <paramref name="variables"/> to the bundle at <paramref name="prefix"/> (atomically, see
    /// <see cref="TensorBundleWriter"/>). Variables are written in name order.
    /// </summary>
    /// <param name="prefix">The checkpoint prefix, e.g. <c>dir/ckpt-3</c>.</param>
    /// <param name="variables">Variables by name (TF1) or object path (TF2).</param>
    /// <param name="style">Name-based (TF1) or object-based (TF2) keys.</param>
    /// <param name="slots">
    /// Optimizer slot variables among <paramref name="variables"/> (by <see cref="OptimizerSlot.Name"/>); object-based
    /// checkpoints key them under their variable (<c>w/.OPTIMIZER_SLOT/Adam/m</c>), as TensorFlow 2 does.
    /// </param>
    public static void Save(string prefix, IReadOnlyDictionary<string, Tensor> variables, CheckpointKeyStyle style = CheckpointKeyStyle.ObjectBased,
        IReadOnlyCollection<OptimizerSlot>? slots = null)
    {
        using var writer = new TensorBundleWriter(prefix);
        if (style == CheckpointKeyStyle.ObjectBased)
        {
            TrackableObjectGraph graph = ObjectGraph.Build(variables.Keys, slots);
            writer.Add(ObjectGraph.ObjectGraphKey, Tensor.FromStrings([graph.ToByteArray()]));
            // Each value under the key its object graph node names (a slot's differs from its path).
            var keyOf = graph.Nodes.SelectMany(n => n.Attributes).ToDictionary(a => a.FullName, a => a.CheckpointKey, StringComparer.Ordinal);
            foreach (var (key, tensor) in variables.Select(v => (keyOf[v.Key], v.Value)).OrderBy(v => v.Item1, StringComparer.Ordinal))
                writer.Add(key, tensor);
        }
        else
        {
            foreach (var (name, tensor) in variables.OrderBy(v => v.Key, StringComparer.Ordinal)) writer.Add(name, tensor);
        }
        writer.Finish();
    }

    /// <summary>Opens a checkpoint by prefix, index file, or directory; see <see cref="CheckpointReader.Open"/>.</summary>
    public static CheckpointReader Load(string path) => CheckpointReader.Open(path);

    /// <summary>The latest checkpoint prefix in <paramref name="directory"/>, or null (like <c>tf.train.latest_checkpoint</c>).</summary>
    public static string? Latest(string directory) => CheckpointStateFile.LatestCheckpoint(directory);

    /// <summary>Lists (name, dtype, shape) of every tensor in a checkpoint (like <c>tf.train.list_variables</c>).</summary>
    public static IReadOnlyList<BundleTensorInfo> ListVariables(string path)
    {
        using var reader = CheckpointReader.Open(path);
        return reader.ListVariables();
    }
}
