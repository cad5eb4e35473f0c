using Google.Protobuf;
using StaticFlow.Benchmarks.Onnx;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>
/// One network built twice with identical weights: as a StaticFlow graph (NHWC, TensorFlow's ops) and as an
/// ONNX model (ONNX's ops, NCHW convolutions between two transposes), so both runtimes compute the same function
/// of the same NHWC input.
/// </summary>
internal sealed class ModelPair
{
    private ModelPair(GraphDef graph, GraphProto onnx, string output, long[] inputShape)
    {
        OutputName = output;
        InputShape = inputShape;
        Graph = graph;
        Session = new GraphSession(GraphImporter.Import(graph));
        OnnxModel = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "StaticFlow.Benchmarks",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } },
            Graph = onnx,
        }.ToByteArray();
    }

    /// <summary>The StaticFlow graph (weights as constants).</summary>
    public GraphDef Graph { get; }

    /// <summary>The StaticFlow session over the graph.</summary>
    public GraphSession Session { get; }

    /// <summary>The serialized ONNX model.</summary>
    public byte[] OnnxModel { get; }

    /// <summary>The input's name in both models.</summary>
    public string InputName => "x";

    /// <summary>The output's name in both models.</summary>
    public string OutputName { get; }

    /// <summary>The input's dimensions after the batch.</summary>
    public long[] InputShape { get; }

    /// <summary>x · W1 + b1 → Relu → ... → x · Wn + bn (→ Softmax); without <paramref name="biasAndRelu"/>, a chain of bare products.</summary>
    public static ModelPair Dense(int[] widths, bool biasAndRelu, bool softmax = false, int seed = 1)
    {
        var b = new Builder(seed, widths[0]);
        string current = b.Input;
        for (int layer = 0; layer + 1 < widths.Length; layer++)
            current = b.Dense(current, widths[layer], widths[layer + 1], layer, bias: biasAndRelu, relu: biasAndRelu && layer + 2 < widths.Length);
        if (softmax) current = b.Softmax(current);
        return b.Finish(current, widths[^1]);
    }

    /// <summary>
    /// The small CNN of the speed issue on a 28×28×1 input: Conv 3×3×32 + Relu → MaxPool 2 → Conv 3×3×64 + Relu →
    /// MaxPool 2 → Flatten (1600) → Dense 128 + Relu → Dense 10.
    /// </summary>
    public static ModelPair Cnn(int seed = 1)
    {
        var b = new Builder(seed, 28, 28, 1);
        string current = b.ToChannelsFirst(b.Input);
        current = b.MaxPool(b.Conv(current, 1, 32, 0), 0);
        current = b.MaxPool(b.Conv(current, 32, 64, 1), 1);
        current = b.Flatten(b.ToChannelsLast(current), 5 * 5 * 64);
        current = b.Dense(current, 1600, 128, 2, bias: true, relu: true);
        current = b.Dense(current, 128, 10, 3, bias: true, relu: false);
        return b.Finish(current, 10);
    }

    /// <summary>Adds each layer to both graphs. Tensor names are shared where both have the tensor.</summary>
    private sealed class Builder
    {
        private readonly Random _random;
        private readonly GraphDef _graph = new() { Versions = new VersionDef { Producer = 27 } };
        private readonly GraphProto _onnx = new() { Name = "model" };
        private readonly long[] _inputShape;
        // The name of each TensorFlow tensor's counterpart in the ONNX graph, where the layouts differ.
        private readonly Dictionary<string, string> _onnxName = [];

        public Builder(int seed, params long[] inputShape)
        {
            _random = new Random(seed);
            _inputShape = inputShape;
            _graph.Node.Add(new NodeDef { Name = Input, Op = "Placeholder", Attr = { ["dtype"] = Float } });
            _onnx.Input.Add(Value(Input, [-1, .. inputShape]));
        }

        public string Input => "x";

        private static AttrValue Float => new() { Type = DataType.DtFloat };

        private string Onnx(string name) => _onnxName.GetValueOrDefault(name, name);

        private float[] Uniform(int count, float scale) => [.. Enumerable.Range(0, count).Select(_ => (_random.NextSingle() * 2 - 1) * scale)];

        public string Dense(string input, int inputs, int outputs, int layer, bool bias, bool relu)
        {
            float[] w = Uniform(inputs * outputs, MathF.Sqrt(2f / inputs));
            string wName = $"w{layer}", mm = $"matmul{layer}";
            Const(wName, Tensor.FromArray<float>(w, inputs, outputs));
            _graph.Node.Add(Op(mm, "MatMul", input, wName));
            _onnx.Initializer.Add(Initializer(wName, w, inputs, outputs));
            _onnx.Node.Add(new NodeProto { Name = mm, OpType = "MatMul", Input = { Onnx(input), wName }, Output = { mm } });
            string current = mm;
            if (bias)
            {
                float[] b = Uniform(outputs, 0.1f);
                string bName = $"b{layer}", add = $"bias{layer}";
                Const(bName, Tensor.FromArray<float>(b, outputs));
                _graph.Node.Add(Op(add, "BiasAdd", current, bName));
                _onnx.Initializer.Add(Initializer(bName, b, outputs));
                _onnx.Node.Add(new NodeProto { Name = add, OpType = "Add", Input = { current, bName }, Output = { add } });
                current = add;
            }
            return relu ? Relu(current, $"relu{layer}") : current;
        }

        /// <summary>3×3 VALID convolution + bias + Relu. The ONNX filter is the same weights in OIHW order.</summary>
        public string Conv(string input, int inChannels, int outChannels, int layer)
        {
            float[] hwio = Uniform(9 * inChannels * outChannels, MathF.Sqrt(2f / (9 * inChannels)));
            float[] oihw = new float[hwio.Length];
            for (int h = 0; h < 3; h++)
                for (int w = 0; w < 3; w++)
                    for (int i = 0; i < inChannels; i++)
                        for (int o = 0; o < outChannels; o++)
                            oihw[((o * inChannels + i) * 3 + h) * 3 + w] = hwio[((h * 3 + w) * inChannels + i) * outChannels + o];
            float[] bias = Uniform(outChannels, 0.1f);
            string filter = $"filter{layer}", bName = $"conv_bias{layer}", conv = $"conv{layer}", add = $"conv_biased{layer}";
            Const(filter, Tensor.FromArray<float>(hwio, 3, 3, inChannels, outChannels));
            Const(bName, Tensor.FromArray<float>(bias, outChannels));
            _graph.Node.Add(new NodeDef
            {
                Name = conv, Op = "Conv2D", Input = { input, filter },
                Attr = { ["T"] = Float, ["strides"] = Ints(1, 1, 1, 1), ["padding"] = new AttrValue { S = ByteString.CopyFromUtf8("VALID") } },
            });
            _graph.Node.Add(Op(add, "BiasAdd", conv, bName));
            _onnx.Initializer.Add(Initializer(filter, oihw, outChannels, inChannels, 3, 3));
            _onnx.Initializer.Add(Initializer(bName, bias, outChannels));
            _onnx.Node.Add(new NodeProto
            {
                Name = conv, OpType = "Conv", Input = { Onnx(input), filter, bName }, Output = { add },
                Attribute = { OnnxInts("kernel_shape", 3, 3), OnnxInts("strides", 1, 1), OnnxInts("pads", 0, 0, 0, 0) },
            });
            return Relu(add, $"conv_relu{layer}");
        }

        public string MaxPool(string input, int layer)
        {
            string name = $"pool{layer}";
            _graph.Node.Add(new NodeDef
            {
                Name = name, Op = "MaxPool", Input = { input },
                Attr = { ["T"] = Float, ["ksize"] = Ints(1, 2, 2, 1), ["strides"] = Ints(1, 2, 2, 1), ["padding"] = new AttrValue { S = ByteString.CopyFromUtf8("VALID") } },
            });
            _onnx.Node.Add(new NodeProto { Name = name, OpType = "MaxPool", Input = { Onnx(input) }, Output = { name }, Attribute = { OnnxInts("kernel_shape", 2, 2), OnnxInts("strides", 2, 2) } });
            return name;
        }

        /// <summary>The ONNX graph turns to NCHW here; the TensorFlow graph stays NHWC (the same name stands for both).</summary>
        public string ToChannelsFirst(string input) => Transpose(input, "to_nchw", [0, 3, 1, 2]);

        /// <summary>The ONNX graph returns to NHWC, so the flattened features come in TensorFlow's order.</summary>
        public string ToChannelsLast(string input) => Transpose(input, "to_nhwc", [0, 2, 3, 1]);

        private string Transpose(string input, string name, long[] perm)
        {
            _onnx.Node.Add(new NodeProto { Name = name, OpType = "Transpose", Input = { Onnx(input) }, Output = { name }, Attribute = { OnnxInts("perm", perm) } });
            _onnxName[input] = name;
            return input;
        }

        public string Flatten(string input, int features)
        {
            const string name = "flatten";
            Const("flatten_shape", Tensor.FromArray<int>([-1, features], 2));
            _graph.Node.Add(new NodeDef { Name = name, Op = "Reshape", Input = { input, "flatten_shape" }, Attr = { ["T"] = Float, ["Tshape"] = new AttrValue { Type = DataType.DtInt32 } } });
            var shape = new Onnx.TensorProto { Name = "flatten_shape", DataType = 7, Dims = { 2 }, RawData = ByteString.CopyFrom(BitConverter.GetBytes(-1L).Concat(BitConverter.GetBytes((long)features)).ToArray()) };
            _onnx.Initializer.Add(shape);
            _onnx.Node.Add(new NodeProto { Name = name, OpType = "Reshape", Input = { Onnx(input), "flatten_shape" }, Output = { name } });
            return name;
        }

        public string Softmax(string input)
        {
            const string name = "softmax";
            _graph.Node.Add(new NodeDef { Name = name, Op = "Softmax", Input = { input }, Attr = { ["T"] = Float } });
            _onnx.Node.Add(new NodeProto { Name = name, OpType = "Softmax", Input = { Onnx(input) }, Output = { name } });
            return name;
        }

        private string Relu(string input, string name)
        {
            _graph.Node.Add(new NodeDef { Name = name, Op = "Relu", Input = { input }, Attr = { ["T"] = Float } });
            _onnx.Node.Add(new NodeProto { Name = name, OpType = "Relu", Input = { Onnx(input) }, Output = { name } });
            return name;
        }

        public ModelPair Finish(string output, int width)
        {
            _onnx.Output.Add(Value(output, -1, width));
            return new ModelPair(_graph, _onnx, output, _inputShape);
        }

        private void Const(string name, Tensor value) => _graph.Node.Add(new NodeDef
        {
            Name = name,
            Op = "Const",
            Attr = { ["dtype"] = new AttrValue { Type = value.DType.ToProto() }, ["value"] = new AttrValue { Tensor = value.ToProto() } },
        });

        private static NodeDef Op(string name, string op, string a, string b) => new()
        {
            Name = name,
            Op = op,
            Input = { a, b },
            Attr = { ["T"] = Float },
        };

        private static AttrValue Ints(params long[] values) => new() { List = new AttrValue.Types.ListValue { I = { values } } };

        private static AttributeProto OnnxInts(string name, params long[] values) => new() { Name = name, Type = 7, Ints = { values } };

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
}
