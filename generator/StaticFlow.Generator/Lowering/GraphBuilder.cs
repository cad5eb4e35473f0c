using System;
using System.Collections.Generic;
using System.Globalization;
using StaticFlow.Operations;

namespace StaticFlow.Generator.Lowering;

/// <summary>A value during lowering: a graph tensor (with dtype and static shape) or a C# constant not yet in the graph.</summary>
internal sealed class Value
{
    private Value(string? reference, string dtype, long[]? shape, object? constant)
    {
        Reference = reference;
        DType = dtype;
        Shape = shape;
        Constant = constant;
    }

    /// <summary>The tensor reference (<c>node</c>, <c>node:1</c>, or in a function body <c>node:arg:0</c>), or null for a constant.</summary>
    public string? Reference { get; }

    /// <summary>TensorFlow dtype name of a tensor.</summary>
    public string DType { get; }

    /// <summary>Static shape (null: unknown rank; -1: unknown dimension).</summary>
    public long[]? Shape { get; }

    /// <summary>A C# constant (double, long or bool) for a value not yet materialized.</summary>
    public object? Constant { get; }

    public bool IsTensor => Reference is not null;

    public static Value Tensor(string reference, string dtype, long[]? shape) => new(reference, dtype, shape, null);

    public static Value Const(object constant) => new(null, "", Array.Empty<long>(), constant);

    /// <summary>The value of a local whose lowering failed (already reported): its uses report nothing more.</summary>
    public static Value Error { get; } = new(null, "", null, null);

    /// <summary>The values of a tuple (a graph function call with several outputs), else null.</summary>
    public IReadOnlyList<Value>? Elements { get; private set; }

    public static Value Tuple(IReadOnlyList<Value> elements) => new(null, "", null, null) { Elements = elements };

    /// <summary>A child module (a field, a list item, a local bound to one), whose graph functions calls inline.</summary>
    public ModuleInstance? Module { get; private set; }

    /// <summary>A list of child modules (an array or list field), for foreach, indexing and Length.</summary>
    public IReadOnlyList<ModuleInstance>? Modules { get; private set; }

    public static Value OfModule(ModuleInstance module) => new(null, "", null, null) { Module = module };

    public static Value OfModules(IReadOnlyList<ModuleInstance> modules) => new(null, "", null, null) { Modules = modules };
}

/// <summary>
/// Collects the nodes of one graph (the module graph or one library function's body): unique TensorFlow-style
/// names (<c>MatMul</c>, <c>MatMul_1</c>), and output references in the form the graph kind uses.
/// </summary>
internal sealed class GraphBuilder(bool isFunctionBody, ISet<string>? reservedNames = null)
{
    private readonly HashSet<string> _used = reservedNames is null ? new(StringComparer.Ordinal) : new(reservedNames, StringComparer.Ordinal);
    private readonly Dictionary<string, (OpSchema? Schema, NodeModel Node)> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _nextSuffix = new(StringComparer.Ordinal);

    public List<NodeModel> Nodes { get; } = new();

    public bool IsFunctionBody { get; } = isFunctionBody;

    /// <summary>Reserves a name (function arguments, variables) so nodes do not take it.</summary>
    public void Reserve(string name) => _used.Add(name);

    /// <summary>Removes the nodes added after the first <paramref name="count"/> (a function whose graph is not built after all); their names stay used.</summary>
    public void TruncateTo(int count)
    {
        for (int i = count; i < Nodes.Count; i++) _nodes.Remove(Nodes[i].Name);
        Nodes.RemoveRange(count, Nodes.Count - count);
    }

    /// <summary>A name not used yet: <c>scope + baseName</c>, then <c>_1</c>, <c>_2</c>, ... as TensorFlow numbers them.</summary>
    public string UniqueName(string scope, string baseName)
    {
        string name = scope + baseName;
        if (_used.Add(name)) return name;
        // Resume numbering where this name left off, so n uses of one op cost O(n), not O(n²).
        _nextSuffix.TryGetValue(name, out int i);
        while (true)
        {
            string candidate = name + "_" + (++i).ToString(CultureInfo.InvariantCulture);
            if (_used.Add(candidate))
            {
                _nextSuffix[name] = i;
                return candidate;
            }
        }
    }

    public void Add(NodeModel node, OpSchema? schema)
    {
        Nodes.Add(node);
        _nodes[node.Name] = (schema, node);
    }

    /// <summary>
    /// The reference to output <paramref name="index"/> of <paramref name="node"/>: <c>node</c> or <c>node:i</c> in a
    /// GraphDef; <c>node:output_arg:k</c> in a FunctionDef body, as TensorFlow's function format names outputs.
    /// </summary>
    public string OutputReference(string node, int index)
    {
        if (!IsFunctionBody) return index == 0 ? node : node + ":" + index.ToString(CultureInfo.InvariantCulture);
        var (schema, model) = _nodes[node];
        if (schema is null) return node + ":output:" + index.ToString(CultureInfo.InvariantCulture);
        int remaining = index;
        foreach (var arg in schema.Outputs)
        {
            int count = ArgCount(arg, model);
            if (remaining < count) return node + ":" + arg.Name + ":" + remaining.ToString(CultureInfo.InvariantCulture);
            remaining -= count;
        }
        throw new InvalidOperationException($"Node {node} has no output {index}.");
    }

    private static int ArgCount(ArgSchema arg, NodeModel node)
    {
        foreach (var attr in node.Attrs)
        {
            if (attr.Name == arg.NumberAttr) return (int)attr.Number;
            if (attr.Name == arg.TypeListAttr) return attr.Items.Count;
        }
        return 1;
    }
}
