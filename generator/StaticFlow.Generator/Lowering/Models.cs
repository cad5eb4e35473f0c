namespace StaticFlow.Generator.Lowering;

// The generator's models: plain, equatable values (no ISymbol, no syntax), so the incremental pipeline caches them
// and emits again only when what a module lowers to changes.

/// <summary>A lowered <c>[GraphModule]</c> class: its C# shape, variables, functions and module graph.</summary>
internal sealed record ModuleModel(
    string? Namespace,
    string ClassName,
    string Accessibility,
    bool HasInstanceConstructor,
    EquatableArray<VariableModel> Variables,
    EquatableArray<FunctionModel> Functions,
    EquatableArray<NodeModel> Nodes,
    EquatableArray<FunctionDefModel> Library)
{
    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;
}

/// <summary>A <c>[Variable]</c> field: C# element type, TensorFlow dtype name, shape and initializer.</summary>
internal sealed record VariableModel(string Name, string ElementType, string DType, EquatableArray<long> Shape, string Init, bool Trainable);

/// <summary>A tensor a function takes or returns: C# element type, dtype, graph tensor name and static shape.</summary>
internal sealed record TensorModel(string Name, string TensorName, string ElementType, string DType, bool HasRank, EquatableArray<long> Shape);

/// <summary>A <c>[GraphFunction]</c> method as the emitted code calls it.</summary>
internal sealed record FunctionModel(
    string Name,
    string Accessibility,
    string? Signature,
    EquatableArray<TensorModel> Inputs,
    EquatableArray<TensorModel> Outputs,
    bool ReturnsTuple,
    EquatableArray<string> OutputFieldNames,
    EquatableArray<string> WrittenVariables);

/// <summary>One NodeDef.</summary>
internal sealed record NodeModel(string Name, string Op, EquatableArray<string> Inputs, string Device, EquatableArray<AttrModel> Attrs);

/// <summary>The kind of value an <see cref="AttrModel"/> holds, after AttrValue's oneof.</summary>
internal enum AttrKind { String, Int, Float, Bool, Type, Shape, Tensor, Func, IntList, TypeList, StringList, FloatList }

/// <summary>
/// One attr value. <see cref="Text"/> holds a string, dtype name or function name; <see cref="Number"/> an int, float or
/// bool (as 0/1); <see cref="Items"/> the list items or tensor values as invariant text; <see cref="Dims"/> a shape
/// (a tensor's too), with <see cref="HasRank"/> false for unknown rank.
/// </summary>
internal sealed record AttrModel(string Name, AttrKind Kind, string Text, double Number, EquatableArray<string> Items, bool HasRank, EquatableArray<long> Dims);

/// <summary>A FunctionDef argument (resource args for captured variables included).</summary>
internal sealed record ArgModel(string Name, string DType);

/// <summary>A library function: a graph function called from another one.</summary>
internal sealed record FunctionDefModel(
    string Name,
    EquatableArray<ArgModel> InputArgs,
    EquatableArray<ArgModel> OutputArgs,
    EquatableArray<NodeModel> Nodes,
    EquatableArray<string> Returns,
    bool IsStateful,
    EquatableArray<string> CapturedVariables,
    EquatableArray<string> WrittenVariables);
