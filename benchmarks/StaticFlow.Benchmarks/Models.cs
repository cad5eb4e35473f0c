using Google.Protobuf;
using StaticFlow.Benchmarks.Onnx;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>
/// The same dense network as a StaticFlow graph and as an ONNX model (identical weights), so both runtimes
/// compute exactly the same thing: x · W1 + b1 → Relu → ... → x · Wn + bn.
/// </summary>
internal sealed class DenseModels
{
    public DenseModels(int[] widths, bool biasAndRelu, int seed = 1)
    {
        var random = new Random(seed);
        var graph = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        var onnx = new GraphProto { Name = "dense" };
        graph.Node.Add(new NodeDef { Name = "x", Op = "Placeholder", Attr = { ["dtype"] = new AttrValue { Type = DataType.DtFloat } } });
        onnx.Input.Add(Value("x", -1, widths[0]));
        string current = "x";
        for (int layer = 0; layer + 1 < widths.Length; layer++)
        {
            int inputs = widths[layer], outputs = widths[layer + 1];
            float scale = MathF.Sqrt(2f / inputs);
            float[] w = [.. Enumerable.Range(0, inputs * outputs).Select(_ => (random.NextSingle() * 2 - 1) * scale)];
            float[] b = [.. Enumerable.Range(0, outputs).Select(_ => random.NextSingle() * 0.1f)];
            string wName = $"w{layer}", bName = $"b{layer}", mm = $"matmul{layer}";
            graph.Node.Add(Const(wName, Tensor.FromArray<float>(w, inputs, outputs)));
            graph.Node.Add(Op(mm, "MatMul", current, wName));
            onnx.Initializer.Add(Initializer(wName, w, inputs, outputs));
            onnx.Node.Add(new NodeProto { Name = mm, OpType = "MatMul", Input = { current, wName }, Output = { mm } });
            current = mm;
            if (!biasAndRelu) continue;
            string add = $"bias{layer}";
            graph.Node.Add(Const(bName, Tensor.FromArray<float>(b, outputs)));
            graph.Node.Add(Op(add, "BiasAdd", current, bName));
            onnx.Initializer.Add(Initializer(bName, b, outputs));
            onnx.Node.Add(new NodeProto { Name = add, OpType = "Add", Input = { current, bName }, Output = { add } });
            current = add;
            if (layer + 2 < widths.Length)
            {
                string relu = $"relu{layer}";
                graph.Node.Add(new NodeDef { Name = relu, Op = "Relu", Input = { current }, Attr = { ["T"] = new AttrValue { Type = DataType.DtFloat } } });
                onnx.Node.Add(new NodeProto { Name = relu, OpType = "Relu", Input = { current }, Output = { relu } });
                current = relu;
            }
        }
        onnx.Output.Add(Value(current, -1, widths[^1]));
        OutputName = current;
        Session = new GraphSession(GraphImporter.Import(graph));
        OnnxModel = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "StaticFlow.Benchmarks",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } },
            Graph = onnx,
        }.ToByteArray();
    }

    public GraphSession Session { get; }

    public byte[] OnnxModel { get; }

    public string OutputName { get; }

    private static NodeDef Const(string name, Tensor value) => new()
    {
        Name = name,
        Op = "Const",
        Attr = { ["dtype"] = new AttrValue { Type = DataType.DtFloat }, ["value"] = new AttrValue { Tensor = value.ToProto() } },
    };

    private static NodeDef Op(string name, string op, string a, string b) => new()
    {
        Name = name,
        Op = op,
        Input = { a, b },
        Attr = { ["T"] = new AttrValue { Type = DataType.DtFloat } },
    };

    private static Onnx.TensorProto Initializer(string name, float[] values, params long[] dims)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new Onnx.TensorProto { Name = name, DataType = 1, Dims = { dims }, RawData = ByteString.CopyFrom(bytes) };
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new Onnx.TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new Onnx.TensorShapeProto.Types.Dimension { DimParam = "batch" } : new Onnx.TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
