namespace StaticFlow.Graphs;

/// <summary>A graph cannot be imported or run as given; the message names the node and op and says why.</summary>
public class GraphException : Exception
{
    /// <summary>Creates the exception for <paramref name="node"/> (may be null when no single node is at fault).</summary>
    public GraphException(string? node, string? op, string reason, Exception? inner = null)
        : base(Describe(node, op, reason), inner)
    {
        NodeName = node;
        Op = op;
        Reason = reason;
    }

    /// <summary>The node at fault, if any.</summary>
    public string? NodeName { get; }

    /// <summary>Its op, if known.</summary>
    public string? Op { get; }

    /// <summary>What is wrong.</summary>
    public string Reason { get; }

    private static string Describe(string? node, string? op, string reason) =>
        node is null ? reason : op is null ? $"node '{node}': {reason}" : $"node '{node}' (op {op}): {reason}";
}

/// <summary>No kernel exists for an op, or for the dtypes or device a node asks of it.</summary>
public sealed class KernelNotFoundException(string node, string op, string reason) : GraphException(node, op, reason);

/// <summary>A node cannot be placed on the device it requests (strict placement), or a device string is invalid.</summary>
public sealed class PlacementException(string node, string op, string reason) : GraphException(node, op, reason);

/// <summary>A run's feeds or fetches do not fit the graph or signature (wrong name, dtype or shape).</summary>
public sealed class FeedException(string reason) : GraphException(null, null, reason);

/// <summary>
/// A run went past one of its session's limits (<see cref="Execution.SessionOptions.MemoryLimitBytes"/>,
/// <see cref="Execution.SessionOptions.MaxCallDepth"/>); nothing was allocated for the request that failed.
/// </summary>
public sealed class ResourceLimitException(string? node, string? op, string reason) : GraphException(node, op, reason);
