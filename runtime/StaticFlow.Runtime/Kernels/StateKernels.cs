using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>TF1 reference variables (VariableV2, Assign*) and TF2 resource variables (VarHandleOp, ReadVariableOp, Assign*VariableOp).</summary>
internal static class StateKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("VariableV2", node => VariableSource(node));
        add.Add("VarHandleOp", node => VariableSource(node));
        add.Add("Assign", node =>
        {
            bool validateShape = KernelHelpers.BoolAttr(node, "validate_shape");
            return new DelegateKernel(c =>
            {
                Variable variable = c.InputVariable(0);
                Tensor value = c.Input(1);
                if (validateShape && variable.IsInitialized && !variable.Read().Shape.Equals(value.Shape))
                    throw c.Error($"cannot assign a value of shape {value.Shape} to variable '{variable.Name}' of shape {variable.Read().Shape}");
                variable.Assign(value);
                c.SetOutput(0, variable);
            });
        });
        add.Add("AssignAdd", node => Update(node, subtract: false, outputRef: true));
        add.Add("AssignSub", node => Update(node, subtract: true, outputRef: true));
        add.Add("AssignAddVariableOp", node => Update(node, subtract: false, outputRef: false));
        add.Add("AssignSubVariableOp", node => Update(node, subtract: true, outputRef: false));
        add.Add("ReadVariableOp", node =>
        {
            DType dtype = KernelHelpers.DTypeAttr(node, "dtype");
            return new DelegateKernel(c =>
            {
                Tensor value = c.Input(0);
                if (value.DType != dtype) throw c.Error($"variable '{c.InputVariable(0).Name}' holds {value.DType.Name()}, read as {dtype.Name()}");
                c.SetOutput(0, value);
            });
        });
        add.Add("AssignVariableOp", node =>
        {
            DType dtype = KernelHelpers.DTypeAttr(node, "dtype");
            return new DelegateKernel(c =>
            {
                Tensor value = c.Input(1);
                if (value.DType != dtype) throw c.Error($"value is {value.DType.Name()}, the variable is {dtype.Name()}");
                c.InputVariable(0).Assign(value);
            });
        });
        add.Add("IsVariableInitialized", _ => new DelegateKernel(c => c.SetOutput(0, Tensor.Scalar(c.InputVariable(0).IsInitialized))));
        add.Add("VarIsInitializedOp", _ => new DelegateKernel(c => c.SetOutput(0, Tensor.Scalar(c.InputVariable(0).IsInitialized))));
        // Copy-on-read only matters where variables alias buffers; ours are immutable tensors.
        add.Add("DisableCopyOnRead", _ => new DelegateKernel(_ => { }));
    }

    private static IOpKernel VariableSource(GraphNode node)
    {
        string container = KernelHelpers.StringAttr(node, "container");
        string shared = KernelHelpers.StringAttr(node, "shared_name");
        string name = shared.Length > 0 ? shared : node.Name;
        return new DelegateKernel(c => c.SetOutput(0, c.Frame.Session.Resources.GetOrCreate(container, name)));
    }

    private static IOpKernel Update(GraphNode node, bool subtract, bool outputRef)
    {
        var arithmetic = ElementwiseKernels.ByNumericType(node, outputRef ? "T" : "dtype", new UpdateFactory(subtract));
        return new DelegateKernel(c =>
        {
            Variable variable = c.InputVariable(0);
            var inner = new Value[2] { variable.Read(), c.Input(1) };
            var result = new Value[1];
            GraphSession.Invoke(arithmetic, new KernelContext(c.Node, inner, result, c.Frame));
            if (!result[0].Tensor!.Shape.Equals(inner[0].Tensor!.Shape))
                throw c.Error($"update of shape {inner[1].Tensor!.Shape} does not fit variable '{variable.Name}' of shape {inner[0].Tensor!.Shape}");
            variable.Assign(result[0].Tensor!);
            if (outputRef) c.SetOutput(0, variable);
        });
    }

    private sealed class UpdateFactory(bool subtract) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, System.Numerics.INumber<T> =>
            subtract ? new BinaryKernel<T, T, SubOp<T>>() : new BinaryKernel<T, T, AddOp<T>>();
    }
}
