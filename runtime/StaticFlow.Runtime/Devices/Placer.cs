using StaticFlow.Graphs;

namespace StaticFlow.Devices;

/// <summary>How nodes are assigned to devices.</summary>
public sealed record PlacementOptions
{
    /// <summary>
    /// Place a node whose requested device is missing on an available one (TensorFlow 2 and TensorFlow Serving
    /// do this by default). When false, such a node is an error naming it and its device.
    /// </summary>
    public bool AllowSoftPlacement { get; init; } = true;

    /// <summary>Device remapping applied to requests before placement, e.g. <c>/GPU:0</c> to <c>/CPU:0</c>.</summary>
    public IReadOnlyDictionary<string, string> DeviceMap { get; init; } = new Dictionary<string, string>();

    /// <summary>The devices available.</summary>
    public DeviceRegistry Devices { get; init; } = new();
}

/// <summary>Where one node runs and why (one line of TensorFlow's <c>log_device_placement</c>, with the reason).</summary>
public sealed record PlacementEntry(string Node, string Op, string Requested, string Assigned, string Reason)
{
    /// <summary>True when the node runs somewhere other than it asked.</summary>
    public bool Moved => Reason.StartsWith("soft", StringComparison.Ordinal) || Reason.StartsWith("remapped", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Node}: ({Op}): {Assigned}" + (Requested.Length > 0 ? $" [requested {Requested}; {Reason}]" : "");
}

/// <summary>The device of every node of a graph.</summary>
public sealed class Placement
{
    internal Placement(Device[] devices, IReadOnlyList<PlacementEntry> entries)
    {
        DeviceOf = devices;
        Entries = entries;
    }

    /// <summary>The device of each node, by node index.</summary>
    public IReadOnlyList<Device> DeviceOf { get; }

    /// <summary>One entry per node, in graph order.</summary>
    public IReadOnlyList<PlacementEntry> Entries { get; }

    /// <summary>The report as text, one node a line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Entries);
}

/// <summary>
/// Assigns nodes to devices: a node's request (after the device map), colocation constraints
/// (<c>_class: loc:@other</c>), then soft placement of requests no device satisfies.
/// </summary>
public static class Placer
{
    /// <summary>Places every node of <paramref name="graph"/>.</summary>
    /// <exception cref="PlacementException">A device string is invalid, or (without soft placement) a requested device is missing.</exception>
    public static Placement Place(Graph graph, PlacementOptions options)
    {
        var devices = new Device[graph.Nodes.Count];
        var entries = new PlacementEntry[graph.Nodes.Count];
        var colocated = new List<(GraphNode Node, string Target)>();
        foreach (var node in graph.Nodes)
        {
            if (ColocationTarget(node) is { } target && graph.Find(target) is not null)
            {
                colocated.Add((node, target));
                continue;
            }
            (devices[node.Index], entries[node.Index]) = PlaceOne(node, options);
        }
        foreach (var (node, target) in colocated)
        {
            var targetNode = graph.Find(target)!;
            // A colocation chain resolves to its root; cycles of colocation fall back to normal placement.
            var device = devices[targetNode.Index];
            if (device is null)
            {
                (devices[node.Index], entries[node.Index]) = PlaceOne(node, options);
                continue;
            }
            devices[node.Index] = device;
            entries[node.Index] = new PlacementEntry(node.Name, node.Op, node.RequestedDevice, device.Name, $"colocated with {target}");
        }
        return new Placement(devices, entries);
    }

    private static (Device, PlacementEntry) PlaceOne(GraphNode node, PlacementOptions options)
    {
        string requested = node.RequestedDevice;
        if (requested.Length == 0)
            return (options.Devices.Default, new PlacementEntry(node.Name, node.Op, "", options.Devices.Default.Name, "default device"));
        if (!DeviceSpec.TryParse(requested, out var spec))
            throw new PlacementException(node.Name, node.Op, $"invalid device string '{requested}'");

        string reason = "as requested";
        foreach (var (from, to) in options.DeviceMap)
        {
            if (DeviceSpec.TryParse(from, out var fromSpec) && fromSpec.Matches(Complete(spec)))
            {
                spec = DeviceSpec.Parse(to);
                reason = $"remapped {from} -> {to}";
                break;
            }
        }
        if (options.Devices.Find(spec) is { } found) return (found, new PlacementEntry(node.Name, node.Op, requested, found.Name, reason));
        if (!options.AllowSoftPlacement)
            throw new PlacementException(node.Name, node.Op,
                $"requested device '{requested}' is not available (devices: {string.Join(", ", options.Devices.Devices.Select(d => d.Name))}) and soft placement is off");
        var fallback = options.Devices.Default;
        return (fallback, new PlacementEntry(node.Name, node.Op, requested, fallback.Name, $"soft placement: no device matches {spec}"));
    }

    // A partial request like /GPU:0 is compared against map keys as if on the local job.
    private static DeviceSpec Complete(DeviceSpec spec) =>
        spec with { Job = spec.Job ?? "localhost", Replica = spec.Replica ?? 0, Task = spec.Task ?? 0 };

    private static string? ColocationTarget(GraphNode node)
    {
        if (!node.Attrs.TryGetValue("_class", out var value) || value.List is null) return null;
        foreach (var s in value.List.S)
        {
            string text = s.ToStringUtf8();
            if (text.StartsWith("loc:@", StringComparison.Ordinal) && text[5..] != node.Name) return text[5..];
        }
        return null;
    }
}
