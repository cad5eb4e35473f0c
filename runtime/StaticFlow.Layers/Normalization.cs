// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>
/// Keras <c>BatchNormalization(momentum, epsilon)</c> of NHWC images over their channels. Inference uses the moving
/// statistics (<c>FusedBatchNormV3</c>, which the runtime folds into a preceding convolution); training normalizes
/// with the batch's mean and (biased) variance and moves the statistics towards them by <c>1 - momentum</c>, as
/// Keras does (its moving variance uses the biased batch variance too).
/// </summary>
[GraphModule]
internal sealed partial class BatchNormalization : ILayer
{
    /// <summary>Normalization of <paramref name="channels"/> channels.</summary>
    public BatchNormalization(int channels, double momentum = 0.99, double epsilon = 1e-3)
    {
        Channels = channels;
        Momentum = momentum;
        Epsilon = epsilon;
        InitializeVariables();
    }

    /// <summary>The channels normalized.</summary>
    public int Channels { get; }

    /// <summary>How much of the moving statistics a training step keeps.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    [Variable(nameof(Channels), Init = Init.Ones)] Tensor<float> gamma;
    [Variable(nameof(Channels))] Tensor<float> beta;
    [Variable(nameof(Channels), Trainable = false)] Tensor<float> moving_mean;
    [Variable(nameof(Channels), Init = Init.Ones, Trainable = false)] Tensor<float> moving_variance;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        if (!training) return Ops.FusedBatchNorm(x, gamma, beta, moving_mean, moving_variance, (float)Epsilon, isTraining: false);
        var mean = Ops.Mean(x, [0, 1, 2]);
        var centered = x - mean;
        var variance = Ops.Mean(Ops.Square(centered), [0, 1, 2]);
        moving_mean = moving_mean * (float)Momentum + mean * (float)(1 - Momentum);
        moving_variance = moving_variance * (float)Momentum + variance * (float)(1 - Momentum);
        return centered * Ops.Rsqrt(variance + (float)Epsilon) * gamma + beta;
    }
}

/// <summary>Keras <c>LayerNormalization(epsilon)</c> over the last axis.</summary>
[GraphModule]
internal sealed partial class LayerNormalization : ILayer
{
    /// <summary>Normalization of <paramref name="features"/> features.</summary>
    public LayerNormalization(int features, double epsilon = 1e-3)
    {
        Features = features;
        Epsilon = epsilon;
        InitializeVariables();
    }

    /// <summary>The size of the last axis.</summary>
    public int Features { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    [Variable(nameof(Features), Init = Init.Ones)] Tensor<float> gamma;
    [Variable(nameof(Features))] Tensor<float> beta;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        var centered = x - Ops.Mean(x, [-1], keepDims: true);
        var variance = Ops.Mean(Ops.Square(centered), [-1], keepDims: true);
        return centered * Ops.Rsqrt(variance + (float)Epsilon) * gamma + beta;
    }
}

/// <summary>
/// Keras <c>Dropout(rate)</c>: in training, each element is kept with probability <c>1 - rate</c> and scaled by
/// <c>1 / (1 - rate)</c> (a fresh <c>RandomUniform</c> mask per run); otherwise the identity.
/// </summary>
[GraphModule]
internal sealed partial class Dropout : ILayer
{
    /// <summary>A dropout layer of <paramref name="rate"/>.</summary>
    public Dropout(double rate) => Rate = rate;

    /// <summary>The fraction of inputs training drops.</summary>
    public double Rate { get; }

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        if (!training) return Ops.Identity(x);
        // One draw per element, for inputs of rank 2 to 4 (the rank is static in a graph: one branch is lowered).
        var draws = x.Rank == 2 ? Ops.RandomUniform<float>([(int)x.Shape[0], (int)x.Shape[1]])
            : x.Rank == 3 ? Ops.RandomUniform<float>([(int)x.Shape[0], (int)x.Shape[1], (int)x.Shape[2]])
            : Ops.RandomUniform<float>([(int)x.Shape[0], (int)x.Shape[1], (int)x.Shape[2], (int)x.Shape[3]]);
        var kept = Ops.Cast<float>(draws >= (float)Rate);
        return x * kept * (float)(1 / (1 - Rate));
    }
}
