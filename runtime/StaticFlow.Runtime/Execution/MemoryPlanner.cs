namespace StaticFlow.Execution;

/// <summary>
/// When a plan's intermediate is alive: from the step that writes it to the last step that reads it (or a view of
/// it), both included, and how many bytes it takes.
/// </summary>
internal readonly record struct Lifetime(int FirstStep, int LastStep, long Bytes)
{
    public bool Overlaps(Lifetime other) => FirstStep <= other.LastStep && other.FirstStep <= LastStep;
}

/// <summary>
/// Where each of a plan's intermediates lives in the run's arena (<see cref="Offsets"/>, in the order of the
/// lifetimes it was planned from), the arena's size, and the largest number of bytes alive at any one step: the
/// floor no layout can go under.
/// </summary>
internal sealed class ArenaLayout(long[] offsets, long[] bytes, long arenaBytes, long largestLiveSetBytes)
{
    public long[] Offsets { get; } = offsets;

    /// <summary>The size each region was planned for; a larger tensor at run time is allocated outside the arena.</summary>
    public long[] Bytes { get; } = bytes;

    public long ArenaBytes { get; } = arenaBytes;

    public long LargestLiveSetBytes { get; } = largestLiveSetBytes;
}

/// <summary>
/// Assigns intermediates to offsets in one arena so that two tensors alive at the same step never share a byte,
/// greedily by size: the largest first, each at the lowest aligned offset clear of those already placed whose
/// lifetimes overlap its own. This is TensorFlow Lite Micro's GreedyMemoryPlanner and the idea of ONNX Runtime's
/// allocation planner; on the chains and training graphs here it lands within a few percent of the largest live set.
/// </summary>
internal static class MemoryPlanner
{
    /// <summary>Offsets are multiples of a cache line, so vector loads of one tensor never straddle another's.</summary>
    public const int Alignment = 64;

    public static ArenaLayout Plan(IReadOnlyList<Lifetime> lifetimes)
    {
        int count = lifetimes.Count;
        var offsets = new long[count];
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        // Largest first; among equals, the earlier-born first, so the layout does not depend on the sort's stability.
        Array.Sort(order, (a, b) => lifetimes[b].Bytes != lifetimes[a].Bytes
            ? lifetimes[b].Bytes.CompareTo(lifetimes[a].Bytes)
            : lifetimes[a].FirstStep != lifetimes[b].FirstStep ? lifetimes[a].FirstStep.CompareTo(lifetimes[b].FirstStep) : a.CompareTo(b));

        var placed = new List<int>(count);
        var neighbours = new List<int>();
        long arenaBytes = 0;
        foreach (int next in order)
        {
            var lifetime = lifetimes[next];
            neighbours.Clear();
            foreach (int other in placed)
                if (lifetimes[other].Overlaps(lifetime)) neighbours.Add(other);
            neighbours.Sort((a, b) => offsets[a].CompareTo(offsets[b]));
            long offset = 0;
            foreach (int other in neighbours)
            {
                if (offset + lifetime.Bytes <= offsets[other]) break;
                offset = Math.Max(offset, Align(offsets[other] + lifetimes[other].Bytes));
            }
            offsets[next] = offset;
            placed.Add(next);
            arenaBytes = Math.Max(arenaBytes, offset + lifetime.Bytes);
        }
        return new ArenaLayout(offsets, [.. lifetimes.Select(l => l.Bytes)], Align(arenaBytes), LargestLiveSet(lifetimes));
    }

    /// <summary>The most bytes alive at one step (each tensor rounded up to the alignment, as the arena holds it).</summary>
    public static long LargestLiveSet(IReadOnlyList<Lifetime> lifetimes)
    {
        if (lifetimes.Count == 0) return 0;
        // Sweep: each tensor adds its bytes at its first step and takes them away after its last.
        var events = new List<(int Step, long Delta)>(lifetimes.Count * 2);
        foreach (var lifetime in lifetimes)
        {
            events.Add((lifetime.FirstStep, Align(lifetime.Bytes)));
            events.Add((lifetime.LastStep + 1, -Align(lifetime.Bytes)));
        }
        // At one step, releases (of tensors that died the step before) come before births.
        events.Sort((a, b) => a.Step != b.Step ? a.Step.CompareTo(b.Step) : a.Delta.CompareTo(b.Delta));
        long live = 0, largest = 0;
        foreach (var (_, delta) in events)
        {
            live += delta;
            largest = Math.Max(largest, live);
        }
        return largest;
    }

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
