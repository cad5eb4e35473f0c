using System.Numerics;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// TensorFlow's resource apply ops (tensorflow/core/kernels/training_ops.cc): one optimizer step on a variable and its
/// slots. Each reads the variables, computes the new values into fresh tensors and assigns them, so a reader that
/// still holds the old tensor is unaffected.
/// </summary>
internal static class OptimizerKernels
{
    public static void Register(KernelRegistrar add)
    {
        foreach (string op in new[] { "ResourceApplyGradientDescent", "ResourceApplyMomentum", "ResourceApplyAdam", "ResourceApplyRMSProp", "ResourceApplyAdagradV2" })
            add.Add(op, KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new Factory(op)), dtypeAttr: "T");
    }

    private sealed class Factory(string op) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T>
        {
            bool nesterov = node.Attrs.ContainsKey("use_nesterov") && KernelHelpers.BoolAttr(node, "use_nesterov");
            bool updateSlots = !node.Attrs.ContainsKey("update_slots") || KernelHelpers.BoolAttr(node, "update_slots");
            return new DelegateKernel(c =>
            {
                // Plain loops over spans into fresh tensors: one pass per variable, no per-element calls.
                Tensor w = Slot<T>(c, 0, null);
                ReadOnlySpan<T> value = w.AsSpan<T>();
                switch (op)
                {
                    case "ResourceApplyGradientDescent":
                    {
                        // var -= alpha * delta
                        T alpha = Scalar<T>(c, 1);
                        ReadOnlySpan<T> delta = Gradient<T>(c, 2, w);
                        var next = Fresh(w, out Span<T> updated);
                        for (int i = 0; i < updated.Length; i++) updated[i] = value[i] - alpha * delta[i];
                        c.InputVariable(0).Assign(next);
                        break;
                    }
                    case "ResourceApplyMomentum":
                    {
                        // accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= grad * lr + accum * momentum * lr)
                        T lr = Scalar<T>(c, 2), momentum = Scalar<T>(c, 4);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 3, w), accum = Slot<T>(c, 1, w).AsSpan<T>();
                        var nextAccum = Fresh(w, out Span<T> a);
                        var next = Fresh(w, out Span<T> updated);
                        for (int i = 0; i < updated.Length; i++)
                        {
                            a[i] = accum[i] * momentum + grad[i];
                            updated[i] = nesterov ? value[i] - grad[i] * lr - a[i] * momentum * lr : value[i] - lr * a[i];
                        }
                        c.InputVariable(1).Assign(nextAccum);
                        c.InputVariable(0).Assign(next);
                        break;
                    }
                    case "ResourceApplyAdam":
                    {
                        T beta1Power = Scalar<T>(c, 3), beta2Power = Scalar<T>(c, 4), lr = Scalar<T>(c, 5), beta1 = Scalar<T>(c, 6), beta2 = Scalar<T>(c, 7), epsilon = Scalar<T>(c, 8);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 9, w), m = Slot<T>(c, 1, w).AsSpan<T>(), v = Slot<T>(c, 2, w).AsSpan<T>();
                        T one = T.One;
                        T alpha = lr * T.Sqrt(one - beta2Power) / (one - beta1Power);
                        var nextM = Fresh(w, out Span<T> m2);
                        var nextV = Fresh(w, out Span<T> v2);
                        var next = Fresh(w, out Span<T> updated);
                        for (int i = 0; i < updated.Length; i++)
                        {
                            T g = grad[i];
                            m2[i] = m[i] + (g - m[i]) * (one - beta1);
                            v2[i] = v[i] + (g * g - v[i]) * (one - beta2);
                            T step = nesterov ? m2[i] * beta1 + (one - beta1) * g : m2[i];
                            updated[i] = value[i] - step * alpha / (T.Sqrt(v2[i]) + epsilon);
                        }
                        c.InputVariable(1).Assign(nextM);
                        c.InputVariable(2).Assign(nextV);
                        c.InputVariable(0).Assign(next);
                        break;
                    }
                    case "ResourceApplyRMSProp":
                    {
                        // ms = ms + (grad² - ms) * (1 - rho); mom = mom * momentum + lr * grad / sqrt(ms + epsilon); var -= mom
                        T lr = Scalar<T>(c, 3), rho = Scalar<T>(c, 4), momentum = Scalar<T>(c, 5), epsilon = Scalar<T>(c, 6);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 7, w), ms = Slot<T>(c, 1, w).AsSpan<T>(), mom = Slot<T>(c, 2, w).AsSpan<T>();
                        var nextMs = Fresh(w, out Span<T> ms2);
                        var nextMom = Fresh(w, out Span<T> mom2);
                        var next = Fresh(w, out Span<T> updated);
                        for (int i = 0; i < updated.Length; i++)
                        {
                            T g = grad[i];
                            ms2[i] = ms[i] + (g * g - ms[i]) * (T.One - rho);
                            mom2[i] = mom[i] * momentum + lr * g / T.Sqrt(ms2[i] + epsilon);
                            updated[i] = value[i] - mom2[i];
                        }
                        c.InputVariable(1).Assign(nextMs);
                        c.InputVariable(2).Assign(nextMom);
                        c.InputVariable(0).Assign(next);
                        break;
                    }
                    default:
                    {
                        // ResourceApplyAdagradV2: accum += grad²; var -= lr * grad / (sqrt(accum) + epsilon)
                        T lr = Scalar<T>(c, 2), epsilon = Scalar<T>(c, 3);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 4, w);
                        Tensor accumTensor = Slot<T>(c, 1, w);
                        ReadOnlySpan<T> accum = accumTensor.AsSpan<T>();
                        var nextAccum = Fresh(w, out Span<T> a);
                        var next = Fresh(w, out Span<T> updated);
                        for (int i = 0; i < updated.Length; i++)
                        {
                            a[i] = updateSlots ? accum[i] + grad[i] * grad[i] : accum[i];
                            updated[i] = value[i] - lr * grad[i] / (T.Sqrt(a[i]) + epsilon);
                        }
                        if (updateSlots) c.InputVariable(1).Assign(nextAccum);
                        c.InputVariable(0).Assign(next);
                        break;
                    }
                }
            });
        }
    }

    /// <summary>The value of variable input <paramref name="input"/>, checked against <paramref name="like"/>'s dtype and shape.</summary>
    private static Tensor Slot<T>(KernelContext c, int input, Tensor? like) where T : unmanaged
    {
        Variable variable = c.InputVariable(input);
        if (!variable.IsInitialized) throw c.Error($"variable '{variable.Name}' is not initialized");
        Tensor value = variable.Read();
        if (value.DType != DTypes.Of<T>()) throw c.Error($"variable '{variable.Name}' holds {value.DType.Name()}, the op updates {DTypes.Of<T>().Name()}");
        if (like is not null && !value.Shape.Equals(like.Shape))
            throw c.Error($"slot '{variable.Name}' has shape {value.Shape}, its variable {like.Shape}");
        return value;
    }

    private static T Scalar<T>(KernelContext c, int input) where T : unmanaged
    {
        Tensor value = c.Input(input);
        if (value.Shape.ElementCount != 1) throw c.Error($"input {input} must be a scalar, got shape {value.Shape}");
        return value.AsSpan<T>()[0];
    }

    private static ReadOnlySpan<T> Gradient<T>(KernelContext c, int input, Tensor variable) where T : unmanaged
    {
        Tensor gradient = c.Input(input);
        if (!gradient.Shape.Equals(variable.Shape))
            throw c.Error($"the gradient has shape {gradient.Shape} but variable '{c.InputVariable(0).Name}' has shape {variable.Shape}");
        if (gradient.DType != variable.DType) throw c.Error($"the gradient is {gradient.DType.Name()}, the variable {variable.DType.Name()}");
        return gradient.AsSpan<T>();
    }

    /// <summary>A fresh tensor shaped like <paramref name="like"/>, for a variable's next value.</summary>
    private static Tensor Fresh<T>(Tensor like, out Span<T> values) where T : unmanaged
    {
        var tensor = Tensor.Uninitialized(like.DType, like.Shape);
        values = tensor.AsSpan<T>();
        return tensor;
    }
}
