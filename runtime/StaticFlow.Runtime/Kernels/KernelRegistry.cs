using System.Collections.Frozen;
using StaticFlow.Graphs;

namespace StaticFlow.Kernels;

/// <summary>
/// Kernels by op name for the CPU device. A factory reads the node's attrs and input dtypes and either returns
/// a kernel or throws <see cref="KernelNotFoundException"/> naming the op and the dtype it cannot handle.
/// </summary>
public sealed class KernelRegistry
{
    private readonly FrozenDictionary<string, Func<GraphNode, IOpKernel>> _factories;

    private KernelRegistry(Dictionary<string, Func<GraphNode, IOpKernel>> factories) => _factories = factories.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The kernels StaticFlow ships.</summary>
    public static KernelRegistry Standard { get; } = Build();

    /// <summary>Ops with a kernel, sorted.</summary>
    public IEnumerable<string> Ops => _factories.Keys.Order(StringComparer.Ordinal);

    /// <summary>True when <paramref name="op"/> has a kernel.</summary>
    public bool Contains(string op) => _factories.ContainsKey(op);

    /// <summary>Creates the kernel of <paramref name="node"/>.</summary>
    /// <exception cref="KernelNotFoundException">No kernel for the op, or for the node's dtypes.</exception>
    public IOpKernel Create(GraphNode node)
    {
        if (!_factories.TryGetValue(node.Op, out var factory))
            throw new KernelNotFoundException(node.Name, node.Op, $"no kernel for op '{node.Op}' on CPU");
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
        var factories = new Dictionary<string, Func<GraphNode, IOpKernel>>(StringComparer.Ordinal);
        void Add(string op, Func<GraphNode, IOpKernel> factory)
        {
            if (!factories.TryAdd(op, factory)) throw new InvalidOperationException($"Two kernels for {op}.");
        }
        BasicKernels.Register(Add);
        ElementwiseKernels.Register(Add);
        MatMulKernels.Register(Add);
        ReductionKernels.Register(Add);
        ArrayKernels.Register(Add);
        StateKernels.Register(Add);
        IoKernels.Register(Add);
        FunctionKernels.Register(Add);
        ParseExampleKernels.Register(Add);
        ConvolutionKernels.Register(Add);
        return new KernelRegistry(factories);
    }
}

/// <summary>A kernel written as a delegate, for ops whose computation needs no precomputed state.</summary>
internal sealed class DelegateKernel(Action<KernelContext> compute) : IOpKernel
{
    public void Compute(KernelContext context) => compute(context);
}
