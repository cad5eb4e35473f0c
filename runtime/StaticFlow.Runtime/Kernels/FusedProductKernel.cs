using System.Numerics.Tensors;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using Tensor = StaticFlow.Tensors.Tensor;

namespace StaticFlow.Kernels;

/// <summary>
/// MatMul or Conv2D → BiasAdd (→ Relu), or Conv2D (→ BiasAdd) → FusedBatchNormV3 in inference mode (→ Relu), each
/// (→ MaxPool, after a convolution) in one step, built by the planner when the intermediate results feed nothing
/// else: the GEMM adds the bias and applies the activation to each register tile as it stores it (on every core the
/// product is split over), a convolution pools each block of its output while it is in cache, and the intermediate
/// tensors are never materialized. A batch normalization is folded into the convolution: y = (conv(x, W) + b − mean)
/// · s + offset with s = scale / √(variance + ε) is conv(x, W·s) + (b − mean)·s + offset, so the filter is scaled per
/// output channel (once, at plan time, when the filter and the normalization's parameters are constants).
/// Inputs: a (or the image), b (or the filter), the bias if there is a BiasAdd, then the normalization's scale,
/// offset, mean and variance if there is one.
/// </summary>
internal sealed class FusedProductKernel : IOpKernel, IConstantInputAware, IVariableInputAware
{
    private readonly GraphNode _product;
    private readonly IOpKernel _inner;
    private readonly GraphNode? _biasAdd;
    private readonly GraphNode? _batchNorm;
    private readonly bool _relu;
    private readonly (GraphNode Node, IOpKernel Kernel)? _pool;
    private readonly ConvolutionKernels.Window? _poolWindow;
    private readonly int _normalizationInput;
    // The constant inputs the plan knows, and the folded filter and bias once they are all known.
    private readonly Tensor?[] _constants;
    private (Tensor Filter, float[] Bias)? _folded;

    public FusedProductKernel(GraphNode product, IOpKernel inner, GraphNode? biasAdd, GraphNode? batchNorm, bool relu, (GraphNode Node, IOpKernel Kernel)? pool)
    {
        if (biasAdd is null && batchNorm is null) throw new ArgumentException("A fused product needs a BiasAdd or a batch normalization.");
        _product = product;
        _inner = inner;
        _biasAdd = biasAdd;
        _batchNorm = batchNorm;
        _relu = relu;
        _pool = pool;
        _poolWindow = pool is { } p ? ConvolutionKernels.Window.FromNode(p.Node, "ksize") : null;
        _normalizationInput = biasAdd is null ? 2 : 3;
        _constants = new Tensor?[_normalizationInput + (batchNorm is null ? 0 : 4)];
    }

    public void OnVariableInput(int index)
    {
        // With a batch normalization the product's filter is the folded one, a new tensor each run.
        if (index == 1 && _batchNorm is null && _inner is IVariableInputAware aware) aware.OnVariableInput(1);
    }

    public void OnConstantInput(int index, Tensor value)
    {
        if (_batchNorm is null)
        {
            if (index < 2 && _inner is IConstantInputAware aware) aware.OnConstantInput(index, value);
            return;
        }
        _constants[index] = value;
        if (index == 0 || _constants.Skip(1).Any(c => c is null)) return;
        // The filter and every parameter are constants: fold once, and let the convolution pack the folded filter.
        _folded = Fold(_constants[1]!, _biasAdd is null ? null : _constants[2], _constants.AsSpan(_normalizationInput).ToArray()!);
        if (_inner is IConstantInputAware innerAware) innerAware.OnConstantInput(1, _folded.Value.Filter);
    }

    /// <summary>The fused ops, for profiles: <c>MatMul+BiasAdd+Relu</c>.</summary>
    public string Chain => string.Join("+", new[] { _product, _biasAdd, _batchNorm }.OfType<GraphNode>().Select(n => n.Op)
        .Concat(_relu ? ["Relu"] : []).Concat(_pool is { } p ? [p.Node.Op] : []));

    public void Compute(KernelContext context)
    {
        // The filter and bias to multiply with: the inputs, or with a batch normalization their folded forms.
        Tensor weights;
        float[]? foldedBias = null;
        Tensor? bias = null;
        if (_batchNorm is null)
        {
            weights = context.Input(1);
            bias = context.Input(2);
        }
        else
        {
            (weights, foldedBias) = _folded ?? Fold(context.Input(1), _biasAdd is null ? null : context.Input(2),
                [.. Enumerable.Range(_normalizationInput, 4).Select(context.Input)]);
        }
        GraphNode biasNode = _batchNorm ?? _biasAdd!;
        var productInputs = new Value[] { context.InputValue(0), weights };

        if (_inner is IFusableProduct fusable && fusable.Columns(weights) is >= 0 and var columns)
        {
            ReadOnlySpan<float> biasValues = foldedBias ?? CheckedBias(bias!, columns, "columns of the product");
            var productContext = new KernelContext(_product, productInputs, new Value[1], context.Frame);
            Tensor fused;
            try
            {
                fused = _poolWindow is null ? fusable.Multiply(productContext, biasValues, _relu)
                    : fusable is ConvolutionGemmKernel convolution ? convolution.Multiply(productContext, biasValues, _relu, _poolWindow)
                    : Pool(context, fusable.Multiply(productContext, biasValues, _relu));
            }
            catch (Exception e) when (e is not (GraphException or OperationCanceledException or OutOfMemoryException))
            {
                throw new GraphException(_product.Name, _product.Op, e.Message, e);
            }
            context.SetOutput(0, fused);
            return;
        }

        // A product kernel from another registry: run it, then add the bias and activation row by row.
        var product = new Value[1];
        GraphSession.Invoke(_inner, new KernelContext(_product, productInputs, product, context.Frame));
        Tensor output = product[0].Tensor!;
        int n = (int)output.Shape[output.Shape.Rank - 1];
        ReadOnlySpan<float> b = foldedBias ?? CheckedBias(bias!, n, $"last dimension of {output.Shape}");
        if (b.Length != n) throw new GraphException(biasNode.Name, biasNode.Op, $"{b.Length} channels do not match the last dimension of {output.Shape}");
        // The product is freshly allocated by this step, so it is updated in place.
        Span<float> values = output.AsSpan<float>();
        for (int row = 0; row < values.Length; row += n)
        {
            Span<float> r = values.Slice(row, n);
            TensorPrimitives.Add(r, b, r);
            if (_relu) TensorPrimitives.Max(r, 0f, r);
        }
        context.SetOutput(0, _poolWindow is null ? output : Pool(context, output));
    }

    private ReadOnlySpan<float> CheckedBias(Tensor bias, long columns, string what)
    {
        if (bias.Shape.Rank != 1 || bias.Shape[0] != columns)
            throw new GraphException(_biasAdd!.Name, _biasAdd.Op, $"bias of shape {bias.Shape} does not match the {columns} {what}");
        return bias.AsSpan<float>();
    }

    /// <summary>The filter scaled per output channel and the bias the normalization leaves (see the class summary).</summary>
    private (Tensor Filter, float[] Bias) Fold(Tensor filter, Tensor? bias, Tensor[] normalization)
    {
        var node = _batchNorm!;
        if (filter.Shape.Rank != 4) throw new GraphException(_product.Name, _product.Op, $"the filter must have rank 4, got {filter.Shape}");
        int channels = (int)filter.Shape[3];
        string[] names = ["scale", "offset", "mean", "variance"];
        for (int i = 0; i < 4; i++)
            if (normalization[i].Shape.Rank != 1 || normalization[i].Shape[0] != channels)
                throw new GraphException(node.Name, node.Op, $"{names[i]} of shape {normalization[i].Shape} does not match the {channels} output channels of '{_product.Name}'");
        ReadOnlySpan<float> scale = normalization[0].AsSpan<float>(), offset = normalization[1].AsSpan<float>(),
            mean = normalization[2].AsSpan<float>(), variance = normalization[3].AsSpan<float>();
        ReadOnlySpan<float> b = bias is null ? default : CheckedBias(bias, channels, $"output channels of '{_product.Name}'");
        float epsilon = node.Attr("epsilon").F;
        var multiplier = new float[channels];
        var foldedBias = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            // As the FusedBatchNormV3 kernel computes it, so folding changes only the rounding of the product.
            multiplier[c] = scale[c] / MathF.Sqrt(variance[c] + epsilon);
            foldedBias[c] = (b.IsEmpty ? 0f : b[c] * multiplier[c]) + (offset[c] - mean[c] * multiplier[c]);
        }
        ReadOnlySpan<float> w = filter.AsSpan<float>();
        var scaled = new float[w.Length];
        for (int i = 0; i < w.Length; i += channels)
            TensorPrimitives.Multiply(w.Slice(i, channels), multiplier, scaled.AsSpan(i, channels));
        return (Tensor.FromArray<float>(scaled, [.. filter.Shape.Dims.ToArray()]), foldedBias);
    }

    /// <summary>The pooling step on its own, for a product kernel that cannot pool as it stores.</summary>
    private Tensor Pool(KernelContext context, Tensor activations)
    {
        var pooled = new Value[1];
        GraphSession.Invoke(_pool!.Value.Kernel, new KernelContext(_pool.Value.Node, [activations], pooled, context.Frame));
        return pooled[0].Tensor!;
    }
}
