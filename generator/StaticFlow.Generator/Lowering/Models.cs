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
    EquatableArray<ChildModel> Children,
    EquatableArray<FunctionModel> Functions,
    EquatableArray<NodeModel> Nodes,
    EquatableArray<FunctionDefModel> Library)
{
    public string FullName => Namespace is null ? ClassName : Namespace + "." + ClassName;
}

/// <summary>
/// A module variable: a <c>[Variable]</c> field, or optimizer state the lowering adds (slots, step count, learning
/// rate; <see cref="IsOptimizerState"/>, first value <see cref="Fill"/>, held in a generated field).
/// </summary>
/// <see cref="IsOwn"/> is false for a child module's variable (named by its path, reached through the child);
/// <see cref="DimExpressions"/> holds, per dimension, the member a layer reads it from at run time ("" when known).
internal sealed record VariableModel(string Name, string ElementType, string DType, EquatableArray<long> Shape, string Init, bool Trainable, string FieldName,
    double Fill = 0, bool IsOptimizerState = false, bool IsOwn = true, EquatableArray<string> DimExpressions = default);

/// <summary>
/// A field holding a child module (or a list of them) that generated code reaches at run time: its variables live
/// under <c>Field/</c> (<c>Field/i/</c> for list items), whatever the object holds then.
/// </summary>
internal sealed record ChildModel(string Field, bool IsList);

/// <summary>The optimizer of a <c>[TrainStep]</c> function, as its attribute sets it.</summary>
internal sealed record TrainStepModel(string Optimizer, string Name, double LearningRate, double Momentum, bool Nesterov, double Beta1, double Beta2, double Epsilon, double Rho,
    double WeightDecay, double InitialAccumulator, double ClipNorm)
{
    private static readonly string[] Names = { "SGD", "Adam", "AdamW", "RMSProp", "Adagrad" };

    public static TrainStepModel From(Microsoft.CodeAnalysis.AttributeData attribute)
    {
        string optimizer = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int index && index >= 0 && index < Names.Length ? Names[index] : "Adam";
        double Number(string name, double fallback)
        {
            foreach (var argument in attribute.NamedArguments)
                if (argument.Key == name && argument.Value.Value is { } value) return System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            return fallback;
        }
        bool nesterov = false;
        string name = optimizer;
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Nesterov" && argument.Value.Value is bool flag) nesterov = flag;
            if (argument.Key == "Name" && argument.Value.Value is string text && text.Length > 0) name = text;
        }
        double learningRate = Number("LearningRate", double.NaN);
        if (double.IsNaN(learningRate)) learningRate = optimizer == "SGD" ? 0.01 : 0.001;
        return new TrainStepModel(optimizer, name, learningRate, Number("Momentum", 0), nesterov, Number("Beta1", 0.9), Number("Beta2", 0.999), Number("Epsilon", 1e-7),
            Number("Rho", 0.9), Number("WeightDecay", 0.004), Number("InitialAccumulator", 0.1), Number("ClipNorm", 0));
    }
}

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
    EquatableArray<string> WrittenVariables,
    string ConcreteFunction = "",
    EquatableArray<string> CapturedVariables = default);

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
    EquatableArray<string> WrittenVariables,
    EquatableArray<ShapeModel> OutputShapes = default);

/// <summary>A static shape: <see cref="HasRank"/> false for an unknown rank; -1 for an unknown dimension.</summary>
internal sealed record ShapeModel(bool HasRank, EquatableArray<long> Dims)
{
    public static ShapeModel Of(long[]? shape) => new(shape is not null, (shape ?? System.Array.Empty<long>()).ToEquatable());

    public long[]? ToArray() => HasRank ? System.Linq.Enumerable.ToArray(Dims) : null;
}
