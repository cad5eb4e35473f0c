using StaticFlow.Graphs;

namespace StaticFlow.Execution;

/// <summary>
/// The memory limit of the run on this thread: every tensor allocation checks it before allocating, so a graph that
/// asks for more than the session allows fails with a <see cref="ResourceLimitException"/> instead of taking the
/// process down with an out-of-memory crash.
/// </summary>
/// <remarks>
/// The budget bounds the process's managed heap (<see cref="GC.GetTotalMemory(bool)"/>) plus the allocation asked for:
/// the runtime does not own every byte a host process holds, and the heap is what runs out. Small allocations are
/// not checked against the heap (reading its size costs more than they do); a tensor larger than the whole budget
/// always fails, whatever its size.
/// </remarks>
internal static class MemoryBudget
{
    // Below this, an allocation only checks against the budget itself, not the heap.
    private const long HeapCheckThreshold = 1 << 20;

    [ThreadStatic] private static long t_limit;

    /// <summary>The default budget: three quarters of the memory the GC may use (the container's limit when there is one), read once per process.</summary>
    public static long DefaultLimit { get; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3;

    /// <summary>Applies <paramref name="limitBytes"/> to allocations on this thread until the returned scope is disposed.</summary>
    public static Scope Enter(long limitBytes)
    {
        long previous = t_limit;
        t_limit = limitBytes;
        return new Scope(previous);
    }

    /// <summary>Throws when a tensor of <paramref name="shape"/> taking <paramref name="bytes"/> would go past this thread's budget (no-op outside a run).</summary>
    /// <exception cref="ResourceLimitException">The allocation does not fit.</exception>
    public static void Check(long bytes, Tensors.TensorShape shape)
    {
        // The message is built only on failure: this runs on every tensor allocation.
        if (Exceeds(bytes, out long heap, out long limit)) throw Refusal($"a tensor of shape {shape}", bytes, heap, limit);
    }

    /// <summary>Throws when <paramref name="bytes"/> more would take the heap past this thread's budget (no-op outside a run).</summary>
    /// <exception cref="ResourceLimitException">The allocation does not fit.</exception>
    public static void Check(long bytes, string what)
    {
        if (Exceeds(bytes, out long heap, out long limit)) throw Refusal(what, bytes, heap, limit);
    }

    private static bool Exceeds(long bytes, out long heap, out long limit)
    {
        heap = -1;
        limit = t_limit;
        if (limit <= 0) return false;
        if (bytes > limit) return true;
        if (bytes < HeapCheckThreshold) return false;
        heap = GC.GetTotalMemory(forceFullCollection: false);
        if (heap + bytes <= limit) return false;
        // Garbage counts in the heap's size until it is collected: look again after a collection before refusing.
        heap = GC.GetTotalMemory(forceFullCollection: true);
        return heap + bytes > limit;
    }

    private static ResourceLimitException Refusal(string what, long bytes, long heap, long limit) => new(null, null, heap < 0
        ? $"{what} needs {Describe(bytes)}, more than the session's memory limit of {Describe(limit)} (SessionOptions.MemoryLimitBytes)"
        : $"{what} needs {Describe(bytes)} with {Describe(heap)} in use, past the session's memory limit of {Describe(limit)} (SessionOptions.MemoryLimitBytes)");

    private static string Describe(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.##} GiB" : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0.##} MiB" : $"{bytes} bytes";

    /// <summary>Restores the budget that was in force before <see cref="Enter"/>.</summary>
    public readonly struct Scope(long previous) : IDisposable
    {
        public void Dispose() => t_limit = previous;
    }
}
