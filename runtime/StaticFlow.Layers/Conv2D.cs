// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>Keras <c>Conv2D(filters, kernel_size, strides, padding, activation)</c> on NHWC images.</summary>
[GraphModule]
internal sealed partial class Conv2D : ILayer
{
    /// <summary>A square <paramref name="kernelSize"/> convolution from <paramref name="inChannels"/> to <paramref name="filters"/> channels.</summary>
    public Conv2D(int inChannels, int filters, int kernelSize, int stride = 1, Padding padding = Padding.Valid, Activation activation = Activation.Linear)
    {
        InChannels = inChannels;
        Filters = filters;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Activation = activation;
        InitializeVariables();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The stride along height and width.</summary>
    public int Stride { get; }

    /// <summary>Valid or same padding.</summary>
    public Padding Padding { get; }

    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }

    [Variable(nameof(KernelSize), nameof(KernelSize), nameof(InChannels), nameof(Filters), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Filters))] Tensor<float> bias;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        var convolved = Padding == Padding.Same
            ? Ops.Conv2D(x, kernel, [1, Stride, Stride, 1], "SAME")
            : Ops.Conv2D(x, kernel, [1, Stride, Stride, 1], "VALID");
        return Activations.Apply(Ops.BiasAdd(convolved, bias), Activation);
    }
}

/// <summary>Keras <c>DepthwiseConv2D(kernel_size, strides, padding, depth_multiplier, activation)</c> on NHWC images: each channel convolved on its own.</summary>
[GraphModule]
internal sealed partial class DepthwiseConv2D : ILayer
{
    /// <summary>A square <paramref name="kernelSize"/> depthwise convolution of <paramref name="inChannels"/> channels, <paramref name="depthMultiplier"/> outputs each.</summary>
    public DepthwiseConv2D(int inChannels, int kernelSize, int stride = 1, Padding padding = Padding.Valid, int depthMultiplier = 1, Activation activation = Activation.Linear)
    {
        InChannels = inChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        DepthMultiplier = depthMultiplier;
        OutChannels = inChannels * depthMultiplier;
        Activation = activation;
        InitializeVariables();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The stride along height and width.</summary>
    public int Stride { get; }

    /// <summary>Valid or same padding.</summary>
    public Padding Padding { get; }

    /// <summary>Outputs per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>Output channels: input channels times the multiplier.</summary>
    public int OutChannels { get; }

    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }

    [Variable(nameof(KernelSize), nameof(KernelSize), nameof(InChannels), nameof(DepthMultiplier), Init = Init.GlorotUniform)] Tensor<float> depthwise_kernel;
    [Variable(nameof(OutChannels))] Tensor<float> bias;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        var convolved = Padding == Padding.Same
            ? Ops.DepthwiseConv2D(x, depthwise_kernel, [1, Stride, Stride, 1], "SAME")
            : Ops.DepthwiseConv2D(x, depthwise_kernel, [1, Stride, Stride, 1], "VALID");
        return Activations.Apply(Ops.BiasAdd(convolved, bias), Activation);
    }
}

/// <summary>
/// Keras <c>Conv2DTranspose(filters, kernel_size, strides, padding, activation)</c> on NHWC images (<c>Conv2DBackpropInput</c>):
/// <c>kernel</c> is <c>[k, k, filters, inChannels]</c>, as Keras keeps it; the output is <c>stride</c> times larger
/// (same padding) or <c>(size - 1) * stride + k</c> (valid).
/// </summary>
[GraphModule]
internal sealed partial class Conv2DTranspose : ILayer
{
    /// <summary>A square <paramref name="kernelSize"/> transposed convolution from <paramref name="inChannels"/> to <paramref name="filters"/> channels.</summary>
    public Conv2DTranspose(int inChannels, int filters, int kernelSize, int stride = 1, Padding padding = Padding.Valid, Activation activation = Activation.Linear)
    {
        InChannels = inChannels;
        Filters = filters;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Activation = activation;
        InitializeVariables();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The stride along height and width.</summary>
    public int Stride { get; }

    /// <summary>Valid or same padding.</summary>
    public Padding Padding { get; }

    /// <summary>The activation applied to the output.</summary>
    public Activation Activation { get; }

    [Variable(nameof(KernelSize), nameof(KernelSize), nameof(Filters), nameof(InChannels), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Filters))] Tensor<float> bias;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false)
    {
        var convolved = Padding == Padding.Same
            ? Ops.Conv2DBackpropInput([(int)x.Shape[0], (int)x.Shape[1] * Stride, (int)x.Shape[2] * Stride, Filters], kernel, x, [1, Stride, Stride, 1], "SAME")
            : Ops.Conv2DBackpropInput([(int)x.Shape[0], ((int)x.Shape[1] - 1) * Stride + KernelSize, ((int)x.Shape[2] - 1) * Stride + KernelSize, Filters], kernel, x, [1, Stride, Stride, 1], "VALID");
        return Activations.Apply(Ops.BiasAdd(convolved, bias), Activation);
    }
}
