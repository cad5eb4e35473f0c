using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// The computation of one node. A kernel is created once per node when a plan is built (reading and checking
/// the node's attrs there) and then computes for many runs, possibly concurrently, so it keeps no per-run state.
/// </summary>
public interface IOpKernel
{
    /// <summary>Computes the node's outputs from its inputs.</summary>
    void Compute(KernelContext context);
}

/// <summary>
/// A kernel that can precompute from inputs known when the plan is built (constants such as weights), for
/// example by packing a weight matrix once instead of on every run.
/// </summary>
public interface IConstantInputAware
{
    /// <summary>Input <paramref name="index"/> will always be <paramref name="value"/> in this plan.</summary>
    void OnConstantInput(int index, Tensors.Tensor value);
}

/// <summary>
/// A kernel that can keep work done on an input that the plan reads from a variable (a weight matrix packed once
/// while the variable keeps the same value).
/// </summary>
internal interface IVariableInputAware
{
    /// <summary>Input <paramref name="index"/> is a variable's value in this plan.</summary>
    void OnVariableInput(int index);
}

/// <summary>The inputs, outputs and session services of one kernel invocation.</summary>
public sealed class KernelContext
{
    private readonly Value[] _inputs;
    private readonly Value[] _outputs;

    internal KernelContext(GraphNode node, Value[] inputs, Value[] outputs, RunFrame frame)
    {
        Node = node;
        _inputs = inputs;
        _outputs = outputs;
        Frame = frame;
    }

    /// <summary>The node being computed.</summary>
    public GraphNode Node { get; }

    /// <summary>The run this invocation belongs to.</summary>
    // Settable so that a plan's step keeps one context from run to run (see RunWorkspace).
    public RunFrame Frame { get; internal set; }

    internal Value[] InputValues => _inputs;

    internal Value[] OutputValues => _outputs;

    /// <summary>Number of data inputs.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>Input <paramref name="index"/> as a tensor (a variable input yields its current value).</summary>
    public Tensor Input(int index)
    {
        Value value = _inputs[index];
        if (value.Tensor is { } tensor) return tensor;
        if (value.Variable is { } variable)
        {
            try { return variable.Read(); }
            catch (InvalidOperationException e) { throw Error(e.Message); }
        }
        throw Error($"input {index} has no value");
    }

    /// <summary>Input <paramref name="index"/> as a variable (reference or resource inputs).</summary>
    public Variable InputVariable(int index) =>
        _inputs[index].Variable ?? throw Error($"input {index} is not a variable or resource handle");

    /// <summary>The raw input value.</summary>
    public Value InputValue(int index) => _inputs[index];

    /// <summary>Sets output <paramref name="index"/>.</summary>
    public void SetOutput(int index, Tensor tensor) => _outputs[index] = tensor;

    /// <summary>Sets output <paramref name="index"/> to a variable (reference or resource outputs).</summary>
    public void SetOutput(int index, Variable variable) => _outputs[index] = new Value(null, variable);

    /// <summary>Sets output <paramref name="index"/> to a raw value.</summary>
    public void SetOutput(int index, Value value) => _outputs[index] = value;

    /// <summary>An error naming this node and op.</summary>
    public GraphException Error(string reason) => new(Node.Name, Node.Op, reason);

    /// <summary>The dtype attr <paramref name="name"/> as a tensor dtype.</summary>
    public DType DTypeAttr(string name) => KernelHelpers.DTypeAttr(Node, name);
}

/// <summary>Per-run state: the session's services and, inside a function call, its arguments and results.</summary>
public sealed class RunFrame
{
    internal RunFrame(GraphSession session, Value[] args, Value[] retvals, CancellationToken cancellation, int callDepth = 0)
    {
        CallDepth = callDepth;
        Session = session;
        Args = args;
        Retvals = retvals;
        Cancellation = cancellation;
    }

    /// <summary>The session running the graph.</summary>
    public GraphSession Session { get; }

    /// <summary>Function arguments (empty outside a function).</summary>
    public Value[] Args { get; }

    /// <summary>Function results (empty outside a function).</summary>
    public Value[] Retvals { get; }

    /// <summary>How many function calls deep this frame runs (0 for the top-level graph).</summary>
    public int CallDepth { get; }

    /// <summary>Cancels the run.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Buffers of earlier runs of the executing plan that outputs may reuse.</summary>
    internal BufferPool? Buffers { get; set; }

    /// <summary>The arena region the executing step's output may take (set by the executor, one step at a time).</summary>
    internal ArenaRegion OutputRegion;

    /// <summary>
    /// Storage for the output of a kernel that writes a fresh tensor (contents undefined): the region the memory
    /// planner gave the step's output when it is large enough, else a buffer of an earlier run, else a new array.
    /// </summary>
    internal Tensor NewOutput(DType dtype, TensorShape shape)
    {
        var region = OutputRegion;
        if (region.Arena is { } arena && dtype is not (DType.String or DType.Variant)
            && shape.TryGetElementCount(out long count) && count <= region.Bytes / dtype.SizeOf())
        {
            // Taken once: anything else the kernel allocates is not the step's output.
            OutputRegion = default;
            return Tensor.InArena(dtype, shape, arena, region.Offset, (int)(count * dtype.SizeOf()));
        }
        return Tensor.Uninitialized(dtype, shape, Buffers);
    }

    /// <summary><see cref="NewOutput"/> with every element zero, for kernels that accumulate into their output.</summary>
    internal Tensor NewZeroedOutput(DType dtype, TensorShape shape)
    {
        if (dtype is DType.String or DType.Variant) return Tensor.Zeros(dtype, shape);
        var output = NewOutput(dtype, shape);
        output.AsBytes().Clear();
        return output;
    }
}

/// <summary>A slice of a run's arena: where the memory planner put one step's output.</summary>
internal readonly record struct ArenaRegion(byte[]? Arena, int Offset, long Bytes);

/// <summary>Small helpers shared by kernels.</summary>
public static class KernelHelpers
{
    /// <summary>The dtype attr <paramref name="name"/> of <paramref name="node"/> as a tensor dtype.</summary>
    /// <exception cref="KernelNotFoundException">The dtype is not supported by tensors.</exception>
    public static DType DTypeAttr(GraphNode node, string name)
    {
        DataType type = node.Attr(name).Type;
        return DTypes.IsSupported(type) ? (DType)(int)type
            : throw new KernelNotFoundException(node.Name, node.Op, $"no kernel for dtype {GraphImporter.DTypeName(type)}");
    }

    /// <summary>An int attr.</summary>
    public static long IntAttr(GraphNode node, string name) => node.Attr(name).I;

    /// <summary>A bool attr.</summary>
    public static bool BoolAttr(GraphNode node, string name) => node.Attr(name).B;

    /// <summary>A string attr (UTF-8).</summary>
    public static string StringAttr(GraphNode node, string name) => node.Attr(name).S.ToStringUtf8();

    /// <summary>The function named by a func attr.</summary>
    /// <exception cref="GraphException">The attr is not a function.</exception>
    public static string FuncAttr(GraphNode node, string name) =>
        node.Attr(name).Func?.Name is { Length: > 0 } function ? function : throw new GraphException(node.Name, node.Op, $"attr '{name}' does not name a function");

    /// <summary>A list(type) attr (empty when unset).</summary>
    public static IReadOnlyList<Protos.DataType> TypeListAttr(GraphNode node, string name) => [.. node.Attr(name).List?.Type ?? []];

    /// <summary>A list(shape) attr (empty when unset).</summary>
    public static IReadOnlyList<Protos.TensorShapeProto> ShapeListAttr(GraphNode node, string name) => [.. node.Attr(name).List?.Shape ?? []];

    /// <summary>A list(int) attr.</summary>
    public static long[] IntListAttr(GraphNode node, string name) => [.. node.Attr(name).List?.I ?? []];

    /// <summary>Reads an integer tensor (int32 or int64) as longs, for shape and index arguments.</summary>
    public static long[] ToLongs(this KernelContext context, int input)
    {
        Tensor t = context.Input(input);
        return t.DType switch
        {
            DType.Int32 => Array.ConvertAll(t.ToArray<int>(), v => (long)v),
            DType.Int64 => t.ToArray<long>(),
            _ => throw context.Error($"input {input} must be int32 or int64, not {t.DType.Name()}"),
        };
    }
}
