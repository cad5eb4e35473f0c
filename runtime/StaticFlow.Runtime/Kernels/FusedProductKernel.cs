using System.Numerics.Tensors;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using Tensor = StaticFlow.Tensors.Tensor;

namespace StaticFlow.Kernels;

/// <summary>
/// MatMul or Conv2D → BiasAdd (→ Relu) (→ MaxPool, after a convolution) in one step, built by the planner when the
/// intermediate results feed nothing else: the GEMM adds the bias and applies the activation to each register tile
/// as it stores it (on every core the product is split over), a convolution pools each block of its output while it
/// is in cache, and the intermediate tensors are never materialized. Inputs: a (or the image), b (or the filter), bias.
/// </summary>
internal sealed class FusedProductKernel(GraphNode productNode, IOpKernel inner, GraphNode biasAdd, bool relu, (GraphNode Node, IOpKernel Kernel)? pool)
    : IOpKernel, IConstantInputAware
{
    private readonly ConvolutionKernels.Window? _poolWindow = pool is { } p ? ConvolutionKernels.Window.FromNode(p.Node, "ksize") : null;

    public void OnConstantInput(int index, Tensor value)
    {
        if (index < 2 && inner is IConstantInputAware aware) aware.OnConstantInput(index, value);
    }

    /// <summary>The fused ops, for profiles: <c>MatMul+BiasAdd+Relu</c>.</summary>
    public string Chain => $"{productNode.Op}+{biasAdd.Op}{(relu ? "+Relu" : "")}{(pool is { } p ? "+" + p.Node.Op : "")}";

    public void Compute(KernelContext context)
    {
        Tensor bias = context.Input(2);
        if (inner is IFusableProduct fusable && fusable.Columns(context.Input(1)) is >= 0 and var columns)
        {
            if (bias.Shape.Rank != 1 || bias.Shape[0] != columns)
                throw new GraphException(biasAdd.Name, biasAdd.Op, $"bias of shape {bias.Shape} does not match the {columns} columns of the product");
            var productContext = new KernelContext(productNode, [context.InputValue(0), context.InputValue(1)], new Value[1], context.Frame);
            Tensor fused;
            try
            {
                fused = _poolWindow is null ? fusable.Multiply(productContext, bias.AsSpan<float>(), relu)
                    : fusable is ConvolutionGemmKernel convolution ? convolution.Multiply(productContext, bias.AsSpan<float>(), relu, _poolWindow)
                    : Pool(context, fusable.Multiply(productContext, bias.AsSpan<float>(), relu));
            }
            catch (Exception e) when (e is not (GraphException or OperationCanceledException or OutOfMemoryException))
            {
                throw new GraphException(productNode.Name, productNode.Op, e.Message, e);
            }
            context.SetOutput(0, fused);
            return;
        }

        // A product kernel from another registry: run it, then add the bias and activation row by row.
        var product = new Value[1];
        GraphSession.Invoke(inner, new KernelContext(productNode, [context.InputValue(0), context.InputValue(1)], product, context.Frame));
        Tensor output = product[0].Tensor!;
        int n = (int)output.Shape[output.Shape.Rank - 1];
        if (bias.Shape.Rank != 1 || bias.Shape[0] != n)
            throw new GraphException(biasAdd.Name, biasAdd.Op, $"bias of shape {bias.Shape} does not match the last dimension of {output.Shape}");
        // The product is freshly allocated by this step, so it is updated in place.
        Span<float> values = output.AsSpan<float>();
        ReadOnlySpan<float> b = bias.AsSpan<float>();
        for (int row = 0; row < values.Length; row += n)
        {
            Span<float> r = values.Slice(row, n);
            TensorPrimitives.Add(r, b, r);
            if (relu) TensorPrimitives.Max(r, 0f, r);
        }
        context.SetOutput(0, _poolWindow is null ? output : Pool(context, output));
    }

    /// <summary>The pooling step on its own, for a product kernel that cannot pool as it stores.</summary>
    private Tensor Pool(KernelContext context, Tensor activations)
    {
        var pooled = new Value[1];
        GraphSession.Invoke(pool!.Value.Kernel, new KernelContext(pool.Value.Node, [activations], pooled, context.Frame));
        return pooled[0].Tensor!;
    }
}
