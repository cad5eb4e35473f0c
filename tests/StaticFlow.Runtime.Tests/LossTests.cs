using StaticFlow.Tensors;
using StaticFlow.Training;

namespace StaticFlow.Tests;

/// <summary>Keras' losses and metrics against their formulas in double precision, and their gradients (the tape over the composites' ops) against finite differences.</summary>
public class LossTests
{
    private static readonly double[] Targets = [0.2, 0.9, 0, 1, 0.5, 0.3];
    private static readonly double[] Predictions = [0.1, 0.7, 0.2, 0.8, 0.9, 0.4];
    private static readonly double[] Logits = [1.5, -0.3, 0.2, 2.2, -1.1, 0.4];

    private static Tensor<double> T(double[] values, params long[] shape) => Tensor<double>.From(values, shape);

    private static double Value(Tensor<double> t) => t.ToArray()[0];

    private static double Clip(double p) => Math.Clamp(p, 1e-7, 1 - 1e-7);

    [Fact]
    public void RegressionLossesAreTheirFormulas()
    {
        var y = T(Targets, 3, 2);
        var p = T(Predictions, 3, 2);
        Assert.Equal(Targets.Zip(Predictions, (a, b) => (a - b) * (a - b)).Average(), Value(Losses.MeanSquaredError(y, p)), 12);
        Assert.Equal(Targets.Zip(Predictions, (a, b) => Math.Abs(a - b)).Average(), Value(Losses.MeanAbsoluteError(y, p)), 12);
        double Huber(double a, double b, double delta) => Math.Abs(a - b) <= delta ? 0.5 * (a - b) * (a - b) : delta * (Math.Abs(a - b) - 0.5 * delta);
        Assert.Equal(Targets.Zip(Predictions, (a, b) => Huber(a, b, 0.25)).Average(), Value(Losses.Huber(y, p, delta: 0.25)), 12);
    }

    [Fact]
    public void CrossEntropiesAreTheirFormulas()
    {
        var y = T(Targets, 3, 2);
        Assert.Equal(Targets.Zip(Predictions, (z, q) => -(z * Math.Log(Clip(q)) + (1 - z) * Math.Log(1 - Clip(q)))).Average(),
            Value(Losses.BinaryCrossentropy(y, T(Predictions, 3, 2))), 10);
        Assert.Equal(Targets.Zip(Logits, (z, x) => -(z * Math.Log(1 / (1 + Math.Exp(-x))) + (1 - z) * Math.Log(1 - 1 / (1 + Math.Exp(-x))))).Average(),
            Value(Losses.BinaryCrossentropy(y, T(Logits, 3, 2), fromLogits: true)), 10);

        // Two rows of three classes.
        double[] oneHot = [0, 1, 0, 1, 0, 0];
        double[] Softmax(double[] row) { double m = row.Max(); var e = row.Select(v => Math.Exp(v - m)).ToArray(); return [.. e.Select(v => v / e.Sum())]; }
        double[][] probabilities = [Softmax(Logits[..3]), Softmax(Logits[3..])];
        double expected = -(Math.Log(probabilities[0][1]) + Math.Log(probabilities[1][0])) / 2;
        Assert.Equal(expected, Value(Losses.CategoricalCrossentropy(T(oneHot, 2, 3), T(Logits, 2, 3), fromLogits: true)), 10);
        Assert.Equal(expected, Value(Losses.CategoricalCrossentropy(T(oneHot, 2, 3), T([.. probabilities[0], .. probabilities[1]], 2, 3))), 10);
        var labels = Tensor<int>.From([1, 0], 2);
        Assert.Equal(expected, Value(Losses.SparseCategoricalCrossentropy(labels, T(Logits, 2, 3), fromLogits: true)), 10);
        Assert.Equal(expected, Value(Losses.SparseCategoricalCrossentropy(labels, T([.. probabilities[0], .. probabilities[1]], 2, 3))), 10);
    }

    [Fact]
    public void AccuraciesCountTheRightRows()
    {
        Assert.Equal(0.5, Value(Metrics.SparseCategoricalAccuracy(Tensor<int>.From([0, 2], 2), T(Logits, 2, 3))), 12); // argmaxes 0 and 0
        Assert.Equal(1.0, Value(Metrics.CategoricalAccuracy(T([1, 0, 0, 1, 0, 0], 2, 3), T(Logits, 2, 3))), 12);
        Assert.Equal(4.0 / 6, Value(Metrics.BinaryAccuracy(T([0, 1, 1, 1, 0, 0], 3, 2), T(Predictions, 3, 2))), 12);
    }

    public static TheoryData<string> LossNames() => ["mse", "mae", "huber", "binary", "binary-logits", "categorical", "categorical-logits", "sparse-logits"];

    [Theory]
    [MemberData(nameof(LossNames))]
    public void LossGradientsMatchFiniteDifferences(string name)
    {
        double[] targets = name.StartsWith("categorical") ? [0.2, 0.5, 0.3, 0.1, 0.1, 0.8] : Targets;
        Func<Tensor<double>, Tensor<double>> loss = name switch
        {
            "mse" => p => Losses.MeanSquaredError(T(targets, 3, 2), p),
            "mae" => p => Losses.MeanAbsoluteError(T(targets, 3, 2), p),
            "huber" => p => Losses.Huber(T(targets, 3, 2), p, delta: 0.25),
            "binary" => p => Losses.BinaryCrossentropy(T(targets, 3, 2), p),
            "binary-logits" => p => Losses.BinaryCrossentropy(T(targets, 3, 2), p, fromLogits: true),
            "categorical" => p => Losses.CategoricalCrossentropy(T(targets, 2, 3), p),
            "categorical-logits" => p => Losses.CategoricalCrossentropy(T(targets, 2, 3), p, fromLogits: true),
            _ => p => Losses.SparseCategoricalCrossentropy(Tensor<long>.From([2, 0], 2), p, fromLogits: true),
        };
        double[] at = name is "binary" or "categorical" ? Predictions : Logits;
        long[] shape = name.StartsWith("categorical") || name.StartsWith("sparse") ? [2, 3] : [3, 2];
        var input = T(at, shape);
        double[] analytic;
        using (var tape = GradientTape.Start())
            analytic = tape.Gradient(loss(input).Untyped, [input.Untyped])[0].ToArray<double>();
        for (int i = 0; i < at.Length; i++)
        {
            const double h = 1e-6;
            double Shifted(double delta) { var v = (double[])at.Clone(); v[i] += delta; return Value(loss(T(v, shape))); }
            double numeric = (Shifted(h) - Shifted(-h)) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-6 * (1 + Math.Abs(numeric)), $"{name}[{i}]: finite differences {numeric}, tape {analytic[i]}");
        }
    }

    [Fact]
    public void SchedulesFollowKeras()
    {
        var exponential = LearningRateSchedules.ExponentialDecay(0.1, decaySteps: 10, decayRate: 0.5);
        Assert.Equal(0.1, exponential(0), 12);
        Assert.Equal(0.05, exponential(10), 12);
        Assert.Equal(0.1 * Math.Pow(0.5, 1.5), exponential(15), 12);
        Assert.Equal(0.05, LearningRateSchedules.ExponentialDecay(0.1, 10, 0.5, staircase: true)(15), 12);
        var piecewise = LearningRateSchedules.PiecewiseConstant([100, 200], [1.0, 0.5, 0.1]);
        Assert.Equal([1.0, 1.0, 0.5, 0.1], new[] { piecewise(0), piecewise(100), piecewise(101), piecewise(201) });
        var cosine = LearningRateSchedules.CosineDecay(1.0, decaySteps: 100, alpha: 0.1);
        Assert.Equal(1.0, cosine(0), 12);
        Assert.Equal(0.55, cosine(50), 12);
        Assert.Equal(0.1, cosine(100), 12);
        Assert.Equal(0.1, cosine(500), 12);
    }
}
