// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>Keras <c>MaxPooling2D(pool_size, strides, padding)</c> on NHWC images; the stride defaults to the pool size.</summary>
[GraphModule]
internal sealed partial class MaxPool2D : ILayer
{
    /// <summary>Square windows of <paramref name="poolSize"/>, moved by <paramref name="stride"/> (0: the pool size).</summary>
    public MaxPool2D(int poolSize = 2, int stride = 0, Padding padding = Padding.Valid)
    {
        PoolSize = poolSize;
        Stride = stride > 0 ? stride : poolSize;
        Padding = padding;
    }

    /// <summary>The window's height and width.</summary>
    public int PoolSize { get; }

    /// <summary>The stride along height and width.</summary>
    public int Stride { get; }

    /// <summary>Valid or same padding.</summary>
    public Padding Padding { get; }

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false) => Padding == Padding.Same
        ? Ops.MaxPool(x, [1, PoolSize, PoolSize, 1], [1, Stride, Stride, 1], "SAME")
        : Ops.MaxPool(x, [1, PoolSize, PoolSize, 1], [1, Stride, Stride, 1], "VALID");
}

/// <summary>Keras <c>AveragePooling2D(pool_size, strides, padding)</c> on NHWC images; the stride defaults to the pool size.</summary>
[GraphModule]
internal sealed partial class AvgPool2D : ILayer
{
    /// <summary>Square windows of <paramref name="poolSize"/>, moved by <paramref name="stride"/> (0: the pool size).</summary>
    public AvgPool2D(int poolSize = 2, int stride = 0, Padding padding = Padding.Valid)
    {
        PoolSize = poolSize;
        Stride = stride > 0 ? stride : poolSize;
        Padding = padding;
    }

    /// <summary>The window's height and width.</summary>
    public int PoolSize { get; }

    /// <summary>The stride along height and width.</summary>
    public int Stride { get; }

    /// <summary>Valid or same padding.</summary>
    public Padding Padding { get; }

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false) => Padding == Padding.Same
        ? Ops.AvgPool(x, [1, PoolSize, PoolSize, 1], [1, Stride, Stride, 1], "SAME")
        : Ops.AvgPool(x, [1, PoolSize, PoolSize, 1], [1, Stride, Stride, 1], "VALID");
}

/// <summary>Keras <c>GlobalAveragePooling2D()</c>: the mean over height and width, NHWC to NC.</summary>
[GraphModule]
internal sealed partial class GlobalAveragePooling2D : ILayer
{
    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false) => Ops.Mean(x, [1, 2]);
}

/// <summary>Keras <c>Flatten()</c> of NHWC images: each example's height, width and channels in one row.</summary>
[GraphModule]
internal sealed partial class Flatten : ILayer
{
    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false) => Ops.Reshape(x, [-1, (int)(x.Shape[1] * x.Shape[2] * x.Shape[3])]);
}
