using StaticFlow;
using StaticFlow.Layers;

namespace Composition;

/// <summary>A convolution block as a module of its own: Conv2D, then batch normalization, then Relu.</summary>
[GraphModule]
public partial class ConvBlock : ILayer
{
    public ConvBlock(int inChannels, int filters)
    {
        conv = new Conv2D(inChannels, filters, 3, padding: Padding.Same);
        norm = new BatchNormalization(filters);
        InitializeVariables();
    }

    private readonly Conv2D conv;
    private readonly BatchNormalization norm;

    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false) => Ops.Relu(norm.Call(conv.Call(x), training));
}

/// <summary>An encoder of convolution blocks, each followed by pooling, then a dense classifier head.</summary>
[GraphModule]
public partial class Encoder
{
    private readonly ConvBlock[] blocks = [new ConvBlock(1, 8), new ConvBlock(8, 16)];
    private readonly MaxPool2D pool = new(2);
    private readonly Flatten flatten = new();
    private readonly Dense head = new(16 * 7 * 7, 10, Activation.Softmax);

    [GraphFunction(Signature = "serving_default")]
    public Tensor<float> Classify([Shape(-1, 28, 28, 1)] Tensor<float> images)
    {
        var h = images;
        for (int i = 0; i < blocks.Length; i++)
        {
            using var scope = GraphScope.Name($"stage{i}");
            h = pool.Call(blocks[i].Call(h));
        }
        return head.Call(flatten.Call(h));
    }
}
