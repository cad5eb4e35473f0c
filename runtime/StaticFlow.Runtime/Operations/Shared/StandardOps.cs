// Shared source: compiled into the runtime and, as a linked file, into the generator and analyzers, so the
// graphs they build and the kernels that run them agree on every op's name, arguments, attrs and defaults.
using System.Collections.Generic;

namespace StaticFlow.Operations;

/// <summary>
/// The op signatures StaticFlow implements, written as TensorFlow registers them (same argument names,
/// attrs and defaults), so graphs move between the two unchanged. An attr marked <c>@tf2</c> was added in a
/// TensorFlow 2.x release; exports leave it out while it holds its default, so older TensorFlow binaries (which
/// reject attrs they do not know) still load the graph.
/// </summary>
internal static class StandardOps
{
    private const string Binary = "x: T, y: T";
    private const string Unary = "x: T";

    /// <summary>Every op's schema, in declaration order.</summary>
    public static List<OpSchema> Create()
    {
        var ops = new List<OpSchema>();
        void Op(string name, string inputs, string outputs, string attrs = "", bool stateful = false) =>
            ops.Add(OpSchema.Parse(name, inputs, outputs, attrs, stateful));

        // Sources, identities and control.
        Op("Const", "", "output: dtype", "value: tensor; dtype: type");
        Op("Placeholder", "", "output: dtype", "dtype: type; shape: shape = unknown");
        Op("PlaceholderWithDefault", "input: dtype", "output: dtype", "dtype: type; shape: shape");
        Op("Identity", "input: T", "output: T", "T: type");
        Op("IdentityN", "input: T", "output: T", "T: list(type) >= 1");
        Op("StopGradient", "input: T", "output: T", "T: type");
        Op("NoOp", "", "");
        Op("_Arg", "", "output: T", "T: type; index: int >= 0", stateful: true);
        Op("_Retval", "input: T", "", "T: type; index: int >= 0", stateful: true);

        // Matrix products.
        Op("MatMul", "a: T, b: T", "product: T", "transpose_a: bool = false; transpose_b: bool = false; T: type; grad_a: bool = false @tf2; grad_b: bool = false @tf2");
        Op("BatchMatMulV2", "x: T, y: T", "output: T", "T: type; adj_x: bool = false; adj_y: bool = false; grad_x: bool = false @tf2; grad_y: bool = false @tf2");
        Op("BiasAdd", "value: T, bias: T", "output: T", "T: type; data_format: string = \"NHWC\"");

        // Elementwise binary ops, with broadcasting.
        foreach (string name in new[] { "Add", "AddV2", "Sub", "Mul", "RealDiv", "DivNoNan", "FloorDiv", "FloorMod", "Maximum", "Minimum", "Pow", "SquaredDifference" })
            Op(name, Binary, "z: T", "T: type");
        Op("AddN", "inputs: N * T", "sum: T", "N: int >= 1; T: type");
        foreach (string name in new[] { "Equal", "NotEqual" })
            Op(name, Binary, "z: bool", "T: type; incompatible_shape_error: bool = true");
        foreach (string name in new[] { "Less", "LessEqual", "Greater", "GreaterEqual" })
            Op(name, Binary, "z: bool", "T: type");
        Op("LogicalAnd", "x: bool, y: bool", "z: bool");
        Op("LogicalOr", "x: bool, y: bool", "z: bool");
        Op("LogicalNot", "x: bool", "y: bool");
        Op("Select", "condition: bool, t: T, e: T", "output: T", "T: type");
        Op("SelectV2", "condition: bool, t: T, e: T", "output: T", "T: type");

        // Elementwise unary ops.
        foreach (string name in new[] { "Neg", "Abs", "Exp", "Log", "Sqrt", "Rsqrt", "Square", "Tanh", "Sigmoid", "Erf" })
            Op(name, Unary, "y: T", "T: type");
        Op("IsNan", Unary, "y: bool", "T: type");
        foreach (string name in new[] { "Relu", "Relu6", "Elu", "Selu", "Softplus" })
            Op(name, "features: T", "activations: T", "T: type");
        Op("LeakyRelu", "features: T", "activations: T", "alpha: float = 0.2; T: type = float");
        Op("Softmax", "logits: T", "softmax: T", "T: type");
        Op("LogSoftmax", "logits: T", "logsoftmax: T", "T: type");
        Op("Cast", "x: SrcT", "y: DstT", "SrcT: type; DstT: type; Truncate: bool = false");

        // Reductions.
        foreach (string name in new[] { "Sum", "Mean", "Max", "Min", "Prod" })
            Op(name, "input: T, reduction_indices: Tidx", "output: T", "keep_dims: bool = false; T: type; Tidx: type = int32");
        foreach (string name in new[] { "ArgMax", "ArgMin" })
            Op(name, "input: T, dimension: Tidx", "output: output_type", "T: type; Tidx: type = int32; output_type: type = int64");

        // Shapes and layout.
        Op("Reshape", "tensor: T, shape: Tshape", "output: T", "T: type; Tshape: type = int32");
        Op("Squeeze", "input: T", "output: T", "T: type; squeeze_dims: list(int) = []");
        Op("ExpandDims", "input: T, dim: Tdim", "output: T", "T: type; Tdim: type = int32");
        Op("Transpose", "x: T, perm: Tperm", "y: T", "T: type; Tperm: type = int32");
        Op("InvertPermutation", "x: T", "y: T", "T: type = int32");
        Op("ConcatV2", "values: N * T, axis: Tidx", "output: T", "N: int >= 2; T: type; Tidx: type = int32");
        Op("Pack", "values: N * T", "output: T", "N: int >= 1; T: type; axis: int = 0");
        Op("Unpack", "value: T", "output: num * T", "num: int >= 0; T: type; axis: int = 0");
        Op("Split", "split_dim: int32, value: T", "output: num_split * T", "num_split: int >= 1; T: type");
        Op("SplitV", "value: T, size_splits: Tlen, split_dim: int32", "output: num_split * T", "num_split: int >= 1; T: type; Tlen: type = int64");
        Op("Slice", "input: T, begin: Index, size: Index", "output: T", "T: type; Index: type");
        Op("StridedSlice", "input: T, begin: Index, end: Index, strides: Index", "output: T",
            "T: type; Index: type; begin_mask: int = 0; end_mask: int = 0; ellipsis_mask: int = 0; new_axis_mask: int = 0; shrink_axis_mask: int = 0");
        Op("GatherV2", "params: Tparams, indices: Tindices, axis: Taxis", "output: Tparams", "batch_dims: int = 0; Tparams: type; Tindices: type; Taxis: type");
        Op("Tile", "input: T, multiples: Tmultiples", "output: T", "T: type; Tmultiples: type = int32");
        Op("Pad", "input: T, paddings: Tpaddings", "output: T", "T: type; Tpaddings: type = int32");
        Op("Fill", "dims: index_type, value: T", "output: T", "T: type; index_type: type = int32");
        Op("ZerosLike", Unary, "y: T", "T: type");
        Op("OnesLike", Unary, "y: T", "T: type");
        Op("Shape", "input: T", "output: out_type", "T: type; out_type: type = int32");
        Op("Size", "input: T", "output: out_type", "T: type; out_type: type = int32");
        Op("Rank", "input: T", "output: int32", "T: type");
        Op("Range", "start: Tidx, limit: Tidx, delta: Tidx", "output: Tidx", "Tidx: type = int32");

        // Convolution, pooling and normalization (NHWC on CPU).
        Op("Conv2D", "input: T, filter: T", "output: T",
            "T: type; strides: list(int); use_cudnn_on_gpu: bool = true; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]");
        Op("DepthwiseConv2dNative", "input: T, filter: T", "output: T",
            "T: type; strides: list(int); padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"; dilations: list(int) = [1, 1, 1, 1]");
        Op("MaxPool", "input: T", "output: T",
            "T: type = float; ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; explicit_paddings: list(int) = []; data_format: string = \"NHWC\"");
        Op("AvgPool", "value: T", "output: T", "ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; data_format: string = \"NHWC\"; T: type");
        Op("FusedBatchNormV3", "x: T, scale: U, offset: U, mean: U, variance: U",
            "y: T, batch_mean: U, batch_variance: U, reserve_space_1: U, reserve_space_2: U, reserve_space_3: U",
            "T: type; U: type; epsilon: float = 0.0001; exponential_avg_factor: float = 1 @tf2; data_format: string = \"NHWC\"; is_training: bool = true");

        // Variables: TF1 reference variables and TF2 resource variables.
        Op("VariableV2", "", "ref: Ref(dtype)", "shape: shape; dtype: type; container: string = \"\"; shared_name: string = \"\"", stateful: true);
        Op("Assign", "ref: Ref(T), value: T", "output_ref: Ref(T)", "T: type; validate_shape: bool = true; use_locking: bool = true");
        Op("AssignAdd", "ref: Ref(T), value: T", "output_ref: Ref(T)", "T: type; use_locking: bool = false");
        Op("AssignSub", "ref: Ref(T), value: T", "output_ref: Ref(T)", "T: type; use_locking: bool = false");
        Op("VarHandleOp", "", "resource: resource",
            "container: string = \"\"; shared_name: string = \"\"; debug_name: string = \"\" @tf2; dtype: type; shape: shape; allowed_devices: list(string) = [] @tf2", stateful: true);
        Op("ReadVariableOp", "resource: resource", "value: dtype", "dtype: type", stateful: true);
        Op("AssignVariableOp", "resource: resource, value: dtype", "", "dtype: type; validate_shape: bool = false @tf2", stateful: true);
        Op("AssignAddVariableOp", "resource: resource, value: dtype", "", "dtype: type", stateful: true);
        Op("AssignSubVariableOp", "resource: resource, value: dtype", "", "dtype: type", stateful: true);
        Op("VarIsInitializedOp", "resource: resource", "is_initialized: bool", "", stateful: true);
        Op("DisableCopyOnRead", "resource: resource", "", "", stateful: true);

        // TensorFlow's saver subgraph.
        Op("SaveV2", "prefix: string, tensor_names: string, shape_and_slices: string, tensors: dtypes", "", "dtypes: list(type) >= 1", stateful: true);
        Op("RestoreV2", "prefix: string, tensor_names: string, shape_and_slices: string", "tensors: dtypes", "dtypes: list(type) >= 1", stateful: true);
        Op("MergeV2Checkpoints", "checkpoint_prefixes: string, destination_prefix: string", "", "delete_old_dirs: bool = true; allow_missing_files: bool = false", stateful: true);
        Op("ShardedFilename", "basename: string, shard: int32, num_shards: int32", "filename: string");
        Op("StringJoin", "inputs: N * string", "output: string", "N: int >= 0; separator: string = \"\"");
        Op("StaticRegexFullMatch", "input: string", "output: bool", "pattern: string");

        // Functions and control flow.
        const string callAttrs = "Tin: list(type) >= 0; Tout: list(type) >= 0; f: func; config: string = \"\"; config_proto: string = \"\"; executor_type: string = \"\"";
        Op("PartitionedCall", "args: Tin", "output: Tout", callAttrs);
        Op("StatefulPartitionedCall", "args: Tin", "output: Tout", callAttrs, stateful: true);
        const string ifAttrs = "Tcond: type; Tin: list(type) >= 0; Tout: list(type) >= 0; then_branch: func; else_branch: func; output_shapes: list(shape) = []";
        Op("If", "cond: Tcond, input: Tin", "output: Tout", ifAttrs, stateful: true);
        Op("StatelessIf", "cond: Tcond, input: Tin", "output: Tout", ifAttrs);
        const string whileAttrs = "T: list(type) >= 0; cond: func; body: func; output_shapes: list(shape) = []; parallel_iterations: int = 10";
        Op("While", "input: T", "output: T", whileAttrs, stateful: true);
        Op("StatelessWhile", "input: T", "output: T", whileAttrs);

        // Input parsing and printing.
        Op("ParseExample", "serialized: string, names: string, sparse_keys: Nsparse * string, dense_keys: Ndense * string, dense_defaults: Tdense",
            "sparse_indices: Nsparse * int64, sparse_values: sparse_types, sparse_shapes: Nsparse * int64, dense_values: Tdense",
            "Nsparse: int >= 0; Ndense: int >= 0; sparse_types: list(type) >= 0; Tdense: list(type) >= 0; dense_shapes: list(shape) >= 0");
        Op("ParseExampleV2", "serialized: string, names: string, sparse_keys: string, dense_keys: string, ragged_keys: string, dense_defaults: Tdense",
            "sparse_indices: num_sparse * int64, sparse_values: sparse_types, sparse_shapes: num_sparse * int64, dense_values: Tdense, ragged_values: ragged_value_types, ragged_row_splits: ragged_split_types",
            "Tdense: list(type) >= 0; num_sparse: int >= 0; sparse_types: list(type) >= 0; ragged_value_types: list(type) >= 0; ragged_split_types: list(type) >= 0; dense_shapes: list(shape) >= 0");
        Op("PrintV2", "input: string", "", "output_stream: string = \"stderr\"; end: string = \"\n\"", stateful: true);

        return ops;
    }
}
