using StaticFlow.Protos;

namespace StaticFlow.Operations;

/// <summary>Expands an op's argument definitions into the dtypes of each tensor, given a node's attrs.</summary>
public static class ArgTypes
{
    /// <summary>The dtypes of the tensors one argument stands for (several for <c>N * T</c> and list(type) args).</summary>
    /// <exception cref="FormatException">An attr the argument depends on is missing or of the wrong kind.</exception>
    public static IReadOnlyList<DataType> Of(OpDef.Types.ArgDef arg, IReadOnlyDictionary<string, AttrValue> attrs)
    {
        if (arg.TypeListAttr.Length > 0)
            return [.. Attr(attrs, arg.TypeListAttr, AttrValue.ValueOneofCase.List).List.Type];
        DataType type = arg.TypeAttr.Length > 0 ? Attr(attrs, arg.TypeAttr, AttrValue.ValueOneofCase.Type).Type : arg.Type;
        if (arg.NumberAttr.Length == 0) return [type];
        long count = Attr(attrs, arg.NumberAttr, AttrValue.ValueOneofCase.I).I;
        if (count is < 0 or > 1_000_000) throw new FormatException($"attr '{arg.NumberAttr}' = {count} is not a valid count");
        return Enumerable.Repeat(type, (int)count).ToArray();
    }

    /// <summary>The dtypes of all inputs or outputs of a node, in order.</summary>
    public static DataType[] Flatten(IEnumerable<OpDef.Types.ArgDef> args, IReadOnlyDictionary<string, AttrValue> attrs) =>
        [.. args.SelectMany(a => Of(a, attrs))];

    /// <summary>The index of the first tensor of output argument <paramref name="name"/>, and how many it has.</summary>
    public static (int Start, int Count)? OutputRange(OpDef op, string name, IReadOnlyDictionary<string, AttrValue> attrs)
    {
        int start = 0;
        foreach (var arg in op.OutputArg)
        {
            int count = Of(arg, attrs).Count;
            if (arg.Name == name) return (start, count);
            start += count;
        }
        return null;
    }

    private static AttrValue Attr(IReadOnlyDictionary<string, AttrValue> attrs, string name, AttrValue.ValueOneofCase kind)
    {
        if (!attrs.TryGetValue(name, out var value)) throw new FormatException($"missing attr '{name}'");
        if (value.ValueCase != kind && !(kind == AttrValue.ValueOneofCase.List && value.ValueCase == AttrValue.ValueOneofCase.None))
            throw new FormatException($"attr '{name}' is a {value.ValueCase}, expected {kind}");
        return value.ValueCase == AttrValue.ValueOneofCase.None ? new AttrValue { List = new() } : value;
    }
}
