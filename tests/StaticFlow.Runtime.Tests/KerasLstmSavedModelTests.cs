using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// A SavedModel laid out as TensorFlow 2.x writes Keras' <c>Sequential([LSTM(32), Dense(1)])</c>: the serving
/// signature calls the model function through <c>StatefulPartitionedCall</c>; the LSTM layer calls Keras'
/// <c>standard_lstm</c>, a <c>While</c> loop that reads time steps from a TensorList (<c>TensorArray.unstack</c>) and
/// writes each output into another (<c>TensorListReserve</c>, <c>TensorListSetItem</c>, <c>TensorListStack</c>). The
/// library also holds what the runtime never runs: the CuDNN implementation of the same <c>api_implements</c>
/// interface and a backward function (<c>StridedSliceGrad</c>, <c>TensorListPopBack</c>, <c>CudnnRNNBackpropV3</c>).
/// No Python TensorFlow is at hand, so the file is written here with the project's exporter, node for node as
/// Keras names them, and its output is checked against an LSTM computed in double precision from the weights in
/// its checkpoint.
/// </summary>
public sealed class KerasLstmSavedModelTests : IDisposable
{
    private const int Batch = 3, Steps = 5, Features = 4, Units = 32;
    private const string Interface = "lstm_0b1e4c52-6f1d-4a6c-9d4f-1f8a3b7c2e10";
    private readonly string _root = Directory.CreateTempSubdirectory("staticflow-keras-lstm-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheModelLoadsAndMatchesAnLstmComputedFromItsCheckpoint(bool savedOnGpu)
    {
        var random = new Random(11);
        Tensor Uniform(params long[] dims)
        {
            long count = dims.Aggregate(1L, (a, b) => a * b);
            return Tensor.FromArray<float>([.. Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() - 0.5))], dims);
        }
        var weights = new Dictionary<string, Tensor>
        {
            ["lstm/lstm_cell/kernel"] = Uniform(Features, 4 * Units),
            ["lstm/lstm_cell/recurrent_kernel"] = Uniform(Units, 4 * Units),
            ["lstm/lstm_cell/bias"] = Uniform(4 * Units),
            ["dense/kernel"] = Uniform(Units, 1),
            ["dense/bias"] = Uniform(1),
        };
        string directory = Path.Combine(_root, savedOnGpu ? "gpu" : "cpu");
        SavedModelExporter.Export(directory, KerasLstmGraph(savedOnGpu), weights,
            [new SignatureSpec("serving_default",
                [new TensorSpec("lstm_input", "serving_default_lstm_input:0", DataType.DtFloat, new TensorShape(-1, Steps, Features))],
                [new TensorSpec("dense", "StatefulPartitionedCall:0", DataType.DtFloat, new TensorShape(-1, 1))])]);

        var bundle = SavedModelBundle.Load(directory);
        Tensor input = Uniform(Batch, Steps, Features);
        Tensor output = bundle.GetSignature().Run(new Dictionary<string, Tensor> { ["lstm_input"] = input })["dense"];

        Assert.Equal(new TensorShape(Batch, 1), output.Shape);
        double[] expected = Reference(input, weights);
        float[] actual = output.ToArray<float>();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5);
        // The implementation selector ran the CPU function; the CuDNN one and the backward function were never built.
        Assert.Equal("__inference_standard_lstm_1500", bundle.Graph.Library.ImplementationFor("__inference_gpu_lstm_with_fallback_1700"));
    }

    /// <summary>Keras' LSTM cell in double precision: gates i, f, c, o in that order, sigmoid and tanh.</summary>
    private static double[] Reference(Tensor input, Dictionary<string, Tensor> weights)
    {
        float[] x = input.ToArray<float>(), kernel = weights["lstm/lstm_cell/kernel"].ToArray<float>();
        float[] recurrent = weights["lstm/lstm_cell/recurrent_kernel"].ToArray<float>(), bias = weights["lstm/lstm_cell/bias"].ToArray<float>();
        float[] denseKernel = weights["dense/kernel"].ToArray<float>(), denseBias = weights["dense/bias"].ToArray<float>();
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        var result = new double[Batch];
        for (int b = 0; b < Batch; b++)
        {
            var h = new double[Units];
            var c = new double[Units];
            for (int t = 0; t < Steps; t++)
            {
                var z = new double[4 * Units];
                for (int j = 0; j < 4 * Units; j++)
                {
                    double sum = bias[j];
                    for (int f = 0; f < Features; f++) sum += x[(b * Steps + t) * Features + f] * kernel[f * 4 * Units + j];
                    for (int u = 0; u < Units; u++) sum += h[u] * recurrent[u * 4 * Units + j];
                    z[j] = sum;
                }
                for (int u = 0; u < Units; u++)
                {
                    double i = Sigmoid(z[u]), f = Sigmoid(z[Units + u]), g = Math.Tanh(z[2 * Units + u]), o = Sigmoid(z[3 * Units + u]);
                    c[u] = f * c[u] + i * g;
                    h[u] = o * Math.Tanh(c[u]);
                }
            }
            result[b] = denseBias[0] + Enumerable.Range(0, Units).Sum(u => h[u] * denseKernel[u]);
        }
        return result;
    }

    private static readonly (string, AttrValue) F32 = ("T", Type(DType.Float32));
    private static readonly (string, AttrValue) I32 = ("T", Type(DType.Int32));
    private static readonly (string, AttrValue) ListOfFloat = ("element_dtype", Type(DType.Float32));

    private static GraphDef KerasLstmGraph(bool savedOnGpu)
    {
        string[] variables = ["lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias", "dense/kernel", "dense/bias"];
        long[][] shapes = [[Features, 4 * Units], [Units, 4 * Units], [4 * Units], [Units, 1], [1]];
        var graph = Graph(Node("serving_default_lstm_input", "Placeholder", null, ("dtype", Type(DType.Float32)), ("shape", Shape(-1, Steps, Features))));
        for (int i = 0; i < variables.Length; i++)
            graph.Node.Add(Node(variables[i], "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", Shape(shapes[i])),
                ("shared_name", Str(variables[i])), ("container", Str(""))));
        DataType[] resources = [.. variables.Select(_ => DataType.DtResource)];
        graph.Node.Add(Node("StatefulPartitionedCall", "StatefulPartitionedCall", ["serving_default_lstm_input", .. variables],
            ("Tin", TypeList([DataType.DtFloat, .. resources])), ("Tout", TypeList([DataType.DtFloat])), ("f", Func("__inference_signature_wrapper_2010")),
            ("_read_only_resource_inputs", Ints(1, 2, 3, 4, 5)), ("config_proto", Str("")), ("executor_type", Str(""))));
        graph.Library = new FunctionDefLibrary
        {
            Function =
            {
                SignatureWrapper(resources), WrappedModel(resources, savedOnGpu ? "__inference_gpu_lstm_with_fallback_1700" : "__inference_standard_lstm_1500"),
                StandardLstm(), CudnnLstm(), WhileCond(), WhileBody(), BackwardFunction(),
            },
        };
        return graph;
    }

    private static FunctionDef SignatureWrapper(DataType[] resources) => Function("__inference_signature_wrapper_2010",
        [("lstm_input", DataType.DtFloat), .. resources.Select((r, i) => ($"unknown{(i == 0 ? "" : "_" + (i - 1))}", r))],
        [("identity", DataType.DtFloat)],
        new() { ["identity"] = "Identity:output:0" },
        Node("StatefulPartitionedCall", "StatefulPartitionedCall", ["lstm_input", "unknown", "unknown_0", "unknown_1", "unknown_2", "unknown_3"],
            ("Tin", TypeList([DataType.DtFloat, .. resources])), ("Tout", TypeList([DataType.DtFloat])), ("f", Func("__inference__wrapped_model_1900"))),
        Node("Identity", "Identity", ["StatefulPartitionedCall:output:0"], F32));

    private static FunctionDef WrappedModel(DataType[] resources, string lstmFunction) => Function("__inference__wrapped_model_1900",
        [("lstm_input", DataType.DtFloat), .. new[] { "lstm_kernel", "lstm_recurrent_kernel", "lstm_bias", "dense_kernel", "dense_bias" }.Select(n => (n, DataType.DtResource))],
        [("identity", DataType.DtFloat)],
        new() { ["identity"] = "sequential/dense/BiasAdd:output:0" },
        Node("sequential/lstm/Shape", "Shape", ["lstm_input"], F32, ("out_type", Type(DType.Int32))),
        Const("sequential/lstm/strided_slice/stack", Tensor.Vector(0)),
        Const("sequential/lstm/strided_slice/stack_1", Tensor.Vector(1)),
        Const("sequential/lstm/strided_slice/stack_2", Tensor.Vector(1)),
        Node("sequential/lstm/strided_slice", "StridedSlice", ["sequential/lstm/Shape:output:0", "sequential/lstm/strided_slice/stack:output:0",
            "sequential/lstm/strided_slice/stack_1:output:0", "sequential/lstm/strided_slice/stack_2:output:0"], I32, ("Index", Type(DType.Int32)), ("shrink_axis_mask", Int(1))),
        Const("sequential/lstm/zeros/packed/1", Tensor.Scalar(Units)),
        Node("sequential/lstm/zeros/packed", "Pack", ["sequential/lstm/strided_slice:output:0", "sequential/lstm/zeros/packed/1:output:0"], I32, ("N", Int(2))),
        Const("sequential/lstm/zeros/Const", Tensor.Scalar(0f)),
        Node("sequential/lstm/zeros", "Fill", ["sequential/lstm/zeros/packed:output:0", "sequential/lstm/zeros/Const:output:0"], F32, ("index_type", Type(DType.Int32))),
        Node("sequential/lstm/zeros_1", "Fill", ["sequential/lstm/zeros/packed:output:0", "sequential/lstm/zeros/Const:output:0"], F32, ("index_type", Type(DType.Int32))),
        Node("sequential/lstm/ReadVariableOp", "ReadVariableOp", ["lstm_kernel"], ("dtype", Type(DType.Float32))),
        Node("sequential/lstm/ReadVariableOp_1", "ReadVariableOp", ["lstm_recurrent_kernel"], ("dtype", Type(DType.Float32))),
        Node("sequential/lstm/ReadVariableOp_2", "ReadVariableOp", ["lstm_bias"], ("dtype", Type(DType.Float32))),
        Node("sequential/lstm/PartitionedCall", "PartitionedCall", ["lstm_input", "sequential/lstm/zeros:output:0", "sequential/lstm/zeros_1:output:0",
            "sequential/lstm/ReadVariableOp:value:0", "sequential/lstm/ReadVariableOp_1:value:0", "sequential/lstm/ReadVariableOp_2:value:0"],
            ("Tin", TypeList([.. Enumerable.Repeat(DataType.DtFloat, 6)])), ("Tout", TypeList([.. Enumerable.Repeat(DataType.DtFloat, 5)])), ("f", Func(lstmFunction))),
        Node("sequential/dense/MatMul/ReadVariableOp", "ReadVariableOp", ["dense_kernel"], ("dtype", Type(DType.Float32))),
        Node("sequential/dense/MatMul", "MatMul", ["sequential/lstm/PartitionedCall:output:0", "sequential/dense/MatMul/ReadVariableOp:value:0"], F32),
        Node("sequential/dense/BiasAdd/ReadVariableOp", "ReadVariableOp", ["dense_bias"], ("dtype", Type(DType.Float32))),
        Node("sequential/dense/BiasAdd", "BiasAdd", ["sequential/dense/MatMul:product:0", "sequential/dense/BiasAdd/ReadVariableOp:value:0"], F32));

    private static readonly (string, DataType)[] LstmInputs =
        [("inputs", DataType.DtFloat), ("init_h", DataType.DtFloat), ("init_c", DataType.DtFloat), ("kernel", DataType.DtFloat), ("recurrent_kernel", DataType.DtFloat), ("bias", DataType.DtFloat)];

    private static readonly (string, DataType)[] LstmOutputs =
        [("identity", DataType.DtFloat), ("identity_1", DataType.DtFloat), ("identity_2", DataType.DtFloat), ("identity_3", DataType.DtFloat), ("identity_4", DataType.DtFloat)];

    private static FunctionDef Implements(FunctionDef function, string device)
    {
        function.Attr["api_implements"] = Str(Interface);
        function.Attr["api_preferred_device"] = Str(device);
        function.Attr["time_major"] = Bool(false);
        function.Attr["go_backwards"] = Bool(false);
        return function;
    }

    // While loop variables, in the order TensorFlow's while_v2 gives them: loop counter, maximum iterations, then
    // the loop's own (time, output list, h, c), then what the body captures (the step count, the input list, weights).
    private static readonly DataType[] LoopTypes =
        [DataType.DtInt32, DataType.DtInt32, DataType.DtInt32, DataType.DtVariant, DataType.DtFloat, DataType.DtFloat,
         DataType.DtInt32, DataType.DtVariant, DataType.DtFloat, DataType.DtFloat, DataType.DtFloat];

    private static readonly string[] LoopNames =
        ["while_loop_counter", "while_maximum_iterations", "placeholder", "placeholder_1", "placeholder_2", "placeholder_3",
         "strided_slice_0", "tensorarrayunstack_tensorlistfromtensor_0", "matmul_kernel_0", "matmul_1_recurrent_kernel_0", "biasadd_bias_0"];

    private static FunctionDef StandardLstm() => Implements(Function("__inference_standard_lstm_1500", LstmInputs, LstmOutputs,
        new()
        {
            ["identity"] = "strided_slice_2:output:0", ["identity_1"] = "transpose_1:y:0", ["identity_2"] = "while:output:4",
            ["identity_3"] = "while:output:5", ["identity_4"] = "runtime:output:0",
        },
        Const("transpose/perm", Tensor.Vector(1, 0, 2)),
        Node("transpose", "Transpose", ["inputs", "transpose/perm:output:0"], F32, ("Tperm", Type(DType.Int32))),
        Node("Shape", "Shape", ["transpose:y:0"], F32, ("out_type", Type(DType.Int32))),
        Const("strided_slice/stack", Tensor.Vector(0)), Const("strided_slice/stack_1", Tensor.Vector(1)), Const("strided_slice/stack_2", Tensor.Vector(1)),
        Node("strided_slice", "StridedSlice", ["Shape:output:0", "strided_slice/stack:output:0", "strided_slice/stack_1:output:0", "strided_slice/stack_2:output:0"],
            I32, ("Index", Type(DType.Int32)), ("shrink_axis_mask", Int(1))),
        Const("TensorArrayV2/element_shape", Tensor.Scalar(-1)),
        Node("TensorArrayV2", "TensorListReserve", ["TensorArrayV2/element_shape:output:0", "strided_slice:output:0"], ListOfFloat, ("shape_type", Type(DType.Int32))),
        Const("TensorArrayUnstack/TensorListFromTensor/element_shape", Tensor.Vector(-1, Features)),
        Node("TensorArrayUnstack/TensorListFromTensor", "TensorListFromTensor", ["transpose:y:0", "TensorArrayUnstack/TensorListFromTensor/element_shape:output:0"],
            ListOfFloat, ("shape_type", Type(DType.Int32))),
        Const("time", Tensor.Scalar(0)),
        Const("while/maximum_iterations", Tensor.Scalar(-1)),
        Const("while/loop_counter", Tensor.Scalar(0)),
        Node("while", "While", ["while/loop_counter:output:0", "while/maximum_iterations:output:0", "time:output:0", "TensorArrayV2:handle:0",
            "init_h", "init_c", "strided_slice:output:0", "TensorArrayUnstack/TensorListFromTensor:output_handle:0", "kernel", "recurrent_kernel", "bias"],
            ("T", TypeList(LoopTypes)), ("cond", Func("while_cond_1550")), ("body", Func("while_body_1551")), ("parallel_iterations", Int(32)),
            ("_num_original_outputs", Int(11)), ("_lower_using_switch_merge", Bool(true))),
        Const("TensorArrayV2Stack/TensorListStack/element_shape", Tensor.Vector(-1, Units)),
        Node("TensorArrayV2Stack/TensorListStack", "TensorListStack", ["while:output:3", "TensorArrayV2Stack/TensorListStack/element_shape:output:0"],
            ListOfFloat, ("num_elements", Int(Steps))),
        Const("strided_slice_2/stack", Tensor.Vector(-1)), Const("strided_slice_2/stack_1", Tensor.Vector(0)), Const("strided_slice_2/stack_2", Tensor.Vector(1)),
        Node("strided_slice_2", "StridedSlice", ["TensorArrayV2Stack/TensorListStack:tensor:0", "strided_slice_2/stack:output:0", "strided_slice_2/stack_1:output:0",
            "strided_slice_2/stack_2:output:0"], F32, ("Index", Type(DType.Int32)), ("shrink_axis_mask", Int(1))),
        Const("transpose_1/perm", Tensor.Vector(1, 0, 2)),
        Node("transpose_1", "Transpose", ["TensorArrayV2Stack/TensorListStack:tensor:0", "transpose_1/perm:output:0"], F32, ("Tperm", Type(DType.Int32))),
        Const("runtime", Tensor.Scalar(1f))), "CPU");

    private static FunctionDef CudnnLstm() => Implements(Function("__inference_gpu_lstm_with_fallback_1700", LstmInputs, LstmOutputs,
        new() { ["identity"] = "CudnnRNNV3:output:0", ["identity_1"] = "CudnnRNNV3:output:0", ["identity_2"] = "CudnnRNNV3:output_h:0", ["identity_3"] = "CudnnRNNV3:output_c:0", ["identity_4"] = "runtime:output:0" },
        Node("CudnnRNNV3", "CudnnRNNV3", ["inputs", "init_h", "init_c", "kernel"], F32, ("rnn_mode", Str("lstm"))),
        Const("runtime", Tensor.Scalar(2f))), "GPU");

    private static (string, DataType)[] LoopArgs() => [.. LoopNames.Zip(LoopTypes, (n, t) => (n, t))];

    private static FunctionDef WhileCond() => Function("while_cond_1550", LoopArgs(), [("identity", DataType.DtBool)],
        new() { ["identity"] = "LogicalAnd:z:0" },
        Node("Less", "Less", ["placeholder", "strided_slice_0"], I32),
        Node("Less_1", "Less", ["while_loop_counter", "while_maximum_iterations"], I32),
        // maximum_iterations -1 means no bound, as while_v2 writes it when the loop has none.
        Const("unbounded", Tensor.Scalar(-1)),
        Node("NoBound", "Equal", ["while_maximum_iterations", "unbounded:output:0"], I32),
        Node("UnderBound", "LogicalOr", ["Less_1:z:0", "NoBound:z:0"]),
        Node("LogicalAnd", "LogicalAnd", ["Less:z:0", "UnderBound:z:0"]));

    private static FunctionDef WhileBody()
    {
        (string, DataType)[] outputs = [.. LoopNames.Zip(LoopTypes, (n, t) => ($"identity{(n == LoopNames[0] ? "" : "_" + Array.IndexOf(LoopNames, n))}", t))];
        var returns = new Dictionary<string, string>
        {
            [outputs[0].Item1] = "add_1:z:0", [outputs[1].Item1] = "while_maximum_iterations", [outputs[2].Item1] = "add:z:0",
            [outputs[3].Item1] = "TensorArrayV2Write/TensorListSetItem:output_handle:0", [outputs[4].Item1] = "mul_2:z:0", [outputs[5].Item1] = "add_3:z:0",
            [outputs[6].Item1] = "strided_slice_0", [outputs[7].Item1] = "tensorarrayunstack_tensorlistfromtensor_0",
            [outputs[8].Item1] = "matmul_kernel_0", [outputs[9].Item1] = "matmul_1_recurrent_kernel_0", [outputs[10].Item1] = "biasadd_bias_0",
        };
        return Function("while_body_1551", LoopArgs(), outputs, returns,
            Const("TensorArrayV2Read/TensorListGetItem/element_shape", Tensor.Vector(-1, Features)),
            Node("TensorArrayV2Read/TensorListGetItem", "TensorListGetItem", ["tensorarrayunstack_tensorlistfromtensor_0", "placeholder",
                "TensorArrayV2Read/TensorListGetItem/element_shape:output:0"], ListOfFloat),
            Node("MatMul", "MatMul", ["TensorArrayV2Read/TensorListGetItem:item:0", "matmul_kernel_0"], F32),
            Node("MatMul_1", "MatMul", ["placeholder_2", "matmul_1_recurrent_kernel_0"], F32),
            Node("add_2", "AddV2", ["MatMul:product:0", "MatMul_1:product:0"], F32),
            Node("BiasAdd", "BiasAdd", ["add_2:z:0", "biasadd_bias_0"], F32),
            Const("split/split_dim", Tensor.Scalar(1)),
            Node("split", "Split", ["split/split_dim:output:0", "BiasAdd:output:0"], F32, ("num_split", Int(4))),
            Node("Sigmoid", "Sigmoid", ["split:output:0"], F32),
            Node("Sigmoid_1", "Sigmoid", ["split:output:1"], F32),
            Node("mul", "Mul", ["Sigmoid_1:y:0", "placeholder_3"], F32),
            Node("Tanh", "Tanh", ["split:output:2"], F32),
            Node("mul_1", "Mul", ["Sigmoid:y:0", "Tanh:y:0"], F32),
            Node("add_3", "AddV2", ["mul:z:0", "mul_1:z:0"], F32),
            Node("Sigmoid_2", "Sigmoid", ["split:output:3"], F32),
            Node("Tanh_1", "Tanh", ["add_3:z:0"], F32),
            Node("mul_2", "Mul", ["Sigmoid_2:y:0", "Tanh_1:y:0"], F32),
            Node("TensorArrayV2Write/TensorListSetItem", "TensorListSetItem", ["placeholder_1", "placeholder", "mul_2:z:0"], ListOfFloat),
            Const("add/y", Tensor.Scalar(1)),
            Node("add", "AddV2", ["placeholder", "add/y:output:0"], I32),
            Const("add_1/y", Tensor.Scalar(1)),
            Node("add_1", "AddV2", ["while_loop_counter", "add_1/y:output:0"], I32));
    }

    // Keras saves the gradient of each traced function; serving never reaches it.
    private static FunctionDef BackwardFunction() => Function("__inference___backward_standard_lstm_1500_1600",
        [("gradients_grad_ys_0", DataType.DtFloat), ("gradients_strided_slice_2_grad_shape", DataType.DtInt32), ("accumulator", DataType.DtVariant)],
        [("grad", DataType.DtFloat)],
        new() { ["grad"] = "gradients/CudnnRNNBackpropV3:input_backprop:0" },
        Const("begin", Tensor.Vector(-1)), Const("end", Tensor.Vector(0)), Const("strides", Tensor.Vector(1)),
        Node("gradients/strided_slice_2_grad/StridedSliceGrad", "StridedSliceGrad", ["gradients_strided_slice_2_grad_shape", "begin:output:0", "end:output:0",
            "strides:output:0", "gradients_grad_ys_0"], F32, ("Index", Type(DType.Int32)), ("shrink_axis_mask", Int(1))),
        Const("element_shape", Tensor.Scalar(-1)),
        Node("gradients/TensorListPopBack", "TensorListPopBack", ["accumulator", "element_shape:output:0"], ListOfFloat),
        Node("gradients/CudnnRNNBackpropV3", "CudnnRNNBackpropV3", ["gradients/strided_slice_2_grad/StridedSliceGrad:output:0", "gradients/TensorListPopBack:tensor:0"], F32));
}
