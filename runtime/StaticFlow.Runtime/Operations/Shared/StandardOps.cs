// Shared source: compiled into the runtime and, as a linked file, into the generator and analyzers, so the
// graphs they build and the kernels that run them agree on every op's name, arguments, attrs and defaults.
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>
/// The ops StaticFlow implements, each defined once: its signature, written as TensorFlow registers them (same argument names,
/// attrs and defaults, so graphs move between the two unchanged), its shape function, whether its kernel only reads its inputs, whether it is differentiable, and what writes it when graph functions have no <c>Ops</c> method for it. Kernels are registered by (op, dtype, device) in <c>StaticFlow.Kernels</c>; a conformance test holds the two together. An attr marked <c>@tf2</c> was added in a
/// TensorFlow 2.x release; exports leave it out while it holds its default, so older TensorFlow binaries (which
/// reject attrs they do not know) still load the graph.
/// </summary>
internal static class StandardOps
{
    private const string Binary = "x: T, y: T";
    private const string Unary = "x: T";

    /// <summary>Every op's definition, in declaration order.</summary>
    public static List<OpSchema> Create()
    {
        var ops = new List<OpSchema>();
        OpSchema Op(string name, string inputs, string outputs, string attrs = "", bool stateful = false)
        {
            // The gradient rule is looked up by name because most ops are declared in groups below.
            var schema = OpSchema.Parse(name, inputs, outputs, attrs, stateful).WithGradient(GradientRules.Find(name));
            ops.Add(schema);
            return schema;
        }
        // An op whose kernel writes a fresh output and only reads its inputs.
        OpSchema Fresh(string name, string inputs, string outputs, string attrs, ShapeFunction shape) =>
            Op(name, inputs, outputs, attrs).WithShape(shape).OnlyReadsInputs();

        const string Saver = "the exporter's saver";
        const string Imported = "imported graphs only";

        // Sources, identities and control.
        Op("Const", "", "output: dtype", "value: tensor; dtype: type").WithShape(ShapeFunctions.FromValueAttr).NotDifferentiable().Written("constants and literals in graph functions");
        Op("Placeholder", "", "output: dtype", "dtype: type; shape: shape = unknown").WithShape(ShapeFunctions.FromShapeAttr).NotDifferentiable().Written("graph function parameters");
        Op("PlaceholderWithDefault", "input: dtype", "output: dtype", "dtype: type; shape: shape").WithShape(ShapeFunctions.PlaceholderWithDefault).Written(Imported);
        Op("Identity", "input: T", "output: T", "T: type").WithShape(ShapeFunctions.Unchanged).ViewOfInput();
        Op("IdentityN", "input: T", "output: T", "T: list(type) >= 1").WithShape(ShapeFunctions.EachUnchanged).Written("returning a tuple from a graph function");
        Op("StopGradient", "input: T", "output: T", "T: type").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("NoOp", "", "").WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written("control dependencies (init and restore ops)");
        Op("Snapshot", "input: T", "output: T", "T: type").WithShape(ShapeFunctions.Unchanged).Written(Imported);
        Op("PreventGradient", "input: T", "output: T", "T: type; message: string = \"\"").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Imported);
        Op("EnsureShape", "input: T", "output: T", "shape: shape; T: type").WithShape(ShapeFunctions.EnsureShape).Written(Imported);
        Op("CheckNumerics", "tensor: T", "output: T", "T: type; message: string").WithShape(ShapeFunctions.Unchanged).Written(Imported);
        Op("ShapeN", "input: N * T", "output: N * out_type", "N: int >= 1; T: type; out_type: type = int32").WithShape(ShapeFunctions.ShapeN).NotDifferentiable().Written(Imported).OnlyReadsInputs();
        Op("_Arg", "", "output: T", "T: type; index: int >= 0", stateful: true).WithShape(ShapeFunctions.Unknown).NotDifferentiable().Written("parameters of library functions");
        Op("_Retval", "input: T", "", "T: type; index: int >= 0", stateful: true).WithShape(ShapeFunctions.NoOutputs).Written("results of library functions");

        // Matrix products.
        Fresh("MatMul", "a: T, b: T", "product: T", "transpose_a: bool = false; transpose_b: bool = false; T: type; grad_a: bool = false @tf2; grad_b: bool = false @tf2", ShapeFunctions.MatMul).WritesOwnOutput();
        Fresh("BatchMatMulV2", "x: T, y: T", "output: T", "T: type; adj_x: bool = false; adj_y: bool = false; grad_x: bool = false @tf2; grad_y: bool = false @tf2", ShapeFunctions.BatchMatMul).WritesOwnOutput();
        Fresh("BiasAdd", "value: T, bias: T", "output: T", "T: type; data_format: string = \"NHWC\"", ShapeFunctions.BiasAdd).WritesOwnOutput();

        // Elementwise binary ops, with broadcasting.
        // Graph functions write Add, which every TensorFlow 1.x and 2.x loads; TensorFlow 2 writes AddV2.
        Fresh("AddV2", Binary, "z: T", "T: type", ShapeFunctions.Broadcast).Written(Imported).WritesOwnOutput();
        foreach (string name in new[] { "Add", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorMod", "Maximum", "Minimum", "Pow", "SquaredDifference" })
            Fresh(name, Binary, "z: T", "T: type", ShapeFunctions.Broadcast).WritesOwnOutput();
        Fresh("FloorDiv", Binary, "z: T", "T: type", ShapeFunctions.Broadcast).NotDifferentiable().WritesOwnOutput();
        Fresh("AddN", "inputs: N * T", "sum: T", "N: int >= 1; T: type", ShapeFunctions.SameAsAllInputs).WritesOwnOutput();
        foreach (string name in new[] { "Equal", "NotEqual" })
            Fresh(name, Binary, "z: bool", "T: type; incompatible_shape_error: bool = true", ShapeFunctions.Broadcast).NotDifferentiable().WritesOwnOutput();
        foreach (string name in new[] { "Less", "LessEqual", "Greater", "GreaterEqual" })
            Fresh(name, Binary, "z: bool", "T: type", ShapeFunctions.Broadcast).NotDifferentiable().WritesOwnOutput();
        Fresh("LogicalAnd", "x: bool, y: bool", "z: bool", "", ShapeFunctions.Broadcast).NotDifferentiable().WritesOwnOutput();
        Fresh("LogicalOr", "x: bool, y: bool", "z: bool", "", ShapeFunctions.Broadcast).NotDifferentiable().WritesOwnOutput();
        Fresh("LogicalNot", "x: bool", "y: bool", "", ShapeFunctions.Unchanged).NotDifferentiable();
        Op("Select", "condition: bool, t: T, e: T", "output: T", "T: type").WithShape(ShapeFunctions.SelectLegacy).Written(Imported);
        Op("SelectV2", "condition: bool, t: T, e: T", "output: T", "T: type").WithShape(ShapeFunctions.Broadcast);

        // Elementwise unary ops.
        foreach (string name in new[] { "Neg", "Abs", "Exp", "Log", "Sqrt", "Rsqrt", "Square", "Tanh", "Sigmoid", "Erf" })
            Fresh(name, Unary, "y: T", "T: type", ShapeFunctions.Unchanged).WritesOwnOutput();
        foreach (string name in new[] { "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Reciprocal", "Log1p", "Expm1" })
            Fresh(name, Unary, "y: T", "T: type", ShapeFunctions.Unchanged);
        Fresh("Inv", Unary, "y: T", "T: type", ShapeFunctions.Unchanged).Written(Imported);
        // Piecewise-constant functions: TensorFlow registers their gradients as zero or none.
        foreach (string name in new[] { "Floor", "Ceil", "Round", "Rint", "Sign" })
            Fresh(name, Unary, "y: T", "T: type", ShapeFunctions.Unchanged).NotDifferentiable();
        foreach (string name in new[] { "IsNan", "IsInf", "IsFinite" })
            Fresh(name, Unary, "y: bool", "T: type", ShapeFunctions.Unchanged).NotDifferentiable();
        Fresh("Softsign", "features: T", "activations: T", "T: type", ShapeFunctions.Unchanged);
        Fresh("Atan2", "y: T, x: T", "z: T", "T: type", ShapeFunctions.Broadcast);
        foreach (string name in new[] { "Xlogy", "Xdivy", "Mod" })
            Fresh(name, Binary, "z: T", "T: type", ShapeFunctions.Broadcast);
        Fresh("TruncateMod", Binary, "z: T", "T: type", ShapeFunctions.Broadcast).Written(Imported);
        Fresh("TruncateDiv", Binary, "z: T", "T: type", ShapeFunctions.Broadcast).NotDifferentiable().Written(Imported);
        Fresh("Erfc", Unary, "y: T", "T: type", ShapeFunctions.Unchanged);
        foreach (string name in new[] { "Erfinv", "Ndtri" })
            Fresh(name, Unary, "y: T", "T: type", ShapeFunctions.Unchanged);
        Fresh("Xlog1py", Binary, "z: T", "T: type", ShapeFunctions.Broadcast);
        Fresh("Div", Binary, "z: T", "T: type", ShapeFunctions.Broadcast).Written(Imported);
        foreach (string name in new[] { "Lgamma", "Digamma" })
            Fresh(name, Unary, "y: T", "T: type", ShapeFunctions.Unchanged);
        Fresh("Zeta", "x: T, q: T", "z: T", "T: type", ShapeFunctions.Broadcast);
        Fresh("Polygamma", "a: T, x: T", "z: T", "T: type", ShapeFunctions.Broadcast);
        foreach (string name in new[] { "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift" })
            Fresh(name, Binary, "z: T", "T: type", ShapeFunctions.Broadcast).NotDifferentiable();
        Fresh("Invert", Unary, "y: T", "T: type", ShapeFunctions.Unchanged).NotDifferentiable();

        // TensorFlow's gradient ops, which gradient graphs are made of (the gradient rules emit them).
        const string GradientGraphs = "gradients (Gradients.Of, [TrainStep]) and imported gradient graphs";
        Fresh("ReluGrad", "gradients: T, features: T", "backprops: T", "T: type", ShapeFunctions.Broadcast).Written(GradientGraphs).WritesOwnOutput();
        foreach (string name in new[] { "Relu6Grad", "SoftplusGrad", "SoftsignGrad" })
            Fresh(name, "gradients: T, features: T", "backprops: T", "T: type", ShapeFunctions.Broadcast).Written(GradientGraphs);
        foreach (string name in new[] { "EluGrad", "SeluGrad" })
            Fresh(name, "gradients: T, outputs: T", "backprops: T", "T: type", ShapeFunctions.Broadcast).Written(GradientGraphs);
        Op("LeakyReluGrad", "gradients: T, features: T", "backprops: T", "alpha: float = 0.2; T: type = float").WithShape(ShapeFunctions.Broadcast).Written(GradientGraphs);
        foreach (string name in new[] { "SigmoidGrad", "TanhGrad", "RsqrtGrad", "SqrtGrad", "ReciprocalGrad", "InvGrad" })
            Fresh(name, "y: T, dy: T", "z: T", "T: type", ShapeFunctions.Broadcast).Written(GradientGraphs);
        Op("BiasAddGrad", "out_backprop: T", "output: T", "T: type; data_format: string = \"NHWC\"").WithShape(ShapeFunctions.BiasAddGrad).Written(GradientGraphs).OnlyReadsInputs().WritesOwnOutput();
        Op("BroadcastGradientArgs", "s0: T, s1: T", "r0: T, r1: T", "T: type = int32").WithShape(ShapeFunctions.TwoVectors).NotDifferentiable().Written(GradientGraphs);
        foreach (string name in new[] { "SegmentSum", "SegmentProd", "SegmentMax", "SegmentMin", "SegmentMean" })
        {
            var segment = Op(name, "data: T, segment_ids: Tindices", "output: T", "T: type; Tindices: type").WithShape(ShapeFunctions.Segments).Written(Imported);
            // TensorFlow registers no gradient for SegmentProd (math_grad.py has UnsortedSegmentProd's only).
            if (name == "SegmentProd") segment.NotDifferentiable();
        }
        foreach (string name in new[] { "UnsortedSegmentSum", "UnsortedSegmentProd", "UnsortedSegmentMax", "UnsortedSegmentMin" })
            Op(name, "data: T, segment_ids: Tindices, num_segments: Tnumsegments", "output: T", "T: type; Tindices: type; Tnumsegments: type = int32")
                .WithShape(ShapeFunctions.Segments).Written(Imported);
        Op("BroadcastArgs", "s0: T, s1: T", "r0: T", "T: type = int32").WithShape(ShapeFunctions.Unknown).NotDifferentiable().Written(Imported);
        foreach (string name in new[] { "Relu", "Relu6", "Elu", "Selu", "Softplus" })
            Fresh(name, "features: T", "activations: T", "T: type", ShapeFunctions.Unchanged).WritesOwnOutput();
        Fresh("LeakyRelu", "features: T", "activations: T", "alpha: float = 0.2; T: type = float", ShapeFunctions.Unchanged).WritesOwnOutput();
        Fresh("Softmax", "logits: T", "softmax: T", "T: type", ShapeFunctions.Unchanged).WritesOwnOutput();
        Fresh("LogSoftmax", "logits: T", "logsoftmax: T", "T: type", ShapeFunctions.Unchanged).WritesOwnOutput();
        // Cast to the same dtype hands back its input, so it is not a fresh-output kernel.
        Op("Cast", "x: SrcT", "y: DstT", "SrcT: type; DstT: type; Truncate: bool = false").WithShape(ShapeFunctions.Unchanged);

        // Reductions.
        foreach (string name in new[] { "Sum", "Mean", "Max", "Min", "Prod" })
            Op(name, "input: T, reduction_indices: Tidx", "output: T", "keep_dims: bool = false; T: type; Tidx: type = int32").WithShape(ShapeFunctions.Reduce);
        foreach (string name in new[] { "ArgMax", "ArgMin" })
            Op(name, "input: T, dimension: Tidx", "output: output_type", "T: type; Tidx: type = int32; output_type: type = int64").WithShape(ShapeFunctions.ArgReduce).NotDifferentiable();

        // Shapes and layout.
        Op("Reshape", "tensor: T, shape: Tshape", "output: T", "T: type; Tshape: type = int32").WithShape(ShapeFunctions.Reshape).ViewOfInput();
        Op("Squeeze", "input: T", "output: T", "T: type; squeeze_dims: list(int) = []").WithShape(ShapeFunctions.Squeeze).ViewOfInput();
        Op("ExpandDims", "input: T, dim: Tdim", "output: T", "T: type; Tdim: type = int32").WithShape(ShapeFunctions.ExpandDims).ViewOfInput();
        Op("Transpose", "x: T, perm: Tperm", "y: T", "T: type; Tperm: type = int32").WithShape(ShapeFunctions.Transpose);
        Op("InvertPermutation", "x: T", "y: T", "T: type = int32").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Imported);
        Op("ConcatV2", "values: N * T, axis: Tidx", "output: T", "N: int >= 2; T: type; Tidx: type = int32").WithShape(ShapeFunctions.Concat);
        Op("Pack", "values: N * T", "output: T", "N: int >= 1; T: type; axis: int = 0").WithShape(ShapeFunctions.Pack);
        Op("Unpack", "value: T", "output: num * T", "num: int >= 0; T: type; axis: int = 0").WithShape(ShapeFunctions.Unpack);
        Op("Split", "split_dim: int32, value: T", "output: num_split * T", "num_split: int >= 1; T: type").WithShape(ShapeFunctions.Split);
        Op("SplitV", "value: T, size_splits: Tlen, split_dim: int32", "output: num_split * T", "num_split: int >= 1; T: type; Tlen: type = int64").WithShape(ShapeFunctions.SplitV);
        Op("Slice", "input: T, begin: Index, size: Index", "output: T", "T: type; Index: type").WithShape(ShapeFunctions.Slice);
        Op("StridedSlice", "input: T, begin: Index, end: Index, strides: Index", "output: T",
            "T: type; Index: type; begin_mask: int = 0; end_mask: int = 0; ellipsis_mask: int = 0; new_axis_mask: int = 0; shrink_axis_mask: int = 0")
            .WithShape(ShapeFunctions.StridedSlice);
        Op("StridedSliceGrad", "shape: Index, begin: Index, end: Index, strides: Index, dy: T", "output: T",
            "T: type; Index: type; begin_mask: int = 0; end_mask: int = 0; ellipsis_mask: int = 0; new_axis_mask: int = 0; shrink_axis_mask: int = 0")
            .WithShape(ShapeFunctions.FromShapeInput).Written(GradientGraphs);
        Op("GatherV2", "params: Tparams, indices: Tindices, axis: Taxis", "output: Tparams", "batch_dims: int = 0; Tparams: type; Tindices: type; Taxis: type").WithShape(ShapeFunctions.Gather);
        Op("Tile", "input: T, multiples: Tmultiples", "output: T", "T: type; Tmultiples: type = int32").WithShape(ShapeFunctions.Tile);
        Op("Pad", "input: T, paddings: Tpaddings", "output: T", "T: type; Tpaddings: type = int32").WithShape(ShapeFunctions.Pad).Written(Imported);
        Op("Fill", "dims: index_type, value: T", "output: T", "T: type; index_type: type = int32").WithShape(ShapeFunctions.Fill);
        Op("ZerosLike", Unary, "y: T", "T: type").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("OnesLike", Unary, "y: T", "T: type").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("Shape", "input: T", "output: out_type", "T: type; out_type: type = int32").WithShape(ShapeFunctions.ShapeOf).NotDifferentiable().OnlyReadsInputs();
        Op("Size", "input: T", "output: out_type", "T: type; out_type: type = int32").WithShape(ShapeFunctions.Scalar).NotDifferentiable().OnlyReadsInputs();
        Op("Rank", "input: T", "output: int32", "T: type").WithShape(ShapeFunctions.Scalar).NotDifferentiable().OnlyReadsInputs();
        Op("Range", "start: Tidx, limit: Tidx, delta: Tidx", "output: Tidx", "Tidx: type = int32").WithShape(ShapeFunctions.Range).NotDifferentiable();

        Op("BroadcastTo", "input: T, shape: Tidx", "output: T", "T: type; Tidx: type = int32").WithShape(ShapeFunctions.BroadcastTo);
        Op("ReverseV2", "tensor: T, axis: Tidx", "output: T", "Tidx: type = int32; T: type").WithShape(ShapeFunctions.Unchanged);
        Op("Roll", "input: T, shift: Tshift, axis: Taxis", "output: T", "T: type; Tshift: type; Taxis: type").WithShape(ShapeFunctions.Unchanged);
        Op("PadV2", "input: T, paddings: Tpaddings, constant_values: T", "output: T", "T: type; Tpaddings: type = int32").WithShape(ShapeFunctions.Pad).Written(Imported);
        Op("MirrorPad", "input: T, paddings: Tpaddings", "output: T", "T: type; Tpaddings: type = int32; mode: string").WithShape(ShapeFunctions.Pad).Written(Imported);
        Op("MirrorPadGrad", "input: T, paddings: Tpaddings", "output: T", "T: type; Tpaddings: type = int32; mode: string")
            .WithShape(ShapeFunctions.Unpad).Written("gradients (Gradients.Of, [TrainStep]) and imported gradient graphs").OnlyReadsInputs();
        Op("SpaceToDepth", "input: T", "output: T", "T: type; block_size: int >= 2; data_format: string = \"NHWC\"").WithShape(ShapeFunctions.SpaceToDepth);
        Op("DepthToSpace", "input: T", "output: T", "T: type; block_size: int >= 2; data_format: string = \"NHWC\"").WithShape(ShapeFunctions.DepthToSpace);
        Op("MatrixBandPart", "input: T, num_lower: Tindex, num_upper: Tindex", "band: T", "T: type; Tindex: type = int64").WithShape(ShapeFunctions.Unchanged);
        Op("OneHot", "indices: TI, depth: int32, on_value: T, off_value: T", "output: T", "axis: int = -1; T: type; TI: type = int64").WithShape(ShapeFunctions.OneHot).NotDifferentiable();
        Op("GatherNd", "params: Tparams, indices: Tindices", "output: Tparams", "Tparams: type; Tindices: type").WithShape(ShapeFunctions.GatherNd);
        Op("TensorScatterUpdate", "tensor: T, indices: Tindices, updates: T", "output: T", "T: type; Tindices: type").WithShape(ShapeFunctions.Unchanged);
        Op("Concat", "concat_dim: int32, values: N * T", "output: T", "N: int >= 2; T: type").WithShape(ShapeFunctions.ConcatAxisFirst).Written(Imported);
        Op("Diag", "diagonal: T", "output: T", "T: type").WithShape(ShapeFunctions.Diag).Written(Imported);
        Op("DiagPart", "input: T", "diagonal: T", "T: type").WithShape(ShapeFunctions.DiagPart).Written(Imported);
        Op("MatrixDiag", "diagonal: T", "output: T", "T: type").WithShape(ShapeFunctions.MatrixDiag).Written(Imported);
        Op("MatrixDiagPart", "input: T", "diagonal: T", "T: type").WithShape(ShapeFunctions.MatrixDiagPart).Written(Imported);
        Op("MatrixSetDiag", "input: T, diagonal: T", "output: T", "T: type").WithShape(ShapeFunctions.Unchanged).Written(Imported);
        Op("ScatterNd", "indices: Tindices, updates: T, shape: Tindices", "output: T", "T: type; Tindices: type").WithShape(ShapeFunctions.ScatterNd).Written(Imported);
        foreach (string name in new[] { "TensorScatterAdd", "TensorScatterSub" })
            Op(name, "tensor: T, indices: Tindices, updates: T", "output: T", "T: type; Tindices: type").WithShape(ShapeFunctions.Unchanged).Written(Imported);
        Op("Bucketize", "input: T", "output: int32", "T: type; boundaries: list(float)").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Imported);
        Op("LinSpace", "start: T, stop: T, num: Tidx", "output: T", "T: type; Tidx: type = int32").WithShape(ShapeFunctions.LinSpace).NotDifferentiable().Written(Imported);
        Op("ApproximateEqual", Binary, "z: bool", "T: type; tolerance: float = 1e-05").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Imported);
        Op("Where", "input: T", "index: int64", "T: type = bool").WithShape(ShapeFunctions.Where).NotDifferentiable();
        Op("Unique", "x: T", "y: T, idx: out_idx", "T: type; out_idx: type = int32").WithShape(ShapeFunctions.Unique).NotDifferentiable();
        Op("TopKV2", "input: T, k: int32", "values: T, indices: int32", "sorted: bool = true; T: type").WithShape(ShapeFunctions.TopK);

        // Scans, norms, clipping and fused losses.
        foreach (string name in new[] { "Cumsum", "Cumprod" })
            Op(name, "x: T, axis: Tidx", "out: T", "exclusive: bool = false; reverse: bool = false; T: type; Tidx: type = int32").WithShape(ShapeFunctions.Unchanged);
        foreach (string name in new[] { "All", "Any" })
            Op(name, "input: bool, reduction_indices: Tidx", "output: bool", "keep_dims: bool = false; Tidx: type = int32").WithShape(ShapeFunctions.Reduce).NotDifferentiable();
        Op("EuclideanNorm", "input: T, reduction_indices: Tidx", "output: T", "keep_dims: bool = false; T: type; Tidx: type = int32").WithShape(ShapeFunctions.Reduce);
        Op("L2Loss", "t: T", "output: T", "T: type").WithShape(ShapeFunctions.Scalar);
        Op("ClipByValue", "t: T, clip_value_min: T, clip_value_max: T", "output: T", "T: type").WithShape(ShapeFunctions.Unchanged);
        Op("SoftmaxCrossEntropyWithLogits", "features: T, labels: T", "loss: T, backprop: T", "T: type").WithShape(ShapeFunctions.CrossEntropy);
        Op("SparseSoftmaxCrossEntropyWithLogits", "features: T, labels: Tlabels", "loss: T, backprop: T", "T: type; Tlabels: type = int64").WithShape(ShapeFunctions.CrossEntropy);

        // Random numbers on Philox-4x32-10: stateful ops seeded by attrs (seed: the graph seed, seed2: the op seed), stateless ones by inputs.
        const string randomAttrs = "seed: int = 0; seed2: int = 0; dtype: type; T: type";
        foreach (string name in new[] { "RandomUniform", "RandomStandardNormal", "TruncatedNormal" })
            Op(name, "shape: T", "output: dtype", randomAttrs, stateful: true).WithShape(ShapeFunctions.FromShapeInput).NotDifferentiable();
        Op("RandomUniformInt", "shape: T, minval: Tout, maxval: Tout", "output: Tout", "seed: int = 0; seed2: int = 0; Tout: type; T: type", stateful: true)
            .WithShape(ShapeFunctions.FromShapeInput).NotDifferentiable();
        foreach (string name in new[] { "StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal" })
            Op(name, "shape: T, seed: Tseed", "output: dtype", "dtype: type = float; T: type = int32; Tseed: type = int64").WithShape(ShapeFunctions.FromShapeInput).NotDifferentiable();
        Op("StatelessRandomUniformInt", "shape: T, seed: Tseed, minval: dtype, maxval: dtype", "output: dtype", "dtype: type; T: type; Tseed: type = int64")
            .WithShape(ShapeFunctions.FromShapeInput).NotDifferentiable().Written(Imported);
        foreach (string name in new[] { "StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2" })
            Op(name, "shape: Tshape, key: uint64, counter: uint64, alg: int32", "output: dtype", "dtype: type = float; Tshape: type = int32")
                .WithShape(ShapeFunctions.FromShapeInput).NotDifferentiable().Written(Imported);
        Op("StatelessRandomUniformIntV2", "shape: Tshape, key: uint64, counter: uint64, alg: int32, minval: dtype, maxval: dtype", "output: dtype", "dtype: type; Tshape: type = int32")
            .WithShape(ShapeFunctions.FromShapeInput).NotDifferentiable().Written(Imported);
        Op("StatelessRandomGetKeyCounter", "seed: Tseed", "key: uint64, counter: uint64", "Tseed: type = int64").WithShape(ShapeFunctions.KeyCounter).NotDifferentiable().Written(Imported);

        // Convolution, pooling and normalization (NHWC on CPU).
        Op("Conv2D", "input: T, filter: T", "output: T",
            "T: type; strides: list(int); use_cudnn_on_gpu: bool = true; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]")
            .WithShape(ShapeFunctions.Conv2D).OnlyReadsInputs().WritesOwnOutput();
        Op("DepthwiseConv2dNative", "input: T, filter: T", "output: T",
            "T: type; strides: list(int); padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]")
            .WithShape(ShapeFunctions.DepthwiseConv2D).OnlyReadsInputs().WritesOwnOutput();
        Op("Conv2DBackpropInput", "input_sizes: int32, filter: T, out_backprop: T", "output: T",
            "T: type; strides: list(int); use_cudnn_on_gpu: bool = true; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]")
            .WithShape(ShapeFunctions.FromShapeInput).OnlyReadsInputs().WritesOwnOutput();
        Op("Conv2DBackpropFilter", "input: T, filter_sizes: int32, out_backprop: T", "output: T",
            "T: type; strides: list(int); use_cudnn_on_gpu: bool = true; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]")
            .WithShape(ShapeFunctions.FromShapeInputAt1).Written(GradientGraphs).OnlyReadsInputs().WritesOwnOutput();
        const string depthwiseAttrs = "T: type; strides: list(int); padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]";
        Op("DepthwiseConv2dNativeBackpropInput", "input_sizes: int32, filter: T, out_backprop: T", "output: T", depthwiseAttrs)
            .WithShape(ShapeFunctions.FromShapeInput).Written(GradientGraphs).OnlyReadsInputs().WritesOwnOutput();
        Op("DepthwiseConv2dNativeBackpropFilter", "input: T, filter_sizes: int32, out_backprop: T", "output: T", depthwiseAttrs)
            .WithShape(ShapeFunctions.FromShapeInputAt1).Written(GradientGraphs).OnlyReadsInputs().WritesOwnOutput();
        Op("MaxPoolGrad", "orig_input: T, orig_output: T, grad: T", "output: T",
            "ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; T: type = float")
            .WithShape(ShapeFunctions.Unchanged).Written(GradientGraphs).OnlyReadsInputs().WritesOwnOutput();
        Op("MaxPoolGradGrad", "orig_input: T, orig_output: T, grad: T", "output: T",
            "ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; data_format: string = \"NHWC\"; T: type")
            .WithShape(ShapeFunctions.LikeSecondInput).Written(GradientGraphs).OnlyReadsInputs();
        Op("AvgPoolGrad", "orig_input_shape: int32, grad: T", "output: T", "ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; data_format: string = \"NHWC\"; T: type")
            .WithShape(ShapeFunctions.FromShapeInput).Written(GradientGraphs).OnlyReadsInputs().WritesOwnOutput();
        Op("FusedBatchNormGradV3", "y_backprop: T, x: T, scale: float, reserve_space_1: U, reserve_space_2: U, reserve_space_3: U",
            "x_backprop: T, scale_backprop: U, offset_backprop: U, reserve_space_4: U, reserve_space_5: U",
            "T: type; U: type; epsilon: float = 0.0001; data_format: string = \"NHWC\"; is_training: bool = true")
            .WithShape(ShapeFunctions.FusedBatchNormGrad).Written(GradientGraphs).OnlyReadsInputs();
        Op("LRN", "input: T", "output: T", "depth_radius: int = 5; bias: float = 1; alpha: float = 1; beta: float = 0.5; T: type = float").WithShape(ShapeFunctions.Unchanged);
        // TensorFlow registers no gradient for LRNGrad.
        Fresh("LRNGrad", "input_grads: T, input_image: T, output_image: T", "output: T", "depth_radius: int = 5; bias: float = 1; alpha: float = 1; beta: float = 0.5; T: type = float",
            ShapeFunctions.Unchanged).NotDifferentiable().Written("gradients (Gradients.Of, [TrainStep]) and imported gradient graphs");
        Op("ResizeBilinear", "images: T, size: int32", "resized_images: float", "T: type; align_corners: bool = false; half_pixel_centers: bool = false").WithShape(ShapeFunctions.Resize);
        Op("ResizeBilinearGrad", "grads: float, original_image: T", "output: T", "T: type; align_corners: bool = false; half_pixel_centers: bool = false")
            .WithShape(ShapeFunctions.LikeSecondInput).Written(GradientGraphs).OnlyReadsInputs();
        Op("ResizeNearestNeighborGrad", "grads: T, size: int32", "output: T", "T: type; align_corners: bool = false; half_pixel_centers: bool = false")
            .WithShape(ShapeFunctions.Resize).Written(GradientGraphs).OnlyReadsInputs();
        Op("ResizeNearestNeighbor", "images: T, size: int32", "resized_images: T", "T: type; align_corners: bool = false; half_pixel_centers: bool = false").WithShape(ShapeFunctions.Resize);
        Op("Einsum", "inputs: N * T", "output: T", "equation: string; N: int >= 1; T: type").WithShape(ShapeFunctions.Einsum);
        Op("MaxPool", "input: T", "output: T",
            "T: type = float; ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"")
            .WithShape(ShapeFunctions.Pool).OnlyReadsInputs().WritesOwnOutput();
        Op("AvgPool", "value: T", "output: T", "ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; data_format: string = \"NHWC\"; T: type")
            .WithShape(ShapeFunctions.Pool).OnlyReadsInputs().WritesOwnOutput();
        Op("FusedBatchNormV3", "x: T, scale: U, offset: U, mean: U, variance: U",
            "y: T, batch_mean: U, batch_variance: U, reserve_space_1: U, reserve_space_2: U, reserve_space_3: U",
            "T: type; U: type; epsilon: float = 0.0001; exponential_avg_factor: float = 1 @tf2; data_format: string = \"NHWC\"; is_training: bool = true")
            .WithShape(ShapeFunctions.FusedBatchNorm);

        // Variables: TF1 reference variables and TF2 resource variables.
        const string Variables = "[Variable] fields and their assignments";
        Op("VariableV2", "", "ref: Ref(dtype)", "shape: shape; dtype: type; container: string = \"\"; shared_name: string = \"\"", stateful: true)
            .WithShape(ShapeFunctions.FromShapeAttr).NotDifferentiable().Written(Variables);
        Op("Assign", "ref: Ref(T), value: T", "output_ref: Ref(T)", "T: type; validate_shape: bool = true; use_locking: bool = true").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Variables);
        Op("AssignAdd", "ref: Ref(T), value: T", "output_ref: Ref(T)", "T: type; use_locking: bool = false").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Variables);
        Op("AssignSub", "ref: Ref(T), value: T", "output_ref: Ref(T)", "T: type; use_locking: bool = false").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Variables);
        Op("VarHandleOp", "", "resource: resource",
            "container: string = \"\"; shared_name: string = \"\"; debug_name: string = \"\" @tf2; dtype: type; shape: shape; allowed_devices: list(string) = [] @tf2", stateful: true)
            .WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(Variables);
        // A read's shape is the handle's variable shape, which graph import knows from the VarHandleOp.
        Op("ReadVariableOp", "resource: resource", "value: dtype", "dtype: type", stateful: true).WithShape(ShapeFunctions.Unknown).Written(Variables);
        Op("AssignVariableOp", "resource: resource, value: dtype", "", "dtype: type; validate_shape: bool = false @tf2", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Variables);
        Op("AssignAddVariableOp", "resource: resource, value: dtype", "", "dtype: type", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Variables);
        Op("AssignSubVariableOp", "resource: resource, value: dtype", "", "dtype: type", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Variables);
        Op("IsVariableInitialized", "ref: Ref(dtype)", "is_initialized: bool", "dtype: type", stateful: true).WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(Variables);
        Op("VarIsInitializedOp", "resource: resource", "is_initialized: bool", "", stateful: true).WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(Variables);
        Op("DisableCopyOnRead", "resource: resource", "", "", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Imported);

        // Optimizers: TensorFlow's resource apply ops, which [TrainStep] functions write (tensorflow/core/ops/training_ops.cc).
        const string Training = "[TrainStep] functions";
        const string locking = "T: type; use_locking: bool = false";
        Op("ResourceApplyGradientDescent", "var: resource, alpha: T, delta: T", "", locking, stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Training).OnlyReadsInputs();
        Op("ResourceApplyMomentum", "var: resource, accum: resource, lr: T, grad: T, momentum: T", "", locking + "; use_nesterov: bool = false", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Training).OnlyReadsInputs();
        Op("ResourceApplyAdam", "var: resource, m: resource, v: resource, beta1_power: T, beta2_power: T, lr: T, beta1: T, beta2: T, epsilon: T, grad: T", "",
            locking + "; use_nesterov: bool = false", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Training).OnlyReadsInputs();
        Op("ResourceApplyRMSProp", "var: resource, ms: resource, mom: resource, lr: T, rho: T, momentum: T, epsilon: T, grad: T", "", locking, stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Training).OnlyReadsInputs();
        Op("ResourceApplyAdagradV2", "var: resource, accum: resource, lr: T, epsilon: T, grad: T", "", locking + "; update_slots: bool = true", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Training).OnlyReadsInputs();

        // TensorFlow's saver subgraph.
        Op("SaveV2", "prefix: string, tensor_names: string, shape_and_slices: string, tensors: dtypes", "", "dtypes: list(type) >= 1", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Saver);
        Op("RestoreV2", "prefix: string, tensor_names: string, shape_and_slices: string", "tensors: dtypes", "dtypes: list(type) >= 1", stateful: true)
            .WithShape(ShapeFunctions.Unknown).NotDifferentiable().Written(Saver);
        Op("MergeV2Checkpoints", "checkpoint_prefixes: string, destination_prefix: string", "", "delete_old_dirs: bool = true; allow_missing_files: bool = false", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Saver);
        Op("ShardedFilename", "basename: string, shard: int32, num_shards: int32", "filename: string").WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(Saver);
        Op("StringJoin", "inputs: N * string", "output: string", "N: int >= 0; separator: string = \"\"").WithShape(ShapeFunctions.Broadcast).NotDifferentiable();
        Op("StaticRegexFullMatch", "input: string", "output: bool", "pattern: string").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();

        // Strings (Tensor<TString> in graph functions). RegexReplace with tensor patterns is what imported graphs hold;
        // graph functions write StaticRegexReplace, as tf.strings.regex_replace does for constant patterns.
        foreach (string name in new[] { "StringLower", "StringUpper" })
            Op(name, "input: string", "output: string", "encoding: string = \"\"").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("StringStrip", "input: string", "output: string").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("StringLength", "input: string", "output: int32", "unit: string = \"BYTE\"").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("Substr", "input: string, pos: T, len: T", "output: string", "T: type; unit: string = \"BYTE\"").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("StringToNumber", "string_tensor: string", "output: out_type", "out_type: type = float").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("AsString", "input: T", "output: string", "T: type; precision: int = -1; scientific: bool = false; shortest: bool = false; width: int = -1; fill: string = \"\"")
            .WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("StaticRegexReplace", "input: string", "output: string", "pattern: string; rewrite: string; replace_global: bool = true").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("RegexReplace", "input: string, pattern: string, rewrite: string", "output: string", "replace_global: bool = true").WithShape(ShapeFunctions.Unchanged).NotDifferentiable().Written(Imported);
        Op("StringToHashBucketFast", "input: string", "output: int64", "num_buckets: int >= 1").WithShape(ShapeFunctions.Unchanged).NotDifferentiable();
        Op("StringSplitV2", "input: string, sep: string", "indices: int64, values: string, shape: int64", "maxsplit: int = -1").WithShape(ShapeFunctions.SparseSplit).NotDifferentiable();

        // Functions and control flow.
        const string callAttrs = "Tin: list(type) >= 0; Tout: list(type) >= 0; f: func; config: string = \"\"; config_proto: string = \"\"; executor_type: string = \"\"";
        Op("PartitionedCall", "args: Tin", "output: Tout", callAttrs).WithShape(ShapeFunctions.Unknown).Written("calls of graph functions");
        Op("StatefulPartitionedCall", "args: Tin", "output: Tout", callAttrs, stateful: true).WithShape(ShapeFunctions.Unknown).Written("calls of graph functions that touch variables");
        const string ifAttrs = "Tcond: type; Tin: list(type) >= 0; Tout: list(type) >= 0; then_branch: func; else_branch: func; output_shapes: list(shape) = []";
        Op("If", "cond: Tcond, input: Tin", "output: Tout", ifAttrs, stateful: true).WithShape(ShapeFunctions.Unknown).Written("tensor ifs whose branches write module variables");
        Op("StatelessIf", "cond: Tcond, input: Tin", "output: Tout", ifAttrs).WithShape(ShapeFunctions.Unknown).Written("tensor ifs whose branches return");
        const string whileAttrs = "T: list(type) >= 0; cond: func; body: func; output_shapes: list(shape) = []; parallel_iterations: int = 10";
        Op("While", "input: T", "output: T", whileAttrs, stateful: true).WithShape(ShapeFunctions.Unknown).Written("while loops that read or write module variables");
        Op("StatelessWhile", "input: T", "output: T", whileAttrs).WithShape(ShapeFunctions.Unknown).Written("while loops on tensor conditions");

        // Tensor lists: what tf.TensorArray lowers to in TF2 graphs, so Keras' recurrent layers and while-loop gradients run on them.
        // A list is a scalar variant handle; every change returns a new handle.
        const string list = "element_dtype: type";
        const string shaped = "element_dtype: type; shape_type: type";
        Op("EmptyTensorList", "element_shape: shape_type, max_num_elements: int32", "handle: variant", shaped).WithShape(ShapeFunctions.Scalar).NotDifferentiable();
        Op("TensorListReserve", "element_shape: shape_type, num_elements: int32", "handle: variant", shaped).WithShape(ShapeFunctions.Scalar).NotDifferentiable();
        Op("TensorListFromTensor", "tensor: element_dtype, element_shape: shape_type", "output_handle: variant", shaped).WithShape(ShapeFunctions.Scalar);
        Op("TensorListLength", "input_handle: variant", "length: int32").WithShape(ShapeFunctions.Scalar).NotDifferentiable();
        Op("TensorListElementShape", "input_handle: variant", "element_shape: shape_type", "shape_type: type").WithShape(ShapeFunctions.Unknown).NotDifferentiable();
        Op("TensorListGetItem", "input_handle: variant, index: int32, element_shape: int32", "item: element_dtype", list).WithShape(ShapeFunctions.ListItem);
        Op("TensorListSetItem", "input_handle: variant, index: int32, item: element_dtype", "output_handle: variant", list + "; resize_if_index_out_of_bounds: bool = false @tf2")
            .WithShape(ShapeFunctions.Scalar);
        Op("TensorListPushBack", "input_handle: variant, tensor: element_dtype", "output_handle: variant", list).WithShape(ShapeFunctions.Scalar);
        Op("TensorListPopBack", "input_handle: variant, element_shape: int32", "output_handle: variant, tensor: element_dtype", list).WithShape(ShapeFunctions.ListPop);
        Op("TensorListStack", "input_handle: variant, element_shape: int32", "tensor: element_dtype", list + "; num_elements: int = -1").WithShape(ShapeFunctions.ListStack);
        Op("TensorListGather", "input_handle: variant, indices: int32, element_shape: int32", "values: element_dtype", list).WithShape(ShapeFunctions.ListGather);
        Op("TensorListScatter", "tensor: element_dtype, indices: int32, element_shape: shape_type", "output_handle: variant", shaped).WithShape(ShapeFunctions.Scalar);
        Op("TensorListScatterV2", "tensor: element_dtype, indices: int32, element_shape: shape_type, num_elements: int32", "output_handle: variant", shaped)
            .WithShape(ShapeFunctions.Scalar);
        Op("TensorListScatterIntoExistingList", "input_handle: variant, tensor: element_dtype, indices: int32", "output_handle: variant", list).WithShape(ShapeFunctions.Scalar);
        Op("TensorListResize", "input_handle: variant, size: int32", "output_handle: variant").WithShape(ShapeFunctions.Scalar);
        Op("TensorListConcatV2", "input_handle: variant, element_shape: shape_type, leading_dims: int64", "tensor: element_dtype, lengths: int64", shaped)
            .WithShape(ShapeFunctions.ListConcat);
        Op("TensorListSplit", "tensor: element_dtype, element_shape: shape_type, lengths: int64", "output_handle: variant", shaped).WithShape(ShapeFunctions.Scalar);

        // Lookup tables: Keras' StringLookup and IntegerLookup, tf.lookup's tables, TF1's index_table_from_file. A table is a resource.
        const string Tables = "imported graphs (Keras StringLookup/IntegerLookup, tf.lookup tables)";
        const string StringLookup = "Ops.StringLookup, and imported graphs (Keras StringLookup/IntegerLookup, tf.lookup tables)";
        const string tableAttrs = "container: string = \"\"; shared_name: string = \"\"; use_node_name_sharing: bool = false; key_dtype: type; value_dtype: type";
        Op("HashTableV2", "", "table_handle: resource", tableAttrs, stateful: true).WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(StringLookup);
        Op("MutableHashTableV2", "", "table_handle: resource", tableAttrs, stateful: true).WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(Tables);
        Op("InitializeTableV2", "table_handle: resource, keys: Tkey, values: Tval", "", "Tkey: type; Tval: type", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(StringLookup);
        Op("InitializeTableFromTextFileV2", "table_handle: resource, filename: string", "",
            "key_index: int; value_index: int; vocab_size: int = -1; delimiter: string = \"\t\"; offset: int = 0 @tf2", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Tables);
        Op("LookupTableFindV2", "table_handle: resource, keys: Tin, default_value: Tout", "values: Tout", "Tin: type; Tout: type", stateful: true)
            .WithShape(ShapeFunctions.LikeSecondInput).NotDifferentiable().Written(StringLookup);
        Op("LookupTableInsertV2", "table_handle: resource, keys: Tin, values: Tout", "", "Tin: type; Tout: type", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Tables);
        Op("LookupTableImportV2", "table_handle: resource, keys: Tin, values: Tout", "", "Tin: type; Tout: type", stateful: true)
            .WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Tables);
        Op("LookupTableRemoveV2", "table_handle: resource, keys: Tin", "", "Tin: type", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Tables);
        Op("LookupTableExportV2", "table_handle: resource", "keys: Tkeys, values: Tvalues", "Tkeys: type; Tvalues: type", stateful: true)
            .WithShape(ShapeFunctions.TwoVectors).NotDifferentiable().Written(Tables);
        Op("LookupTableSizeV2", "table_handle: resource", "size: int64", stateful: true).WithShape(ShapeFunctions.Scalar).NotDifferentiable().Written(Tables);

        // Input parsing and printing.
        Op("ParseExample", "serialized: string, names: string, sparse_keys: Nsparse * string, dense_keys: Ndense * string, dense_defaults: Tdense",
            "sparse_indices: Nsparse * int64, sparse_values: sparse_types, sparse_shapes: Nsparse * int64, dense_values: Tdense",
            "Nsparse: int >= 0; Ndense: int >= 0; sparse_types: list(type) >= 0; Tdense: list(type) >= 0; dense_shapes: list(shape) >= 0")
            .WithShape(ShapeFunctions.Unknown).NotDifferentiable().Written(Imported);
        Op("ParseExampleV2", "serialized: string, names: string, sparse_keys: string, dense_keys: string, ragged_keys: string, dense_defaults: Tdense",
            "sparse_indices: num_sparse * int64, sparse_values: sparse_types, sparse_shapes: num_sparse * int64, dense_values: Tdense, ragged_values: ragged_value_types, ragged_row_splits: ragged_split_types",
            "Tdense: list(type) >= 0; num_sparse: int >= 0; sparse_types: list(type) >= 0; ragged_value_types: list(type) >= 0; ragged_split_types: list(type) >= 0; dense_shapes: list(shape) >= 0")
            .WithShape(ShapeFunctions.Unknown).NotDifferentiable().Written(Imported);
        Op("PrintV2", "input: string", "", "output_stream: string = \"stderr\"; end: string = \"\n\"", stateful: true).WithShape(ShapeFunctions.NoOutputs).NotDifferentiable().Written(Imported);

        return ops;
    }
}
