// Shared source: compiled into the runtime and linked into the generator and analyzers. A composite (a Keras loss or
// metric) is written once against OpBuilder: the generator expands it into graph nodes, the runtime runs the same ops
// eagerly, so Losses.X in a graph function and called directly compute the same thing.
using System;
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>A composite's body: its tensor arguments in order and its constant options by C# parameter name.</summary>
internal delegate BuiltTensor Composite(OpBuilder b, IReadOnlyList<BuiltTensor> inputs, IReadOnlyDictionary<string, object> options);

/// <summary>
/// Keras' losses and metrics as compositions of catalogue ops, each reduced to a scalar mean over the batch
/// (Keras' <c>SUM_OVER_BATCH_SIZE</c>). Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras' backend epsilon does.
/// </summary>
internal static class CompositeOps
{
    private const double Epsilon = 1e-7;

    private static readonly Dictionary<string, Composite> s_composites = new(StringComparer.Ordinal)
    {
        ["MeanSquaredError"] = (b, x, _) => MeanAll(b, b.Op("SquaredDifference", x[1], x[0])),
        ["MeanAbsoluteError"] = (b, x, _) => MeanAll(b, b.Op("Abs", b.Sub(x[1], x[0]))),
        ["Huber"] = (b, x, o) =>
        {
            double delta = Number(o, "delta", 1.0);
            var error = b.Op("Abs", b.Sub(x[1], x[0]));
            var quadratic = b.Op("Minimum", error, b.Scalar(error.DType, delta));
            var linear = b.Sub(error, quadratic);
            return MeanAll(b, b.Add(b.Mul(b.Op("Square", quadratic), 0.5), b.Mul(linear, delta)));
        },
        ["BinaryCrossentropy"] = (b, x, o) =>
        {
            BuiltTensor labels = x[0], predictions = x[1];
            if (Flag(o, "fromLogits"))
            {
                // TensorFlow's sigmoid_cross_entropy_with_logits: max(x, 0) - x z + log(1 + exp(-|x|)), stable for any x.
                var positive = b.Op("Relu", predictions);
                var softplus = b.Op("Log1p", b.Op("Exp", b.Neg(b.Op("Abs", predictions))));
                return MeanAll(b, b.Add(b.Sub(positive, b.Mul(predictions, labels)), softplus));
            }
            var p = Clip(b, predictions);
            var one = b.Scalar(p.DType, 1);
            var terms = b.Add(b.Mul(labels, b.Op("Log", p)), b.Mul(b.Sub(one, labels), b.Op("Log", b.Sub(one, p))));
            return MeanAll(b, b.Neg(terms));
        },
        ["CategoricalCrossentropy"] = (b, x, o) =>
        {
            BuiltTensor labels = x[0], predictions = x[1];
            if (Flag(o, "fromLogits")) return MeanAll(b, b.Emit("SoftmaxCrossEntropyWithLogits", new[] { new[] { predictions }, new[] { labels } }, Array.Empty<BuiltAttr>())[0]);
            var normalized = b.Div(predictions, b.Sum(predictions, new long[] { -1 }, keepDims: true));
            var perRow = b.Neg(b.Sum(b.Mul(labels, b.Op("Log", Clip(b, normalized))), new long[] { -1 }));
            return MeanAll(b, perRow);
        },
        ["SparseCategoricalCrossentropy"] = (b, x, o) =>
        {
            BuiltTensor labels = x[0], predictions = x[1];
            // Keras takes the log of clipped probabilities as logits: their softmax is the probabilities again.
            var logits = Flag(o, "fromLogits") ? predictions : b.Op("Log", Clip(b, predictions));
            return MeanAll(b, b.Emit("SparseSoftmaxCrossEntropyWithLogits", new[] { new[] { logits }, new[] { labels } }, Array.Empty<BuiltAttr>())[0]);
        },
        ["SparseCategoricalAccuracy"] = (b, x, _) =>
        {
            BuiltTensor labels = x[0], predictions = x[1];
            var predicted = b.Op("ArgMax", new[] { predictions, b.Scalar("int32", -1) }, OpBuilder.Attr("output_type", new TypeName("int64")));
            var hits = b.Op("Equal", predicted, b.Cast(labels, "int64"));
            return MeanAll(b, b.Cast(hits, predictions.DType));
        },
        ["CategoricalAccuracy"] = (b, x, _) =>
        {
            BuiltTensor labels = x[0], predictions = x[1];
            BuiltTensor ArgMax(BuiltTensor t) => b.Op("ArgMax", new[] { t, b.Scalar("int32", -1) }, OpBuilder.Attr("output_type", new TypeName("int64")));
            return MeanAll(b, b.Cast(b.Op("Equal", ArgMax(predictions), ArgMax(labels)), predictions.DType));
        },
        ["BinaryAccuracy"] = (b, x, o) =>
        {
            BuiltTensor labels = x[0], predictions = x[1];
            var predicted = b.Cast(b.Op("Greater", predictions, b.Scalar(predictions.DType, Number(o, "threshold", 0.5))), predictions.DType);
            return MeanAll(b, b.Cast(b.Op("Equal", predicted, labels), predictions.DType));
        },
    };

    /// <summary>The composite named <paramref name="name"/>, or null.</summary>
    public static Composite? Find(string name) => s_composites.TryGetValue(name, out var composite) ? composite : null;

    /// <summary>Every composite's name.</summary>
    public static IEnumerable<string> Names => s_composites.Keys;

    private static BuiltTensor Clip(OpBuilder b, BuiltTensor p) =>
        b.Op("ClipByValue", p, b.Scalar(p.DType, Epsilon), b.Scalar(p.DType, 1 - Epsilon));

    /// <summary>The mean over every element (a scalar): over constant axes when the rank is known, else over Range(Rank(x)) as TensorFlow does.</summary>
    private static BuiltTensor MeanAll(OpBuilder b, BuiltTensor x)
    {
        if (x.Shape is null)
        {
            var all = b.Op("Range", b.Scalar("int32", 0), b.Op("Rank", x), b.Scalar("int32", 1));
            return b.Op("Mean", new[] { x, all }, OpBuilder.Attr("keep_dims", false));
        }
        long rank = x.Shape.Length;
        if (rank == 0) return x;
        var axes = new long[rank];
        for (int i = 0; i < axes.Length; i++) axes[i] = i;
        return b.Op("Mean", new[] { x, b.Int32s(axes) }, OpBuilder.Attr("keep_dims", false));
    }

    private static bool Flag(IReadOnlyDictionary<string, object> options, string name) => options.TryGetValue(name, out var value) && value is true;

    private static double Number(IReadOnlyDictionary<string, object> options, string name, double fallback) =>
        options.TryGetValue(name, out var value) && value is double number ? number : fallback;
}
