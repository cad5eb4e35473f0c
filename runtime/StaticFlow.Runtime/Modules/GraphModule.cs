using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>A tensor a graph function takes or returns: its name, graph tensor, dtype and static shape (null: unknown rank).</summary>
public sealed record GraphTensorInfo(string Name, string TensorName, DType DType, long[]? Shape)
{
    /// <summary>The static shape.</summary>
    public TensorShape StaticShape => Shape is null ? TensorShape.UnknownRank : new TensorShape(Shape);
}

/// <summary>
/// A module variable: its name (the <c>VarHandleOp</c>'s shared_name and checkpoint key), dtype, shape and initializer;
/// <paramref name="IsOptimizerState"/> for the slots, step count and learning rate a <see cref="TrainStepAttribute"/> adds.
/// </summary>
public sealed record GraphVariableInfo(string Name, DType DType, long[] Shape, Init Init, bool Trainable, bool IsOptimizerState = false);

/// <summary>
/// A graph function of a module: its inputs and outputs in the module graph and its signature key, if exported;
/// <paramref name="ConcreteFunction"/> names its form as a library function (a TF2 concrete function: the inputs,
/// then a resource per variable in <paramref name="CapturedVariables"/>), which SavedModels name in their object graph.
/// </summary>
public sealed record GraphFunctionInfo(string Name, string? SignatureKey, GraphTensorInfo[] Inputs, GraphTensorInfo[] Outputs, string[] WrittenVariables,
    string? ConcreteFunction = null, string[]? CapturedVariables = null);

/// <summary>
/// What the generator computed at compile time for one <see cref="GraphModuleAttribute"/> class: the serialized
/// module graph, its variables and functions. Generated code holds one per module type.
/// </summary>
public sealed class GraphModuleDefinition
{
    private readonly byte[] _graphDef;
    private Graph? _graph;

    /// <summary>Creates the definition (called by generated code).</summary>
    public GraphModuleDefinition(string name, byte[] graphDef, GraphVariableInfo[] variables, GraphFunctionInfo[] functions)
    {
        Name = name;
        _graphDef = graphDef;
        Variables = variables;
        Functions = functions;
    }

    /// <summary>The module's type name.</summary>
    public string Name { get; }

    /// <summary>The variables, in declaration order.</summary>
    public IReadOnlyList<GraphVariableInfo> Variables { get; }

    /// <summary>The graph functions, in declaration order.</summary>
    public IReadOnlyList<GraphFunctionInfo> Functions { get; }

    /// <summary>The serialized GraphDef, exactly as the generator wrote it.</summary>
    public ReadOnlySpan<byte> GraphDefBytes => _graphDef;

    /// <summary>A fresh copy of the module graph.</summary>
    public GraphDef ToGraphDef() => GraphDef.Parser.ParseFrom(_graphDef);

    /// <summary>The imported, validated graph (imported once).</summary>
    public Graph Graph => _graph ??= GraphImporter.Import(ToGraphDef());

    /// <summary>The function named <paramref name="name"/>.</summary>
    public GraphFunctionInfo Function(string name) =>
        Functions.FirstOrDefault(f => f.Name == name) ?? throw new FeedException($"Module {Name} has no graph function '{name}'.");
}

/// <summary>The members generated for every graph module, through which the runtime saves, restores and exports it.</summary>
public interface IGraphModule
{
    /// <summary>The module's compile-time definition.</summary>
    GraphModuleDefinition Definition { get; }

    /// <summary>
    /// The current values of the module's variables, by name. They stay as they are: a later train step writes
    /// fresh tensors rather than change these.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> GetVariables();

    /// <summary>
    /// The tensors the module's variables live in, by name, for the runtime's own use (<see cref="GraphModuleSession"/>
    /// and the trainer, which read them and let go): a compiled train step may update these in place. Everyone else
    /// reads <see cref="GetVariables"/>. Null (the default) when the module keeps no such storage, which makes every
    /// train step write fresh tensors.
    /// </summary>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    IReadOnlyDictionary<string, Tensor>? GetVariableStorage() => null;

    /// <summary>Replaces the module's variables with <paramref name="values"/> (every variable, checked for dtype and shape).</summary>
    void SetVariables(IReadOnlyDictionary<string, Tensor> values);

    /// <summary>Gives every variable (its child modules' too) its initial value; <paramref name="seed"/> makes random initializers reproducible.</summary>
    void InitializeVariables(int seed = 0);
}

/// <summary>
/// Runs a module's graph functions through one compiled <see cref="GraphSession"/>: the module's variable values
/// are handed to the session's resource variables (by reference, no copy) before each call, and variables the
/// function assigns are handed back after it.
/// </summary>
/// <remarks>
/// The module's variable fields and the session's variables share their tensors. A value the session's variable
/// already holds is not handed over again, so the variable keeps owning the tensor its optimizer step made, and the
/// next step updates it in place (<see cref="Variable"/>). <see cref="IGraphModule.GetVariables"/> gives that
/// ownership up, so values it returned never change.
/// </remarks>
public sealed class GraphModuleSession
{
    private readonly GraphModuleDefinition _definition;
    private readonly Variable[] _variables;

    /// <summary>Creates a session over <paramref name="definition"/>'s graph.</summary>
    public GraphModuleSession(GraphModuleDefinition definition, SessionOptions? options = null)
    {
        _definition = definition;
        Session = new GraphSession(definition.Graph, options);
        _variables = [.. definition.Variables.Select(v => Session.Resources.GetOrCreate("", v.Name))];
    }

    /// <summary>The underlying session (placement report, plan statistics).</summary>
    public GraphSession Session { get; }

    /// <summary>Calls graph function <paramref name="function"/> of <paramref name="module"/> with <paramref name="inputs"/> in parameter order.</summary>
    /// <exception cref="FeedException">An input of the wrong count, dtype or shape, naming the function and input.</exception>
    public IReadOnlyList<Tensor> Call(IGraphModule module, string function, params Tensor[] inputs) =>
        Call(module, function, CancellationToken.None, inputs);

    /// <summary>Calls graph function <paramref name="function"/>; <paramref name="cancellation"/> is checked before every node and at every loop iteration.</summary>
    /// <exception cref="FeedException">An input of the wrong count, dtype or shape, naming the function and input.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the run.</exception>
    public IReadOnlyList<Tensor> Call(IGraphModule module, string function, CancellationToken cancellation, params Tensor[] inputs)
    {
        GraphFunctionInfo info = _definition.Function(function);
        if (inputs.Length != info.Inputs.Length)
            throw new FeedException($"{_definition.Name}.{function} takes {info.Inputs.Length} inputs, got {inputs.Length}.");
        var feeds = new Dictionary<string, Tensor>(inputs.Length, StringComparer.Ordinal);
        for (int i = 0; i < inputs.Length; i++)
        {
            GraphTensorInfo spec = info.Inputs[i];
            Tensor input = inputs[i] ?? throw new FeedException($"{_definition.Name}.{function}: input '{spec.Name}' is null.");
            if (input.DType != spec.DType)
                throw new FeedException($"{_definition.Name}.{function}: input '{spec.Name}' must be {spec.DType.Name()}, got {input.DType.Name()}.");
            if (!spec.StaticShape.IsCompatibleWith(input.Shape))
                throw new FeedException($"{_definition.Name}.{function}: input '{spec.Name}' must have shape {spec.StaticShape}, got {input.Shape}.");
            feeds[spec.TensorName] = input;
        }

        IReadOnlyDictionary<string, Tensor> variables = GraphModules.Storage(module);
        for (int i = 0; i < _variables.Length; i++)
        {
            Tensor value = variables[_definition.Variables[i].Name];
            if (!_variables[i].IsInitialized || !ReferenceEquals(_variables[i].Peek(), value)) _variables[i].Assign(value);
        }
        var outputs = Session.Run(feeds, [.. info.Outputs.Select(o => o.TensorName)], cancellation: cancellation);
        if (info.WrittenVariables.Length > 0)
        {
            var updated = new Dictionary<string, Tensor>(variables, StringComparer.Ordinal);
            foreach (string name in info.WrittenVariables) updated[name] = Session.Resources.GetOrCreate("", name).Peek();
            module.SetVariables(updated);
        }
        return outputs;
    }
}

/// <summary>Checkpoints, SavedModel export and TensorBoard graphs for every generated graph module.</summary>
public static class GraphModules
{
    /// <summary>Saves the module's variables as a TensorFlow checkpoint at <paramref name="prefix"/> (atomically) and returns the prefix.</summary>
    /// <param name="module">The module.</param>
    /// <param name="prefix">The checkpoint prefix, such as <c>ckpt/model-1</c>.</param>
    /// <param name="style">Object-based keys (<c>tf.train.Checkpoint</c>, the default) or name-based keys (TF1 <c>Saver</c>).</param>
    public static string SaveCheckpoint(this IGraphModule module, string prefix, CheckpointKeyStyle style = CheckpointKeyStyle.ObjectBased)
    {
        Checkpoint.Save(prefix, module.GetVariables(), style, OptimizerSlots(module.Definition));
        return prefix;
    }

    /// <summary>The optimizer slot variables of a module's [TrainStep] functions (<c>Adam/w1/m</c> for variable <c>w1</c>).</summary>
    public static IReadOnlyList<OptimizerSlot> OptimizerSlots(GraphModuleDefinition definition) =>
        OptimizerSlot.Find(definition.Variables.Where(v => v.IsOptimizerState).Select(v => v.Name),
            [.. definition.Variables.Where(v => !v.IsOptimizerState).Select(v => v.Name)]);

    /// <summary>
    /// Restores every variable from the checkpoint at <paramref name="path"/> (a prefix, or a directory with a
    /// <c>checkpoint</c> state file). Name-based and object-based checkpoints both work. Optimizer state missing from
    /// the checkpoint (one saved before training, or by a model without a train step) keeps its current value, as
    /// TensorFlow restores a model's weights without its optimizer.
    /// </summary>
    /// <exception cref="StaticFlowFormatException">A variable is missing or has another dtype or shape, naming the variable and file.</exception>
    public static void RestoreCheckpoint(this IGraphModule module, string path)
    {
        using var reader = CheckpointReader.Open(path);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var variable in module.Definition.Variables)
        {
            if (!reader.Contains(variable.Name) && variable.IsOptimizerState)
            {
                values[variable.Name] = module.GetVariables()[variable.Name];
                continue;
            }
            if (!reader.Contains(variable.Name))
                throw new StaticFlowFormatException(reader.Prefix, $"the checkpoint has no variable '{variable.Name}' of module {module.Definition.Name}" +
                    (reader.ObjectValues.Any(v => v.ObjectPath.StartsWith("layer_with_weights-", StringComparison.Ordinal))
                        ? "; it is a Keras model's checkpoint (layer_with_weights-N), which RestoreKerasWeights matches layer by layer" : ""));
            Tensor value = reader.Read(variable.Name);
            if (value.DType != variable.DType || !value.Shape.Equals(new TensorShape(variable.Shape)))
                throw new StaticFlowFormatException(reader.Prefix,
                    $"variable '{variable.Name}' is {value.DType.Name()}{value.Shape} in the checkpoint but {variable.DType.Name()}{new TensorShape(variable.Shape)} in module {module.Definition.Name}");
            values[variable.Name] = value;
        }
        module.SetVariables(values);
    }

    /// <summary>
    /// Exports the module as a SavedModel (tag <c>serve</c>, one signature per function with a signature key, the
    /// saver subgraph, variables and fingerprint) and returns the directory written.
    /// </summary>
    public static string ExportSavedModel(this IGraphModule module, string directory, SavedModelExportOptions? options = null)
    {
        GraphModuleDefinition definition = module.Definition;
        var signatures = definition.Functions
            .Where(f => f.SignatureKey is not null)
            .Select(f => new SignatureSpec(f.SignatureKey!, [.. f.Inputs.Select(Spec)], [.. f.Outputs.Select(Spec)]))
            .ToList();
        var objectGraph = options?.ObjectGraph == true ? ModuleObjectGraph.Build(definition) : null;
        return SavedModelExporter.Export(directory, definition.ToGraphDef(), module.GetVariables(), signatures, options, objectGraph);
    }

    /// <summary>Writes the module graph into an event file in <paramref name="logdir"/> for TensorBoard's GRAPHS tab and returns the file's path.</summary>
    public static string WriteGraph(this IGraphModule module, string logdir)
    {
        using var writer = new SummaryWriter(logdir);
        writer.AddGraph(module.Definition.ToGraphDef());
        return writer.FilePath;
    }

    /// <summary>
    /// Checks every variable of <paramref name="module"/>'s definition (its children's too, by path) before any is
    /// replaced, for generated <c>SetVariables</c> methods.
    /// </summary>
    public static void CheckVariables(IGraphModule module, IReadOnlyDictionary<string, Tensor> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var info in module.Definition.Variables)
        {
            if (!values.TryGetValue(info.Name, out Tensor? value))
                throw new ArgumentException($"No value for variable '{info.Name}' of module {module.Definition.Name}.", nameof(values));
            if (value.DType != info.DType || !new TensorShape(info.Shape).IsCompatibleWith(value.Shape))
                throw new ArgumentException($"Variable '{info.Name}' of module {module.Definition.Name} is {info.DType.Name()}{new TensorShape(info.Shape)}, got {value.DType.Name()}{value.Shape}.", nameof(values));
        }
    }

    /// <summary>The values under <paramref name="path"/> (<c>encoder/dense1/</c>) with the path taken off, for a child module's <c>SetVariables</c>.</summary>
    public static IReadOnlyDictionary<string, Tensor> Under(IReadOnlyDictionary<string, Tensor> values, string path)
    {
        var child = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
            if (name.StartsWith(path, StringComparison.Ordinal)) child[name[path.Length..]] = value;
        return child;
    }

    /// <summary>Adds a child module's variable storage to <paramref name="into"/> under <paramref name="path"/> (none for null), for generated <c>GetVariableStorage</c> methods.</summary>
    public static void AddUnder(Dictionary<string, Tensor> into, string path, object? child)
    {
        if (child is not IGraphModule module) return;
        foreach (var (name, value) in Storage(module)) into[path + name] = value;
    }

    /// <summary>
    /// Hands <paramref name="storage"/>'s tensors out for keeps (no train step changes them in place afterwards) and
    /// returns it, for generated <c>GetVariables</c> methods.
    /// </summary>
    public static IReadOnlyDictionary<string, Tensor> Share(IReadOnlyDictionary<string, Tensor> storage)
    {
        foreach (var value in storage.Values) Execution.Variable.Share(value);
        return storage;
    }

    /// <summary>The module's variable storage, or its shared values when it keeps none (see <see cref="IGraphModule.GetVariableStorage"/>).</summary>
    internal static IReadOnlyDictionary<string, Tensor> Storage(IGraphModule module) => module.GetVariableStorage() ?? module.GetVariables();

    /// <summary>Adds the variables of each module in <paramref name="children"/> under <c>path + index + "/"</c> (<c>layers/0/kernel</c>).</summary>
    public static void AddListUnder(Dictionary<string, Tensor> into, string path, System.Collections.IEnumerable? children)
    {
        int index = 0;
        foreach (object? child in children ?? Array.Empty<object>()) AddUnder(into, path + (index++).ToString(System.Globalization.CultureInfo.InvariantCulture) + "/", child);
    }

    /// <summary>Sets a child module's variables from those under <paramref name="path"/>, for generated <c>SetVariables</c> methods.</summary>
    public static void SetUnder(IReadOnlyDictionary<string, Tensor> values, string path, object? child)
    {
        if (child is IGraphModule module) module.SetVariables(Under(values, path));
    }

    /// <summary>Sets each listed child module's variables from those under <c>path + index + "/"</c>.</summary>
    public static void SetListUnder(IReadOnlyDictionary<string, Tensor> values, string path, System.Collections.IEnumerable? children)
    {
        int index = 0;
        foreach (object? child in children ?? Array.Empty<object>()) SetUnder(values, path + (index++).ToString(System.Globalization.CultureInfo.InvariantCulture) + "/", child);
    }

    /// <summary>Initializes a child module with its own seed, for generated <c>InitializeVariables</c> methods.</summary>
    public static void InitializeUnder(object? child, int seed)
    {
        if (child is IGraphModule module) module.InitializeVariables(seed);
    }

    /// <summary>Initializes each listed child module, item <c>i</c> with seed <c>seed * 31 + i</c>.</summary>
    public static void InitializeListUnder(System.Collections.IEnumerable? children, int seed)
    {
        int index = 0;
        foreach (object? child in children ?? Array.Empty<object>()) InitializeUnder(child, unchecked(seed * 31 + index++));
    }

    /// <summary>Checks and converts one variable for generated <c>SetVariables</c> methods.</summary>
    public static Tensor<T> Variable<T>(IGraphModule module, IReadOnlyDictionary<string, Tensor> values, string name) where T : unmanaged
    {
        GraphVariableInfo info = module.Definition.Variables.First(v => v.Name == name);
        if (!values.TryGetValue(name, out Tensor? value))
            throw new ArgumentException($"No value for variable '{name}' of module {module.Definition.Name}.", nameof(values));
        // -1 is a dimension a layer module takes from a member at run time (its own graph does not know it).
        if (value.DType != info.DType || !new TensorShape(info.Shape).IsCompatibleWith(value.Shape))
            throw new ArgumentException($"Variable '{name}' of module {module.Definition.Name} is {info.DType.Name()}{new TensorShape(info.Shape)}, got {value.DType.Name()}{value.Shape}.", nameof(values));
        return new Tensor<T>(value);
    }

    private static TensorSpec Spec(GraphTensorInfo info) => new(info.Name, info.TensorName, info.DType.ToProto(), info.StaticShape);
}

/// <summary>First values of module variables (<see cref="Init"/>), reproducible from a seed.</summary>
public static class Initializers
{
    /// <summary>A tensor of <paramref name="shape"/> made by <paramref name="init"/> from <paramref name="seed"/> (the variable's own seed).</summary>
    public static Tensor<T> Create<T>(Init init, long[] shape, int seed) where T : unmanaged
    {
        var dtype = DTypes.Of<T>();
        var values = new double[new TensorShape(shape).ElementCount];
        var random = new Random(seed);
        switch (init)
        {
            case Init.Zeros: break;
            case Init.Ones: Array.Fill(values, 1.0); break;
            case Init.GlorotUniform:
                var (fanIn, fanOut) = Fans(shape);
                double limit = Math.Sqrt(6.0 / Math.Max(1.0, fanIn + fanOut));
                for (int i = 0; i < values.Length; i++) values[i] = (random.NextDouble() * 2 - 1) * limit;
                break;
            case Init.RandomNormal:
                for (int i = 0; i < values.Length; i++) values[i] = 0.05 * Normal(random);
                break;
            case Init.RandomUniform:
                for (int i = 0; i < values.Length; i++) values[i] = (random.NextDouble() * 2 - 1) * 0.05;
                break;
            case Init.Orthogonal:
                Orthogonal(values, shape, random);
                break;
            case Init.UnitForgetBias:
                long units = shape.Length == 1 && shape[0] % 4 == 0 ? shape[0] / 4
                    : throw new ArgumentException($"UnitForgetBias is for an LSTM bias of 4 * units values, not shape [{string.Join(",", shape)}].", nameof(shape));
                Array.Fill(values, 1.0, (int)units, (int)units);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(init), init, "unknown initializer");
        }
        return new Tensor<T>(Tensor.FromArray<double>(values, shape).Cast(dtype));
    }

    /// <summary>A tensor of <paramref name="shape"/> with every element <paramref name="value"/> (optimizer state: slots, learning rate).</summary>
    public static Tensor<T> Fill<T>(long[] shape, double value) where T : unmanaged
    {
        var values = new double[new TensorShape(shape).ElementCount];
        Array.Fill(values, value);
        return new Tensor<T>(Tensor.FromArray<double>(values, shape).Cast(DTypes.Of<T>()));
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>
    /// Keras' orthogonal initializer: rows are the product of all dimensions but the last; the taller orientation of a
    /// normal matrix is orthonormalized (Gram-Schmidt, twice for accuracy, which gives QR's Q with R's diagonal
    /// positive, as Keras' sign correction does), then transposed back when there are fewer rows than columns.
    /// </summary>
    private static void Orthogonal(double[] values, long[] shape, Random random)
    {
        if (values.Length == 0) return;
        int columns = shape.Length == 0 ? 1 : (int)shape[^1], rows = values.Length / columns;
        int tall = Math.Max(rows, columns), narrow = Math.Min(rows, columns);
        var q = new double[narrow][];
        for (int j = 0; j < narrow; j++)
        {
            var column = new double[tall];
            for (int i = 0; i < tall; i++) column[i] = Normal(random);
            for (int pass = 0; pass < 2; pass++)
                for (int k = 0; k < j; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < tall; i++) dot += q[k][i] * column[i];
                    for (int i = 0; i < tall; i++) column[i] -= dot * q[k][i];
                }
            double norm = Math.Sqrt(column.Sum(v => v * v));
            for (int i = 0; i < tall; i++) column[i] /= norm;
            q[j] = column;
        }
        // Row-major [rows, columns]: column j of the tall matrix is column j (rows >= columns) or row j (transposed).
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                values[r * columns + c] = rows >= columns ? q[c][r] : q[r][c];
    }

    /// <summary>Keras' fans: a matrix [in, out]; a convolution kernel [..., in, out] times its receptive field.</summary>
    private static (double In, double Out) Fans(long[] shape) => shape.Length switch
    {
        0 => (1, 1),
        1 => (shape[0], shape[0]),
        _ => (shape[^2] * Receptive(shape), shape[^1] * Receptive(shape)),
    };

    private static double Receptive(long[] shape)
    {
        double size = 1;
        for (int i = 0; i < shape.Length - 2; i++) size *= shape[i];
        return size;
    }
}
