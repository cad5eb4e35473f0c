using StaticFlow.IO;
using StaticFlow.Keras;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>Weights written by Keras, restored into a module built from the layer library.</summary>
public static class KerasWeights
{
    /// <summary>
    /// Restores the weights of a Keras Sequential or functional model into <paramref name="module"/>, matching Keras'
    /// layers that have weights, in Keras' order, to the module's layers in declaration order (the items of a layer
    /// list such as <c>Sequential</c>'s, or the module's layer fields), and each layer's weights by their Keras names
    /// (<c>kernel</c>, <c>recurrent_kernel</c>, <c>moving_mean</c>, MultiHeadAttention's <c>query/kernel</c>).
    /// A module holding one model (a field with a <c>Sequential</c>) matches that model. Optimizer state keeps its value.
    /// </summary>
    /// <param name="module">The module; its layers must have Keras' layer order and weight shapes.</param>
    /// <param name="path">
    /// A TF2 checkpoint written by <c>model.save_weights</c> or <c>tf.train.Checkpoint(model)</c> (its prefix, or a
    /// directory with a <c>checkpoint</c> state file), a Keras SavedModel directory (its <c>variables/</c>), or a
    /// TensorFlow.js layers model (<c>model.json</c> or its directory).
    /// </param>
    /// <exception cref="StaticFlowFormatException">
    /// The file is not a Keras model's weights, or does not fit the module: the layer counts differ, a layer lacks a
    /// weight the module's layer has (or has one it does not), or a shape or dtype differs; the message names the
    /// Keras layer, the weight and the module's variable. Nothing is restored then.
    /// </exception>
    public static void RestoreKerasWeights(this IGraphModule module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var source = KerasWeightsSource.Open(path);
        var current = module.GetVariables();
        var values = new Dictionary<string, Tensor>(current, StringComparer.Ordinal);
        var variables = module.Definition.Variables.Where(v => !v.IsOptimizerState).Select(v => new Member(v.Name, v.Name)).ToList();
        new Matcher(source.Path, module, current, values).Model(source.Root, variables);
        module.SetVariables(values);
    }

    /// <summary>A module variable: its full name and its path below the layer or model being matched.</summary>
    private readonly record struct Member(string Name, string Relative);

    private sealed class Matcher(string file, IGraphModule module, IReadOnlyDictionary<string, Tensor> current, Dictionary<string, Tensor> values)
    {
        public void Model(KerasLayerWeights model, List<Member> members)
        {
            var layers = ByLayer(members);
            // A module that holds the model in one field (a Sequential) matches it one level down.
            while (layers.Count == 1 && !(model.Layers.Count == 1 && Fits(model.Layers[0], layers[0].Members)) && layers[0].Members.All(m => m.Relative.Contains('/')))
                layers = ByLayer(layers[0].Members);
            if (layers.Count != model.Layers.Count)
                throw new StaticFlowFormatException(file,
                    $"{model.Name} has {model.Layers.Count} layers with weights ({string.Join(", ", model.Layers.Select(l => l.Name))}), " +
                    $"but module {module.Definition.Name} has {layers.Count} at that level ({string.Join(", ", layers.Select(l => l.Path))})");
            for (int i = 0; i < layers.Count; i++)
            {
                if (model.Layers[i].Layers.Count > 0) Model(model.Layers[i], layers[i].Members);
                else Layer(model.Layers[i], layers[i].Path, layers[i].Members);
            }
        }

        private static bool Fits(KerasLayerWeights layer, List<Member> members) =>
            layer.Layers.Count > 0 || members.All(m => layer.Weights.ContainsKey(m.Relative));

        private void Layer(KerasLayerWeights layer, string path, List<Member> members)
        {
            var mine = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in members)
            {
                if (!layer.Weights.TryGetValue(member.Relative, out var weight))
                    throw new StaticFlowFormatException(file,
                        $"Keras layer '{layer.Name}' has no weight '{member.Relative}' for variable '{member.Name}' of module {module.Definition.Name} " +
                        $"(its weights: {string.Join(", ", layer.Weights.Keys.Order(StringComparer.Ordinal))}); are the layers in Keras' order?");
                var expected = current.TryGetValue(member.Name, out var value) && value is not null ? value.Shape
                    : new TensorShape(module.Definition.Variables.First(v => v.Name == member.Name).Shape);
                var dtype = module.Definition.Variables.First(v => v.Name == member.Name).DType;
                if (weight.DType != dtype || !expected.IsCompatibleWith(weight.Shape))
                    throw new StaticFlowFormatException(file,
                        $"Keras layer '{layer.Name}' weight '{member.Relative}' ({weight.SourceName}) is {weight.DType.Name()}{weight.Shape}, " +
                        $"but variable '{member.Name}' of module {module.Definition.Name} is {dtype.Name()}{expected}");
                values[member.Name] = weight.Read();
                mine.Add(weight.SourceName);
            }
            // A Keras weight the C# layer lacks (use_bias, center, scale set differently) would change the outputs silently.
            var extra = layer.Weights.Where(w => !mine.Contains(w.Value.SourceName)).Select(w => w.Value.SourceName).Distinct().ToList();
            if (extra.Count > 0)
                throw new StaticFlowFormatException(file,
                    $"Keras layer '{layer.Name}' has weights that layer '{path}' of module {module.Definition.Name} lacks: {string.Join(", ", extra)}");
        }

        /// <summary>Groups variables by the layer they belong to: a field (<c>dense</c>) or an item of a layer list (<c>layers/3</c>), in order.</summary>
        private List<(string Path, List<Member> Members)> ByLayer(List<Member> members)
        {
            var groups = new List<(string Path, List<Member> Members)>();
            foreach (var member in members)
            {
                string[] parts = member.Relative.Split('/');
                if (parts.Length == 1)
                    throw new StaticFlowFormatException(file,
                        $"variable '{member.Name}' of module {module.Definition.Name} is not in a layer; a Keras model keeps every weight in one of its layers");
                int take = parts.Length > 2 && parts[1].All(char.IsAsciiDigit) ? 2 : 1;
                string path = string.Join('/', parts[..take]);
                var relative = new Member(member.Name, string.Join('/', parts[take..]));
                int index = groups.FindIndex(g => g.Path == path);
                if (index < 0) groups.Add((path, [relative]));
                else groups[index].Members.Add(relative);
            }
            return groups;
        }
    }
}
