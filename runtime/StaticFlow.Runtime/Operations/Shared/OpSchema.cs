// Shared source: compiled into the runtime and linked into the generator and analyzers (netstandard2.0),
// so it uses only APIs both have.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace StaticFlow.Operations;

/// <summary>
/// One op's signature in the style of TensorFlow's <c>REGISTER_OP</c>: inputs <c>"a: T, b: T"</c>, outputs
/// <c>"product: T"</c>, attrs <c>"transpose_a: bool = false; T: type"</c>. An argument's type is a fixed dtype
/// (<c>float</c>), a type attr (<c>T</c>), a count times a type (<c>N * T</c>), a list(type) attr (<c>Tout</c>),
/// or a reference (<c>Ref(T)</c>). The runtime turns it into an <c>OpDef</c>; the generator builds nodes from it.
/// </summary>
internal sealed class OpSchema
{
    private OpSchema(string name, bool isStateful, IReadOnlyList<AttrSchema> attrs, IReadOnlyList<ArgSchema> inputs, IReadOnlyList<ArgSchema> outputs)
    {
        Name = name;
        IsStateful = isStateful;
        Attrs = attrs;
        Inputs = inputs;
        Outputs = outputs;
    }

    public string Name { get; }
    public bool IsStateful { get; }
    public IReadOnlyList<AttrSchema> Attrs { get; }
    public IReadOnlyList<ArgSchema> Inputs { get; }
    public IReadOnlyList<ArgSchema> Outputs { get; }

    /// <summary>The static shape rule (TensorFlow's <c>SetShapeFn</c>); every op has one, <see cref="ShapeFunctions.Unknown"/> included.</summary>
    public ShapeFunction? Shape { get; private set; }

    /// <summary>The kernel writes fresh outputs and only reads its inputs, so an input's storage may be reused after it.</summary>
    public bool ReadsInputsOnly { get; private set; }

    /// <summary>
    /// The kernel's first output is always storage of its own (never an input's or a constant's), which it takes with
    /// <c>KernelContext.Frame.NewOutput</c>: the region the plan's memory planner gave it in the run's arena, or a
    /// buffer of the run's pool. So the plan may reuse that storage once nothing reads the output any more.
    /// </summary>
    public bool OwnsOutput { get; private set; }

    /// <summary>
    /// The first output is the first input's storage under another shape, or the input itself (Reshape, Identity):
    /// whoever reads the output keeps the input's storage in use.
    /// </summary>
    public bool ViewsInput { get; private set; }

    /// <summary>False for ops TensorFlow marks <c>NotDifferentiable</c> (comparisons, shapes, integer-valued results, state).</summary>
    public bool IsDifferentiable { get; private set; } = true;

    /// <summary>
    /// Why graph functions have no <c>Ops</c> method for this op (it is written by the lowering itself, such as
    /// variables and control flow, or by the exporter, such as the saver), or null when they have one.
    /// </summary>
    public string? WrittenBy { get; private set; }

    /// <summary>The gradient rule (TensorFlow's <c>RegisterGradient</c>), or null when the op has none yet or is not differentiable.</summary>
    public GradientFunction? Gradient { get; private set; }

    /// <summary>Sets the shape function.</summary>
    public OpSchema WithShape(ShapeFunction shape)
    {
        Shape = shape;
        return this;
    }

    /// <summary>Marks the kernel as reading its inputs only.</summary>
    public OpSchema OnlyReadsInputs()
    {
        ReadsInputsOnly = true;
        return this;
    }

    /// <summary>Marks the kernel's first output as storage of its own from the run's arena or buffer pool (see <see cref="OwnsOutput"/>).</summary>
    public OpSchema WritesOwnOutput()
    {
        OwnsOutput = true;
        return this;
    }

    /// <summary>Marks the first output as a view of the first input's storage (see <see cref="ViewsInput"/>).</summary>
    public OpSchema ViewOfInput()
    {
        ViewsInput = true;
        return this;
    }

    /// <summary>Sets the gradient rule.</summary>
    public OpSchema WithGradient(GradientFunction? gradient)
    {
        Gradient = gradient;
        return this;
    }

    /// <summary>Marks the op as not differentiable.</summary>
    public OpSchema NotDifferentiable()
    {
        IsDifferentiable = false;
        return this;
    }

    /// <summary>Records that graph functions reach this op through <paramref name="writer"/>, not an <c>Ops</c> method.</summary>
    public OpSchema Written(string writer)
    {
        WrittenBy = writer;
        return this;
    }

    public AttrSchema? FindAttr(string name)
    {
        foreach (var attr in Attrs)
            if (attr.Name == name) return attr;
        return null;
    }

    /// <summary>
    /// The attrs a node of this op gets from its arguments, by TensorFlow's rules: a type attr from the dtype of the
    /// input that names it, a list(type) attr from the dtypes of its list, a number attr from the list's length; a
    /// type attr that no input fixes comes from the dtype wanted for the output that names it (Cast's <c>DstT</c>).
    /// Values are a dtype name (type), a string array (list(type)) or a long (number).
    /// </summary>
    /// <param name="inputDTypes">For each input argument, the dtypes of the tensors given to it.</param>
    /// <param name="outputDTypes">For each output argument, the wanted dtype, or null where not known.</param>
    public Dictionary<string, object> InferAttrs(IReadOnlyList<IReadOnlyList<string>> inputDTypes, IReadOnlyList<string?>? outputDTypes)
    {
        var attrs = new Dictionary<string, object>(StringComparer.Ordinal);
        for (int i = 0; i < Inputs.Count && i < inputDTypes.Count; i++)
        {
            ArgSchema arg = Inputs[i];
            IReadOnlyList<string> types = inputDTypes[i];
            if (arg.NumberAttr is { } number) attrs[number] = (long)types.Count;
            if (arg.TypeAttr is { } typeAttr && types.Count > 0 && !attrs.ContainsKey(typeAttr)) attrs[typeAttr] = types[0];
            if (arg.TypeListAttr is { } listAttr)
            {
                var list = new string[types.Count];
                for (int t = 0; t < list.Length; t++) list[t] = types[t];
                attrs[listAttr] = list;
            }
        }
        for (int o = 0; outputDTypes is not null && o < Outputs.Count && o < outputDTypes.Count; o++)
            if (Outputs[o].TypeAttr is { } typeAttr && outputDTypes[o] is { } dtype && !attrs.ContainsKey(typeAttr))
                attrs[typeAttr] = dtype;
        return attrs;
    }

    public static OpSchema Parse(string name, string inputs, string outputs, string attrs, bool stateful)
    {
        var attrList = new List<AttrSchema>();
        foreach (string attr in SplitTrim(attrs, ';')) attrList.Add(ParseAttr(name, attr));
        var inputList = new List<ArgSchema>();
        foreach (string input in SplitTrim(inputs, ',')) inputList.Add(ParseArg(name, attrList, input));
        var outputList = new List<ArgSchema>();
        foreach (string output in SplitTrim(outputs, ',')) outputList.Add(ParseArg(name, attrList, output));
        return new OpSchema(name, stateful, attrList, inputList, outputList);
    }

    private static ArgSchema ParseArg(string op, List<AttrSchema> attrs, string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0) throw new FormatException($"Op {op}: argument '{spec}' has no type.");
        string name = spec.Substring(0, colon).Trim();
        string type = spec.Substring(colon + 1).Trim();
        bool isRef = false;
        if (type.StartsWith("Ref(", StringComparison.Ordinal) && type.EndsWith(")", StringComparison.Ordinal))
        {
            isRef = true;
            type = type.Substring(4, type.Length - 5).Trim();
        }
        string? numberAttr = null;
        int star = type.IndexOf('*');
        if (star >= 0)
        {
            numberAttr = type.Substring(0, star).Trim();
            type = type.Substring(star + 1).Trim();
        }
        AttrSchema? attr = attrs.Find(a => a.Name == type);
        if (attr is null)
        {
            if (!DTypeNames.IsKnown(type)) throw new FormatException($"Op {op}: unknown type '{type}'.");
            return new ArgSchema(name, type, null, null, numberAttr, isRef);
        }
        if (attr.Type == "type") return new ArgSchema(name, null, type, null, numberAttr, isRef);
        if (attr.Type == "list(type)") return new ArgSchema(name, null, null, type, numberAttr, isRef);
        throw new FormatException($"Op {op}: argument '{name}' names attr '{type}' of type {attr.Type}.");
    }

    private static AttrSchema ParseAttr(string op, string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon < 0) throw new FormatException($"Op {op}: attr '{spec}' has no type.");
        string name = spec.Substring(0, colon).Trim();
        string rest = spec.Substring(colon + 1).Trim();
        bool addedInTf2 = rest.EndsWith("@tf2", StringComparison.Ordinal);
        if (addedInTf2) rest = rest.Substring(0, rest.Length - 4).Trim();
        string? defaultText = null;
        int equals = rest.IndexOf('=');
        int minimumAt = rest.IndexOf(">=", StringComparison.Ordinal);
        if (equals >= 0 && (minimumAt < 0 || equals != minimumAt + 1))
        {
            defaultText = rest.Substring(equals + 1).Trim();
            rest = rest.Substring(0, equals).Trim();
        }
        long? minimum = null;
        minimumAt = rest.IndexOf(">=", StringComparison.Ordinal);
        if (minimumAt >= 0)
        {
            minimum = long.Parse(rest.Substring(minimumAt + 2).Trim(), CultureInfo.InvariantCulture);
            rest = rest.Substring(0, minimumAt).Trim();
        }
        return new AttrSchema(name, rest, defaultText, minimum, addedInTf2);
    }

    internal static IEnumerable<string> SplitTrim(string text, char separator)
    {
        foreach (string part in text.Split(separator))
        {
            string trimmed = part.Trim();
            if (trimmed.Length > 0) yield return trimmed;
        }
    }
}

/// <summary>An input or output argument of an <see cref="OpSchema"/>. Exactly one of the three type sources is set.</summary>
internal sealed class ArgSchema(string name, string? fixedType, string? typeAttr, string? typeListAttr, string? numberAttr, bool isRef)
{
    public string Name { get; } = name;
    /// <summary>A fixed dtype name such as <c>float</c> or <c>resource</c>.</summary>
    public string? FixedType { get; } = fixedType;
    /// <summary>The <c>type</c> attr that gives this argument's dtype.</summary>
    public string? TypeAttr { get; } = typeAttr;
    /// <summary>The <c>list(type)</c> attr that gives the dtypes of this list argument.</summary>
    public string? TypeListAttr { get; } = typeListAttr;
    /// <summary>The <c>int</c> attr that counts the tensors of this list argument.</summary>
    public string? NumberAttr { get; } = numberAttr;
    public bool IsRef { get; } = isRef;
    public bool IsList => NumberAttr is not null || TypeListAttr is not null;
}

/// <summary>An attr of an <see cref="OpSchema"/>: its name, type (<c>int</c>, <c>list(type)</c>, ...) and default as written.</summary>
internal sealed class AttrSchema(string name, string type, string? defaultText, long? minimum, bool addedInTf2 = false)
{
    /// <summary>The attr first appeared in a TensorFlow 2.x release (older binaries reject it).</summary>
    public bool AddedInTf2 { get; } = addedInTf2;

    public string Name { get; } = name;
    public string Type { get; } = type;
    public string? DefaultText { get; } = defaultText;
    public long? Minimum { get; } = minimum;
}

/// <summary>TensorFlow's dtype names as they appear in op signatures and in <c>DataType</c> (<c>DT_FLOAT</c> is 1).</summary>
internal static class DTypeNames
{
    private static readonly string[] s_byEnum =
    [
        "", "float", "double", "int32", "uint8", "int16", "int8", "string", "complex64", "int64", "bool",
        "qint8", "quint8", "qint32", "bfloat16", "qint16", "quint16", "uint16", "complex128", "half", "resource",
        "variant", "uint32", "uint64",
    ];

    public static bool IsKnown(string name) => EnumValue(name) > 0;

    /// <summary>The <c>DataType</c> enum value of <paramref name="name"/>, or 0 when unknown.</summary>
    public static int EnumValue(string name)
    {
        for (int i = 1; i < s_byEnum.Length; i++)
            if (s_byEnum[i] == name) return i;
        return 0;
    }

    /// <summary>The name of <c>DataType</c> value <paramref name="value"/>, or null.</summary>
    public static string? Name(int value) => value > 0 && value < s_byEnum.Length ? s_byEnum[value] : null;
}
