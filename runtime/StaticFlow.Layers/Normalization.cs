// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>
/// Keras <c>BatchNormalization(epsilon)</c> of NHWC images over their channels, in inference mode (the moving
/// statistics; <c>FusedBatchNormV3</c>, which the runtime folds into a preceding convolution).
/// </summary>
[GraphModule]
internal sealed partial class BatchNormalization : ILayer
{
    /// <summary>Normalization of <paramref name="channels"/> channels.</summary>
    public BatchNormalization(int channels, double epsilon = 1e-3)
    {
        Channels = channels;
        Epsilon = epsilon;
        InitializeVariables();
    }

    /// <summary>The channels normalized.</summary>
    public int Channels { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    [Variable(nameof(Channels), Init = Init.Ones)] Tensor<float> gamma;
    [Variable(nameof(Channels))] Tensor<float> beta;
    [Variable(nameof(Channels), Trainable = false)] Tensor<float> moving_mean;
    [Variable(nameof(Channels), Init = Init.Ones, Trainable = false)] Tensor<float> moving_variance;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x) => Ops.FusedBatchNorm(x, gamma, beta, moving_mean, moving_variance, (float)Epsilon, isTraining: false);
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
    public Tensor<float> Call(Tensor<float> x)
    {
        var centered = x - Ops.Mean(x, [-1], keepDims: true);
        var variance = Ops.Mean(Ops.Square(centered), [-1], keepDims: true);
        return centered * Ops.Rsqrt(variance + (float)Epsilon) * gamma + beta;
    }
}

/// <summary>Keras <c>Dropout(rate)</c> in inference mode: the identity (Keras scales during training only).</summary>
[GraphModule]
internal sealed partial class Dropout : ILayer
{
    /// <summary>A dropout layer of <paramref name="rate"/>.</summary>
    public Dropout(double rate) => Rate = rate;

    /// <summary>The fraction of inputs training would drop.</summary>
    public double Rate { get; }

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x) => Ops.Identity(x);
}
