using System.Collections.Frozen;
using StaticFlow.Protos;

namespace StaticFlow.Operations;

/// <summary>
/// The op schemas StaticFlow knows: TensorFlow's <see cref="OpDef"/>s (inputs, outputs, attrs with defaults),
/// declared once in <see cref="StandardOps"/>. Graph import reads them to check nodes, fill default attrs and
/// count outputs; an imported graph's own <c>stripped_op_list</c> can add ops we have no kernel for.
/// </summary>
public sealed class OpCatalog
{
    private readonly IReadOnlyDictionary<string, OpDef> _ops;

    private OpCatalog(IReadOnlyDictionary<string, OpDef> ops) => _ops = ops;

    /// <summary>The standard ops' schemas by name, as the generator reads them.</summary>
    internal static FrozenDictionary<string, OpSchema> StandardSchemas { get; } =
        StandardOps.Create().ToFrozenDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>The standard catalogue.</summary>
    public static OpCatalog Standard { get; } = new(StandardSchemas.Values.Select(OpSpecParser.ToOpDef).ToFrozenDictionary(o => o.Name, StringComparer.Ordinal));

    /// <summary>Every op name, sorted.</summary>
    public IEnumerable<string> Names => _ops.Keys.Order(StringComparer.Ordinal);

    /// <summary>The schema of <paramref name="op"/>, or null.</summary>
    public OpDef? Find(string op) => _ops.TryGetValue(op, out var def) ? def : null;

    /// <summary>
    /// A catalogue that also knows <paramref name="extra"/> (for example a meta graph's stripped op list).
    /// Ops already known keep our schema.
    /// </summary>
    public OpCatalog With(IEnumerable<OpDef> extra)
    {
        var merged = new Dictionary<string, OpDef>(_ops, StringComparer.Ordinal);
        foreach (var op in extra) merged.TryAdd(op.Name, op);
        return new OpCatalog(merged);
    }
}
