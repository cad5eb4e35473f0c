using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// Gradients in graph functions (<c>tf.gradients</c>): <c>var (gw, gb) = Gradients.Of(loss, w, b)</c>. The generator
/// builds the backward graph at compile time from each op's gradient rule (TensorFlow's gradient ops: MatMul by
/// transposed MatMuls, ReluGrad, BiasAddGrad, BroadcastGradientArgs + Sum, ...); the target is summed over its
/// elements, and a <c>[Variable]</c> source gets the gradient of every read of it. Called eagerly, the same rules run
/// over the ops a <see cref="GradientTape"/> recorded.
/// </summary>
public static class Gradients
{
    /// <summary>The gradient of <paramref name="target"/> with respect to <paramref name="source"/>.</summary>
    public static Tensor<T> Of<T>(Tensor<T> target, Tensor<T> source) where T : unmanaged =>
        new(GradientTape.Active("Gradients.Of").Gradient(target.Untyped, [source.Untyped])[0]);

    /// <summary>The gradients of <paramref name="target"/> with respect to two sources.</summary>
    public static (Tensor<T>, Tensor<T>) Of<T>(Tensor<T> target, Tensor<T> a, Tensor<T> b) where T : unmanaged
    {
        var g = GradientTape.Active("Gradients.Of").Gradient(target.Untyped, [a.Untyped, b.Untyped]);
        return (new(g[0]), new(g[1]));
    }

    /// <summary>The gradients of <paramref name="target"/> with respect to three sources.</summary>
    public static (Tensor<T>, Tensor<T>, Tensor<T>) Of<T>(Tensor<T> target, Tensor<T> a, Tensor<T> b, Tensor<T> c) where T : unmanaged
    {
        var g = GradientTape.Active("Gradients.Of").Gradient(target.Untyped, [a.Untyped, b.Untyped, c.Untyped]);
        return (new(g[0]), new(g[1]), new(g[2]));
    }

    /// <summary>The gradients of <paramref name="target"/> with respect to four sources.</summary>
    public static (Tensor<T>, Tensor<T>, Tensor<T>, Tensor<T>) Of<T>(Tensor<T> target, Tensor<T> a, Tensor<T> b, Tensor<T> c, Tensor<T> d) where T : unmanaged
    {
        var g = GradientTape.Active("Gradients.Of").Gradient(target.Untyped, [a.Untyped, b.Untyped, c.Untyped, d.Untyped]);
        return (new(g[0]), new(g[1]), new(g[2]), new(g[3]));
    }
}
