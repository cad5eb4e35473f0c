// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>
/// Keras <c>LSTM(units, return_sequences)</c> over a sequence <c>[batch, time, inputs]</c>, returning the last output
/// <c>[batch, units]</c> or, with <c>returnSequences</c>, every step's <c>[batch, time, units]</c>; gates in Keras' order (input, forget, cell, output) in <c>kernel</c>,
/// <c>recurrent_kernel</c> and <c>bias</c>. The graph unrolls the time steps, which the input's static shape gives.
/// </summary>
[GraphModule]
internal sealed partial class LSTM : ILayer
{
    /// <summary>An LSTM from <paramref name="inputs"/> features to <paramref name="units"/>; <paramref name="returnSequences"/> returns every step's output.</summary>
    public LSTM(int inputs, int units, bool returnSequences = false)
    {
        Inputs = inputs;
        Units = units;
        Gates = 4 * units;
        ReturnSequences = returnSequences;
        InitializeVariables();
    }

    /// <summary>Whether the output is every step's (Keras' <c>return_sequences=True</c>, for a stacked recurrent layer) or the last.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Input features per step.</summary>
    public int Inputs { get; }

    /// <summary>Output features (the state's size).</summary>
    public int Units { get; }

    /// <summary>Four gates of <see cref="Units"/> each.</summary>
    public int Gates { get; }

    [Variable(nameof(Inputs), nameof(Gates), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Units), nameof(Gates), Init = Init.Orthogonal)] Tensor<float> recurrent_kernel;
    [Variable(nameof(Gates), Init = Init.UnitForgetBias)] Tensor<float> bias;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        var h = Ops.ZerosLike(Ops.MatMul(x[.., 0, ..], kernel[.., ..Units]));
        var c = h;
        var sequence = h[.., TensorIndex.NewAxis, ..];
        for (int t = 0; t < x.Shape[1]; t++)
        {
            var z = Ops.MatMul(x[.., t, ..], kernel) + Ops.MatMul(h, recurrent_kernel) + bias;
            var input = Ops.Sigmoid(z[.., ..Units]);
            var forget = Ops.Sigmoid(z[.., Units..(2 * Units)]);
            var candidate = Ops.Tanh(z[.., (2 * Units)..(3 * Units)]);
            var output = Ops.Sigmoid(z[.., (3 * Units)..]);
            c = forget * c + input * candidate;
            h = output * Ops.Tanh(c);
            if (ReturnSequences) sequence = Ops.Concat([sequence, h[.., TensorIndex.NewAxis, ..]], 1);
        }
        return ReturnSequences ? sequence[.., 1.., ..] : h;
    }
}

/// <summary>
/// Keras <c>GRU(units)</c> (TensorFlow 2's default <c>reset_after=True</c>) over a sequence <c>[batch, time, inputs]</c>,
/// returning the last output; gates in Keras' order (update, reset, candidate), <c>bias</c> of shape
/// <c>[2, 3·units]</c> (input bias, recurrent bias). The graph unrolls the time steps.
/// </summary>
[GraphModule]
internal sealed partial class GRU : ILayer
{
    /// <summary>A GRU from <paramref name="inputs"/> features to <paramref name="units"/>; <paramref name="returnSequences"/> returns every step's output.</summary>
    public GRU(int inputs, int units, bool returnSequences = false)
    {
        Inputs = inputs;
        Units = units;
        Gates = 3 * units;
        ReturnSequences = returnSequences;
        InitializeVariables();
    }

    /// <summary>Whether the output is every step's (Keras' <c>return_sequences=True</c>) or the last.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Input features per step.</summary>
    public int Inputs { get; }

    /// <summary>Output features (the state's size).</summary>
    public int Units { get; }

    /// <summary>Three gates of <see cref="Units"/> each.</summary>
    public int Gates { get; }

    [Variable(nameof(Inputs), nameof(Gates), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Units), nameof(Gates), Init = Init.Orthogonal)] Tensor<float> recurrent_kernel;
    [Variable(2, nameof(Gates))] Tensor<float> bias;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        var h = Ops.ZerosLike(Ops.MatMul(x[.., 0, ..], kernel[.., ..Units]));
        var sequence = h[.., TensorIndex.NewAxis, ..];
        for (int t = 0; t < x.Shape[1]; t++)
        {
            var fromInput = Ops.MatMul(x[.., t, ..], kernel) + bias[0];
            var fromState = Ops.MatMul(h, recurrent_kernel) + bias[1];
            var update = Ops.Sigmoid(fromInput[.., ..Units] + fromState[.., ..Units]);
            var reset = Ops.Sigmoid(fromInput[.., Units..(2 * Units)] + fromState[.., Units..(2 * Units)]);
            var candidate = Ops.Tanh(fromInput[.., (2 * Units)..] + reset * fromState[.., (2 * Units)..]);
            h = update * h + (1f - update) * candidate;
            if (ReturnSequences) sequence = Ops.Concat([sequence, h[.., TensorIndex.NewAxis, ..]], 1);
        }
        return ReturnSequences ? sequence[.., 1.., ..] : h;
    }
}
