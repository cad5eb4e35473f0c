using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

/// <summary>Builds <see cref="AttrModel"/>s, and completes a node's attrs with the defaults of its op's schema.</summary>
internal static class Attrs
{
    private static readonly EquatableArray<string> NoItems = EquatableArray<string>.Empty;
    private static readonly EquatableArray<long> NoDims = EquatableArray<long>.Empty;

    public static AttrModel String(string name, string value) => new(name, AttrKind.String, value, 0, NoItems, false, NoDims);
    public static AttrModel Int(string name, long value) => new(name, AttrKind.Int, "", value, NoItems, false, NoDims);
    public static AttrModel Float(string name, double value) => new(name, AttrKind.Float, "", value, NoItems, false, NoDims);
    public static AttrModel Bool(string name, bool value) => new(name, AttrKind.Bool, "", value ? 1 : 0, NoItems, false, NoDims);
    public static AttrModel Type(string name, string dtype) => new(name, AttrKind.Type, dtype, 0, NoItems, false, NoDims);
    public static AttrModel Func(string name, string function) => new(name, AttrKind.Func, function, 0, NoItems, false, NoDims);
    public static AttrModel Shape(string name, bool hasRank, IEnumerable<long>? dims) => new(name, AttrKind.Shape, "", 0, NoItems, hasRank, (dims ?? Array.Empty<long>()).ToEquatable());
    public static AttrModel IntList(string name, IEnumerable<long> values) => new(name, AttrKind.IntList, "", 0, values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToEquatable(), false, NoDims);
    public static AttrModel TypeList(string name, IEnumerable<string> dtypes) => new(name, AttrKind.TypeList, "", 0, dtypes.ToEquatable(), false, NoDims);
    public static AttrModel EmptyList(string name) => new(name, AttrKind.IntList, "", 0, NoItems, false, NoDims);

    /// <summary>A tensor attr (Const's <c>value</c>): dtype, shape and values as invariant text.</summary>
    public static AttrModel Tensor(string name, string dtype, IEnumerable<long> dims, IEnumerable<string> values) =>
        new(name, AttrKind.Tensor, dtype, 0, values.ToEquatable(), true, dims.ToEquatable());

    /// <summary>
    /// <paramref name="given"/> plus every other attr of <paramref name="schema"/> at its default, sorted by name as
    /// TensorFlow serializes attr maps; for nodes the lowering builds itself, which set every attr without a default.
    /// </summary>
    public static EquatableArray<AttrModel> Complete(OpSchema schema, IEnumerable<AttrModel> given) => TryComplete(schema, given, out _)!.Value;

    /// <summary>As <see cref="Complete"/>, but null when an attr without a default is missing (its name in <paramref name="missing"/>).</summary>
    public static EquatableArray<AttrModel>? TryComplete(OpSchema schema, IEnumerable<AttrModel> given, out string? missing)
    {
        missing = null;
        var byName = new SortedDictionary<string, AttrModel>(StringComparer.Ordinal);
        foreach (var attr in given) byName[attr.Name] = attr;
        foreach (var attr in schema.Attrs)
        {
            if (byName.ContainsKey(attr.Name)) continue;
            if (attr.DefaultText is null) { missing = attr.Name; return null; }
            byName[attr.Name] = FromDefault(attr);
        }
        return byName.Values.ToEquatable();
    }

    private static AttrModel FromDefault(AttrSchema attr)
    {
        string text = attr.DefaultText!;
        switch (attr.Type)
        {
            case "bool": return Bool(attr.Name, text == "true");
            case "int": return Int(attr.Name, long.Parse(text, CultureInfo.InvariantCulture));
            case "float": return Float(attr.Name, double.Parse(text, CultureInfo.InvariantCulture));
            case "string": return String(attr.Name, Unquote(text));
            case "type": return Type(attr.Name, text);
            case "shape": return Shape(attr.Name, text != "unknown", null);
            case "list(int)": return IntList(attr.Name, OpSchema.SplitTrim(text.Trim('[', ']'), ',').Select(v => long.Parse(v, CultureInfo.InvariantCulture)));
            case "list(type)": return TypeList(attr.Name, OpSchema.SplitTrim(text.Trim('[', ']'), ','));
            default:
                if (attr.Type.StartsWith("list(", StringComparison.Ordinal) && text.Trim() == "[]") return EmptyList(attr.Name);
                throw new InvalidOperationException($"Unsupported default '{text}' for attr {attr.Name} of type {attr.Type}.");
        }
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && text[0] == '"' && text[text.Length - 1] == '"' ? text.Substring(1, text.Length - 2).Replace("\\n", "\n") : text;
}
