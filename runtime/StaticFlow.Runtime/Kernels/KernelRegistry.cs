using System.Collections.Frozen;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// Kernels by (op, dtype, device), as TensorFlow's <c>REGISTER_KERNEL_BUILDER</c> keys them. The dtype is the one
/// the op's kernel attr gives the node (<see cref="KernelDTypeAttr"/>: <c>T</c> for most ops); a kernel registered
/// for any dtype serves ops whose kernel does not depend on it. A factory reads the node's attrs once, when a plan
/// is built, and returns the kernel.
/// </summary>
public sealed class KernelRegistry
{
    /// <summary>The device every kernel StaticFlow ships runs on.</summary>
    public const string Cpu = "CPU";

    private readonly FrozenDictionary<KernelKey, Func<GraphNode, IOpKernel>> _factories;
    private readonly FrozenDictionary<string, KernelKey[]> _byOp;

    private readonly FrozenDictionary<string, string> _dtypeAttrs;

    private KernelRegistry(Dictionary<KernelKey, Func<GraphNode, IOpKernel>> factories, Dictionary<string, string> dtypeAttrs)
    {
        _dtypeAttrs = dtypeAttrs.ToFrozenDictionary(StringComparer.Ordinal);
        _factories = factories.ToFrozenDictionary();
        _byOp = factories.Keys.GroupBy(k => k.Op, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(k => k.DType is { } d ? (int)d : -1).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The kernels StaticFlow ships.</summary>
    public static KernelRegistry Standard { get; } = Build();

    /// <summary>Ops with a kernel, sorted.</summary>
    public IEnumerable<string> Ops => _byOp.Keys.Order(StringComparer.Ordinal);

    /// <summary>True when <paramref name="op"/> has a kernel.</summary>
    public bool Contains(string op) => _byOp.ContainsKey(op);

    /// <summary>Every (op, dtype, device) registered for <paramref name="op"/>; a null dtype serves any dtype.</summary>
    public IReadOnlyList<KernelKey> KernelsOf(string op) => _byOp.TryGetValue(op, out var keys) ? keys : [];

    /// <summary>True when a node of <paramref name="op"/> whose kernel attr is <paramref name="dtype"/> has a kernel on <paramref name="device"/>.</summary>
    public bool Supports(string op, DType dtype, string device = Cpu) =>
        _factories.ContainsKey(new KernelKey(op, dtype, device)) || _factories.ContainsKey(new KernelKey(op, null, device));

    /// <summary>
    /// The attr whose dtype selects an op's kernel: the type attr of its first input, else of its first output
    /// (Const's <c>dtype</c>), or null when the op has none.
    /// </summary>
    public static string? KernelDTypeAttr(OpDef op) =>
        op.InputArg.Select(a => a.TypeAttr).Concat(op.OutputArg.Select(a => a.TypeAttr)).FirstOrDefault(a => a.Length > 0);

    /// <summary>Creates the kernel of <paramref name="node"/>.</summary>
    /// <exception cref="KernelNotFoundException">No kernel for the op, or for the node's dtype.</exception>
    public IOpKernel Create(GraphNode node)
    {
        if (!_byOp.TryGetValue(node.Op, out var keys))
            throw new KernelNotFoundException(node.Name, node.Op, $"no kernel for op '{node.Op}' on {Cpu}");
        Func<GraphNode, IOpKernel>? factory = null;
        if ((_dtypeAttrs.GetValueOrDefault(node.Op) ?? KernelDTypeAttr(node.OpDef)) is { } attr && node.Attrs.TryGetValue(attr, out var value) && value.ValueCase == AttrValue.ValueOneofCase.Type)
        {
            _factories.TryGetValue(new KernelKey(node.Op, (DType)(int)value.Type, Cpu), out factory);
            if (factory is null && !_factories.TryGetValue(new KernelKey(node.Op, null, Cpu), out factory))
                throw new KernelNotFoundException(node.Name, node.Op,
                    $"no kernel for op '{node.Op}' with {attr} = {(DTypes.IsSupported(value.Type) ? ((DType)(int)value.Type).Name() : GraphImporter.DTypeName(value.Type))} on {Cpu}; it has kernels for {string.Join(", ", keys.Select(k => k.DType?.Name()))}");
        }
        factory ??= _factories.GetValueOrDefault(new KernelKey(node.Op, null, Cpu)) ?? _factories[keys[0]];
        try
        {
            return factory(node);
        }
        catch (Exception e) when (e is not GraphException and (FormatException or ArgumentException or InvalidOperationException or NotSupportedException or OverflowException))
        {
            // A factory reads attrs, which come from the file: any fault in them is the node's.
            throw new GraphException(node.Name, node.Op, e.Message, e);
        }
    }

    private static KernelRegistry Build()
    {
        var registrar = new KernelRegistrar();
        BasicKernels.Register(registrar);
        ElementwiseKernels.Register(registrar);
        MathFunctions.Register(registrar);
        LayoutKernels.Register(registrar);
        SequenceKernels.Register(registrar);
        LossKernels.Register(registrar);
        RandomKernels.Register(registrar);
        ImageKernels.Register(registrar);
        EinsumKernel.Register(registrar);
        StringKernels.Register(registrar);
        GradientKernels.Register(registrar);
        MatMulKernels.Register(registrar);
        ReductionKernels.Register(registrar);
        ArrayKernels.Register(registrar);
        StateKernels.Register(registrar);
        OptimizerKernels.Register(registrar);
        ConvolutionGradientKernels.Register(registrar);
        IoKernels.Register(registrar);
        FunctionKernels.Register(registrar);
        ListKernels.Register(registrar);
        LookupKernels.Register(registrar);
        ParseExampleKernels.Register(registrar);
        ConvolutionKernels.Register(registrar);
        return new KernelRegistry(registrar.Factories, registrar.DTypeAttrs);
    }
}

/// <summary>One kernel's key: the op, the dtype of its kernel attr (null for any), and the device.</summary>
public readonly record struct KernelKey(string Op, DType? DType, string Device);

/// <summary>Collects kernel registrations; two kernels for one key are a programming error caught at start-up.</summary>
internal sealed class KernelRegistrar
{
    public Dictionary<KernelKey, Func<GraphNode, IOpKernel>> Factories { get; } = [];

    /// <summary>Registers a CPU kernel that serves <paramref name="op"/> whatever its dtype.</summary>
    public void Add(string op, Func<GraphNode, IOpKernel> factory) => AddKey(new KernelKey(op, null, KernelRegistry.Cpu), factory);

    /// <summary>The attr that selects the kernel of ops that name one (TensorFlow's <c>TypeConstraint</c>), where it is not the default.</summary>
    public Dictionary<string, string> DTypeAttrs { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers a CPU kernel of <paramref name="op"/> for each of <paramref name="dtypes"/> of <paramref name="dtypeAttr"/>
    /// (by default the type attr of the op's first input, else of its first output).
    /// </summary>
    public void Add(string op, IEnumerable<DType> dtypes, Func<GraphNode, IOpKernel> factory, string? dtypeAttr = null)
    {
        if (dtypeAttr is not null) DTypeAttrs[op] = dtypeAttr;
        foreach (DType dtype in dtypes) AddKey(new KernelKey(op, dtype, KernelRegistry.Cpu), factory);
    }

    private void AddKey(KernelKey key, Func<GraphNode, IOpKernel> factory)
    {
        if (!Factories.TryAdd(key, factory)) throw new InvalidOperationException($"Two kernels for {key}.");
    }
}

/// <summary>The dtype sets kernels are registered for, matching the type switches that instantiate them.</summary>
internal static class KernelDTypes
{
    /// <summary>What <see cref="ElementwiseKernels.ByFloatType"/> instantiates.</summary>
    public static readonly DType[] Float = [DType.Float32, DType.Float64, DType.Float16];

    /// <summary>The integer dtypes (bitwise ops and shifts).</summary>
    public static readonly DType[] Integer = [DType.Int32, DType.Int64, DType.Int8, DType.Int16, DType.UInt8, DType.UInt16, DType.UInt32, DType.UInt64];

    /// <summary>The integer dtype of a CLR type, or null.</summary>
    public static DType? ClrInteger(Type type) =>
        type == typeof(sbyte) ? DType.Int8 : type == typeof(short) ? DType.Int16 : type == typeof(int) ? DType.Int32 : type == typeof(long) ? DType.Int64
        : type == typeof(byte) ? DType.UInt8 : type == typeof(ushort) ? DType.UInt16 : type == typeof(uint) ? DType.UInt32 : type == typeof(ulong) ? DType.UInt64 : null;

    /// <summary>What <see cref="ElementwiseKernels.ByNumericType"/> instantiates.</summary>
    public static readonly DType[] Numeric =
        [DType.Float32, DType.Float64, DType.Float16, DType.Int32, DType.Int64, DType.Int8, DType.Int16, DType.UInt8, DType.UInt16, DType.UInt32, DType.UInt64];
}

/// <summary>A kernel written as a delegate, for ops whose computation needs no precomputed state.</summary>
internal sealed class DelegateKernel(Action<KernelContext> compute) : IOpKernel
{
    public void Compute(KernelContext context) => compute(context);
}
