using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Const, placeholders, identities, NoOp, function arguments and results, and PrintV2.</summary>
internal static class BasicKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("Const", node =>
        {
            // Decode once, when the plan is built; every run shares the tensor.
            Tensor value;
            try { value = TensorProtos.FromProto(node.Attr("value").Tensor ?? throw new FormatException("no tensor"), $"node '{node.Name}'"); }
            catch (FormatException e) { throw new GraphException(node.Name, node.Op, e.Message, e); }
            catch (NotSupportedException e) { throw new KernelNotFoundException(node.Name, node.Op, e.Message); }
            if (value.DType.ToProto() != node.OutputTypes[0])
                throw new GraphException(node.Name, node.Op, $"value is {value.DType.Name()} but dtype is {GraphImporter.DTypeName(node.OutputTypes[0])}");
            return new DelegateKernel(c => c.SetOutput(0, value));
        });
        add.Add("Placeholder", node => new DelegateKernel(c =>
            throw c.Error($"you must feed a value for placeholder tensor '{node.Name}' with dtype {GraphImporter.DTypeName(node.OutputTypes[0])}")));
        add.Add("PlaceholderWithDefault", _ => new DelegateKernel(c => c.SetOutput(0, c.InputValue(0))));
        add.Add("Identity", _ => new DelegateKernel(c => c.SetOutput(0, c.Input(0))));
        add.Add("StopGradient", _ => new DelegateKernel(c => c.SetOutput(0, c.Input(0))));
        add.Add("IdentityN", _ => new DelegateKernel(c =>
        {
            for (int i = 0; i < c.InputCount; i++) c.SetOutput(i, c.InputValue(i));
        }));
        add.Add("NoOp", _ => new DelegateKernel(_ => { }));
        add.Add("Snapshot", _ => new DelegateKernel(c => c.SetOutput(0, c.Input(0))));
        add.Add("PreventGradient", _ => new DelegateKernel(c => c.SetOutput(0, c.Input(0))));
        add.Add("EnsureShape", node =>
        {
            var expected = TensorShape.FromProto(node.Attr("shape").Shape);
            return new DelegateKernel(c =>
            {
                Tensor input = c.Input(0);
                if (!expected.IsCompatibleWith(input.Shape)) throw c.Error($"shape {input.Shape} is not compatible with the expected {expected}");
                c.SetOutput(0, input);
            });
        });
        add.Add("CheckNumerics", KernelDTypes.Float, node =>
        {
            string message = KernelHelpers.StringAttr(node, "message");
            return new DelegateKernel(c =>
            {
                Tensor input = c.Input(0);
                double[] values = input.Cast(DType.Float64).ToArray<double>();
                if (values.Any(double.IsNaN)) throw c.Error($"{message} : Tensor had NaN values");
                if (values.Any(double.IsInfinity)) throw c.Error($"{message} : Tensor had Inf values");
                c.SetOutput(0, input);
            });
        });
        add.Add("ShapeN", node =>
        {
            DType outType = KernelHelpers.DTypeAttr(node, "out_type");
            return new DelegateKernel(c =>
            {
                for (int i = 0; i < c.InputCount; i++)
                {
                    long[] dims = c.Input(i).Shape.Dims.ToArray();
                    c.SetOutput(i, Tensor.FromArray<long>(dims, dims.Length).Cast(outType));
                }
            });
        });
        add.Add("_Arg", node =>
        {
            int index = (int)node.Attr("index").I;
            return new DelegateKernel(c =>
            {
                if (index >= c.Frame.Args.Length) throw c.Error($"argument {index} was not passed");
                c.SetOutput(0, c.Frame.Args[index]);
            });
        });
        add.Add("_Retval", node =>
        {
            int index = (int)node.Attr("index").I;
            return new DelegateKernel(c =>
            {
                if (index >= c.Frame.Retvals.Length) throw c.Error($"result {index} has no slot");
                c.Frame.Retvals[index] = c.InputValue(0);
            });
        });
        add.Add("PrintV2", node =>
        {
            string stream = KernelHelpers.StringAttr(node, "output_stream");
            string end = KernelHelpers.StringAttr(node, "end");
            return new DelegateKernel(c =>
            {
                string text = System.Text.Encoding.UTF8.GetString(c.Input(0).Strings[0]) + end;
                (stream == "stdout" ? Console.Out : Console.Error).Write(text);
            });
        });
    }
}
