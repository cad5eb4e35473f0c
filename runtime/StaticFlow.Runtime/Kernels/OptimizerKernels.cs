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
                switch (op)
                {
                    case "ResourceApplyGradientDescent":
                    {
                        // var -= alpha * delta
                        var (w, alpha, delta) = (Slot<T>(c, 0, null), Scalar<T>(c, 1), Gradient<T>(c, 2, 0));
                        Update<T>(c, 0, w, (i, value) => value - alpha * delta[i]);
                        break;
                    }
                    case "ResourceApplyMomentum":
                    {
                        // accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= grad * lr + accum * momentum * lr)
                        var w = Slot<T>(c, 0, null);
                        T lr = Scalar<T>(c, 2), momentum = Scalar<T>(c, 4);
                        var grad = Gradient<T>(c, 3, 0);
                        var accum = Update<T>(c, 1, Slot<T>(c, 1, w), (i, a) => a * momentum + grad[i]);
                        Update<T>(c, 0, w, (i, value) => nesterov ? value - grad[i] * lr - accum[i] * momentum * lr : value - lr * accum[i]);
                        break;
                    }
                    case "ResourceApplyAdam":
                    {
                        var w = Slot<T>(c, 0, null);
                        T beta1Power = Scalar<T>(c, 3), beta2Power = Scalar<T>(c, 4), lr = Scalar<T>(c, 5), beta1 = Scalar<T>(c, 6), beta2 = Scalar<T>(c, 7), epsilon = Scalar<T>(c, 8);
                        var grad = Gradient<T>(c, 9, 0);
                        T one = T.One;
                        T alpha = lr * T.Sqrt(one - beta2Power) / (one - beta1Power);
                        var m = Update<T>(c, 1, Slot<T>(c, 1, w), (i, value) => value + (grad[i] - value) * (one - beta1));
                        var v = Update<T>(c, 2, Slot<T>(c, 2, w), (i, value) => value + (grad[i] * grad[i] - value) * (one - beta2));
                        Update<T>(c, 0, w, (i, value) => nesterov
                            ? value - (m[i] * beta1 + (one - beta1) * grad[i]) * alpha / (T.Sqrt(v[i]) + epsilon)
                            : value - m[i] * alpha / (T.Sqrt(v[i]) + epsilon));
                        break;
                    }
                    case "ResourceApplyRMSProp":
                    {
                        // ms = ms + (grad² - ms) * (1 - rho); mom = mom * momentum + lr * grad / sqrt(ms + epsilon); var -= mom
                        var w = Slot<T>(c, 0, null);
                        T lr = Scalar<T>(c, 3), rho = Scalar<T>(c, 4), momentum = Scalar<T>(c, 5), epsilon = Scalar<T>(c, 6);
                        var grad = Gradient<T>(c, 7, 0);
                        var ms = Update<T>(c, 1, Slot<T>(c, 1, w), (i, value) => value + (grad[i] * grad[i] - value) * (T.One - rho));
                        var mom = Update<T>(c, 2, Slot<T>(c, 2, w), (i, value) => value * momentum + lr * grad[i] / T.Sqrt(ms[i] + epsilon));
                        Update<T>(c, 0, w, (i, value) => value - mom[i]);
                        break;
                    }
                    default:
                    {
                        // ResourceApplyAdagradV2: accum += grad²; var -= lr * grad / (sqrt(accum) + epsilon)
                        var w = Slot<T>(c, 0, null);
                        T lr = Scalar<T>(c, 2), epsilon = Scalar<T>(c, 3);
                        var grad = Gradient<T>(c, 4, 0);
                        var accum = updateSlots ? Update<T>(c, 1, Slot<T>(c, 1, w), (i, value) => value + grad[i] * grad[i]) : Slot<T>(c, 1, w).ToArray<T>();
                        Update<T>(c, 0, w, (i, value) => value - lr * grad[i] / (T.Sqrt(accum[i]) + epsilon));
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

    private static T[] Gradient<T>(KernelContext c, int input, int variableInput) where T : unmanaged
    {
        Tensor gradient = c.Input(input);
        Tensor variable = c.InputVariable(variableInput).Read();
        if (!gradient.Shape.Equals(variable.Shape))
            throw c.Error($"the gradient has shape {gradient.Shape} but variable '{c.InputVariable(variableInput).Name}' has shape {variable.Shape}");
        return gradient.AsSpan<T>().ToArray();
    }

    /// <summary>Assigns variable input <paramref name="input"/> a fresh tensor of f(i, old[i]) and returns the new values.</summary>
    private static T[] Update<T>(KernelContext c, int input, Tensor current, Func<int, T, T> next) where T : unmanaged
    {
        ReadOnlySpan<T> old = current.AsSpan<T>();
        var values = new T[old.Length];
        for (int i = 0; i < values.Length; i++) values[i] = next(i, old[i]);
        c.InputVariable(input).Assign(Tensor.FromArray<T>(values, current.Shape.Dims.ToArray()));
        return values;
    }
}
