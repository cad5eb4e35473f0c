using System.Numerics;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// TensorFlow's resource apply ops (tensorflow/core/kernels/training_ops.cc): one optimizer step on a variable and its
/// slots. The step is written into the variables' own tensors when each one owns its tensor and no read of it is in
/// flight (<see cref="Variable"/>), and into fresh tensors otherwise, so a reader holding an earlier value never sees
/// it change. Either way every element is read before it is written, so one loop serves both. A large variable's
/// elements are split across cores (the update is memory-bound, and one core does not reach the memory's speed).
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>Elements below which one core updates the whole variable.</summary>
    private const int ParallelElements = 1 << 16;

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
            // Where each op's gradient and scalar inputs are (TensorFlow's signatures).
            (int Gradient, int[] Scalars) inputs = op switch
            {
                "ResourceApplyGradientDescent" => (2, [1]),                 // alpha
                "ResourceApplyMomentum" => (3, [2, 4]),                      // lr, momentum
                "ResourceApplyAdam" => (9, [3, 4, 5, 6, 7, 8]),             // beta1_power, beta2_power, lr, beta1, beta2, epsilon
                "ResourceApplyRMSProp" => (7, [3, 4, 5, 6]),                 // lr, rho, momentum, epsilon
                _ => (4, [2, 3]),                                            // ResourceApplyAdagradV2: lr, epsilon
            };
            return new DelegateKernel(c =>
            {
                using var update = new Update(c, slots);
                var step = new Step<T>(op, nesterov, updateSlots) { Variable = update.Value<T>(0, null) };
                step.Gradient = Gradient<T>(c, inputs.Gradient, step.Variable);
                step.Scalars = [.. inputs.Scalars.Select(i => Scalar<T>(c, i))];
                if (slots > 0) step.Slot1 = update.Value<T>(1, step.Variable);
                if (slots > 1) step.Slot2 = update.Value<T>(2, step.Variable);
                step.NextVariable = update.Target(0);
                // Without update_slots Adagrad's accumulator is only read.
                if (slots > 0 && (updateSlots || op != "ResourceApplyAdagradV2")) step.NextSlot1 = update.Target(1);
                if (slots > 1) step.NextSlot2 = update.Target(2);
                WorkerTeam.ForRanges(checked((int)step.Variable.ElementCount), ParallelElements, step.Run);
                update.Commit();
            });
        }
    }

    /// <summary>One optimizer step over elements [start, end): the tensors it reads and writes, and its scalars.</summary>
    private sealed class Step<T>(string op, bool nesterov, bool updateSlots) where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Tensor Variable = null!, Gradient = null!, NextVariable = null!;
        public Tensor? Slot1, Slot2, NextSlot1, NextSlot2;
        public T[] Scalars = [];

        // The vector loops compute each element with the same operations in the same order as the scalar tails, so
        // every element is bit for bit what the scalar loop gives (no fused multiply-adds), on any vector width and
        // however the elements are split across cores.
        public void Run(int start, int end)
        {
            ReadOnlySpan<T> value = Variable.AsSpan<T>()[start..end], grad = Gradient.AsSpan<T>()[start..end];
            Span<T> updated = NextVariable.AsSpan<T>()[start..end];
            int i = 0;
            switch (op)
            {
                case "ResourceApplyGradientDescent":
                {
                    // var -= alpha * delta
                    T alpha = Scalars[0];
                    if (Vector<T>.IsSupported)
                        for (var va = new Vector<T>(alpha); i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                            (V(value, i) - va * V(grad, i)).CopyTo(updated[i..]);
                    for (; i < updated.Length; i++) updated[i] = value[i] - alpha * grad[i];
                    break;
                }
                case "ResourceApplyMomentum":
                {
                    // accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= grad * lr + accum * momentum * lr)
                    T lr = Scalars[0], momentum = Scalars[1];
                    ReadOnlySpan<T> accum = Slot1!.AsSpan<T>()[start..end];
                    Span<T> a = NextSlot1!.AsSpan<T>()[start..end];
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
                    T beta1Power = Scalars[0], beta2Power = Scalars[1], lr = Scalars[2], beta1 = Scalars[3], beta2 = Scalars[4], epsilon = Scalars[5];
                    ReadOnlySpan<T> m = Slot1!.AsSpan<T>()[start..end], v = Slot2!.AsSpan<T>()[start..end];
                    Span<T> m2 = NextSlot1!.AsSpan<T>()[start..end], v2 = NextSlot2!.AsSpan<T>()[start..end];
                    T one = T.One;
                    T alpha = lr * T.Sqrt(one - beta2Power) / (one - beta1Power);
                    if (Vector<T>.IsSupported)
                    {
                        Vector<T> vbeta1 = new(beta1), decay1 = new(one - beta1), decay2 = new(one - beta2), valpha = new(alpha), vepsilon = new(epsilon);
                        for (; i <= updated.Length - Vector<T>.Count; i += Vector<T>.Count)
                        {
                            Vector<T> g = V(grad, i), mi = V(m, i), vi = V(v, i);
                            Vector<T> nextM = mi + (g - mi) * decay1, nextV = vi + (g * g - vi) * decay2;
                            nextM.CopyTo(m2[i..]);
                            nextV.CopyTo(v2[i..]);
                            Vector<T> direction = nesterov ? nextM * vbeta1 + decay1 * g : nextM;
                            (V(value, i) - direction * valpha / (Vector.SquareRoot(nextV) + vepsilon)).CopyTo(updated[i..]);
                        }
                    }
                    for (; i < updated.Length; i++)
                    {
                        T g = grad[i];
                        m2[i] = m[i] + (g - m[i]) * (one - beta1);
                        v2[i] = v[i] + (g * g - v[i]) * (one - beta2);
                        T direction = nesterov ? m2[i] * beta1 + (one - beta1) * g : m2[i];
                        updated[i] = value[i] - direction * alpha / (T.Sqrt(v2[i]) + epsilon);
                    }
                    break;
                }
                case "ResourceApplyRMSProp":
                {
                    // ms = ms + (grad² - ms) * (1 - rho); mom = mom * momentum + lr * grad / sqrt(ms + epsilon); var -= mom
                    T lr = Scalars[0], rho = Scalars[1], momentum = Scalars[2], epsilon = Scalars[3];
                    ReadOnlySpan<T> ms = Slot1!.AsSpan<T>()[start..end], mom = Slot2!.AsSpan<T>()[start..end];
                    Span<T> ms2 = NextSlot1!.AsSpan<T>()[start..end], mom2 = NextSlot2!.AsSpan<T>()[start..end];
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
                    T lr = Scalars[0], epsilon = Scalars[1];
                    ReadOnlySpan<T> accum = Slot1!.AsSpan<T>()[start..end];
                    if (!updateSlots)
                    {
                        for (; i < updated.Length; i++) updated[i] = value[i] - lr * grad[i] / (T.Sqrt(accum[i]) + epsilon);
                        break;
                    }
                    Span<T> a = NextSlot1!.AsSpan<T>()[start..end];
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
                    break;
                }
            }
        }

        private static Vector<T> V(ReadOnlySpan<T> values, int index) => new(values[index..]);
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
        public Tensor Target(int input)
        {
            Tensor current = (input == 0 ? _value0 : input == 1 ? _value1 : _value2) ?? throw new InvalidOperationException("A target before its value.");
            Tensor next = _inPlace ? current : Tensor.Uninitialized(current.DType, current.Shape);
            if (input == 0) _next0 = next;
            else if (input == 1) _next1 = next;
            else _next2 = next;
            return next;
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
            // The elements changed under the same tensor: work kept from them is stale (before anyone can read them).
            if (_next0 is not null) Interlocked.Increment(ref _next0.Version);
            if (_next1 is not null) Interlocked.Increment(ref _next1.Version);
            if (_next2 is not null) Interlocked.Increment(ref _next2.Version);
            for (int i = _count - 1; i >= 0; i--) _context.InputVariable(i).EndUpdate();
        }
    }

    private static T Scalar<T>(KernelContext c, int input) where T : unmanaged
    {
        Tensor value = c.Input(input);
        if (value.Shape.ElementCount != 1) throw c.Error($"input {input} must be a scalar, got shape {value.Shape}");
        return value.AsSpan<T>()[0];
    }

    private static Tensor Gradient<T>(KernelContext c, int input, Tensor variable) where T : unmanaged
    {
        Tensor gradient = c.Input(input);
        if (!gradient.Shape.Equals(variable.Shape))
            throw c.Error($"the gradient has shape {gradient.Shape} but variable '{c.InputVariable(0).Name}' has shape {variable.Shape}");
        if (gradient.DType != variable.DType) throw c.Error($"the gradient is {gradient.DType.Name()}, the variable {variable.DType.Name()}");
        return gradient;
    }
}
