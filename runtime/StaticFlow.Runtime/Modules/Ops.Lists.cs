using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// The element type of variant tensors (TensorFlow's <c>tf.variant</c>): a <c>Tensor&lt;TVariant&gt;</c> scalar is a
/// handle to a tensor list (<see cref="Execution.TensorList"/>), what <c>tf.TensorArray</c> is built on. Handles flow
/// through graph functions and their while loops like any tensor, and cannot be saved.
/// </summary>
public readonly struct TVariant;

// TensorList ops (tf.TensorArray in TF2): a list handle is a Tensor<TVariant>; every change returns a new handle.
public static partial class Ops
{
    private static Tensor[] In(Tensor<TVariant> handle) => [handle.Untyped];

    /// <summary>An empty list of <typeparamref name="T"/> elements of <paramref name="elementShape"/> (-1 for an unknown dimension), holding at most <paramref name="maxNumElements"/> (-1: no limit).</summary>
    [OpMethod("EmptyTensorList")]
    public static Tensor<TVariant> EmptyTensorList<T>(int[] elementShape, int maxNumElements = -1) where T : unmanaged =>
        One<TVariant>("EmptyTensorList", [In(elementShape), In(maxNumElements)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32)));

    /// <summary>A list of <paramref name="numElements"/> unset elements (they read as zeros of <paramref name="elementShape"/>), as <c>tf.TensorArray(size=n)</c>.</summary>
    [OpMethod("TensorListReserve")]
    public static Tensor<TVariant> TensorListReserve<T>(int[] elementShape, Tensor<int> numElements) where T : unmanaged =>
        One<TVariant>("TensorListReserve", [In(elementShape), In(numElements.Untyped)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32)));

    /// <summary>A list of the slices of <paramref name="tensor"/> along its first dimension (<c>TensorArray.unstack</c>).</summary>
    [OpMethod("TensorListFromTensor")]
    public static Tensor<TVariant> TensorListFromTensor<T>(Tensor<T> tensor, int[] elementShape) where T : unmanaged =>
        One<TVariant>("TensorListFromTensor", [In(tensor.Untyped), In(elementShape)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32)));

    /// <summary>The number of elements of a list.</summary>
    [OpMethod("TensorListLength")]
    public static Tensor<int> TensorListLength(Tensor<TVariant> inputHandle) => One<int>("TensorListLength", [In(inputHandle)]);

    /// <summary>Element <paramref name="index"/> of a list (zeros of <paramref name="elementShape"/> where it was never set).</summary>
    [OpMethod("TensorListGetItem")]
    public static Tensor<T> TensorListGetItem<T>(Tensor<TVariant> inputHandle, Tensor<int> index, int[] elementShape) where T : unmanaged =>
        One<T>("TensorListGetItem", [In(inputHandle), In(index.Untyped), In(elementShape)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())));

    /// <summary>The list with element <paramref name="index"/> replaced by <paramref name="item"/> (<c>TensorArray.write</c>).</summary>
    [OpMethod("TensorListSetItem")]
    public static Tensor<TVariant> TensorListSetItem<T>(Tensor<TVariant> inputHandle, Tensor<int> index, Tensor<T> item) where T : unmanaged =>
        One<TVariant>("TensorListSetItem", [In(inputHandle), In(index.Untyped), In(item.Untyped)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())));

    /// <summary>The list with <paramref name="tensor"/> appended.</summary>
    [OpMethod("TensorListPushBack")]
    public static Tensor<TVariant> TensorListPushBack<T>(Tensor<TVariant> inputHandle, Tensor<T> tensor) where T : unmanaged =>
        One<TVariant>("TensorListPushBack", [In(inputHandle), In(tensor.Untyped)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())));

    /// <summary>The list without its last element, and that element.</summary>
    [OpMethod("TensorListPopBack")]
    public static (Tensor<TVariant> OutputHandle, Tensor<T> Tensor) TensorListPopBack<T>(Tensor<TVariant> inputHandle, int[] elementShape) where T : unmanaged
    {
        var outputs = EagerExecutor.Execute("TensorListPopBack", [In(inputHandle), In(elementShape)], [("element_dtype", AttrValues.Of(DTypes.Of<T>()))], [DType.Variant, DTypes.Of<T>()]);
        return (new Tensor<TVariant>(outputs[0]), new Tensor<T>(outputs[1]));
    }

    /// <summary>The elements stacked along a new first dimension (<c>TensorArray.stack</c>); <paramref name="numElements"/>, unless -1, must be the list's length.</summary>
    [OpMethod("TensorListStack")]
    public static Tensor<T> TensorListStack<T>(Tensor<TVariant> inputHandle, int[] elementShape, int numElements = -1) where T : unmanaged =>
        One<T>("TensorListStack", [In(inputHandle), In(elementShape)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("num_elements", AttrValues.Of(numElements)));

    /// <summary>The elements at <paramref name="indices"/>, stacked (<c>TensorArray.gather</c>).</summary>
    [OpMethod("TensorListGather")]
    public static Tensor<T> TensorListGather<T>(Tensor<TVariant> inputHandle, Tensor<int> indices, int[] elementShape) where T : unmanaged =>
        One<T>("TensorListGather", [In(inputHandle), In(indices.Untyped), In(elementShape)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())));

    /// <summary>A new list whose element <c>indices[i]</c> is row i of <paramref name="tensor"/> (<c>TensorArray.scatter</c>); it is as long as the largest index + 1.</summary>
    [OpMethod("TensorListScatter")]
    public static Tensor<TVariant> TensorListScatter<T>(Tensor<T> tensor, Tensor<int> indices, int[] elementShape) where T : unmanaged =>
        One<TVariant>("TensorListScatter", [In(tensor.Untyped), In(indices.Untyped), In(elementShape)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32)));

    /// <summary>As <see cref="TensorListScatter{T}"/>, the list at least <paramref name="numElements"/> long (-1: as the indices make it).</summary>
    [OpMethod("TensorListScatterV2")]
    public static Tensor<TVariant> TensorListScatterV2<T>(Tensor<T> tensor, Tensor<int> indices, int[] elementShape, Tensor<int> numElements) where T : unmanaged =>
        One<TVariant>("TensorListScatterV2", [In(tensor.Untyped), In(indices.Untyped), In(elementShape), In(numElements.Untyped)],
            ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32)));

    /// <summary>The list with element <c>indices[i]</c> replaced by row i of <paramref name="tensor"/>.</summary>
    [OpMethod("TensorListScatterIntoExistingList")]
    public static Tensor<TVariant> TensorListScatterIntoExistingList<T>(Tensor<TVariant> inputHandle, Tensor<T> tensor, Tensor<int> indices) where T : unmanaged =>
        One<TVariant>("TensorListScatterIntoExistingList", [In(inputHandle), In(tensor.Untyped), In(indices.Untyped)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())));

    /// <summary>The list cut or grown (with unset elements) to <paramref name="size"/> elements.</summary>
    [OpMethod("TensorListResize")]
    public static Tensor<TVariant> TensorListResize(Tensor<TVariant> inputHandle, Tensor<int> size) => One<TVariant>("TensorListResize", [In(inputHandle), In(size.Untyped)]);

    /// <summary>
    /// The elements joined along their first dimension, and each one's length (<c>TensorArray.concat</c>); an unset
    /// element counts as <paramref name="leadingDims"/>[i] rows of zeros.
    /// </summary>
    [OpMethod("TensorListConcatV2")]
    public static (Tensor<T> Tensor, Tensor<long> Lengths) TensorListConcat<T>(Tensor<TVariant> inputHandle, int[] elementShape, Tensor<long> leadingDims) where T : unmanaged
    {
        var outputs = EagerExecutor.Execute("TensorListConcatV2", [In(inputHandle), In(elementShape), In(leadingDims.Untyped)],
            [("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32))], [DTypes.Of<T>(), DType.Int64]);
        return (new Tensor<T>(outputs[0]), new Tensor<long>(outputs[1]));
    }

    /// <summary>A list of the pieces of <paramref name="tensor"/> along its first dimension, of the given <paramref name="lengths"/> (<c>TensorArray.split</c>).</summary>
    [OpMethod("TensorListSplit")]
    public static Tensor<TVariant> TensorListSplit<T>(Tensor<T> tensor, int[] elementShape, Tensor<long> lengths) where T : unmanaged =>
        One<TVariant>("TensorListSplit", [In(tensor.Untyped), In(elementShape), In(lengths.Untyped)], ("element_dtype", AttrValues.Of(DTypes.Of<T>())), ("shape_type", AttrValues.Of(DType.Int32)));

    /// <summary>The shape the list's elements are declared with (-1 where unknown).</summary>
    [OpMethod("TensorListElementShape")]
    public static Tensor<int> TensorListElementShape(Tensor<TVariant> inputHandle) =>
        One<int>("TensorListElementShape", [In(inputHandle)], ("shape_type", AttrValues.Of(DType.Int32)));
}
