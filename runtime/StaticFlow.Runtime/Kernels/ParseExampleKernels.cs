using System.Text;
using Google.Protobuf;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>ParseExample and ParseExampleV2 for dense features: serialized <c>tf.Example</c> protos to float, int64 or string tensors.</summary>
internal static class ParseExampleKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("ParseExample", node =>
        {
            if (KernelHelpers.IntAttr(node, "Nsparse") != 0) throw new KernelNotFoundException(node.Name, node.Op, "sparse features are not supported yet");
            int dense = (int)KernelHelpers.IntAttr(node, "Ndense");
            var spec = DenseSpec(node);
            return new DelegateKernel(c =>
            {
                // Inputs: serialized, names, dense_keys[Ndense], dense_defaults[Ndense].
                string[] keys = [.. Enumerable.Range(2, dense).Select(i => Encoding.UTF8.GetString(c.Input(i).Strings[0]))];
                Tensor[] defaults = [.. Enumerable.Range(2 + dense, dense).Select(c.Input)];
                Parse(c, c.Input(0), keys, defaults, spec, firstOutput: 0);
            });
        });
        add.Add("ParseExampleV2", node =>
        {
            if (KernelHelpers.IntAttr(node, "num_sparse") != 0 || KernelHelpers.TypeListAttr(node, "ragged_value_types").Count != 0)
                throw new KernelNotFoundException(node.Name, node.Op, "sparse and ragged features are not supported yet");
            var spec = DenseSpec(node);
            return new DelegateKernel(c =>
            {
                // Inputs: serialized, names, sparse_keys, dense_keys, ragged_keys, dense_defaults[...].
                string[] keys = [.. c.Input(3).Strings.ToArray().Select(k => Encoding.UTF8.GetString(k))];
                Tensor[] defaults = [.. Enumerable.Range(5, c.InputCount - 5).Select(c.Input)];
                Parse(c, c.Input(0), keys, defaults, spec, firstOutput: 0);
            });
        });
    }

    private static (DType[] Types, TensorShape[] Shapes) DenseSpec(GraphNode node)
    {
        var types = KernelHelpers.TypeListAttr(node, "Tdense").Select(t => DTypes.IsSupported(t) ? (DType)(int)t
            : throw new KernelNotFoundException(node.Name, node.Op, $"no kernel for dense dtype {GraphImporter.DTypeName(t)}")).ToArray();
        var shapes = KernelHelpers.ShapeListAttr(node, "dense_shapes").Select(TensorShape.FromProto).ToArray();
        if (shapes.Length != types.Length) throw new GraphException(node.Name, node.Op, "Tdense and dense_shapes differ in length");
        foreach (var s in shapes)
            if (!s.IsFullyDefined) throw new KernelNotFoundException(node.Name, node.Op, $"variable-length dense feature shape {s} is not supported yet");
        return (types, shapes);
    }

    private static void Parse(KernelContext c, Tensor serialized, string[] keys, Tensor[] defaults, (DType[] Types, TensorShape[] Shapes) spec, int firstOutput)
    {
        if (keys.Length != spec.Types.Length) throw c.Error($"{keys.Length} dense keys for {spec.Types.Length} dense types");
        long batch = serialized.ElementCount;
        var outputs = new Tensor[keys.Length];
        for (int k = 0; k < keys.Length; k++)
            outputs[k] = Tensor.Zeros(spec.Types[k], new TensorShape([.. serialized.Shape.Dims, .. spec.Shapes[k].Dims]));

        for (long b = 0; b < batch; b++)
        {
            Example example;
            try { example = Example.Parser.ParseFrom(serialized.Strings[(int)b]); }
            catch (InvalidProtocolBufferException e) { throw c.Error($"serialized[{b}] is not a valid tf.Example: {e.Message}"); }
            for (int k = 0; k < keys.Length; k++)
            {
                long size = spec.Shapes[k].ElementCount;
                Tensor output = outputs[k];
                if (example.Features?.Feature.TryGetValue(keys[k], out var feature) != true)
                {
                    if (defaults[k].ElementCount == 0) throw c.Error($"feature '{keys[k]}' is required but missing from serialized[{b}]");
                    if (defaults[k].ElementCount != size && defaults[k].ElementCount != 1) throw c.Error($"default of '{keys[k]}' has {defaults[k].ElementCount} values, the shape needs {size}");
                    for (long i = 0; i < size; i++) ElementCopy.Copy(defaults[k], defaults[k].ElementCount == 1 ? 0 : i, output, b * size + i, 1);
                    continue;
                }
                Fill(c, feature!, keys[k], b, size, output);
            }
        }
        for (int k = 0; k < outputs.Length; k++) c.SetOutput(firstOutput + k, outputs[k]);
    }

    private static void Fill(KernelContext c, Feature feature, string key, long b, long size, Tensor output)
    {
        int count = feature.KindCase switch
        {
            Feature.KindOneofCase.FloatList => feature.FloatList.Value.Count,
            Feature.KindOneofCase.Int64List => feature.Int64List.Value.Count,
            Feature.KindOneofCase.BytesList => feature.BytesList.Value.Count,
            _ => 0,
        };
        if (count != size) throw c.Error($"feature '{key}' of serialized[{b}] has {count} values; its dense shape needs {size}");
        switch (output.DType, feature.KindCase)
        {
            case (DType.Float32, Feature.KindOneofCase.FloatList):
                feature.FloatList.Value.ToArray().CopyTo(output.AsSpan<float>().Slice((int)(b * size), (int)size));
                break;
            case (DType.Int64, Feature.KindOneofCase.Int64List):
                feature.Int64List.Value.ToArray().CopyTo(output.AsSpan<long>().Slice((int)(b * size), (int)size));
                break;
            case (DType.String, Feature.KindOneofCase.BytesList):
                for (int i = 0; i < size; i++) output.RawStrings![b * size + i] = feature.BytesList.Value[i].ToByteArray();
                break;
            default:
                throw c.Error($"feature '{key}' holds a {feature.KindCase} but the graph reads it as {output.DType.Name()}");
        }
    }
}
