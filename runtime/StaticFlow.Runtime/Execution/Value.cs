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

/// <summary>A mutable variable: a named slot holding a tensor, shared by the ops that reach it.</summary>
public sealed class Variable(string name)
{
    private Tensor? _value;

    /// <summary>The variable's shared name.</summary>
    public string Name { get; } = name;

    /// <summary>True once a value has been assigned.</summary>
    public bool IsInitialized => Volatile.Read(ref _value) is not null;

    /// <summary>The current value.</summary>
    /// <exception cref="InvalidOperationException">The variable has not been initialized.</exception>
    public Tensor Read() => Volatile.Read(ref _value)
        ?? throw new InvalidOperationException($"variable '{Name}' is uninitialized (restore a checkpoint or run its initializer first)");

    /// <summary>Replaces the value (tensors are never modified in place, so readers holding the old one are safe).</summary>
    public void Assign(Tensor value) => Volatile.Write(ref _value, value);
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
