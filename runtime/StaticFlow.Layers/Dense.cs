// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>Keras <c>Dense(units, activation)</c>: <c>activation(x · kernel + bias)</c> for inputs of <see cref="Inputs"/> features.</summary>
[GraphModule]
internal sealed partial class Dense : ILayer
{
    /// <summary>A dense layer from <paramref name="inputs"/> to <paramref name="units"/> features.</summary>
    public Dense(int inputs, int units, Activation activation = Activation.Linear)
    {
        Inputs = inputs;
        Units = units;
        Activation = activation;
        InitializeVariables();
    }

    /// <summary>Input features (Keras infers them at build; here the constructor says them).</summary>
    public int Inputs { get; }

    /// <summary>Output features.</summary>
    public int Units { get; }

    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }

    [Variable(nameof(Inputs), nameof(Units), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Units))] Tensor<float> bias;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        return Activations.Apply(Ops.MatMul(x, kernel) + bias, Activation);
    }
}

/// <summary>Keras' activations by name, shared by the layers (a static graph function: inlined, the activation a constant).</summary>
internal static class Activations
{
    /// <summary><paramref name="y"/> through <paramref name="activation"/>; only that op is in the graph.</summary>
    [GraphFunction]
    public static Tensor<float> Apply(Tensor<float> y, Activation activation) =>
        activation == Activation.Relu ? Ops.Relu(y)
        : activation == Activation.Sigmoid ? Ops.Sigmoid(y)
        : activation == Activation.Tanh ? Ops.Tanh(y)
        : activation == Activation.Softmax ? Ops.Softmax(y)
        : y;
}
