using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Calls into the function library: PartitionedCall, StatefulPartitionedCall, direct calls by name, If and While.</summary>
internal static class FunctionKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("PartitionedCall", node => Call(KernelHelpers.FuncAttr(node, "f")));
        add.Add("StatefulPartitionedCall", node => Call(KernelHelpers.FuncAttr(node, "f")));
        add.Add("If", IfKernel);
        add.Add("StatelessIf", IfKernel);
        add.Add("While", WhileKernel);
        add.Add("StatelessWhile", WhileKernel);
    }

    /// <summary>A kernel that calls library function <paramref name="function"/> with the node's inputs.</summary>
    internal static IOpKernel Call(string function) => new DelegateKernel(c =>
    {
        var results = c.Frame.Session.CallFunction(function, Inputs(c, 0), c.Frame, c.Node);
        for (int i = 0; i < results.Length; i++) c.SetOutput(i, results[i]);
    });

    private static IOpKernel IfKernel(GraphNode node)
    {
        string thenBranch = KernelHelpers.FuncAttr(node, "then_branch"), elseBranch = KernelHelpers.FuncAttr(node, "else_branch");
        return new DelegateKernel(c =>
        {
            string branch = Truth(c.Input(0)) ? thenBranch : elseBranch;
            var results = c.Frame.Session.CallFunction(branch, Inputs(c, 1), c.Frame, c.Node);
            for (int i = 0; i < results.Length; i++) c.SetOutput(i, results[i]);
        });
    }

    private static IOpKernel WhileKernel(GraphNode node)
    {
        string cond = KernelHelpers.FuncAttr(node, "cond"), body = KernelHelpers.FuncAttr(node, "body");
        return new DelegateKernel(c =>
        {
            Value[] state = Inputs(c, 0);
            while (true)
            {
                c.Frame.Cancellation.ThrowIfCancellationRequested();
                var test = c.Frame.Session.CallFunction(cond, state, c.Frame, c.Node);
                if (test.Length != 1 || test[0].Tensor is null) throw c.Error($"cond function '{cond}' must return one tensor");
                if (!Truth(test[0].Tensor!)) break;
                state = c.Frame.Session.CallFunction(body, state, c.Frame, c.Node);
            }
            for (int i = 0; i < state.Length; i++) c.SetOutput(i, state[i]);
        });
    }

    private static Value[] Inputs(KernelContext c, int first) =>
        [.. Enumerable.Range(first, c.InputCount - first).Select(c.InputValue)];

    // TensorFlow's truth of a predicate: a scalar's value (non-zero, non-empty string), or non-emptiness.
    private static bool Truth(Tensor t)
    {
        if (t.Shape.Rank != 0) return t.ElementCount > 0;
        return t.DType == DType.String ? t.Strings[0].Length > 0 : t.GetDouble(0) != 0;
    }
}
