using System.Numerics;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// TensorFlow ops on typed tensors. Each method is marked with the op it is (<see cref="OpMethodAttribute"/>):
/// called directly it runs eagerly on the runtime's kernels; inside a graph function the generator lowers it to that
/// op, with the same attrs. Array arguments such as reduction axes become <c>Const</c> inputs in graphs.
/// </summary>
public static partial class Ops
{
    private static Tensor<TOut> One<TOut>(string op, Tensor[][] inputs, params (string, AttrValue)[] attrs) where TOut : unmanaged =>
        new(EagerExecutor.Execute(op, inputs, attrs, [DTypes.Of<TOut>()])[0]);

    /// <summary>
    /// An operator of <see cref="Tensor{T}"/>, whose element type has no numeric constraint: a dtype without a kernel
    /// fails at run time naming the op, as in a graph.
    /// </summary>
    internal static Tensor<TOut> Operator<T, TOut>(string op, params Tensor<T>[] operands) where T : unmanaged where TOut : unmanaged =>
        One<TOut>(op, [.. operands.Select(o => In(o.Untyped))]);

    /// <summary>
    /// Runs the catalogue op <paramref name="op"/> eagerly on the runtime's kernels. This is the body the generator
    /// gives a <c>static partial</c> method marked <see cref="OpMethodAttribute"/> that the user declares without one,
    /// so that it runs eagerly through the same kernels as in a graph.
    /// </summary>
    /// <param name="op">The op's TensorFlow name.</param>
    /// <param name="inputs">For each input argument of the op, its tensors (one, or a list).</param>
    /// <param name="attrs">Attrs by name: bool, int, long, float, double, string, int[] or long[] values.</param>
    /// <param name="outputTypes">The outputs' dtypes, which set the type attrs no input decides.</param>
    /// <exception cref="Graphs.KernelNotFoundException">The op is not in the catalogue, or has no kernel for these dtypes.</exception>
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public static Tensor[] Run(string op, Tensor[][] inputs, (string Name, object Value)[] attrs, DType?[] outputTypes) =>
        EagerExecutor.Execute(op, inputs, [.. attrs.Select(a => (a.Name, AttrOf(op, a.Name, a.Value)))], outputTypes);

    private static AttrValue AttrOf(string op, string name, object value) => value switch
    {
        bool flag => AttrValues.Of(flag),
        int number => AttrValues.Of(number),
        long number => AttrValues.Of(number),
        float number => AttrValues.Of(number),
        double number => AttrValues.Of((float)number),
        string text => AttrValues.Of(text),
        int[] numbers => AttrValues.Of(numbers),
        long[] numbers => new AttrValue { List = new AttrValue.Types.ListValue { I = { numbers } } },
        _ => throw new ArgumentException($"Attr '{name}' of op {op}: a {value?.GetType().Name ?? "null"} is not an attr value (bool, number, string, int[] or long[]).", nameof(value)),
    };

    private static Tensor[] In(Tensor tensor) => [tensor];

    private static Tensor[] In(ReadOnlySpan<int> values) => [Tensor.FromArray(values, values.Length)];

    private static Tensor[] In(int value) => [Tensor.Scalar(value)];

    private static Tensor[] In<T>(Tensor<T>[] values) where T : unmanaged => [.. values.Select(v => v.Untyped)];

    /// <summary>Returns x + y elementwise, with broadcasting (TensorFlow's long-standing <c>Add</c>, which every 1.x and 2.x loads).</summary>
    [OpMethod("Add")]
    public static Tensor<T> Add<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Add", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns the elementwise sum of tensors of one shape (<c>AddN</c>).</summary>
    [OpMethod("AddN")]
    public static Tensor<T> AddN<T>(Tensor<T>[] inputs) where T : unmanaged, INumber<T> => One<T>("AddN", [In(inputs)]);

    /// <summary>Returns x - y elementwise, with broadcasting.</summary>
    [OpMethod("Sub")]
    public static Tensor<T> Sub<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Sub", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x * y elementwise, with broadcasting.</summary>
    [OpMethod("Mul")]
    public static Tensor<T> Mul<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Mul", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x / y elementwise, with broadcasting (<c>RealDiv</c>).</summary>
    [OpMethod("RealDiv")]
    public static Tensor<T> Div<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("RealDiv", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x / y, or 0 where y is 0.</summary>
    [OpMethod("DivNoNan")]
    public static Tensor<T> DivNoNan<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("DivNoNan", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns floor(x / y) elementwise.</summary>
    [OpMethod("FloorDiv")]
    public static Tensor<T> FloorDiv<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("FloorDiv", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns the remainder of floor division, with the sign of y.</summary>
    [OpMethod("FloorMod")]
    public static Tensor<T> FloorMod<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("FloorMod", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns max(x, y) elementwise.</summary>
    [OpMethod("Maximum")]
    public static Tensor<T> Maximum<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Maximum", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns min(x, y) elementwise.</summary>
    [OpMethod("Minimum")]
    public static Tensor<T> Minimum<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Minimum", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x to the power y elementwise.</summary>
    [OpMethod("Pow")]
    public static Tensor<T> Pow<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Pow", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns (x - y)² elementwise.</summary>
    [OpMethod("SquaredDifference")]
    public static Tensor<T> SquaredDifference<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("SquaredDifference", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x == y elementwise, with broadcasting.</summary>
    [OpMethod("Equal")]
    public static Tensor<bool> Equal<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<bool>("Equal", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x != y elementwise, with broadcasting.</summary>
    [OpMethod("NotEqual")]
    public static Tensor<bool> NotEqual<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<bool>("NotEqual", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x &lt; y elementwise, with broadcasting.</summary>
    [OpMethod("Less")]
    public static Tensor<bool> Less<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<bool>("Less", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x &lt;= y elementwise, with broadcasting.</summary>
    [OpMethod("LessEqual")]
    public static Tensor<bool> LessEqual<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<bool>("LessEqual", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x &gt; y elementwise, with broadcasting.</summary>
    [OpMethod("Greater")]
    public static Tensor<bool> Greater<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<bool>("Greater", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x &gt;= y elementwise, with broadcasting.</summary>
    [OpMethod("GreaterEqual")]
    public static Tensor<bool> GreaterEqual<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<bool>("GreaterEqual", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x AND y elementwise.</summary>
    [OpMethod("LogicalAnd")]
    public static Tensor<bool> LogicalAnd(Tensor<bool> x, Tensor<bool> y) => One<bool>("LogicalAnd", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x OR y elementwise.</summary>
    [OpMethod("LogicalOr")]
    public static Tensor<bool> LogicalOr(Tensor<bool> x, Tensor<bool> y) => One<bool>("LogicalOr", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns NOT x elementwise.</summary>
    [OpMethod("LogicalNot")]
    public static Tensor<bool> LogicalNot(Tensor<bool> x) => One<bool>("LogicalNot", [In(x.Untyped)]);

    /// <summary>Returns where x is NaN.</summary>
    [OpMethod("IsNan")]
    public static Tensor<bool> IsNan<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<bool>("IsNan", [In(x.Untyped)]);

    /// <summary>Returns -x, elementwise.</summary>
    [OpMethod("Neg")]
    public static Tensor<T> Neg<T>(Tensor<T> x) where T : unmanaged, INumber<T> => One<T>("Neg", [In(x.Untyped)]);

    /// <summary>Returns |x|, elementwise.</summary>
    [OpMethod("Abs")]
    public static Tensor<T> Abs<T>(Tensor<T> x) where T : unmanaged, INumber<T> => One<T>("Abs", [In(x.Untyped)]);

    /// <summary>Returns e^x, elementwise.</summary>
    [OpMethod("Exp")]
    public static Tensor<T> Exp<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Exp", [In(x.Untyped)]);

    /// <summary>Returns the natural logarithm of x, elementwise.</summary>
    [OpMethod("Log")]
    public static Tensor<T> Log<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Log", [In(x.Untyped)]);

    /// <summary>Returns the square root of x, elementwise.</summary>
    [OpMethod("Sqrt")]
    public static Tensor<T> Sqrt<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Sqrt", [In(x.Untyped)]);

    /// <summary>Returns 1 / sqrt(x), elementwise.</summary>
    [OpMethod("Rsqrt")]
    public static Tensor<T> Rsqrt<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Rsqrt", [In(x.Untyped)]);

    /// <summary>Returns x², elementwise.</summary>
    [OpMethod("Square")]
    public static Tensor<T> Square<T>(Tensor<T> x) where T : unmanaged, INumber<T> => One<T>("Square", [In(x.Untyped)]);

    /// <summary>Returns tanh(x), elementwise.</summary>
    [OpMethod("Tanh")]
    public static Tensor<T> Tanh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Tanh", [In(x.Untyped)]);

    /// <summary>Returns 1 / (1 + e^-x), elementwise.</summary>
    [OpMethod("Sigmoid")]
    public static Tensor<T> Sigmoid<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Sigmoid", [In(x.Untyped)]);

    /// <summary>Returns the error function of x, elementwise.</summary>
    [OpMethod("Erf")]
    public static Tensor<T> Erf<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Erf", [In(x.Untyped)]);

    /// <summary>Returns the complementary error function 1 - erf(x), elementwise.</summary>
    [OpMethod("Erfc")]
    public static Tensor<T> Erfc<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Erfc", [In(x.Untyped)]);

    /// <summary>Returns x itself (a named point in the graph), elementwise.</summary>
    [OpMethod("Identity")]
    public static Tensor<T> Identity<T>(Tensor<T> x) where T : unmanaged => One<T>("Identity", [In(x.Untyped)]);

    /// <summary>Returns x, marked as a constant for differentiation, elementwise.</summary>
    [OpMethod("StopGradient")]
    public static Tensor<T> StopGradient<T>(Tensor<T> x) where T : unmanaged => One<T>("StopGradient", [In(x.Untyped)]);

    /// <summary>Returns zeros of x's shape, elementwise.</summary>
    [OpMethod("ZerosLike")]
    public static Tensor<T> ZerosLike<T>(Tensor<T> x) where T : unmanaged => One<T>("ZerosLike", [In(x.Untyped)]);

    /// <summary>Returns ones of x's shape, elementwise.</summary>
    [OpMethod("OnesLike")]
    public static Tensor<T> OnesLike<T>(Tensor<T> x) where T : unmanaged => One<T>("OnesLike", [In(x.Untyped)]);

    /// <summary>Returns max(features, 0), elementwise.</summary>
    [OpMethod("Relu")]
    public static Tensor<T> Relu<T>(Tensor<T> features) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Relu", [In(features.Untyped)]);

    /// <summary>Returns min(max(features, 0), 6), elementwise.</summary>
    [OpMethod("Relu6")]
    public static Tensor<T> Relu6<T>(Tensor<T> features) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Relu6", [In(features.Untyped)]);

    /// <summary>Returns the exponential linear unit, elementwise.</summary>
    [OpMethod("Elu")]
    public static Tensor<T> Elu<T>(Tensor<T> features) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Elu", [In(features.Untyped)]);

    /// <summary>Returns the scaled exponential linear unit, elementwise.</summary>
    [OpMethod("Selu")]
    public static Tensor<T> Selu<T>(Tensor<T> features) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Selu", [In(features.Untyped)]);

    /// <summary>Returns log(e^features + 1), elementwise.</summary>
    [OpMethod("Softplus")]
    public static Tensor<T> Softplus<T>(Tensor<T> features) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Softplus", [In(features.Untyped)]);

    /// <summary>Returns features where positive, alpha * features elsewhere.</summary>
    [OpMethod("LeakyRelu")]
    public static Tensor<T> LeakyRelu<T>(Tensor<T> features, float alpha = 0.2f) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("LeakyRelu", [In(features.Untyped)], ("alpha", AttrValues.Of(alpha)));

    /// <summary>Returns the softmax of logits over the last axis.</summary>
    [OpMethod("Softmax")]
    public static Tensor<T> Softmax<T>(Tensor<T> logits) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Softmax", [In(logits.Untyped)]);

    /// <summary>Returns the log-softmax of logits over the last axis.</summary>
    [OpMethod("LogSoftmax")]
    public static Tensor<T> LogSoftmax<T>(Tensor<T> logits) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("LogSoftmax", [In(logits.Untyped)]);

    /// <summary>Returns the matrix product a · b, either operand optionally transposed.</summary>
    [OpMethod("MatMul")]
    public static Tensor<T> MatMul<T>(Tensor<T> a, Tensor<T> b, bool transposeA = false, bool transposeB = false) where T : unmanaged, INumber<T> =>
        One<T>("MatMul", [In(a.Untyped), In(b.Untyped)], ("transpose_a", AttrValues.Of(transposeA)), ("transpose_b", AttrValues.Of(transposeB)));

    /// <summary>Returns the batched matrix product of x and y, with broadcasting over the batch dimensions.</summary>
    [OpMethod("BatchMatMulV2")]
    public static Tensor<T> BatchMatMul<T>(Tensor<T> x, Tensor<T> y, bool adjX = false, bool adjY = false) where T : unmanaged, INumber<T> =>
        One<T>("BatchMatMulV2", [In(x.Untyped), In(y.Untyped)], ("adj_x", AttrValues.Of(adjX)), ("adj_y", AttrValues.Of(adjY)));

    /// <summary>Adds the vector bias to the last dimension of value.</summary>
    [OpMethod("BiasAdd")]
    public static Tensor<T> BiasAdd<T>(Tensor<T> value, Tensor<T> bias) where T : unmanaged, INumber<T> => One<T>("BiasAdd", [In(value.Untyped), In(bias.Untyped)]);

    /// <summary>Returns the sum of input over the axes <paramref name="axis"/> (negative axes count from the end).</summary>
    [OpMethod("Sum")]
    public static Tensor<T> Sum<T>(Tensor<T> input, int[] axis, bool keepDims = false) where T : unmanaged, INumber<T> =>
        One<T>("Sum", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns the mean of input over the axes <paramref name="axis"/> (negative axes count from the end).</summary>
    [OpMethod("Mean")]
    public static Tensor<T> Mean<T>(Tensor<T> input, int[] axis, bool keepDims = false) where T : unmanaged, INumber<T> =>
        One<T>("Mean", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns the maximum of input over the axes <paramref name="axis"/> (negative axes count from the end).</summary>
    [OpMethod("Max")]
    public static Tensor<T> Max<T>(Tensor<T> input, int[] axis, bool keepDims = false) where T : unmanaged, INumber<T> =>
        One<T>("Max", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns the minimum of input over the axes <paramref name="axis"/> (negative axes count from the end).</summary>
    [OpMethod("Min")]
    public static Tensor<T> Min<T>(Tensor<T> input, int[] axis, bool keepDims = false) where T : unmanaged, INumber<T> =>
        One<T>("Min", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns the product of input over the axes <paramref name="axis"/> (negative axes count from the end).</summary>
    [OpMethod("Prod")]
    public static Tensor<T> Prod<T>(Tensor<T> input, int[] axis, bool keepDims = false) where T : unmanaged, INumber<T> =>
        One<T>("Prod", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns the index of the largest value along <paramref name="dimension"/>.</summary>
    [OpMethod("ArgMax")]
    public static Tensor<long> ArgMax<T>(Tensor<T> input, int dimension) where T : unmanaged, INumber<T> => One<long>("ArgMax", [In(input.Untyped), In(dimension)]);

    /// <summary>Returns the index of the smallest value along <paramref name="dimension"/>.</summary>
    [OpMethod("ArgMin")]
    public static Tensor<long> ArgMin<T>(Tensor<T> input, int dimension) where T : unmanaged, INumber<T> => One<long>("ArgMin", [In(input.Untyped), In(dimension)]);

    /// <summary>Returns tensor with a new shape of the same element count; one dimension may be -1.</summary>
    [OpMethod("Reshape")]
    public static Tensor<T> Reshape<T>(Tensor<T> tensor, int[] shape) where T : unmanaged => One<T>("Reshape", [In(tensor.Untyped), In(shape)]);

    /// <summary>Returns x with its dimensions permuted by <paramref name="perm"/>.</summary>
    [OpMethod("Transpose")]
    public static Tensor<T> Transpose<T>(Tensor<T> x, int[] perm) where T : unmanaged => One<T>("Transpose", [In(x.Untyped), In(perm)]);

    /// <summary>Returns the block of <paramref name="size"/> starting at <paramref name="begin"/> (a size of -1 takes the rest of that dimension).</summary>
    [OpMethod("Slice")]
    public static Tensor<T> Slice<T>(Tensor<T> input, int[] begin, int[] size) where T : unmanaged => One<T>("Slice", [In(input.Untyped), In(begin), In(size)]);

    /// <summary>
    /// Returns the strided slice TensorFlow's <c>x[begin:end:strides]</c> is, with its masks (bit i of a mask applies to
    /// position i). C# index and range syntax on a <see cref="Tensor{T}"/> (<c>x[.., 1..3]</c>, <c>x[^1]</c>) builds this op.
    /// </summary>
    [OpMethod("StridedSlice")]
    public static Tensor<T> StridedSlice<T>(Tensor<T> input, int[] begin, int[] end, int[] strides, int beginMask = 0, int endMask = 0, int ellipsisMask = 0,
        int newAxisMask = 0, int shrinkAxisMask = 0) where T : unmanaged =>
        One<T>("StridedSlice", [In(input.Untyped), In(begin), In(end), In(strides)], ("begin_mask", AttrValues.Of(beginMask)), ("end_mask", AttrValues.Of(endMask)),
            ("ellipsis_mask", AttrValues.Of(ellipsisMask)), ("new_axis_mask", AttrValues.Of(newAxisMask)), ("shrink_axis_mask", AttrValues.Of(shrinkAxisMask)));

    /// <summary>Returns the shape of <paramref name="input"/> as a vector (<c>tf.shape</c>); graph functions fold it when the shape is known.</summary>
    [OpMethod("Shape")]
    public static Tensor<int> Shape<T>(Tensor<T> input) where T : unmanaged => One<int>("Shape", [In(input.Untyped)]);

    /// <summary>Returns the number of elements of <paramref name="input"/> (<c>tf.size</c>).</summary>
    [OpMethod("Size")]
    public static Tensor<int> Size<T>(Tensor<T> input) where T : unmanaged => One<int>("Size", [In(input.Untyped)]);

    /// <summary>Returns the number of dimensions of <paramref name="input"/> (<c>tf.rank</c>).</summary>
    [OpMethod("Rank")]
    public static Tensor<int> Rank<T>(Tensor<T> input) where T : unmanaged => One<int>("Rank", [In(input.Untyped)]);

    /// <summary>Returns a tensor of shape <paramref name="dims"/> with every element <paramref name="value"/> (a scalar).</summary>
    [OpMethod("Fill")]
    public static Tensor<T> Fill<T>(int[] dims, Tensor<T> value) where T : unmanaged => One<T>("Fill", [In(dims), In(value.Untyped)]);

    /// <summary>Returns start, start + delta, ... up to but not including <paramref name="limit"/> (<c>tf.range</c>).</summary>
    [OpMethod("Range")]
    public static Tensor<T> Range<T>(Tensor<T> start, Tensor<T> limit, Tensor<T> delta) where T : unmanaged, INumber<T> =>
        One<T>("Range", [In(start.Untyped), In(limit.Untyped), In(delta.Untyped)]);

    /// <summary>Returns input with a dimension of size 1 inserted at <paramref name="dim"/>.</summary>
    [OpMethod("ExpandDims")]
    public static Tensor<T> ExpandDims<T>(Tensor<T> input, int dim) where T : unmanaged => One<T>("ExpandDims", [In(input.Untyped), In(dim)]);

    /// <summary>Returns input without the size-1 dimensions <paramref name="squeezeDims"/> (all of them when empty).</summary>
    [OpMethod("Squeeze")]
    public static Tensor<T> Squeeze<T>(Tensor<T> input, int[]? squeezeDims = null) where T : unmanaged =>
        One<T>("Squeeze", [In(input.Untyped)], ("squeeze_dims", AttrValues.Of(squeezeDims ?? [])));

    /// <summary>Returns the tensors joined along <paramref name="axis"/> (<c>ConcatV2</c>).</summary>
    [OpMethod("ConcatV2")]
    public static Tensor<T> Concat<T>(Tensor<T>[] values, int axis) where T : unmanaged => One<T>("ConcatV2", [In(values), In(axis)]);

    /// <summary>Returns the tensors stacked along a new dimension <paramref name="axis"/> (<c>Pack</c>).</summary>
    [OpMethod("Pack")]
    public static Tensor<T> Stack<T>(Tensor<T>[] values, int axis = 0) where T : unmanaged =>
        One<T>("Pack", [In(values)], ("axis", AttrValues.Of(axis)));

    /// <summary>Returns t where condition holds and e elsewhere, with broadcasting (<c>SelectV2</c>).</summary>
    [OpMethod("SelectV2")]
    public static Tensor<T> Select<T>(Tensor<bool> condition, Tensor<T> t, Tensor<T> e) where T : unmanaged =>
        One<T>("SelectV2", [In(condition.Untyped), In(t.Untyped), In(e.Untyped)]);

    /// <summary>Returns x, of any element type, converted to <typeparamref name="TTo"/>: <c>Ops.Cast&lt;float&gt;(counts)</c>.</summary>
    [OpMethod("Cast")]
    public static Tensor<TTo> Cast<TTo>(ITensor x) where TTo : unmanaged => One<TTo>("Cast", [In(x.Untyped)]);

    /// <summary>Returns x converted to <typeparamref name="TTo"/>.</summary>
    [OpMethod("Cast")]
    public static Tensor<TTo> Cast<TFrom, TTo>(Tensor<TFrom> x) where TFrom : unmanaged where TTo : unmanaged => One<TTo>("Cast", [In(x.Untyped)]);

    /// <summary>Returns the slices of <paramref name="params"/> at <paramref name="indices"/> along <paramref name="axis"/>.</summary>
    [OpMethod("GatherV2")]
    public static Tensor<T> Gather<T>(Tensor<T> @params, Tensor<int> indices, int axis = 0) where T : unmanaged =>
        One<T>("GatherV2", [In(@params.Untyped), In(indices.Untyped), In(axis)]);

    /// <summary>Returns input repeated <paramref name="multiples"/> times along each dimension.</summary>
    [OpMethod("Tile")]
    public static Tensor<T> Tile<T>(Tensor<T> input, int[] multiples) where T : unmanaged => One<T>("Tile", [In(input.Untyped), In(multiples)]);

    /// <summary>Returns sin(x), elementwise.</summary>
    [OpMethod("Sin")]
    public static Tensor<T> Sin<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Sin", [In(x.Untyped)]);

    /// <summary>Returns cos(x), elementwise.</summary>
    [OpMethod("Cos")]
    public static Tensor<T> Cos<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Cos", [In(x.Untyped)]);

    /// <summary>Returns tan(x), elementwise.</summary>
    [OpMethod("Tan")]
    public static Tensor<T> Tan<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Tan", [In(x.Untyped)]);

    /// <summary>Returns arcsin(x), elementwise (NaN outside [-1, 1]).</summary>
    [OpMethod("Asin")]
    public static Tensor<T> Asin<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Asin", [In(x.Untyped)]);

    /// <summary>Returns arccos(x), elementwise (NaN outside [-1, 1]).</summary>
    [OpMethod("Acos")]
    public static Tensor<T> Acos<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Acos", [In(x.Untyped)]);

    /// <summary>Returns arctan(x), elementwise.</summary>
    [OpMethod("Atan")]
    public static Tensor<T> Atan<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Atan", [In(x.Untyped)]);

    /// <summary>Returns the angle of the point (x, y) in radians, in [-π, π], elementwise with broadcasting.</summary>
    [OpMethod("Atan2")]
    public static Tensor<T> Atan2<T>(Tensor<T> y, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Atan2", [In(y.Untyped), In(x.Untyped)]);

    /// <summary>Returns sinh(x), elementwise.</summary>
    [OpMethod("Sinh")]
    public static Tensor<T> Sinh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Sinh", [In(x.Untyped)]);

    /// <summary>Returns cosh(x), elementwise.</summary>
    [OpMethod("Cosh")]
    public static Tensor<T> Cosh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Cosh", [In(x.Untyped)]);

    /// <summary>Returns arsinh(x), elementwise.</summary>
    [OpMethod("Asinh")]
    public static Tensor<T> Asinh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Asinh", [In(x.Untyped)]);

    /// <summary>Returns arcosh(x), elementwise (NaN below 1).</summary>
    [OpMethod("Acosh")]
    public static Tensor<T> Acosh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Acosh", [In(x.Untyped)]);

    /// <summary>Returns artanh(x), elementwise (NaN outside [-1, 1]).</summary>
    [OpMethod("Atanh")]
    public static Tensor<T> Atanh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Atanh", [In(x.Untyped)]);

    /// <summary>Returns the largest integer not above x, elementwise.</summary>
    [OpMethod("Floor")]
    public static Tensor<T> Floor<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Floor", [In(x.Untyped)]);

    /// <summary>Returns the smallest integer not below x, elementwise.</summary>
    [OpMethod("Ceil")]
    public static Tensor<T> Ceil<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Ceil", [In(x.Untyped)]);

    /// <summary>Returns x rounded to the nearest integer, halves to even (2.5 to 2, 3.5 to 4), as TensorFlow's <c>Round</c>.</summary>
    [OpMethod("Round")]
    public static Tensor<T> Round<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Round", [In(x.Untyped)]);

    /// <summary>Returns x rounded to the nearest integer, halves to even (<c>Rint</c>).</summary>
    [OpMethod("Rint")]
    public static Tensor<T> Rint<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Rint", [In(x.Untyped)]);

    /// <summary>Returns -1, 0 or 1 by the sign of x, elementwise (NaN stays NaN).</summary>
    [OpMethod("Sign")]
    public static Tensor<T> Sign<T>(Tensor<T> x) where T : unmanaged, INumber<T> => One<T>("Sign", [In(x.Untyped)]);

    /// <summary>Returns 1 / x, elementwise.</summary>
    [OpMethod("Reciprocal")]
    public static Tensor<T> Reciprocal<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Reciprocal", [In(x.Untyped)]);

    /// <summary>Returns log(1 + x), accurate for small x, elementwise.</summary>
    [OpMethod("Log1p")]
    public static Tensor<T> Log1p<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Log1p", [In(x.Untyped)]);

    /// <summary>Returns e^x - 1, accurate for small x, elementwise.</summary>
    [OpMethod("Expm1")]
    public static Tensor<T> Expm1<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Expm1", [In(x.Untyped)]);

    /// <summary>Returns features / (1 + |features|), elementwise.</summary>
    [OpMethod("Softsign")]
    public static Tensor<T> Softsign<T>(Tensor<T> features) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Softsign", [In(features.Untyped)]);

    /// <summary>Returns where x is infinite, elementwise.</summary>
    [OpMethod("IsInf")]
    public static Tensor<bool> IsInf<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<bool>("IsInf", [In(x.Untyped)]);

    /// <summary>Returns where x is neither infinite nor NaN, elementwise.</summary>
    [OpMethod("IsFinite")]
    public static Tensor<bool> IsFinite<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<bool>("IsFinite", [In(x.Untyped)]);

    /// <summary>Returns x · log(y), or 0 where x is 0, elementwise with broadcasting.</summary>
    [OpMethod("Xlogy")]
    public static Tensor<T> Xlogy<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Xlogy", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x / y, or 0 where x is 0, elementwise with broadcasting.</summary>
    [OpMethod("Xdivy")]
    public static Tensor<T> Xdivy<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Xdivy", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns the remainder of truncated division, with the sign of x (C's fmod), elementwise with broadcasting.</summary>
    [OpMethod("Mod")]
    public static Tensor<T> Mod<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, INumber<T> => One<T>("Mod", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>
    /// Returns the 2-D convolution of an NHWC <paramref name="input"/> with a [height, width, in, out]
    /// <paramref name="filter"/>; <paramref name="strides"/> and <paramref name="dilations"/> have four entries (NHWC),
    /// <paramref name="padding"/> is <c>"SAME"</c> or <c>"VALID"</c>.
    /// </summary>
    [OpMethod("Conv2D")]
    public static Tensor<T> Conv2D<T>(Tensor<T> input, Tensor<T> filter, int[] strides, string padding, int[]? dilations = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("Conv2D", [In(input.Untyped), In(filter.Untyped)], ("strides", AttrValues.Of(strides)), ("padding", AttrValues.Of(padding)),
            ("dilations", AttrValues.Of(dilations ?? [1, 1, 1, 1])));

    /// <summary>
    /// Returns the depthwise convolution of an NHWC <paramref name="input"/> with a [height, width, in, multiplier]
    /// <paramref name="filter"/>: each input channel has its own filters (<c>DepthwiseConv2dNative</c>).
    /// </summary>
    [OpMethod("DepthwiseConv2dNative")]
    public static Tensor<T> DepthwiseConv2D<T>(Tensor<T> input, Tensor<T> filter, int[] strides, string padding, int[]? dilations = null) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("DepthwiseConv2dNative", [In(input.Untyped), In(filter.Untyped)], ("strides", AttrValues.Of(strides)), ("padding", AttrValues.Of(padding)),
            ("dilations", AttrValues.Of(dilations ?? [1, 1, 1, 1])));

    /// <summary>Returns the maximum of each <paramref name="ksize"/> window of an NHWC <paramref name="input"/>, moved by <paramref name="strides"/> (four entries each).</summary>
    [OpMethod("MaxPool")]
    public static Tensor<T> MaxPool<T>(Tensor<T> input, int[] ksize, int[] strides, string padding) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("MaxPool", [In(input.Untyped)], ("ksize", AttrValues.Of(ksize)), ("strides", AttrValues.Of(strides)), ("padding", AttrValues.Of(padding)));

    /// <summary>Returns the mean of each <paramref name="ksize"/> window of an NHWC <paramref name="value"/>; SAME windows at the edges average only what they cover.</summary>
    [OpMethod("AvgPool")]
    public static Tensor<T> AvgPool<T>(Tensor<T> value, int[] ksize, int[] strides, string padding) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("AvgPool", [In(value.Untyped)], ("ksize", AttrValues.Of(ksize)), ("strides", AttrValues.Of(strides)), ("padding", AttrValues.Of(padding)));

    /// <summary>
    /// Returns batch normalization of an NHWC <paramref name="x"/> over its channels (<c>FusedBatchNormV3</c>'s y): with
    /// <paramref name="isTraining"/> false, by the given <paramref name="mean"/> and <paramref name="variance"/>; with it
    /// true, by the batch's own statistics.
    /// </summary>
    [OpMethod("FusedBatchNormV3")]
    public static Tensor<T> FusedBatchNorm<T>(Tensor<T> x, Tensor<float> scale, Tensor<float> offset, Tensor<float> mean, Tensor<float> variance, float epsilon = 0.001f, bool isTraining = false)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        new(EagerExecutor.Execute("FusedBatchNormV3", [In(x.Untyped), In(scale.Untyped), In(offset.Untyped), In(mean.Untyped), In(variance.Untyped)],
            [("epsilon", AttrValues.Of(epsilon)), ("is_training", AttrValues.Of(isTraining))])[0]);

    /// <summary>Returns input broadcast to <paramref name="shape"/> (NumPy rules: each dimension 1 or equal, leading ones added).</summary>
    [OpMethod("BroadcastTo")]
    public static Tensor<T> BroadcastTo<T>(Tensor<T> input, int[] shape) where T : unmanaged => One<T>("BroadcastTo", [In(input.Untyped), In(shape)]);

    /// <summary>Returns tensor with the order of elements along each axis in <paramref name="axis"/> reversed (<c>ReverseV2</c>).</summary>
    [OpMethod("ReverseV2")]
    public static Tensor<T> Reverse<T>(Tensor<T> tensor, int[] axis) where T : unmanaged => One<T>("ReverseV2", [In(tensor.Untyped), In(axis)]);

    /// <summary>Returns input with its elements shifted by <paramref name="shift"/> along each of <paramref name="axis"/>, wrapping around.</summary>
    [OpMethod("Roll")]
    public static Tensor<T> Roll<T>(Tensor<T> input, int[] shift, int[] axis) where T : unmanaged => One<T>("Roll", [In(input.Untyped), In(shift), In(axis)]);

    /// <summary>Returns the NHWC input with each block_size × block_size spatial block moved into the depth.</summary>
    [OpMethod("SpaceToDepth")]
    public static Tensor<T> SpaceToDepth<T>(Tensor<T> input, int blockSize) where T : unmanaged =>
        One<T>("SpaceToDepth", [In(input.Untyped)], ("block_size", AttrValues.Of((long)blockSize)));

    /// <summary>Returns the NHWC input with its depth spread into block_size × block_size spatial blocks.</summary>
    [OpMethod("DepthToSpace")]
    public static Tensor<T> DepthToSpace<T>(Tensor<T> input, int blockSize) where T : unmanaged =>
        One<T>("DepthToSpace", [In(input.Untyped)], ("block_size", AttrValues.Of((long)blockSize)));

    /// <summary>Returns input with everything outside a band of each innermost matrix zeroed (a negative bound keeps that whole triangle).</summary>
    [OpMethod("MatrixBandPart")]
    public static Tensor<T> MatrixBandPart<T>(Tensor<T> input, long numLower, long numUpper) where T : unmanaged =>
        One<T>("MatrixBandPart", [In(input.Untyped), [Tensor.Scalar(numLower)], [Tensor.Scalar(numUpper)]]);

    /// <summary>Returns a one-hot encoding: <paramref name="onValue"/> where the index matches, <paramref name="offValue"/> elsewhere, along a new axis of size <paramref name="depth"/>.</summary>
    [OpMethod("OneHot")]
    public static Tensor<T> OneHot<T>(Tensor<int> indices, int depth, Tensor<T> onValue, Tensor<T> offValue, int axis = -1) where T : unmanaged =>
        One<T>("OneHot", [In(indices.Untyped), In(depth), In(onValue.Untyped), In(offValue.Untyped)], ("axis", AttrValues.Of((long)axis)));

    /// <summary>Returns the slices of <paramref name="params"/> that the rows of the last dimension of <paramref name="indices"/> point at.</summary>
    [OpMethod("GatherNd")]
    public static Tensor<T> GatherNd<T>(Tensor<T> @params, Tensor<int> indices) where T : unmanaged => One<T>("GatherNd", [In(@params.Untyped), In(indices.Untyped)]);

    /// <summary>Returns tensor with the slices at <paramref name="indices"/> replaced by <paramref name="updates"/>.</summary>
    [OpMethod("TensorScatterUpdate")]
    public static Tensor<T> TensorScatterUpdate<T>(Tensor<T> tensor, Tensor<int> indices, Tensor<T> updates) where T : unmanaged =>
        One<T>("TensorScatterUpdate", [In(tensor.Untyped), In(indices.Untyped), In(updates.Untyped)]);

    /// <summary>Returns the coordinates of the true (non-zero) elements of <paramref name="condition"/>, one row each, in row-major order.</summary>
    [OpMethod("Where")]
    public static Tensor<long> Where<T>(Tensor<T> condition) where T : unmanaged => One<long>("Where", [In(condition.Untyped)]);

    /// <summary>
    /// The <paramref name="k"/> largest values along the last axis and their indices (TopKV2); ties go to the lower
    /// index. In a graph function, deconstruct the result: <c>var (values, indices) = Ops.TopK(x, 3);</c>
    /// </summary>
    [OpMethod("TopKV2")]
    public static (Tensor<T> Values, Tensor<int> Indices) TopK<T>(Tensor<T> input, int k, bool sorted = true) where T : unmanaged, INumber<T>
    {
        var outputs = EagerExecutor.Execute("TopKV2", [In(input.Untyped), In(k)], [("sorted", AttrValues.Of(sorted))], [DTypes.Of<T>(), DType.Int32]);
        return (new Tensor<T>(outputs[0]), new Tensor<int>(outputs[1]));
    }

    /// <summary>
    /// Splits <paramref name="value"/> along <paramref name="axis"/> into <paramref name="numSplit"/> equal parts
    /// (TensorFlow's Split, axis first as the op takes it). In a graph function, index the parts with constants or
    /// loop over them with foreach.
    /// </summary>
    [OpMethod("Split")]
    public static Tensor<T>[] Split<T>(int axis, Tensor<T> value, int numSplit) where T : unmanaged, INumber<T> =>
        [.. EagerExecutor.Execute("Split", [In(axis), In(value.Untyped)], [("num_split", AttrValues.Of(numSplit))], [DTypes.Of<T>()]).Select(t => new Tensor<T>(t))];

    /// <summary>
    /// Splits <paramref name="value"/> along <paramref name="axis"/> into parts of the given sizes (TensorFlow's SplitV,
    /// <c>tf.split(value, [2, 3], axis)</c>); one size may be -1 for what the others leave. Indexed, looped over and
    /// passed on as <see cref="Split{T}"/>'s parts are.
    /// </summary>
    [OpMethod("SplitV")]
    public static Tensor<T>[] SplitV<T>(Tensor<T> value, int[] sizeSplits, int axis) where T : unmanaged, INumber<T> =>
        [.. EagerExecutor.Execute("SplitV", [In(value.Untyped), In(sizeSplits), In(axis)], [("num_split", AttrValues.Of(sizeSplits.Length)), ("Tlen", AttrValues.Of(DType.Int32))], [DTypes.Of<T>()])
            .Select(t => new Tensor<T>(t))];

    /// <summary>The <paramref name="num"/> slices of <paramref name="value"/> along <paramref name="axis"/>, each without that axis (TensorFlow's Unpack, <c>tf.unstack</c>).</summary>
    [OpMethod("Unpack")]
    public static Tensor<T>[] Unstack<T>(Tensor<T> value, int num, int axis = 0) where T : unmanaged, INumber<T> =>
        [.. EagerExecutor.Execute("Unpack", [In(value.Untyped)], [("num", AttrValues.Of(num)), ("axis", AttrValues.Of(axis))], [DTypes.Of<T>()]).Select(t => new Tensor<T>(t))];

    /// <summary>The distinct values of the vector <paramref name="x"/> in order of first appearance, and for each element the index of its value among them.</summary>
    [OpMethod("Unique")]
    public static (Tensor<T> Values, Tensor<int> Indices) Unique<T>(Tensor<T> x) where T : unmanaged, INumber<T>
    {
        var outputs = EagerExecutor.Execute("Unique", [In(x.Untyped)], [], [DTypes.Of<T>(), DType.Int32]);
        return (new Tensor<T>(outputs[0]), new Tensor<int>(outputs[1]));
    }

    /// <summary>
    /// The fused softmax cross-entropy of each row of <paramref name="features"/> (logits) against the distributions in
    /// <paramref name="labels"/>, and its gradient with respect to the logits.
    /// </summary>
    [OpMethod("SoftmaxCrossEntropyWithLogits")]
    public static (Tensor<T> Loss, Tensor<T> Backprop) SoftmaxCrossEntropyWithLogits<T>(Tensor<T> features, Tensor<T> labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var outputs = EagerExecutor.Execute("SoftmaxCrossEntropyWithLogits", [In(features.Untyped), In(labels.Untyped)], [], [DTypes.Of<T>(), DTypes.Of<T>()]);
        return (new Tensor<T>(outputs[0]), new Tensor<T>(outputs[1]));
    }

    /// <summary>
    /// The fused softmax cross-entropy of each row of <paramref name="features"/> (logits) against the class index in
    /// <paramref name="labels"/> (int32 or int64), and its gradient with respect to the logits.
    /// </summary>
    [OpMethod("SparseSoftmaxCrossEntropyWithLogits")]
    public static (Tensor<T> Loss, Tensor<T> Backprop) SparseSoftmaxCrossEntropyWithLogits<T>(Tensor<T> features, ITensor labels) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var outputs = EagerExecutor.Execute("SparseSoftmaxCrossEntropyWithLogits", [In(features.Untyped), In(labels.Untyped)], [], [DTypes.Of<T>(), DTypes.Of<T>()]);
        return (new Tensor<T>(outputs[0]), new Tensor<T>(outputs[1]));
    }

    /// <summary>Returns the cumulative sum of x along <paramref name="axis"/>; exclusive starts from 0, reverse runs from the end.</summary>
    [OpMethod("Cumsum")]
    public static Tensor<T> Cumsum<T>(Tensor<T> x, int axis, bool exclusive = false, bool reverse = false) where T : unmanaged, INumber<T> =>
        One<T>("Cumsum", [In(x.Untyped), In(axis)], ("exclusive", AttrValues.Of(exclusive)), ("reverse", AttrValues.Of(reverse)));

    /// <summary>Returns the cumulative product of x along <paramref name="axis"/>; exclusive starts from 1, reverse runs from the end.</summary>
    [OpMethod("Cumprod")]
    public static Tensor<T> Cumprod<T>(Tensor<T> x, int axis, bool exclusive = false, bool reverse = false) where T : unmanaged, INumber<T> =>
        One<T>("Cumprod", [In(x.Untyped), In(axis)], ("exclusive", AttrValues.Of(exclusive)), ("reverse", AttrValues.Of(reverse)));

    /// <summary>Returns whether every element is true over the axes <paramref name="axis"/>.</summary>
    [OpMethod("All")]
    public static Tensor<bool> All(Tensor<bool> input, int[] axis, bool keepDims = false) =>
        One<bool>("All", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns whether any element is true over the axes <paramref name="axis"/>.</summary>
    [OpMethod("Any")]
    public static Tensor<bool> Any(Tensor<bool> input, int[] axis, bool keepDims = false) =>
        One<bool>("Any", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns the Euclidean norm (square root of the sum of squares) over the axes <paramref name="axis"/>.</summary>
    [OpMethod("EuclideanNorm")]
    public static Tensor<T> EuclideanNorm<T>(Tensor<T> input, int[] axis, bool keepDims = false) where T : unmanaged, INumber<T> =>
        One<T>("EuclideanNorm", [In(input.Untyped), In(axis)], ("keep_dims", AttrValues.Of(keepDims)));

    /// <summary>Returns sum(t²) / 2, a scalar.</summary>
    [OpMethod("L2Loss")]
    public static Tensor<T> L2Loss<T>(Tensor<T> t) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("L2Loss", [In(t.Untyped)]);

    /// <summary>Returns t clipped to [<paramref name="clipValueMin"/>, <paramref name="clipValueMax"/>], each a scalar or of t's shape.</summary>
    [OpMethod("ClipByValue")]
    public static Tensor<T> ClipByValue<T>(Tensor<T> t, Tensor<T> clipValueMin, Tensor<T> clipValueMax) where T : unmanaged, INumber<T> =>
        One<T>("ClipByValue", [In(t.Untyped), In(clipValueMin.Untyped), In(clipValueMax.Untyped)]);

    /// <summary>
    /// Returns uniform random values in [0, 1) (<c>RandomUniform</c>). <paramref name="seed"/> and <paramref name="seed2"/>
    /// are TensorFlow's graph and op seeds: equal seeds give TensorFlow's values; both 0 draws fresh seeds. The stream
    /// goes on from run to run, as TensorFlow's does.
    /// </summary>
    [OpMethod("RandomUniform")]
    public static Tensor<T> RandomUniform<T>(int[] shape, long seed = 0, long seed2 = 0) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("RandomUniform", [In(shape)], ("seed", AttrValues.Of(seed)), ("seed2", AttrValues.Of(seed2)));

    /// <summary>Returns standard normal random values (<c>RandomStandardNormal</c>; seeds as in <see cref="RandomUniform{T}"/>).</summary>
    [OpMethod("RandomStandardNormal")]
    public static Tensor<T> RandomStandardNormal<T>(int[] shape, long seed = 0, long seed2 = 0) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("RandomStandardNormal", [In(shape)], ("seed", AttrValues.Of(seed)), ("seed2", AttrValues.Of(seed2)));

    /// <summary>Returns standard normal random values redrawn until within two standard deviations (<c>TruncatedNormal</c>).</summary>
    [OpMethod("TruncatedNormal")]
    public static Tensor<T> TruncatedNormal<T>(int[] shape, long seed = 0, long seed2 = 0) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("TruncatedNormal", [In(shape)], ("seed", AttrValues.Of(seed)), ("seed2", AttrValues.Of(seed2)));

    /// <summary>Returns uniform random integers in [<paramref name="minval"/>, <paramref name="maxval"/>) (<c>RandomUniformInt</c>).</summary>
    [OpMethod("RandomUniformInt")]
    public static Tensor<int> RandomUniformInt(int[] shape, int minval, int maxval, long seed = 0, long seed2 = 0) =>
        One<int>("RandomUniformInt", [In(shape), In(minval), In(maxval)], ("seed", AttrValues.Of(seed)), ("seed2", AttrValues.Of(seed2)));

    /// <summary>Returns uniform random values in [0, 1) that depend only on <paramref name="shape"/> and the two-value <paramref name="seed"/> (<c>StatelessRandomUniform</c>).</summary>
    [OpMethod("StatelessRandomUniform")]
    public static Tensor<T> StatelessRandomUniform<T>(int[] shape, long[] seed) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("StatelessRandomUniform", [In(shape), [Tensor.FromArray<long>(seed, seed.Length)]]);

    /// <summary>Returns standard normal values that depend only on <paramref name="shape"/> and <paramref name="seed"/> (<c>StatelessRandomNormal</c>).</summary>
    [OpMethod("StatelessRandomNormal")]
    public static Tensor<T> StatelessRandomNormal<T>(int[] shape, long[] seed) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("StatelessRandomNormal", [In(shape), [Tensor.FromArray<long>(seed, seed.Length)]]);

    /// <summary>Returns truncated normal values that depend only on <paramref name="shape"/> and <paramref name="seed"/> (<c>StatelessTruncatedNormal</c>).</summary>
    [OpMethod("StatelessTruncatedNormal")]
    public static Tensor<T> StatelessTruncatedNormal<T>(int[] shape, long[] seed) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("StatelessTruncatedNormal", [In(shape), [Tensor.FromArray<long>(seed, seed.Length)]]);

    /// <summary>
    /// Returns the transposed convolution (the gradient of <see cref="Conv2D{T}"/> with respect to its input) of
    /// <paramref name="outBackprop"/>, producing a tensor of <paramref name="inputSizes"/> (NHWC) (<c>Conv2DBackpropInput</c>).
    /// </summary>
    [OpMethod("Conv2DBackpropInput")]
    public static Tensor<T> Conv2DBackpropInput<T>(int[] inputSizes, Tensor<T> filter, Tensor<T> outBackprop, int[] strides, string padding, int[]? dilations = null)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("Conv2DBackpropInput", [In(inputSizes), In(filter.Untyped), In(outBackprop.Untyped)], ("strides", AttrValues.Of(strides)), ("padding", AttrValues.Of(padding)),
            ("dilations", AttrValues.Of(dilations ?? [1, 1, 1, 1])));

    /// <summary>Returns local response normalization over the channels of an NHWC input (<c>LRN</c>).</summary>
    [OpMethod("LRN")]
    public static Tensor<T> Lrn<T>(Tensor<T> input, int depthRadius = 5, float bias = 1f, float alpha = 1f, float beta = 0.5f) where T : unmanaged, IFloatingPointIeee754<T> =>
        One<T>("LRN", [In(input.Untyped)], ("depth_radius", AttrValues.Of((long)depthRadius)), ("bias", AttrValues.Of(bias)), ("alpha", AttrValues.Of(alpha)), ("beta", AttrValues.Of(beta)));

    /// <summary>Returns the NHWC images resized to <paramref name="size"/> by bilinear interpolation, as float32 (<c>ResizeBilinear</c>; Keras resizes with half-pixel centres).</summary>
    [OpMethod("ResizeBilinear")]
    public static Tensor<float> ResizeBilinear<T>(Tensor<T> images, int[] size, bool alignCorners = false, bool halfPixelCenters = false) where T : unmanaged, INumber<T> =>
        One<float>("ResizeBilinear", [In(images.Untyped), In(size)], ("align_corners", AttrValues.Of(alignCorners)), ("half_pixel_centers", AttrValues.Of(halfPixelCenters)));

    /// <summary>Returns the NHWC images resized to <paramref name="size"/> by taking the nearest pixel (<c>ResizeNearestNeighbor</c>).</summary>
    [OpMethod("ResizeNearestNeighbor")]
    public static Tensor<T> ResizeNearestNeighbor<T>(Tensor<T> images, int[] size, bool alignCorners = false, bool halfPixelCenters = false) where T : unmanaged, INumber<T> =>
        One<T>("ResizeNearestNeighbor", [In(images.Untyped), In(size)], ("align_corners", AttrValues.Of(alignCorners)), ("half_pixel_centers", AttrValues.Of(halfPixelCenters)));

    /// <summary>Returns the Einstein summation <paramref name="equation"/> (<c>"abc,cd-&gt;abd"</c>) of <paramref name="inputs"/>.</summary>
    [OpMethod("Einsum")]
    public static Tensor<T> Einsum<T>(string equation, Tensor<T>[] inputs) where T : unmanaged, INumber<T> =>
        One<T>("Einsum", [In(inputs)], ("equation", AttrValues.Of(equation)));

    /// <summary>Returns log |Γ(x)|, elementwise.</summary>
    [OpMethod("Lgamma")]
    public static Tensor<T> Lgamma<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Lgamma", [In(x.Untyped)]);

    /// <summary>Returns ψ(x), the derivative of log Γ, elementwise.</summary>
    [OpMethod("Digamma")]
    public static Tensor<T> Digamma<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Digamma", [In(x.Untyped)]);

    /// <summary>Returns the polygamma function ψ⁽ᵃ⁾(x) elementwise, with broadcasting (a = 0 is digamma; a must be a whole number).</summary>
    [OpMethod("Polygamma")]
    public static Tensor<T> Polygamma<T>(Tensor<T> a, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Polygamma", [In(a.Untyped), In(x.Untyped)]);

    /// <summary>Returns the Hurwitz zeta function ζ(x, q) = Σₖ (q + k)^-x elementwise, with broadcasting.</summary>
    [OpMethod("Zeta")]
    public static Tensor<T> Zeta<T>(Tensor<T> x, Tensor<T> q) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Zeta", [In(x.Untyped), In(q.Untyped)]);

    /// <summary>Returns x AND y bitwise, with broadcasting.</summary>
    [OpMethod("BitwiseAnd")]
    public static Tensor<T> BitwiseAnd<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IBinaryInteger<T> => One<T>("BitwiseAnd", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x OR y bitwise, with broadcasting.</summary>
    [OpMethod("BitwiseOr")]
    public static Tensor<T> BitwiseOr<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IBinaryInteger<T> => One<T>("BitwiseOr", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x XOR y bitwise, with broadcasting.</summary>
    [OpMethod("BitwiseXor")]
    public static Tensor<T> BitwiseXor<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IBinaryInteger<T> => One<T>("BitwiseXor", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x shifted left by y bits (y clamped to [0, bits - 1]), with broadcasting.</summary>
    [OpMethod("LeftShift")]
    public static Tensor<T> LeftShift<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IBinaryInteger<T> => One<T>("LeftShift", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns x shifted right by y bits, arithmetic for signed types (y clamped to [0, bits - 1]), with broadcasting.</summary>
    [OpMethod("RightShift")]
    public static Tensor<T> RightShift<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IBinaryInteger<T> => One<T>("RightShift", [In(x.Untyped), In(y.Untyped)]);

    /// <summary>Returns NOT x bitwise.</summary>
    [OpMethod("Invert")]
    public static Tensor<T> Invert<T>(Tensor<T> x) where T : unmanaged, IBinaryInteger<T> => One<T>("Invert", [In(x.Untyped)]);

    /// <summary>Returns the inverse error function of y, elementwise (±∞ at ±1).</summary>
    [OpMethod("Erfinv")]
    public static Tensor<T> Erfinv<T>(Tensor<T> y) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Erfinv", [In(y.Untyped)]);

    /// <summary>Returns the inverse of the standard normal CDF at p, elementwise.</summary>
    [OpMethod("Ndtri")]
    public static Tensor<T> Ndtri<T>(Tensor<T> p) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Ndtri", [In(p.Untyped)]);

    /// <summary>Returns x · log(1 + y), or 0 where x is 0, elementwise with broadcasting.</summary>
    [OpMethod("Xlog1py")]
    public static Tensor<T> Xlog1py<T>(Tensor<T> x, Tensor<T> y) where T : unmanaged, IFloatingPointIeee754<T> => One<T>("Xlog1py", [In(x.Untyped), In(y.Untyped)]);
}
