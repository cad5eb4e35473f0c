using System.Numerics;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// TensorFlow's resource apply ops (tensorflow/core/kernels/training_ops.cc): one optimizer step on a variable and its
/// slots. The step is written into the variables' own tensors when each one owns its tensor and no read of it is in
/// flight (<see cref="Variable"/>), and into fresh tensors otherwise, so a reader holding an earlier value never sees
/// it change. Either way every element is read before it is written, so one loop serves both.
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
            int slots = op switch { "ResourceApplyGradientDescent" => 0, "ResourceApplyMomentum" or "ResourceApplyAdagradV2" => 1, _ => 2 };
            return new DelegateKernel(c =>
            {
                using var update = new Update(c, slots);
                Tensor w = update.Value<T>(0, null);
                ReadOnlySpan<T> value = w.AsSpan<T>();
                switch (op)
                {
                    case "ResourceApplyGradientDescent":
                    {
                        // var -= alpha * delta
                        T alpha = Scalar<T>(c, 1);
                        ReadOnlySpan<T> delta = Gradient<T>(c, 2, w);
                        Span<T> updated = update.Target<T>(0);
                        int i = 0;
                        if (Vector<T>.IsSupported)
                            for (var va = new Vector<T>(alpha); i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                                (V(value, i) - va * V(delta, i)).CopyTo(updated[i..]);
                        for (; i < updated.Length; i++) updated[i] = value[i] - alpha * delta[i];
                        break;
                    }
                    case "ResourceApplyMomentum":
                    {
                        // accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= grad * lr + accum * momentum * lr)
                        T lr = Scalar<T>(c, 2), momentum = Scalar<T>(c, 4);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 3, w), accum = update.Value<T>(1, w).AsSpan<T>();
                        Span<T> a = update.Target<T>(1), updated = update.Target<T>(0);
                        int i = 0;
                        if (Vector<T>.IsSupported)
                        {
                            Vector<T> vlr = new(lr), vmomentum = new(momentum);
                            for (; i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                            {
                                Vector<T> g = V(grad, i), next = V(accum, i) * vmomentum + g;
                                next.CopyTo(a[i..]);
                                (nesterov ? V(value, i) - g * vlr - next * vmomentum * vlr : V(value, i) - vlr * next).CopyTo(updated[i..]);
                            }
                        }
                        for (; i < updated.Length; i++)
                        {
                            a[i] = accum[i] * momentum + grad[i];
                            updated[i] = nesterov ? value[i] - grad[i] * lr - a[i] * momentum * lr : value[i] - lr * a[i];
                        }
                        break;
                    }
                    case "ResourceApplyAdam":
                    {
                        T beta1Power = Scalar<T>(c, 3), beta2Power = Scalar<T>(c, 4), lr = Scalar<T>(c, 5), beta1 = Scalar<T>(c, 6), beta2 = Scalar<T>(c, 7), epsilon = Scalar<T>(c, 8);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 9, w), m = update.Value<T>(1, w).AsSpan<T>(), v = update.Value<T>(2, w).AsSpan<T>();
                        T one = T.One;
                        T alpha = lr * T.Sqrt(one - beta2Power) / (one - beta1Power);
                        Span<T> m2 = update.Target<T>(1), v2 = update.Target<T>(2), updated = update.Target<T>(0);
                        int i = 0;
                        if (Vector<T>.IsSupported)
                        {
                            Vector<T> vbeta1 = new(beta1), decay1 = new(one - beta1), decay2 = new(one - beta2), valpha = new(alpha), vepsilon = new(epsilon);
                            for (; i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                            {
                                Vector<T> g = V(grad, i), mi = V(m, i), vi = V(v, i);
                                Vector<T> nextM = mi + (g - mi) * decay1, nextV = vi + (g * g - vi) * decay2;
                                nextM.CopyTo(m2[i..]);
                                nextV.CopyTo(v2[i..]);
                                Vector<T> step = nesterov ? nextM * vbeta1 + decay1 * g : nextM;
                                (V(value, i) - step * valpha / (Vector.SquareRoot(nextV) + vepsilon)).CopyTo(updated[i..]);
                            }
                        }
                        for (; i < updated.Length; i++)
                        {
                            T g = grad[i];
                            m2[i] = m[i] + (g - m[i]) * (one - beta1);
                            v2[i] = v[i] + (g * g - v[i]) * (one - beta2);
                            T step = nesterov ? m2[i] * beta1 + (one - beta1) * g : m2[i];
                            updated[i] = value[i] - step * alpha / (T.Sqrt(v2[i]) + epsilon);
                        }
                        break;
                    }
                    case "ResourceApplyRMSProp":
                    {
                        // ms = ms + (grad² - ms) * (1 - rho); mom = mom * momentum + lr * grad / sqrt(ms + epsilon); var -= mom
                        T lr = Scalar<T>(c, 3), rho = Scalar<T>(c, 4), momentum = Scalar<T>(c, 5), epsilon = Scalar<T>(c, 6);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 7, w), ms = update.Value<T>(1, w).AsSpan<T>(), mom = update.Value<T>(2, w).AsSpan<T>();
                        Span<T> ms2 = update.Target<T>(1), mom2 = update.Target<T>(2), updated = update.Target<T>(0);
                        int i = 0;
                        if (Vector<T>.IsSupported)
                        {
                            Vector<T> decay = new(T.One - rho), vmomentum = new(momentum), vlr = new(lr), vepsilon = new(epsilon);
                            for (; i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                            {
                                Vector<T> g = V(grad, i), msi = V(ms, i);
                                Vector<T> nextMs = msi + (g * g - msi) * decay;
                                Vector<T> nextMom = V(mom, i) * vmomentum + vlr * g / Vector.SquareRoot(nextMs + vepsilon);
                                nextMs.CopyTo(ms2[i..]);
                                nextMom.CopyTo(mom2[i..]);
                                (V(value, i) - nextMom).CopyTo(updated[i..]);
                            }
                        }
                        for (; i < updated.Length; i++)
                        {
                            T g = grad[i];
                            ms2[i] = ms[i] + (g * g - ms[i]) * (T.One - rho);
                            mom2[i] = mom[i] * momentum + lr * g / T.Sqrt(ms2[i] + epsilon);
                            updated[i] = value[i] - mom2[i];
                        }
                        break;
                    }
                    default:
                    {
                        // ResourceApplyAdagradV2: accum += grad²; var -= lr * grad / (sqrt(accum) + epsilon)
                        T lr = Scalar<T>(c, 2), epsilon = Scalar<T>(c, 3);
                        ReadOnlySpan<T> grad = Gradient<T>(c, 4, w), accum = update.Value<T>(1, w).AsSpan<T>();
                        Span<T> updated = update.Target<T>(0);
                        if (updateSlots)
                        {
                            Span<T> a = update.Target<T>(1);
                            int i = 0;
                            if (Vector<T>.IsSupported)
                            {
                                Vector<T> vlr = new(lr), vepsilon = new(epsilon);
                                for (; i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                                {
                                    Vector<T> g = V(grad, i), next = V(accum, i) + g * g;
                                    next.CopyTo(a[i..]);
                                    (V(value, i) - vlr * g / (Vector.SquareRoot(next) + vepsilon)).CopyTo(updated[i..]);
                                }
                            }
                            for (; i < updated.Length; i++)
                            {
                                a[i] = accum[i] + grad[i] * grad[i];
                                updated[i] = value[i] - lr * grad[i] / (T.Sqrt(a[i]) + epsilon);
                            }
                        }
                        else
                        {
                            for (int i = 0; i < updated.Length; i++) updated[i] = value[i] - lr * grad[i] / (T.Sqrt(accum[i]) + epsilon);
                        }
                        break;
                    }
                }
                update.Commit();
            });
        }
    }

    /// <summary>
    /// One optimizer step's hold on its variable (input 0) and its slot variables (inputs 1 and 2): in place when
    /// every one of them can be taken for an update (<see cref="Variable.TryBeginUpdate"/>), otherwise into fresh
    /// tensors that <see cref="Commit"/> assigns. Taking never waits, so steps that take the same variables in
    /// different orders cannot deadlock; one that cannot take them all writes fresh tensors instead.
    /// </summary>
    private ref struct Update
    {
        private readonly KernelContext _context;
        private readonly int _count;
        private readonly bool _inPlace;
        private Tensor? _value0, _value1, _value2, _next0, _next1, _next2;

        public Update(KernelContext context, int slots)
        {
            _context = context;
            _count = slots + 1;
            int taken = 0;
            while (taken < _count && context.InputVariable(taken).TryBeginUpdate()) taken++;
            _inPlace = taken == _count;
            if (!_inPlace)
                for (int i = taken - 1; i >= 0; i--) context.InputVariable(i).EndUpdate();
        }

        /// <summary>The value of variable input <paramref name="input"/>, checked against <paramref name="like"/>'s dtype and shape.</summary>
        public Tensor Value<T>(int input, Tensor? like) where T : unmanaged
        {
            Variable variable = _context.InputVariable(input);
            if (!variable.IsInitialized) throw _context.Error($"variable '{variable.Name}' is not initialized");
            // Read gives up ownership: a fresh step's old value may be held by whoever read it before.
            Tensor value = _inPlace ? variable.Peek() : variable.Read();
            if (value.DType != DTypes.Of<T>()) throw _context.Error($"variable '{variable.Name}' holds {value.DType.Name()}, the op updates {DTypes.Of<T>().Name()}");
            if (like is not null && !value.Shape.Equals(like.Shape))
                throw _context.Error($"slot '{variable.Name}' has shape {value.Shape}, its variable {like.Shape}");
            if (input == 0) _value0 = value;
            else if (input == 1) _value1 = value;
            else _value2 = value;
            return value;
        }

        /// <summary>Where the next value of variable input <paramref name="input"/> goes (its <see cref="Value"/> is read first).</summary>
        public Span<T> Target<T>(int input) where T : unmanaged
        {
            Tensor current = (input == 0 ? _value0 : input == 1 ? _value1 : _value2) ?? throw new InvalidOperationException("A target before its value.");
            Tensor next = _inPlace ? current : Tensor.Uninitialized(current.DType, current.Shape);
            if (input == 0) _next0 = next;
            else if (input == 1) _next1 = next;
            else _next2 = next;
            return next.AsSpan<T>();
        }

        /// <summary>Assigns the fresh tensors (in place there is nothing left to do): the slots first, the variable last.</summary>
        public readonly void Commit()
        {
            if (_inPlace) return;
            if (_next2 is not null) _context.InputVariable(2).AssignOwned(_next2);
            if (_next1 is not null) _context.InputVariable(1).AssignOwned(_next1);
            if (_next0 is not null) _context.InputVariable(0).AssignOwned(_next0);
        }

        public readonly void Dispose()
        {
            if (!_inPlace) return;
            for (int i = _count - 1; i >= 0; i--) _context.InputVariable(i).EndUpdate();
        }
    }

    // The vector loops compute each element with the same operations in the same order as the scalar tails, so
    // every element is bit for bit what the scalar loop gives (no fused multiply-adds), on any vector width.
    private static Vector<T> V<T>(ReadOnlySpan<T> values, int index) where T : unmanaged => new(values[index..]);

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
}
