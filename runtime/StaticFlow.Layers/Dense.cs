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
        var y = Ops.MatMul(x, kernel) + bias;
        return Activation == Activation.Relu ? Ops.Relu(y)
            : Activation == Activation.Sigmoid ? Ops.Sigmoid(y)
            : Activation == Activation.Tanh ? Ops.Tanh(y)
            : Activation == Activation.Softmax ? Ops.Softmax(y)
            : y;
    }
}
