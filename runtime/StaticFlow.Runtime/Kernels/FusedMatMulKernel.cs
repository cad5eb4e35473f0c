using System.Numerics.Tensors;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using Tensor = StaticFlow.Tensors.Tensor;

namespace StaticFlow.Kernels;

/// <summary>
/// MatMul → BiasAdd (→ Relu) in one step, built by the planner when the intermediate results feed nothing else:
/// the bias and activation are applied to each output row while it is still in cache, and the intermediate
/// tensors are never materialized. Inputs: a, b, bias.
/// </summary>
internal sealed class FusedMatMulKernel(GraphNode matMul, IOpKernel inner, GraphNode biasAdd, bool relu) : IOpKernel, IConstantInputAware
{
    public void OnConstantInput(int index, Tensor value)
    {
        if (index < 2 && inner is IConstantInputAware aware) aware.OnConstantInput(index, value);
    }

    public void Compute(KernelContext context)
    {
        var product = new Value[1];
        GraphSession.Invoke(inner, new KernelContext(matMul, [context.InputValue(0), context.InputValue(1)], product, context.Frame));
        Tensor output = product[0].Tensor!;
        Tensor bias = context.Input(2);
        int n = (int)output.Shape[1];
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
        context.SetOutput(0, output);
    }
}
