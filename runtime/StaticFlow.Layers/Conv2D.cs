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
    public Tensor<float> Call(Tensor<float> x)
    {
        var convolved = Padding == Padding.Same
            ? Ops.Conv2D(x, kernel, [1, Stride, Stride, 1], "SAME")
            : Ops.Conv2D(x, kernel, [1, Stride, Stride, 1], "VALID");
        var y = Ops.BiasAdd(convolved, bias);
        return Activation == Activation.Relu ? Ops.Relu(y)
            : Activation == Activation.Sigmoid ? Ops.Sigmoid(y)
            : Activation == Activation.Tanh ? Ops.Tanh(y)
            : y;
    }
}
