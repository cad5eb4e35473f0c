using System.Collections.Concurrent;

namespace StaticFlow.Execution;

/// <summary>
/// Storage of intermediate tensors handed from one run of a plan to the next: a large product's output (an MLP
/// layer's activations) would otherwise be a fresh large-object-heap array every run, and the collections of that
/// heap cost more than the arrays. A plan returns a buffer only when the tensor's last reader is done and nothing
/// can hold on to it (<see cref="ExecutionPlan"/> decides which); concurrent runs each take their own.
/// </summary>
internal sealed class BufferPool
{
    private const int MaxPerSize = 4;
    private readonly ConcurrentDictionary<int, ConcurrentBag<byte[]>> _free = new();

    /// <summary>A buffer of exactly <paramref name="bytes"/> bytes (contents undefined), or null when none is free.</summary>
    public byte[]? Rent(int bytes) => _free.TryGetValue(bytes, out var bag) && bag.TryTake(out var buffer) ? buffer : null;

    /// <summary>Lets go of every free buffer (the plan's arena took over their work).</summary>
    public void Clear() => _free.Clear();

    /// <summary>Gives back a buffer nothing references any more.</summary>
    public void Return(byte[] buffer)
    {
        var bag = _free.GetOrAdd(buffer.Length, _ => []);
        if (bag.Count < MaxPerSize) bag.Add(buffer);
    }
}
