// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>Keras <c>Sequential([...])</c>: each layer's output is the next one's input; its variables are <c>layers/i/...</c>.</summary>
[GraphModule]
internal sealed partial class Sequential : ILayer
{
    /// <summary>The layers, in order.</summary>
    public Sequential(params ILayer[] layers)
    {
        this.layers = layers;
        InitializeVariables();
    }

    private readonly ILayer[] layers;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        foreach (var layer in layers) x = layer.Call(x, training);
        return x;
    }
}

/// <summary>Keras <c>Embedding(input_dim, output_dim)</c>: row <c>i</c> of <c>embeddings</c> for each index <c>i</c>.</summary>
[GraphModule]
internal sealed partial class Embedding
{
    /// <summary>Embeddings of <paramref name="inputDim"/> indexes into <paramref name="outputDim"/> features.</summary>
    public Embedding(int inputDim, int outputDim)
    {
        InputDim = inputDim;
        OutputDim = outputDim;
        InitializeVariables();
    }

    /// <summary>The number of indexes.</summary>
    public int InputDim { get; }

    /// <summary>The features per index.</summary>
    public int OutputDim { get; }

    [Variable(nameof(InputDim), nameof(OutputDim), Init = Init.RandomUniform)] Tensor<float> embeddings;

    /// <summary>The rows of <paramref name="indices"/>, with the indices' shape plus the feature axis.</summary>
    [GraphFunction]
    public Tensor<float> Call(Tensor<int> indices) => Ops.Gather(embeddings, indices);
}
