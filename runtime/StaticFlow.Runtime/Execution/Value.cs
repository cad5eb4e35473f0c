using System.Collections.Concurrent;
using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>
/// What flows along an edge at run time: a tensor, or a variable (a TF1 reference output or a TF2 resource
/// handle). Reading a reference input reads the variable's value at that moment, as TensorFlow's ref edges do.
/// </summary>
public readonly record struct Value(Tensor? Tensor, Variable? Variable)
{
    /// <summary>Wraps a tensor.</summary>
    public static implicit operator Value(Tensor tensor) => new(tensor, null);

    /// <summary>True when nothing has been stored (a pruned or released slot).</summary>
    public bool IsEmpty => Tensor is null && Variable is null;
}

/// <summary>
/// A mutable variable: a named slot holding a tensor, shared by the ops that reach it.
/// </summary>
/// <remarks>
/// A value read through <see cref="Read"/> or given to <see cref="Assign"/> never changes afterwards. An optimizer op
/// (ResourceApplyAdam and the others) normally writes the variable's next value into a fresh tensor; it updates the
/// current tensor in place instead when the variable owns it exclusively: the tensor came from an earlier optimizer
/// step of this variable, nothing has read it since except reads whose readers finish within their run (borrows,
/// see <see cref="ExecutionPlan"/>), and no borrow is in flight. That is TensorFlow's rule too (training_ops.cc
/// updates in place only when the buffer's reference count is one), here with ownership instead of a count.
/// </remarks>
public sealed class Variable(string name)
{
    private Tensor? _value;
    // Guards in-place updates against borrows and shares that start while one is in progress.
    private readonly Lock _gate = new();
    private int _borrows;

    /// <summary>The variable's shared name.</summary>
    public string Name { get; } = name;

    /// <summary>True once a value has been assigned.</summary>
    public bool IsInitialized => Volatile.Read(ref _value) is not null;

    /// <summary>The current value, which stays as it is: a later optimizer step writes a fresh tensor rather than change it.</summary>
    /// <exception cref="InvalidOperationException">The variable has not been initialized.</exception>
    public Tensor Read()
    {
        Tensor value = Peek();
        Share(value);
        return value;
    }

    /// <summary>Replaces the value. <paramref name="value"/> is never modified afterwards, by this variable or any other.</summary>
    public void Assign(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Share(value);
        Volatile.Write(ref _value, value);
    }

    /// <summary>The current value without giving up ownership of it; the caller must not keep it past its own use.</summary>
    internal Tensor Peek() => Volatile.Read(ref _value)
        ?? throw new InvalidOperationException($"variable '{Name}' is uninitialized (restore a checkpoint or run its initializer first)");

    /// <summary>Makes <paramref name="fresh"/>, which no one else has seen, the value this variable owns.</summary>
    internal void AssignOwned(Tensor fresh)
    {
        fresh.ExclusiveOwner = this;
        Volatile.Write(ref _value, fresh);
    }

    /// <summary>
    /// The current value for readers that finish within the run; the value cannot change in place until
    /// <see cref="ReturnBorrow"/>.
    /// </summary>
    internal Tensor Borrow()
    {
        using (_gate.EnterScope())
        {
            Tensor value = Peek();
            // Atomic even under the gate: borrows are returned without it.
            Interlocked.Increment(ref _borrows);
            return value;
        }
    }

    /// <summary>Ends a <see cref="Borrow"/>.</summary>
    internal void ReturnBorrow() => Interlocked.Decrement(ref _borrows);

    /// <summary>
    /// Takes the variable for an update in place, without waiting: true (the caller must call
    /// <see cref="EndUpdate"/>) when it owns its value and no borrow is in flight.
    /// </summary>
    internal bool TryBeginUpdate()
    {
        if (!_gate.TryEnter()) return false;
        if (Volatile.Read(ref _value) is { } value && ReferenceEquals(value.ExclusiveOwner, this) && Volatile.Read(ref _borrows) == 0) return true;
        _gate.Exit();
        return false;
    }

    /// <summary>Ends an update begun by <see cref="TryBeginUpdate"/>.</summary>
    internal void EndUpdate() => _gate.Exit();

    /// <summary>
    /// Gives up any variable's ownership of <paramref name="value"/> (it is being handed out), waiting for an update
    /// of it in progress to end.
    /// </summary>
    internal static void Share(Tensor value)
    {
        if (Volatile.Read(ref value.ExclusiveOwner) is not { } owner) return;
        using (owner._gate.EnterScope()) value.ExclusiveOwner = null;
    }
}

/// <summary>The variables of a session, by container and shared name (TensorFlow's resource manager).</summary>
public sealed class ResourceStore
{
    private readonly ConcurrentDictionary<string, Variable> _variables = new(StringComparer.Ordinal);

    /// <summary>The variable named <paramref name="name"/> in <paramref name="container"/>, created on first use.</summary>
    public Variable GetOrCreate(string container, string name) =>
        _variables.GetOrAdd(container + "/" + name, _ => new Variable(name));

    /// <summary>All variables, by "container/name".</summary>
    public IReadOnlyDictionary<string, Variable> Variables => _variables;
}
