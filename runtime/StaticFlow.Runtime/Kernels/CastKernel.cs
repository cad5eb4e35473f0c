using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Cast between any two numeric or bool dtypes (float to integer truncates toward zero, as C++ does).</summary>
internal sealed class CastKernel(DType destination) : IOpKernel
{
    public void Compute(KernelContext context)
    {
        Tensor x = context.Input(0);
        if (x.DType == destination) { context.SetOutput(0, x); return; }
        if (x.DType == DType.String || destination == DType.String)
            throw context.Error($"cannot cast {x.DType.Name()} to {destination.Name()}");
        context.SetOutput(0, x.Cast(destination));
    }
}
