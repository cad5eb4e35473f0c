using StaticFlow.Execution;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// The TensorList ops (<c>tensorflow/core/kernels/list_kernels.h</c>): what <c>tf.TensorArray</c> lowers to in
/// TF2 graphs, and so what Keras' recurrent layers and while-loop gradients run on. A list travels as a scalar
/// <see cref="DType.Variant"/> tensor holding a <see cref="TensorList"/>.
/// </summary>
internal static class ListKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("EmptyTensorList", _ => new DelegateKernel(c =>
        {
            int max = ScalarInt(c, 1, "max_num_elements");
            if (max < -1) throw c.Error($"max_num_elements must be -1 (no limit) or at least 0, got {max}");
            c.SetOutput(0, Handle(TensorList.Create(c.DTypeAttr("element_dtype"), ElementShapeInput(c, 0), [], max)));
        }));
        add.Add("TensorListReserve", _ => new DelegateKernel(c =>
        {
            int count = ScalarInt(c, 1, "num_elements");
            if (count < 0) throw c.Error($"the num_elements to reserve must be a non-negative number, got {count}");
            c.SetOutput(0, Handle(TensorList.Reserve(c.DTypeAttr("element_dtype"), ElementShapeInput(c, 0), count)));
        }));
        add.Add("TensorListFromTensor", _ => new DelegateKernel(c =>
        {
            Tensor tensor = c.Input(0);
            TensorShape elementShape = ElementShapeInput(c, 1);
            if (tensor.Shape.Rank < 1) throw c.Error($"the tensor must be at least a vector, but has shape {tensor.Shape}");
            var rows = Rows(tensor);
            if (!elementShape.IsCompatibleWith(new TensorShape([.. tensor.Shape.Dims[1..]])))
                throw c.Error($"element_shape {elementShape} does not fit the rows of {tensor.Shape}");
            c.SetOutput(0, Handle(TensorList.Create(tensor.DType, elementShape, rows)));
        }));
        add.Add("TensorListLength", _ => new DelegateKernel(c => c.SetOutput(0, Tensor.Scalar(List(c, 0).Count))));
        add.Add("TensorListElementShape", _ => new DelegateKernel(c =>
        {
            TensorShape shape = List(c, 0).ElementShape;
            long[] dims = shape.IsUnknownRank ? [-1] : [.. shape.Dims];
            Tensor value = shape.IsUnknownRank ? Tensor.Scalar(-1L) : Tensor.FromArray<long>(dims, dims.Length);
            c.SetOutput(0, value.Cast(c.DTypeAttr("shape_type")));
        }));
        add.Add("TensorListGetItem", _ => new DelegateKernel(c =>
        {
            TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
            int index = Index(c, 1, list);
            c.SetOutput(0, list[index] ?? Zeros(c, list, ElementShapeInput(c, 2)));
        }));
        add.Add("TensorListSetItem", node =>
        {
            bool grow = node.Attrs.TryGetValue("resize_if_index_out_of_bounds", out var resize) && resize.B;
            return new DelegateKernel(c =>
            {
                TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
                Tensor item = Item(c, 2, list);
                int index = ScalarInt(c, 1, "index");
                if (index < 0 || (!grow && index >= list.Count))
                    throw c.Error($"trying to modify element {index} in a list with {list.Count} elements");
                c.SetOutput(0, Handle(list.SetItem(index, item)));
            });
        });
        add.Add("TensorListPushBack", _ => new DelegateKernel(c =>
        {
            TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
            Tensor item = Item(c, 1, list);
            if (list.MaxCount >= 0 && list.Count >= list.MaxCount) throw c.Error($"tried to push an item into a full list (max_num_elements {list.MaxCount})");
            c.SetOutput(0, Handle(list.PushBack(item)));
        }));
        add.Add("TensorListPopBack", _ => new DelegateKernel(c =>
        {
            TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
            if (list.Count == 0) throw c.Error("trying to pop from an empty list");
            TensorList rest = list.PopBack(out Tensor? last);
            c.SetOutput(0, Handle(rest));
            c.SetOutput(1, last ?? Zeros(c, list, ElementShapeInput(c, 1), inferFromItems: false));
        }));
        add.Add("TensorListStack", node =>
        {
            long expected = KernelHelpers.IntAttr(node, "num_elements");
            return new DelegateKernel(c =>
            {
                TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
                if (expected != -1 && expected != list.Count)
                    throw c.Error($"the op expects a list with {expected} elements but got a list with {list.Count}");
                c.SetOutput(0, Stack(c, list, Enumerable.Range(0, list.Count), ElementShapeInput(c, 1)));
            });
        });
        add.Add("TensorListGather", _ => new DelegateKernel(c =>
        {
            TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
            Tensor indices = c.Input(1);
            if (indices.Shape.Rank != 1) throw c.Error($"indices must be a vector, but have shape {indices.Shape}");
            int[] positions = [.. c.ToLongs(1).Select(i => i >= 0 && i < list.Count ? (int)i
                : throw c.Error($"trying to gather element {i} in a list with {list.Count} elements"))];
            c.SetOutput(0, Stack(c, list, positions, ElementShapeInput(c, 2)));
        }));
        add.Add("TensorListScatter", _ => new DelegateKernel(c => c.SetOutput(0, Handle(Scatter(c, NewList(c), 0, 1, minimumCount: 0)))));
        add.Add("TensorListScatterV2", _ => new DelegateKernel(c =>
        {
            int count = ScalarInt(c, 3, "num_elements");
            if (count < -1) throw c.Error($"num_elements must be -1 or at least 0, got {count}");
            c.SetOutput(0, Handle(Scatter(c, NewList(c), 0, 1, minimumCount: count)));
        }));
        add.Add("TensorListScatterIntoExistingList", _ => new DelegateKernel(c =>
            c.SetOutput(0, Handle(Scatter(c, List(c, 0, c.DTypeAttr("element_dtype")), 1, 2, minimumCount: 0)))));
        add.Add("TensorListResize", _ => new DelegateKernel(c =>
        {
            int size = ScalarInt(c, 1, "size");
            if (size < 0) throw c.Error($"size must be non-negative, got {size}");
            c.SetOutput(0, Handle(List(c, 0).Resize(size)));
        }));
        add.Add("TensorListConcatV2", _ => new DelegateKernel(c =>
        {
            TensorList list = List(c, 0, c.DTypeAttr("element_dtype"));
            TensorShape elementShape = ElementShapeInput(c, 1);
            long[] leading = c.ToLongs(2);
            var pieces = new Tensor[list.Count];
            for (int i = 0; i < list.Count; i++)
            {
                if (list[i] is { } item)
                {
                    if (item.Shape.Rank < 1) throw c.Error($"concat needs elements of rank 1 or more, element {i} has shape {item.Shape}");
                    pieces[i] = item;
                    continue;
                }
                // An unset element is zeros of leading_dims[i] rows of the known element shape.
                if (i >= leading.Length || elementShape.Rank < 1 || !new TensorShape([.. elementShape.Dims[1..]]).IsFullyDefined)
                    throw c.Error($"element {i} is unset and its shape is not known from element_shape {elementShape} and leading_dims");
                pieces[i] = Tensor.Zeros(list.ElementDType, new TensorShape([leading[i], .. elementShape.Dims[1..]]));
            }
            if (pieces.Length == 0)
            {
                if (elementShape.Rank < 1 || !new TensorShape([.. elementShape.Dims[1..]]).IsFullyDefined)
                    throw c.Error($"concatenating an empty list needs a fully defined element_shape beyond its first dimension, got {elementShape}");
                c.SetOutput(0, Tensor.Zeros(list.ElementDType, new TensorShape([0, .. elementShape.Dims[1..]])));
            }
            else c.SetOutput(0, ArrayKernels.Concat(c, pieces, 0));
            c.SetOutput(1, Tensor.FromArray<long>([.. pieces.Select(p => p.Shape[0])], pieces.Length));
        }));
        add.Add("TensorListSplit", _ => new DelegateKernel(c =>
        {
            Tensor tensor = c.Input(0);
            TensorShape elementShape = ElementShapeInput(c, 1);
            long[] lengths = c.ToLongs(2);
            if (tensor.Shape.Rank < 1) throw c.Error($"the tensor must be at least a vector, but has shape {tensor.Shape}");
            if (lengths.Any(l => l < 0) || lengths.Sum() != tensor.Shape[0])
                throw c.Error($"lengths [{string.Join(",", lengths)}] must be non-negative and add up to dimension 0 of {tensor.Shape}");
            var pieces = ArrayKernels.Split(tensor, 0, lengths);
            foreach (Tensor piece in pieces)
                if (!elementShape.IsCompatibleWith(piece.Shape)) throw c.Error($"a piece of shape {piece.Shape} does not fit element_shape {elementShape}");
            c.SetOutput(0, Handle(TensorList.Create(tensor.DType, elementShape, pieces)));
        }));
    }

    private static Tensor Handle(TensorList list) => Tensor.Variant(list);

    /// <summary>The list a variant input holds, checking the element dtype an op names.</summary>
    private static TensorList List(KernelContext c, int input, DType? elementDType = null)
    {
        Tensor handle = c.Input(input);
        if (handle.DType != DType.Variant || handle.ElementCount != 1 || handle.Variants[0] is not TensorList list)
            throw c.Error($"input {input} must be a scalar variant holding a tensor list, not {handle}");
        if (elementDType is { } expected && list.ElementDType != expected)
            throw c.Error($"the op reads {expected.Name()} elements but the list holds {list.ElementDType.Name()}");
        return list;
    }

    private static TensorList NewList(KernelContext c) =>
        TensorList.Create(c.DTypeAttr("element_dtype"), ElementShapeInput(c, 2), []);

    private static int ScalarInt(KernelContext c, int input, string what) =>
        c.ToLongs(input) is [var value] && c.Input(input).Shape.Rank == 0 && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw c.Error($"{what} must be an int32 scalar, got {c.Input(input)}");

    private static int Index(KernelContext c, int input, TensorList list)
    {
        int index = ScalarInt(c, input, "index");
        return index >= 0 && index < list.Count ? index : throw c.Error($"trying to access element {index} in a list with {list.Count} elements");
    }

    /// <summary>An item an op stores, checked against the list's dtype and element shape.</summary>
    private static Tensor Item(KernelContext c, int input, TensorList list)
    {
        Tensor item = c.Input(input);
        if (item.DType != list.ElementDType) throw c.Error($"the item is {item.DType.Name()} but the list holds {list.ElementDType.Name()}");
        if (!list.ElementShape.IsCompatibleWith(item.Shape))
            throw c.Error($"the item's shape {item.Shape} does not fit the list's element shape {list.ElementShape}");
        return item;
    }

    /// <summary>
    /// An <c>element_shape</c> input as TensorFlow reads it: a scalar -1 for unknown rank, else a vector whose -1
    /// entries are unknown dimensions.
    /// </summary>
    private static TensorShape ElementShapeInput(KernelContext c, int input)
    {
        Tensor t = c.Input(input);
        long[] values = c.ToLongs(input);
        if (t.Shape.Rank == 0)
            return values[0] == -1 ? TensorShape.UnknownRank : throw c.Error($"a scalar element_shape must be -1 (unknown rank), got {values[0]}");
        if (t.Shape.Rank != 1 || values.Length > TensorShape.MaxRank || values.Any(d => d < -1))
            throw c.Error($"element_shape must be -1 or a vector of dimensions (-1 for unknown), got {t}");
        return new TensorShape(values);
    }

    /// <summary>Both shapes' knowledge together, or null when they disagree (TensorFlow's PartialTensorShape::MergeWith).</summary>
    internal static TensorShape? Merge(TensorShape a, TensorShape b)
    {
        if (a.IsUnknownRank) return b;
        if (b.IsUnknownRank) return a;
        if (a.Rank != b.Rank) return null;
        var dims = new long[a.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return null;
            dims[i] = a[i] >= 0 ? a[i] : b[i];
        }
        return new TensorShape(dims);
    }

    /// <summary>
    /// The shape an unset element reads as: the op's element_shape merged with the list's and, for reads that
    /// TensorFlow lets infer it, with the shapes of the elements that are set.
    /// </summary>
    private static TensorShape ElementShape(KernelContext c, TensorList list, TensorShape requested, bool inferFromItems)
    {
        TensorShape shape = Merge(requested, list.ElementShape)
            ?? throw c.Error($"incompatible shapes during merge: {requested} vs. {list.ElementShape}");
        if (inferFromItems && !shape.IsFullyDefined)
            foreach (Tensor? item in list.ToArray())
                if (item is not null)
                    shape = Merge(shape, item.Shape) ?? throw c.Error($"incompatible shapes during merge: {shape} vs. {item.Shape}");
        return shape;
    }

    private static Tensor Zeros(KernelContext c, TensorList list, TensorShape requested, bool inferFromItems = true)
    {
        TensorShape shape = ElementShape(c, list, requested, inferFromItems);
        return shape.IsFullyDefined ? Tensor.Zeros(list.ElementDType, shape)
            : throw c.Error($"trying to read an uninitialized tensor but element_shape is not fully defined: {shape} and no list element is set");
    }

    /// <summary>The elements at <paramref name="positions"/> stacked along a new first dimension (unset ones as zeros).</summary>
    private static Tensor Stack(KernelContext c, TensorList list, IEnumerable<int> positions, TensorShape requested)
    {
        int[] at = [.. positions];
        TensorShape shape = ElementShape(c, list, requested, inferFromItems: true);
        if (!shape.IsFullyDefined)
            throw c.Error(list.Count == 0
                ? $"tried to stack elements of an empty list with a non-fully-defined element_shape: {shape}"
                : $"trying to read an uninitialized tensor but element_shape is not fully defined: {shape} and no list element is set");
        var output = Tensor.Zeros(list.ElementDType, new TensorShape([at.Length, .. shape.Dims]));
        long rowElements = shape.ElementCount;
        for (int i = 0; i < at.Length; i++)
        {
            if (list[at[i]] is not { } item) continue;
            if (!item.Shape.Equals(shape)) throw c.Error($"element {at[i]} has shape {item.Shape} but the stacked elements have shape {shape}");
            ElementCopy.Copy(item, 0, output, i * rowElements, rowElements);
        }
        return output;
    }

    private static TensorList Scatter(KernelContext c, TensorList list, int tensorInput, int indicesInput, int minimumCount)
    {
        Tensor tensor = c.Input(tensorInput);
        if (tensor.DType != list.ElementDType) throw c.Error($"the tensor is {tensor.DType.Name()} but the list holds {list.ElementDType.Name()}");
        if (tensor.Shape.Rank < 1) throw c.Error($"the tensor must be at least a vector, but has shape {tensor.Shape}");
        if (c.Input(indicesInput).Shape.Rank != 1) throw c.Error($"indices must be a vector, got {c.Input(indicesInput).Shape}");
        long[] indices = c.ToLongs(indicesInput);
        if (indices.Length != tensor.Shape[0])
            throw c.Error($"{indices.Length} indices for a tensor of {tensor.Shape[0]} rows ({tensor.Shape})");
        var rows = Rows(tensor);
        Tensor?[] items = list.ToArray();
        long needed = Math.Max(minimumCount, indices.Length == 0 ? 0 : indices.Max() + 1);
        if (needed > int.MaxValue) throw c.Error($"index {indices.Max()} is too large for a list");
        if (needed > items.Length)
        {
            MemoryBudget.Check(needed * IntPtr.Size, $"a tensor list of {needed} elements");
            Array.Resize(ref items, (int)needed);
        }
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] < 0) throw c.Error($"index {indices[i]} is negative");
            if (!list.ElementShape.IsCompatibleWith(rows[i].Shape))
                throw c.Error($"row {i}'s shape {rows[i].Shape} does not fit the list's element shape {list.ElementShape}");
            items[indices[i]] = rows[i];
        }
        return TensorList.Create(list.ElementDType, list.ElementShape, items, list.MaxCount);
    }

    /// <summary>The slices of a tensor along its first dimension.</summary>
    private static Tensor[] Rows(Tensor tensor)
    {
        long count = tensor.Shape[0];
        TensorShape row = new([.. tensor.Shape.Dims[1..]]);
        long rowElements = row.ElementCount;
        var rows = new Tensor[count];
        for (long i = 0; i < count; i++)
        {
            rows[i] = Tensor.Zeros(tensor.DType, row);
            ElementCopy.Copy(tensor, i * rowElements, rows[i], 0, rowElements);
        }
        return rows;
    }
}
