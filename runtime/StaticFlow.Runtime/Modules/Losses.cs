using System.Numerics;
using StaticFlow.Operations;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// Keras' losses (<c>tf.keras.losses</c>), each the mean over the batch: usable in graph functions (the generator
/// expands them into ops, so their gradients come from those ops' rules) and eagerly.
/// </summary>
public static class Losses
{
    /// <summary>Mean of (yPred - yTrue)² (<c>mse</c>).</summary>
    [Composite("MeanSquaredError")]
    public static Tensor<T> MeanSquaredError<T>(Tensor<T> yTrue, Tensor<T> yPred) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("MeanSquaredError", [yTrue.Untyped, yPred.Untyped]);

    /// <summary>Mean of |yPred - yTrue| (<c>mae</c>).</summary>
    [Composite("MeanAbsoluteError")]
    public static Tensor<T> MeanAbsoluteError<T>(Tensor<T> yTrue, Tensor<T> yPred) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("MeanAbsoluteError", [yTrue.Untyped, yPred.Untyped]);

    /// <summary>Huber loss: quadratic within <paramref name="delta"/> of the target, linear beyond.</summary>
    [Composite("Huber")]
    public static Tensor<T> Huber<T>(Tensor<T> yTrue, Tensor<T> yPred, double delta = 1.0) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("Huber", [yTrue.Untyped, yPred.Untyped], ("delta", delta));

    /// <summary>Binary cross-entropy of labels in [0, 1] and probabilities (or logits when <paramref name="fromLogits"/>).</summary>
    [Composite("BinaryCrossentropy")]
    public static Tensor<T> BinaryCrossentropy<T>(Tensor<T> yTrue, Tensor<T> yPred, bool fromLogits = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("BinaryCrossentropy", [yTrue.Untyped, yPred.Untyped], ("fromLogits", fromLogits));

    /// <summary>Categorical cross-entropy of one-hot (or soft) labels and probabilities (or logits, by <c>SoftmaxCrossEntropyWithLogits</c>).</summary>
    [Composite("CategoricalCrossentropy")]
    public static Tensor<T> CategoricalCrossentropy<T>(Tensor<T> yTrue, Tensor<T> yPred, bool fromLogits = false) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("CategoricalCrossentropy", [yTrue.Untyped, yPred.Untyped], ("fromLogits", fromLogits));

    /// <summary>Cross-entropy of class indices and probabilities (or logits), by <c>SparseSoftmaxCrossEntropyWithLogits</c>.</summary>
    [Composite("SparseCategoricalCrossentropy")]
    public static Tensor<T> SparseCategoricalCrossentropy<T, TLabel>(Tensor<TLabel> yTrue, Tensor<T> yPred, bool fromLogits = false)
        where T : unmanaged, IFloatingPointIeee754<T> where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        Composites.Run<T>("SparseCategoricalCrossentropy", [yTrue.Untyped, yPred.Untyped], ("fromLogits", fromLogits));
}

/// <summary>Keras' accuracy metrics for one batch (the fraction right), in graph functions and eagerly; <see cref="Training.MeanMetric"/> averages them over batches.</summary>
public static class Metrics
{
    /// <summary>The fraction of rows whose highest prediction is the label index.</summary>
    [Composite("SparseCategoricalAccuracy")]
    public static Tensor<T> SparseCategoricalAccuracy<T, TLabel>(Tensor<TLabel> yTrue, Tensor<T> yPred)
        where T : unmanaged, IFloatingPointIeee754<T> where TLabel : unmanaged, IBinaryInteger<TLabel> =>
        Composites.Run<T>("SparseCategoricalAccuracy", [yTrue.Untyped, yPred.Untyped]);

    /// <summary>The fraction of rows whose highest prediction is at the one-hot label's 1.</summary>
    [Composite("CategoricalAccuracy")]
    public static Tensor<T> CategoricalAccuracy<T>(Tensor<T> yTrue, Tensor<T> yPred) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("CategoricalAccuracy", [yTrue.Untyped, yPred.Untyped]);

    /// <summary>The fraction of predictions on the label's side of <paramref name="threshold"/>.</summary>
    [Composite("BinaryAccuracy")]
    public static Tensor<T> BinaryAccuracy<T>(Tensor<T> yTrue, Tensor<T> yPred, double threshold = 0.5) where T : unmanaged, IFloatingPointIeee754<T> =>
        Composites.Run<T>("BinaryAccuracy", [yTrue.Untyped, yPred.Untyped], ("threshold", threshold));
}

/// <summary>Runs a composite eagerly (recorded by an open <see cref="GradientTape"/> like any op).</summary>
internal static class Composites
{
    public static Tensor<T> Run<T>(string name, Tensor[] inputs, params (string Name, object Value)[] options) where T : unmanaged
    {
        Composite composite = CompositeOps.Find(name) ?? throw new InvalidOperationException($"StaticFlow has no composite '{name}'.");
        var values = options.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal);
        try
        {
            BuiltTensor result = composite(new EagerOpBuilder(), [.. inputs.Select(EagerOpBuilder.Built)], values);
            return new Tensor<T>(EagerOpBuilder.Unbuilt(result));
        }
        catch (OpBuildException e)
        {
            throw new ArgumentException($"{name}: {e.Message}.", e);
        }
    }
}
