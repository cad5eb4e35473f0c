namespace StaticFlow.Layers;

/// <summary>
/// A layer: a graph module whose <c>[GraphFunction]</c> <see cref="Call"/> maps a float tensor to another, so layers
/// chain (<c>Sequential</c>) and a parent module holds them in fields or lists typed <c>ILayer</c>. The layer library
/// ships as source with the package (namespace <c>StaticFlow.Layers</c>), compiled into the user's project so the
/// generator can see every layer's graph.
/// </summary>
public interface ILayer
{
    /// <summary>
    /// The layer's forward pass (Keras' <c>call</c>). <paramref name="training"/> is Keras' flag (batch statistics,
    /// dropout masks); in graph functions it is a constant each caller passes, so each mode is its own graph.
    /// </summary>
    Tensor<float> Call(Tensor<float> x, bool training = false);
}

/// <summary>The activation a layer applies to its output, as Keras' <c>activation</c> argument.</summary>
public enum Activation
{
    /// <summary>None (<c>linear</c>).</summary>
    Linear,
    /// <summary><c>relu</c>.</summary>
    Relu,
    /// <summary><c>sigmoid</c>.</summary>
    Sigmoid,
    /// <summary><c>tanh</c>.</summary>
    Tanh,
    /// <summary><c>softmax</c> over the last axis.</summary>
    Softmax,
}

/// <summary>Padding of convolutions and pooling, as Keras' <c>padding</c> argument.</summary>
public enum Padding
{
    /// <summary><c>valid</c>: windows inside the input only.</summary>
    Valid,
    /// <summary><c>same</c>: zero padding so that the output has ceil(input / stride) positions.</summary>
    Same,
}
