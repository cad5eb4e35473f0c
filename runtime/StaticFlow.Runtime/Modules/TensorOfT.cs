using StaticFlow.Operations;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>A <see cref="Tensor{T}"/> of any element type, for ops whose C# form names only the result's type (<c>Ops.Cast&lt;float&gt;(x)</c>).</summary>
public interface ITensor
{
    /// <summary>The untyped tensor (same storage).</summary>
    Tensor Untyped { get; }
}

/// <summary>
/// A tensor with a static element type, the value type of graph functions. It wraps an untyped
/// <see cref="Tensor"/> without copying; its operators run eagerly and are lowered to graph ops by the generator
/// (<c>+</c> is <c>Add</c>, <c>-</c> <c>Sub</c>, <c>*</c> <c>Mul</c>, <c>/</c> <c>RealDiv</c>, unary <c>-</c>
/// <c>Neg</c>, <c>&lt;</c> <c>Less</c> and so on), with TensorFlow's broadcasting.
/// </summary>
/// <typeparam name="T">The element type: float, double, Half, BFloat16, sbyte, byte, short, ushort, int, uint, long, ulong, bool, or <see cref="TString"/> for strings.</typeparam>
public sealed class Tensor<T> : ITensor where T : unmanaged
{
    /// <summary>Wraps <paramref name="tensor"/>, which must hold elements of type <typeparamref name="T"/>.</summary>
    public Tensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType != DTypes.Of<T>())
            throw new ArgumentException($"A {tensor.DType.Name()} tensor cannot be viewed as Tensor<{typeof(T).Name}>.", nameof(tensor));
        Untyped = tensor;
    }

    /// <summary>The untyped tensor (same storage).</summary>
    public Tensor Untyped { get; }

    /// <summary>The shape. In graph functions <c>x.Shape[i]</c> folds to a constant where the generator knows the dimension, and reads it at run time (<c>Shape</c>) where not.</summary>
    public TensorShape Shape => Untyped.Shape;

    /// <summary>The number of dimensions; folded in graph functions where known, else the <c>Rank</c> op.</summary>
    public int Rank => Untyped.Shape.Rank;

    /// <summary>
    /// The part of the tensor that C# index and range syntax selects, as TensorFlow's <c>x[...]</c>: <c>x[1]</c> and
    /// <c>x[^1]</c> take one element (removing the dimension), <c>x[.., 1..3]</c> a range of columns, unmentioned
    /// dimensions are taken whole. One <c>StridedSlice</c> node in graph functions.
    /// </summary>
    /// <exception cref="ArgumentException">The positions cannot index a tensor (two ellipses, <c>^0</c> as an element).</exception>
    public Tensor<T> this[params TensorIndex[] indices]
    {
        get
        {
            var spec = SliceSpec.From([.. indices.Select(i => i.Item)], out string? problem) ?? throw new ArgumentException(problem, nameof(indices));
            return Ops.StridedSlice(this, Ints(spec.Begin), Ints(spec.End), Ints(spec.Strides), spec.BeginMask, spec.EndMask, spec.EllipsisMask, spec.NewAxisMask, spec.ShrinkAxisMask);
        }
    }

    private static int[] Ints(long[] values) => [.. values.Select(v => checked((int)v))];

    /// <summary>The elements in row-major order (no copy).</summary>
    public ReadOnlySpan<T> Span => Untyped.AsSpan<T>();

    /// <summary>A tensor of <paramref name="dims"/> holding a copy of <paramref name="values"/> (row-major).</summary>
    public static Tensor<T> From(ReadOnlySpan<T> values, params long[] dims) => new(Tensor.FromArray(values, dims));

    /// <summary>A scalar.</summary>
    public static Tensor<T> Scalar(T value) => new(Tensor.Scalar(value));

    /// <summary>A copy of the elements.</summary>
    public T[] ToArray() => Untyped.ToArray<T>();

    /// <summary>A scalar tensor, so that <c>x * 2f</c> reads naturally.</summary>
    public static implicit operator Tensor<T>(T value) => Scalar(value);

/// <summary>Elementwise x + y with broadcasting (<c>Add</c>).</summary>
    public static Tensor<T> operator +(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, T>("Add", x, y);

    /// <summary>Elementwise x - y with broadcasting (<c>Sub</c>).</summary>
    public static Tensor<T> operator -(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, T>("Sub", x, y);

    /// <summary>Elementwise x * y with broadcasting (<c>Mul</c>).</summary>
    public static Tensor<T> operator *(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, T>("Mul", x, y);

    /// <summary>Elementwise x / y with broadcasting (<c>RealDiv</c>).</summary>
    public static Tensor<T> operator /(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, T>("RealDiv", x, y);

    /// <summary>Elementwise -x (<c>Neg</c>).</summary>
    public static Tensor<T> operator -(Tensor<T> x) => Ops.Operator<T, T>("Neg", x);

    /// <summary>Elementwise x &lt; y with broadcasting (<c>Less</c>).</summary>
    public static Tensor<bool> operator <(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, bool>("Less", x, y);

    /// <summary>Elementwise x &gt; y with broadcasting (<c>Greater</c>).</summary>
    public static Tensor<bool> operator >(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, bool>("Greater", x, y);

    /// <summary>Elementwise x &lt;= y with broadcasting (<c>LessEqual</c>).</summary>
    public static Tensor<bool> operator <=(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, bool>("LessEqual", x, y);

    /// <summary>Elementwise x &gt;= y with broadcasting (<c>GreaterEqual</c>).</summary>
    public static Tensor<bool> operator >=(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, bool>("GreaterEqual", x, y);

    /// <summary>
    /// Elementwise x == y with broadcasting (<c>Equal</c>), as in TensorFlow 2: a <c>Tensor&lt;bool&gt;</c>, not a
    /// reference comparison. Test for null with <c>is null</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor<bool> operator ==(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, bool>("Equal", NotNull(x), NotNull(y));

    /// <summary>Elementwise x != y with broadcasting (<c>NotEqual</c>); test for null with <c>is not null</c>.</summary>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Tensor<bool> operator !=(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, bool>("NotEqual", NotNull(x), NotNull(y));

    /// <summary>Elementwise remainder of floor division, with the sign of y (<c>FloorMod</c>, Python's and TensorFlow's <c>%</c>).</summary>
    public static Tensor<T> operator %(Tensor<T> x, Tensor<T> y) => Ops.Operator<T, T>("FloorMod", x, y);

    /// <summary>Elementwise logical not of a <c>Tensor&lt;bool&gt;</c> (<c>LogicalNot</c>); other element types have no kernel and fail naming the op.</summary>
    public static Tensor<T> operator !(Tensor<T> x) => Ops.Operator<T, T>("LogicalNot", x);

    private static Tensor<T> NotNull(Tensor<T> x) =>
        x ?? throw new ArgumentNullException(nameof(x), "== and != on tensors compare elements (Equal, NotEqual); test for null with 'is null'.");

    /// <summary>Reference equality: <c>==</c> compares elements, so tensors in collections keep identity semantics.</summary>
    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    /// <summary>The identity hash, consistent with <see cref="Equals(object?)"/>.</summary>
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);

    /// <summary>
    /// The truth of a scalar <c>Tensor&lt;bool&gt;</c>, so that <c>if (Ops.Sum(x, [0]) &gt; 1f)</c> and <c>?:</c> read
    /// naturally. Graph functions lower them to <c>SelectV2</c>; like TensorFlow, a tensor of several elements has no
    /// single truth value.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not a scalar of bool.</exception>
    public static bool operator true(Tensor<T> x) => Truth(x);

    /// <summary>The negation of <see cref="op_True"/>.</summary>
    public static bool operator false(Tensor<T> x) => !Truth(x);

    private static bool Truth(Tensor<T> x)
    {
        if (x.Untyped.DType != DType.Bool || x.Untyped.ElementCount != 1)
            throw new InvalidOperationException($"The truth value of a {x.Untyped.DType.Name()}{x.Shape} tensor is ambiguous; a condition must be a scalar Tensor<bool>.");
        return x.Untyped.AsSpan<bool>()[0];
    }

    /// <summary>The dtype, shape and values, as TensorFlow prints a tensor.</summary>
    public override string ToString() => TensorFormatter.ToText(Untyped);
}
