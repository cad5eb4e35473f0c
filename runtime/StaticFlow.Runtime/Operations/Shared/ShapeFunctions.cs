// Shared source: compiled into the runtime and linked into the generator and analyzers (netstandard2.0).
using System;
using System.Collections.Generic;
using System.Linq;

namespace StaticFlow.Operations;

/// <summary>
/// TensorFlow's shape functions (<c>tensorflow/core/ops/*.cc</c>, <c>SetShapeFn</c>) on partially known shapes.
/// Each op's definition in <see cref="StandardOps"/> names one of these. They infer what the inputs determine,
/// return null where a shape depends on values not known statically, and throw through
/// <see cref="ShapeContext.Fail"/> only when the inputs can never fit.
/// </summary>
internal static class ShapeFunctions
{
    private static readonly long[]? UnknownShape = null;
    private static readonly long[] ScalarShape = [];

    /// <summary>Nothing is known statically (data-dependent shapes, function calls).</summary>
    public static IReadOnlyList<long[]?> Unknown(ShapeContext c) => [];

    /// <summary>The op has no outputs.</summary>
    public static IReadOnlyList<long[]?> NoOutputs(ShapeContext c) => [];

    /// <summary>A scalar output.</summary>
    public static IReadOnlyList<long[]?> Scalar(ShapeContext c) => [ScalarShape];

    /// <summary>The output has the first input's shape (elementwise unary ops, identities).</summary>
    public static IReadOnlyList<long[]?> Unchanged(ShapeContext c) => [c.Shape(0)];

    /// <summary>Every output has the first input's shape (IdentityN keeps each input's).</summary>
    public static IReadOnlyList<long[]?> EachUnchanged(ShapeContext c) =>
        Enumerable.Range(0, c.ListLength(0)).Select(i => c.Shape(0, i)).ToArray();

    /// <summary>NumPy broadcasting of every input (elementwise binary ops, SelectV2).</summary>
    public static IReadOnlyList<long[]?> Broadcast(ShapeContext c)
    {
        long[]? shape = c.Shape(0);
        for (int i = 1; i < c.ArgumentCount; i++)
        {
            if (!ShapeRules.TryBroadcast(shape, c.Shape(i), out long[]? result))
                throw c.Fail($"shapes {ShapeRules.Format(shape)} and {ShapeRules.Format(c.Shape(i))} cannot be broadcast together");
            shape = result;
        }
        return [shape];
    }

    /// <summary>Inputs of one shape (AddN): the output has it.</summary>
    public static IReadOnlyList<long[]?> SameAsAllInputs(ShapeContext c)
    {
        long[]? shape = null;
        for (int i = 0; i < c.ListLength(0); i++)
            shape = Merge(c, shape, c.Shape(0, i), "inputs");
        return [shape];
    }

    /// <summary>Legacy Select: the condition is the branches' shape or a vector over their first dimension.</summary>
    public static IReadOnlyList<long[]?> SelectLegacy(ShapeContext c) => [Merge(c, c.Shape(1), c.Shape(2), "t and e")];

    /// <summary>The shape given by the <c>shape</c> attr (Placeholder, VariableV2).</summary>
    public static IReadOnlyList<long[]?> FromShapeAttr(ShapeContext c) => [c.ShapeAttr("shape")];

    /// <summary>The shape of the <c>value</c> tensor attr (Const).</summary>
    public static IReadOnlyList<long[]?> FromValueAttr(ShapeContext c) => [c.TensorAttrShape("value")];

    /// <summary>The <c>shape</c> attr where set, else the default input's shape.</summary>
    public static IReadOnlyList<long[]?> PlaceholderWithDefault(ShapeContext c) => [c.ShapeAttr("shape") ?? c.Shape(0)];

    /// <summary>MatMul: rank-2 operands whose inner dimensions agree.</summary>
    public static IReadOnlyList<long[]?> MatMul(ShapeContext c) =>
        ShapeRules.TryMatMul(c.Shape(0), c.Shape(1), c.Flag("transpose_a"), c.Flag("transpose_b"), out long[]? product, out string? problem)
            ? [product]
            : throw c.Fail(problem!);

    /// <summary>BatchMatMulV2: matrices in the last two dimensions, the batch dimensions broadcast.</summary>
    public static IReadOnlyList<long[]?> BatchMatMul(ShapeContext c)
    {
        long[]? x = c.Shape(0), y = c.Shape(1);
        if (x is null || y is null) return [UnknownShape];
        if (x.Length < 2 || y.Length < 2) throw c.Fail($"batch matrix products need rank 2 or more, got {ShapeRules.Format(x)} and {ShapeRules.Format(y)}");
        bool adjX = c.Flag("adj_x"), adjY = c.Flag("adj_y");
        long rows = x[x.Length - (adjX ? 1 : 2)], inner = x[x.Length - (adjX ? 2 : 1)];
        long innerY = y[y.Length - (adjY ? 1 : 2)], cols = y[y.Length - (adjY ? 2 : 1)];
        if (inner >= 0 && innerY >= 0 && inner != innerY)
            throw c.Fail($"inner dimensions differ: x {ShapeRules.Format(x)} and y {ShapeRules.Format(y)}");
        if (!ShapeRules.TryBroadcast(x.Take(x.Length - 2).ToArray(), y.Take(y.Length - 2).ToArray(), out long[]? batch))
            throw c.Fail($"batch dimensions of {ShapeRules.Format(x)} and {ShapeRules.Format(y)} cannot be broadcast together");
        return [[.. batch!, rows, cols]];
    }

    /// <summary>BiasAdd: a vector bias matching the value's channel dimension.</summary>
    public static IReadOnlyList<long[]?> BiasAdd(ShapeContext c)
    {
        long[]? value = c.Shape(0), bias = c.Shape(1);
        if (bias is not null && bias.Length != 1) throw c.Fail($"bias must be a vector, got shape {ShapeRules.Format(bias)}");
        if (value is not null && value.Length < 1) throw c.Fail("value must have rank 1 or more, got a scalar");
        int channel = value is null ? -1 : c.Text("data_format") == "NCHW" && value.Length >= 3 ? 1 : value.Length - 1;
        if (value is not null && bias is not null && value[channel] >= 0 && bias[0] >= 0 && value[channel] != bias[0])
            throw c.Fail($"bias of shape {ShapeRules.Format(bias)} does not match dimension {channel} of value {ShapeRules.Format(value)}");
        return [value];
    }

    /// <summary>Sum, Mean, Max, Min, Prod, All, Any: the reduced axes removed, or kept as 1 with <c>keep_dims</c>.</summary>
    public static IReadOnlyList<long[]?> Reduce(ShapeContext c)
    {
        long[]? input = c.Shape(0), axes = c.Constant(1);
        if (input is null || axes is null) return [UnknownShape];
        var reduced = new HashSet<long>();
        foreach (long axis in axes) reduced.Add(NormalizeAxis(c, axis, input.Length, input));
        bool keep = c.Flag("keep_dims");
        return [input.Select((d, i) => (d, i)).Where(p => keep || !reduced.Contains(p.i)).Select(p => reduced.Contains(p.i) ? 1 : p.d).ToArray()];
    }

    /// <summary>ArgMax/ArgMin: the input without the scalar axis argument's dimension.</summary>
    public static IReadOnlyList<long[]?> ArgReduce(ShapeContext c)
    {
        long[]? input = c.Shape(0), axis = c.Constant(1);
        if (input is null || axis is null || axis.Length != 1) return [UnknownShape];
        long normalized = NormalizeAxis(c, axis[0], input.Length, input);
        return [input.Where((_, i) => i != normalized).ToArray()];
    }

    /// <summary>Reshape: a constant target shape with at most one -1, whose size matches a fully known input.</summary>
    public static IReadOnlyList<long[]?> Reshape(ShapeContext c)
    {
        long[]? target = c.Constant(1), input = c.Shape(0);
        if (target is null) return [UnknownShape];
        long[] dims = (long[])target.Clone();
        if (dims.Count(d => d == -1) > 1 || dims.Any(d => d < -1))
            throw c.Fail($"{ShapeRules.Format(target)} is not a valid target shape: at most one -1 and no other negative size");
        if (input is not null && input.All(d => d >= 0))
        {
            long count = input.Aggregate(1L, (a, b) => a * b), known = dims.Where(d => d >= 0).Aggregate(1L, (a, b) => a * b);
            int unknown = Array.IndexOf(dims, -1L);
            bool fits = unknown >= 0 ? known > 0 && count % known == 0 || count == 0 : known == count;
            if (!fits)
                throw c.Fail($"a tensor of shape {ShapeRules.Format(input)} ({count} elements) cannot be reshaped to {ShapeRules.Format(target)}");
            if (unknown >= 0 && known > 0) dims[unknown] = count / known;
        }
        return [dims];
    }

    /// <summary>Transpose by a constant permutation.</summary>
    public static IReadOnlyList<long[]?> Transpose(ShapeContext c)
    {
        long[]? input = c.Shape(0), perm = c.Constant(1);
        if (input is null || perm is null) return [UnknownShape];
        if (perm.Length != input.Length || perm.Any(p => p < 0 || p >= input.Length) || perm.Distinct().Count() != perm.Length)
            throw c.Fail($"[{string.Join(",", perm)}] is not a permutation of the {input.Length} dimensions of {ShapeRules.Format(input)}");
        return [perm.Select(p => input[p]).ToArray()];
    }

    /// <summary>ExpandDims: a 1 inserted at the constant axis (negative counts from the end, past the last).</summary>
    public static IReadOnlyList<long[]?> ExpandDims(ShapeContext c)
    {
        long[]? input = c.Shape(0), axis = c.Constant(1);
        if (input is null || axis is null || axis.Length != 1) return [UnknownShape];
        long position = axis[0] < 0 ? axis[0] + input.Length + 1 : axis[0];
        if (position < 0 || position > input.Length) throw c.Fail($"axis {axis[0]} is out of range for inserting into {ShapeRules.Format(input)}");
        var dims = input.ToList();
        dims.Insert((int)position, 1);
        return [dims.ToArray()];
    }

    /// <summary>Squeeze: the listed size-1 dimensions removed, or every known size-1 dimension when none is listed.</summary>
    public static IReadOnlyList<long[]?> Squeeze(ShapeContext c)
    {
        long[]? input = c.Shape(0);
        if (input is null) return [UnknownShape];
        long[] listed = c.Ints("squeeze_dims") ?? [];
        if (listed.Length == 0) return input.Any(d => d < 0) ? [UnknownShape] : [input.Where(d => d != 1).ToArray()];
        var axes = new HashSet<long>(listed.Select(a => NormalizeAxis(c, a, input.Length, input)));
        foreach (long axis in axes)
            if (input[axis] > 1 || input[axis] == 0) throw c.Fail($"dimension {axis} of {ShapeRules.Format(input)} is not 1 and cannot be squeezed");
        return [input.Where((_, i) => !axes.Contains(i)).ToArray()];
    }

    /// <summary>Shape: a vector as long as the input's rank.</summary>
    public static IReadOnlyList<long[]?> ShapeOf(ShapeContext c) => [c.Shape(0) is { } s ? [s.Length] : [-1]];

    /// <summary>ConcatV2: the inputs joined along a constant axis; other dimensions must agree.</summary>
    public static IReadOnlyList<long[]?> Concat(ShapeContext c)
    {
        int count = c.ListLength(0);
        long[]? axis = c.Constant(1);
        long[]? first = null;
        for (int i = 0; i < count && first is null; i++) first = c.Shape(0, i);
        if (first is null || axis is null || axis.Length != 1) return [UnknownShape];
        long along = NormalizeAxis(c, axis[0], first.Length, first);
        var result = (long[])first.Clone();
        result[along] = 0;
        for (int i = 0; i < count; i++)
        {
            long[]? shape = c.Shape(0, i);
            if (shape is null) { result[along] = -1; continue; }
            if (shape.Length != first.Length) throw c.Fail($"values {ShapeRules.Format(first)} and {ShapeRules.Format(shape)} differ in rank");
            for (int d = 0; d < shape.Length; d++)
            {
                if (d == along) { result[d] = result[d] < 0 || shape[d] < 0 ? -1 : result[d] + shape[d]; continue; }
                if (result[d] >= 0 && shape[d] >= 0 && result[d] != shape[d])
                    throw c.Fail($"values {ShapeRules.Format(first)} and {ShapeRules.Format(shape)} differ in dimension {d}, not the concatenation axis {along}");
                if (result[d] < 0) result[d] = shape[d];
            }
        }
        return [result];
    }

    /// <summary>Pack: the inputs' common shape with their count inserted at <c>axis</c>.</summary>
    public static IReadOnlyList<long[]?> Pack(ShapeContext c)
    {
        int count = c.ListLength(0);
        long[]? shape = null;
        for (int i = 0; i < count; i++) shape = Merge(c, shape, c.Shape(0, i), "values");
        if (shape is null) return [UnknownShape];
        long axis = c.Int("axis");
        long position = axis < 0 ? axis + shape.Length + 1 : axis;
        if (position < 0 || position > shape.Length) throw c.Fail($"axis {axis} is out of range for stacking values of shape {ShapeRules.Format(shape)}");
        var dims = shape.ToList();
        dims.Insert((int)position, count);
        return [dims.ToArray()];
    }

    /// <summary>Unpack: <c>num</c> outputs, each the input without dimension <c>axis</c>.</summary>
    public static IReadOnlyList<long[]?> Unpack(ShapeContext c)
    {
        long[]? input = c.Shape(0);
        if (input is null) return [];
        long axis = NormalizeAxis(c, c.Int("axis"), input.Length, input);
        long num = c.Int("num");
        if (input[axis] >= 0 && input[axis] != num) throw c.Fail($"dimension {axis} of {ShapeRules.Format(input)} is not num = {num}");
        long[] item = input.Where((_, i) => i != axis).ToArray();
        return Enumerable.Repeat<long[]?>(item, c.OutputCount).ToArray();
    }

    /// <summary>Split: <c>num_split</c> equal parts of the value along a constant dimension.</summary>
    public static IReadOnlyList<long[]?> Split(ShapeContext c)
    {
        long[]? axis = c.Constant(0), value = c.Shape(1);
        if (value is null || axis is null || axis.Length != 1) return [];
        long along = NormalizeAxis(c, axis[0], value.Length, value);
        long parts = c.Int("num_split", 1);
        if (value[along] >= 0 && (parts <= 0 || value[along] % parts != 0))
            throw c.Fail($"dimension {along} of {ShapeRules.Format(value)} does not split into {parts} equal parts");
        long[] part = (long[])value.Clone();
        part[along] = value[along] < 0 ? -1 : value[along] / parts;
        return Enumerable.Repeat<long[]?>(part, c.OutputCount).ToArray();
    }

    /// <summary>SplitV: parts of constant sizes (one may be -1) along a constant dimension.</summary>
    public static IReadOnlyList<long[]?> SplitV(ShapeContext c)
    {
        long[]? value = c.Shape(0), sizes = c.Constant(1), axis = c.Constant(2);
        if (value is null || sizes is null || axis is null || axis.Length != 1 || sizes.Length != c.OutputCount) return [];
        long along = NormalizeAxis(c, axis[0], value.Length, value);
        long[] resolved = (long[])sizes.Clone();
        int unknown = Array.IndexOf(resolved, -1L);
        long known = resolved.Where(s => s >= 0).Sum();
        if (resolved.Count(s => s == -1) > 1 || resolved.Any(s => s < -1)) throw c.Fail($"size_splits [{string.Join(",", sizes)}] may hold one -1 and no other negative size");
        if (value[along] >= 0)
        {
            if (unknown >= 0 && known <= value[along]) resolved[unknown] = value[along] - known;
            else if (unknown >= 0 || known != value[along])
                throw c.Fail($"size_splits [{string.Join(",", sizes)}] do not add up to dimension {along} of {ShapeRules.Format(value)}");
        }
        return resolved.Select(size => { long[] part = (long[])value.Clone(); part[along] = size; return (long[]?)part; }).ToArray();
    }

    /// <summary>Slice: constant begin and size (-1 takes the rest).</summary>
    public static IReadOnlyList<long[]?> Slice(ShapeContext c)
    {
        long[]? input = c.Shape(0), begin = c.Constant(1), size = c.Constant(2);
        if (size is null) return [input is null ? UnknownShape : Enumerable.Repeat(-1L, input.Length).ToArray()];
        if (input is not null && size.Length != input.Length) throw c.Fail($"size [{string.Join(",", size)}] does not have the rank of {ShapeRules.Format(input)}");
        var dims = new long[size.Length];
        for (int i = 0; i < size.Length; i++)
        {
            long dim = input?[i] ?? -1, start = begin?[i] ?? -1;
            if (size[i] < -1) throw c.Fail($"size [{string.Join(",", size)}] holds a negative size other than -1");
            dims[i] = size[i] >= 0 ? size[i] : dim >= 0 && start >= 0 ? dim - start : -1;
            if (dim >= 0 && start >= 0 && (start > dim || dims[i] >= 0 && start + dims[i] > dim))
                throw c.Fail($"slice [{start}, {start}+{dims[i]}) is out of dimension {i} of {ShapeRules.Format(input)}");
        }
        return [dims];
    }

    /// <summary>
    /// StridedSlice with constant begin, end and strides, by the kernel's rules (masks, ellipsis, new and shrunk
    /// axes; bounds clamped); a dimension the input does not know stays unknown.
    /// </summary>
    public static IReadOnlyList<long[]?> StridedSlice(ShapeContext c)
    {
        long[]? input = c.Shape(0), begin = c.Constant(1), end = c.Constant(2), strides = c.Constant(3);
        if (input is null || begin is null || end is null || strides is null) return [UnknownShape];
        if (end.Length != begin.Length || strides.Length != begin.Length) throw c.Fail("begin, end and strides must have the same length");
        long beginMask = c.Int("begin_mask"), endMask = c.Int("end_mask"), ellipsisMask = c.Int("ellipsis_mask"),
            newAxisMask = c.Int("new_axis_mask"), shrinkMask = c.Int("shrink_axis_mask");
        bool Bit(long mask, int i) => (mask & (1L << i)) != 0;
        int consumed = 0, ellipses = 0;
        for (int i = 0; i < begin.Length; i++)
        {
            if (Bit(ellipsisMask, i)) ellipses++;
            else if (!Bit(newAxisMask, i)) consumed++;
        }
        if (ellipses > 1) throw c.Fail("at most one ellipsis is allowed");
        if (consumed > input.Length) throw c.Fail($"the slice indexes {consumed} dimensions of {ShapeRules.Format(input)}");
        var dims = new List<long>();
        int dim = 0;
        for (int i = 0; i < begin.Length; i++)
        {
            if (Bit(ellipsisMask, i))
            {
                for (int k = input.Length - consumed; k > 0; k--) dims.Add(input[dim++]);
                continue;
            }
            if (Bit(newAxisMask, i)) { dims.Add(1); continue; }
            long size = input[dim], stride = strides[i];
            if (stride == 0) throw c.Fail($"stride {i} is zero");
            if (Bit(shrinkMask, i))
            {
                if (size >= 0 && (begin[i] >= size || begin[i] < -size))
                    throw c.Fail($"index {begin[i]} is out of bounds for dimension {dim} of {ShapeRules.Format(input)}");
                dim++;
                continue;
            }
            if (size < 0) { dims.Add(-1); dim++; continue; }
            long b = SliceBound(begin[i], Bit(beginMask, i), stride > 0 ? 0 : size - 1, size, stride);
            long e = SliceBound(end[i], Bit(endMask, i), stride > 0 ? size : -1, size, stride);
            dims.Add(stride > 0 ? System.Math.Max(0, (e - b + stride - 1) / stride) : System.Math.Max(0, (b - e - stride - 1) / -stride));
            dim++;
        }
        if (ellipses == 0) while (dim < input.Length) dims.Add(input[dim++]);
        return [dims.ToArray()];
    }

    /// <summary>A StridedSlice bound: the mask's value, or the given one counted from the end when negative and clamped as the kernel clamps it.</summary>
    internal static long SliceBound(long value, bool masked, long maskedValue, long size, long stride)
    {
        if (masked) return maskedValue;
        long v = value < 0 ? value + size : value;
        return stride > 0 ? System.Math.Min(System.Math.Max(v, 0), size) : System.Math.Min(System.Math.Max(v, -1), size - 1);
    }

    /// <summary>GatherV2 (batch_dims 0): params' dimensions before the axis, the indices' shape, then params' after it.</summary>
    public static IReadOnlyList<long[]?> Gather(ShapeContext c)
    {
        long[]? @params = c.Shape(0), indices = c.Shape(1), axis = c.Constant(2);
        if (@params is null || indices is null || axis is null || axis.Length != 1 || c.Int("batch_dims") != 0) return [UnknownShape];
        long along = NormalizeAxis(c, axis[0], @params.Length, @params);
        return [[.. @params.Take((int)along), .. indices, .. @params.Skip((int)along + 1)]];
    }

    /// <summary>Tile: each dimension times a constant multiple.</summary>
    public static IReadOnlyList<long[]?> Tile(ShapeContext c)
    {
        long[]? input = c.Shape(0), multiples = c.Constant(1);
        if (input is null || multiples is null) return [UnknownShape];
        if (multiples.Length != input.Length) throw c.Fail($"multiples [{string.Join(",", multiples)}] do not have the rank of {ShapeRules.Format(input)}");
        if (multiples.Any(m => m < 0)) throw c.Fail($"multiples [{string.Join(",", multiples)}] hold a negative count");
        return [input.Select((d, i) => d < 0 ? -1 : d * multiples[i]).ToArray()];
    }

    /// <summary>Pad, PadV2, MirrorPad: each dimension grown by a constant [rank, 2] of paddings.</summary>
    public static IReadOnlyList<long[]?> Pad(ShapeContext c)
    {
        long[]? input = c.Shape(0), paddings = c.Constant(1);
        if (input is null || paddings is null) return [UnknownShape];
        if (paddings.Length != 2 * input.Length) throw c.Fail($"paddings hold {paddings.Length} values, not 2 for each of the {input.Length} dimensions of {ShapeRules.Format(input)}");
        if (paddings.Any(p => p < 0)) throw c.Fail($"paddings [{string.Join(",", paddings)}] hold a negative amount");
        return [input.Select((d, i) => d < 0 ? -1 : d + paddings[2 * i] + paddings[2 * i + 1]).ToArray()];
    }

    /// <summary>MirrorPadGrad: the padded gradient's dims less the paddings (the unpadded input's shape).</summary>
    public static IReadOnlyList<long[]?> Unpad(ShapeContext c)
    {
        long[]? input = c.Shape(0), paddings = c.Constant(1);
        if (input is null || paddings is null) return [UnknownShape];
        if (paddings.Length != 2 * input.Length) throw c.Fail($"paddings hold {paddings.Length} values, not 2 for each of the {input.Length} dimensions of {ShapeRules.Format(input)}");
        if (paddings.Any(p => p < 0)) throw c.Fail($"paddings [{string.Join(",", paddings)}] hold a negative amount");
        var dims = input.Select((d, i) => d < 0 ? -1 : d - paddings[2 * i] - paddings[2 * i + 1]).ToArray();
        if (dims.Any(d => d < -1)) throw c.Fail($"paddings [{string.Join(",", paddings)}] are more than the gradient {ShapeRules.Format(input)}");
        return [dims];
    }

    /// <summary>
    /// What an <c>element_shape</c> argument of the TensorList ops says statically: null for unknown rank (the scalar
    /// -1), else its dimensions (-1 where unknown), as TensorFlow's MakeShapeFromShapeTensorTreatScalarAsUnknownShape.
    /// </summary>
    private static long[]? ListElementShape(ShapeContext c, int argument)
    {
        if (c.Shape(argument) is not [var length]) return UnknownShape;
        if (c.Constant(argument) is { } dims && dims.All(d => d >= -1)) return dims;
        return length >= 0 ? Enumerable.Repeat(-1L, (int)Math.Min(length, 254)).ToArray() : UnknownShape;
    }

    /// <summary>TensorListGetItem: an element of the shape its element_shape argument gives.</summary>
    public static IReadOnlyList<long[]?> ListItem(ShapeContext c) => [ListElementShape(c, 2)];

    /// <summary>TensorListPopBack: the shorter list (a scalar handle) and an element.</summary>
    public static IReadOnlyList<long[]?> ListPop(ShapeContext c) => [ScalarShape, ListElementShape(c, 1)];

    /// <summary>TensorListStack: num_elements (unknown when -1) elements of the element shape.</summary>
    public static IReadOnlyList<long[]?> ListStack(ShapeContext c) =>
        [ListElementShape(c, 1) is { } element ? [c.Int("num_elements", -1) is var n && n >= 0 ? n : -1, .. element] : UnknownShape];

    /// <summary>TensorListGather: the indices' shape followed by the element shape.</summary>
    public static IReadOnlyList<long[]?> ListGather(ShapeContext c) =>
        [c.Shape(1) is { } indices && ListElementShape(c, 2) is { } element ? [.. indices, .. element] : UnknownShape];

    /// <summary>TensorListConcatV2: elements joined along their first dimension, and each one's length.</summary>
    public static IReadOnlyList<long[]?> ListConcat(ShapeContext c) =>
        [ListElementShape(c, 1) is { Length: >= 1 } element ? [-1, .. element.Skip(1)] : UnknownShape, [-1]];

    /// <summary>Fill: the constant dims.</summary>
    public static IReadOnlyList<long[]?> Fill(ShapeContext c)
    {
        long[]? dims = c.Constant(0);
        if (dims is not null && dims.Any(d => d < 0)) throw c.Fail($"dims [{string.Join(",", dims)}] hold a negative size");
        return [dims];
    }

    /// <summary>Range: a vector whose length follows from constant start, limit and delta.</summary>
    public static IReadOnlyList<long[]?> Range(ShapeContext c)
    {
        long[]? start = c.Constant(0), limit = c.Constant(1), delta = c.Constant(2);
        if (start is not [var s] || limit is not [var l] || delta is not [var d]) return [[-1]];
        if (d == 0) throw c.Fail("delta must not be 0");
        long count = d > 0 ? (l > s ? (l - s + d - 1) / d : 0) : (s > l ? (s - l - d - 1) / -d : 0);
        return [[count]];
    }

    /// <summary>BroadcastTo: the constant target shape, which the input must broadcast to.</summary>
    public static IReadOnlyList<long[]?> BroadcastTo(ShapeContext c)
    {
        long[]? input = c.Shape(0), target = c.Constant(1);
        if (target is null) return [UnknownShape];
        if (target.Any(d => d < 0)) throw c.Fail($"shape [{string.Join(",", target)}] holds a negative size");
        if (input is not null)
        {
            if (input.Length > target.Length) throw c.Fail($"cannot broadcast {ShapeRules.Format(input)} to the lower rank {ShapeRules.Format(target)}");
            for (int d = 0; d < input.Length; d++)
            {
                long have = input[d], want = target[target.Length - input.Length + d];
                if (have >= 0 && have != 1 && have != want) throw c.Fail($"cannot broadcast {ShapeRules.Format(input)} to {ShapeRules.Format(target)}");
            }
        }
        return [target];
    }

    /// <summary>SpaceToDepth (NHWC): height and width divided by <c>block_size</c>, depth multiplied by its square.</summary>
    public static IReadOnlyList<long[]?> SpaceToDepth(ShapeContext c)
    {
        long[]? x = c.Shape(0);
        long block = c.Int("block_size");
        if (block < 2) throw c.Fail($"block_size must be at least 2, got {block}");
        if (x is null) return [UnknownShape];
        if (x.Length != 4) throw c.Fail($"input must be 4-D NHWC, got {ShapeRules.Format(x)}");
        foreach (long d in new[] { x[1], x[2] })
            if (d >= 0 && d % block != 0) throw c.Fail($"height and width of {ShapeRules.Format(x)} must be multiples of block_size {block}");
        return [[x[0], x[1] < 0 ? -1 : x[1] / block, x[2] < 0 ? -1 : x[2] / block, x[3] < 0 ? -1 : x[3] * block * block]];
    }

    /// <summary>DepthToSpace (NHWC): height and width multiplied by <c>block_size</c>, depth divided by its square.</summary>
    public static IReadOnlyList<long[]?> DepthToSpace(ShapeContext c)
    {
        long[]? x = c.Shape(0);
        long block = c.Int("block_size");
        if (block < 2) throw c.Fail($"block_size must be at least 2, got {block}");
        if (x is null) return [UnknownShape];
        if (x.Length != 4) throw c.Fail($"input must be 4-D NHWC, got {ShapeRules.Format(x)}");
        if (x[3] >= 0 && x[3] % (block * block) != 0) throw c.Fail($"depth of {ShapeRules.Format(x)} must be a multiple of block_size² = {block * block}");
        return [[x[0], x[1] < 0 ? -1 : x[1] * block, x[2] < 0 ? -1 : x[2] * block, x[3] < 0 ? -1 : x[3] / (block * block)]];
    }

    /// <summary>OneHot: the indices' shape with the constant depth inserted at <c>axis</c> (-1: last).</summary>
    public static IReadOnlyList<long[]?> OneHot(ShapeContext c)
    {
        long[]? indices = c.Shape(0), depth = c.Constant(1);
        if (indices is null) return [UnknownShape];
        long axis = c.Int("axis", -1), position = axis == -1 ? indices.Length : axis;
        if (position < 0 || position > indices.Length) throw c.Fail($"axis {axis} is out of range for indices of shape {ShapeRules.Format(indices)}");
        if (depth is [< 0]) throw c.Fail($"depth must be non-negative, got {depth[0]}");
        var dims = indices.ToList();
        dims.Insert((int)position, depth is [var d] ? d : -1);
        return [dims.ToArray()];
    }

    /// <summary>GatherNd: the indices' leading dimensions, then params' dimensions past the index depth.</summary>
    public static IReadOnlyList<long[]?> GatherNd(ShapeContext c)
    {
        long[]? @params = c.Shape(0), indices = c.Shape(1);
        if (@params is null || indices is null || indices.Length == 0 || indices[indices.Length - 1] < 0) return [UnknownShape];
        long depth = indices[indices.Length - 1];
        if (depth > @params.Length) throw c.Fail($"index depth {depth} is more than the rank of params {ShapeRules.Format(@params)}");
        return [[.. indices.Take(indices.Length - 1), .. @params.Skip((int)depth)]];
    }

    /// <summary>TopKV2: values and indices of the input's shape with the last dimension k.</summary>
    public static IReadOnlyList<long[]?> TopK(ShapeContext c)
    {
        long[]? input = c.Shape(0), k = c.Constant(1);
        if (input is null) return [];
        if (input.Length == 0) throw c.Fail("input must have rank 1 or more, got a scalar");
        long last = input[input.Length - 1];
        if (k is [var kk] && (kk < 0 || last >= 0 && kk > last)) throw c.Fail($"k = {kk} does not fit the last dimension of {ShapeRules.Format(input)}");
        long[] dims = [.. input.Take(input.Length - 1), k is [var size] ? size : -1];
        return [dims, dims];
    }

    /// <summary>Where: one row of coordinates per true element (their number is known only when run).</summary>
    public static IReadOnlyList<long[]?> Where(ShapeContext c) => [c.Shape(0) is { } x ? [-1, x.Length] : [-1, -1]];

    /// <summary>Unique: a vector of the distinct values (their number is known only when run) and an index per input element.</summary>
    public static IReadOnlyList<long[]?> Unique(ShapeContext c)
    {
        if (c.Shape(0) is { } x && x.Length != 1) throw c.Fail($"x must be a vector, got {ShapeRules.Format(x)}");
        return [[-1], c.Shape(0)];
    }

    /// <summary>SoftmaxCrossEntropyWithLogits and the sparse form: a loss per row and a backprop of the logits' shape.</summary>
    public static IReadOnlyList<long[]?> CrossEntropy(ShapeContext c)
    {
        long[]? logits = c.Shape(0);
        if (logits is null) return [];
        if (logits.Length != 2) throw c.Fail($"logits must be a [batch, classes] matrix, got {ShapeRules.Format(logits)}");
        return [[logits[0]], logits];
    }

    /// <summary>Random ops: the shape given by the constant first input.</summary>
    public static IReadOnlyList<long[]?> FromShapeInput(ShapeContext c) => Fill(c);

    /// <summary>Conv2DBackpropFilter: the filter shape its second input (filter_sizes) holds.</summary>
    public static IReadOnlyList<long[]?> FromShapeInputAt1(ShapeContext c) => [c.Constant(1)];

    /// <summary>FusedBatchNormGradV3: x's shape, the scale's twice, and two empty reserve spaces.</summary>
    public static IReadOnlyList<long[]?> FusedBatchNormGrad(ShapeContext c) => [c.Shape(1), c.Shape(2), c.Shape(2), [0], [0]];

    /// <summary>StatelessRandomGetKeyCounter: a one-word key and a two-word counter.</summary>
    public static IReadOnlyList<long[]?> KeyCounter(ShapeContext c) => [[1], [2]];

    /// <summary>ResizeBilinear and ResizeNearestNeighbor: the images' batch and channels around the constant size.</summary>
    public static IReadOnlyList<long[]?> Resize(ShapeContext c)
    {
        long[]? images = c.Shape(0), size = c.Constant(1);
        if (images is not null && images.Length != 4) throw c.Fail($"images must be 4-D NHWC, got {ShapeRules.Format(images)}");
        if (size is not null && (size.Length != 2 || size.Any(s => s <= 0))) throw c.Fail($"size must be two positive sizes, got [{string.Join(",", size)}]");
        return [[images?[0] ?? -1, size?[0] ?? -1, size?[1] ?? -1, images?[3] ?? -1]];
    }

    /// <summary>The shape of the second input (ResizeBilinearGrad answers in the original image's shape).</summary>
    public static IReadOnlyList<long[]?> LikeSecondInput(ShapeContext c) => [c.Shape(1)];

    /// <summary>Einsum: each output subscript's size from the operand that has it.</summary>
    public static IReadOnlyList<long[]?> Einsum(ShapeContext c)
    {
        int count = c.ListLength(0);
        var equation = EinsumEquation.TryParse(c.Text("equation") ?? "", count, out string? problem) ?? throw c.Fail(problem!);
        var sizes = equation.Sizes(Enumerable.Range(0, count).Select(i => c.Shape(0, i)).ToList(), out problem) ?? throw c.Fail(problem!);
        return [equation.Output.Select(ch => sizes[ch]).ToArray()];
    }

    /// <summary>StringSplitV2: a sparse [rows, widest] result whose number of parts is known only when run.</summary>
    public static IReadOnlyList<long[]?> SparseSplit(ShapeContext c) => [[-1, 2], [-1], [2]];

    /// <summary>BiasAddGrad: a vector over the channel dimension.</summary>
    public static IReadOnlyList<long[]?> BiasAddGrad(ShapeContext c)
    {
        long[]? dy = c.Shape(0);
        if (dy is null) return [[-1]];
        if (dy.Length < 2) throw c.Fail($"out_backprop must have rank 2 or more, got {ShapeRules.Format(dy)}");
        return [[c.Text("data_format") == "NCHW" && dy.Length >= 3 ? dy[1] : dy[dy.Length - 1]]];
    }

    /// <summary>Two vectors of lengths known only when run (BroadcastGradientArgs).</summary>
    public static IReadOnlyList<long[]?> TwoVectors(ShapeContext c) => [[-1], [-1]];

    /// <summary>EnsureShape: the input's shape merged with the <c>shape</c> attr, which it must fit.</summary>
    public static IReadOnlyList<long[]?> EnsureShape(ShapeContext c)
    {
        long[]? input = c.Shape(0), expected = c.ShapeAttr("shape");
        if (input is null || expected is null) return [expected ?? input];
        return [Merge(c, input, expected, "the input and the expected shape")];
    }

    /// <summary>ShapeN: a vector per input as long as its rank.</summary>
    public static IReadOnlyList<long[]?> ShapeN(ShapeContext c) =>
        Enumerable.Range(0, c.ListLength(0)).Select(i => (long[]?)(c.Shape(0, i) is { } s ? [s.Length] : [-1])).ToArray();

    /// <summary>Segment reductions: the segment count (constant num_segments, or unknown) then data's dimensions past the ids'.</summary>
    public static IReadOnlyList<long[]?> Segments(ShapeContext c)
    {
        long[]? data = c.Shape(0), ids = c.Shape(1);
        if (data is null || ids is null) return [UnknownShape];
        if (ids.Length > data.Length) throw c.Fail($"segment_ids of shape {ShapeRules.Format(ids)} have a higher rank than data {ShapeRules.Format(data)}");
        long count = c.ArgumentCount > 2 && c.Constant(2) is [var n] ? n : -1;
        return [[count, .. data.Skip(ids.Length)]];
    }

    /// <summary>Concat (axis first): as ConcatV2 with the arguments swapped.</summary>
    public static IReadOnlyList<long[]?> ConcatAxisFirst(ShapeContext c) => Concat(new SwappedArguments(c));

    /// <summary>Diag: the input's shape twice.</summary>
    public static IReadOnlyList<long[]?> Diag(ShapeContext c) => [c.Shape(0) is { } x ? [.. x, .. x] : UnknownShape];

    /// <summary>DiagPart: the first half of an even-rank shape with equal halves.</summary>
    public static IReadOnlyList<long[]?> DiagPart(ShapeContext c)
    {
        if (c.Shape(0) is not { } x) return [UnknownShape];
        if (x.Length == 0 || x.Length % 2 != 0) throw c.Fail($"input must have an even rank, got {ShapeRules.Format(x)}");
        return [x.Take(x.Length / 2).ToArray()];
    }

    /// <summary>LinSpace: a vector of the constant num.</summary>
    public static IReadOnlyList<long[]?> LinSpace(ShapeContext c) => [[c.Constant(2) is [var n] ? n : -1]];

    /// <summary>ScatterNd: the constant shape input.</summary>
    public static IReadOnlyList<long[]?> ScatterNd(ShapeContext c) => [c.Constant(2)];

    /// <summary>Concat's view of its inputs: ConcatV2's order (values, then the axis).</summary>
    private sealed class SwappedArguments(ShapeContext inner) : ShapeContext
    {
        public override int ArgumentCount => 2;
        public override int OutputCount => inner.OutputCount;
        public override int ListLength(int argument) => argument == 0 ? inner.ListLength(1) : 1;
        public override long[]? Shape(int argument, int item = 0) => argument == 0 ? inner.Shape(1, item) : inner.Shape(0);
        public override long[]? Constant(int argument) => argument == 1 ? inner.Constant(0) : null;
        public override bool Flag(string name) => inner.Flag(name);
        public override long Int(string name, long fallback = 0) => inner.Int(name, fallback);
        public override long[]? Ints(string name) => inner.Ints(name);
        public override string? Text(string name) => inner.Text(name);
    }

    /// <summary>MatrixDiag: [..., N] to [..., N, N].</summary>
    public static IReadOnlyList<long[]?> MatrixDiag(ShapeContext c) =>
        [c.Shape(0) is { Length: > 0 } x ? [.. x, x[x.Length - 1]] : c.Shape(0) is { Length: 0 } ? throw c.Fail("diagonal must have rank 1 or more, got a scalar") : UnknownShape];

    /// <summary>MatrixDiagPart: [..., M, N] to [..., min(M, N)].</summary>
    public static IReadOnlyList<long[]?> MatrixDiagPart(ShapeContext c)
    {
        if (c.Shape(0) is not { } x) return [UnknownShape];
        if (x.Length < 2) throw c.Fail($"input must have rank 2 or more, got {ShapeRules.Format(x)}");
        long m = x[x.Length - 2], n = x[x.Length - 1];
        return [[.. x.Take(x.Length - 2), m < 0 || n < 0 ? -1 : Math.Min(m, n)]];
    }

    /// <summary>Conv2D and DepthwiseConv2dNative in NHWC: SAME, VALID or EXPLICIT padding with strides and dilations.</summary>
    public static IReadOnlyList<long[]?> Conv2D(ShapeContext c) => [Convolution(c, depthwise: false)];

    /// <summary>DepthwiseConv2dNative: output channels are input channels times the filter's multiplier.</summary>
    public static IReadOnlyList<long[]?> DepthwiseConv2D(ShapeContext c) => [Convolution(c, depthwise: true)];

    /// <summary>MaxPool and AvgPool in NHWC: a window of <c>ksize</c> moved by <c>strides</c>.</summary>
    public static IReadOnlyList<long[]?> Pool(ShapeContext c)
    {
        long[]? input = c.Shape(0);
        if (input is null) return [UnknownShape];
        if (input.Length != 4) throw c.Fail($"input must be 4-D NHWC, got {ShapeRules.Format(input)}");
        long[] ksize = c.Ints("ksize") ?? [1, 1, 1, 1], strides = c.Ints("strides") ?? [1, 1, 1, 1];
        if (ksize.Length != 4 || strides.Length != 4) throw c.Fail("ksize and strides must have 4 entries (NHWC)");
        return [[input[0], Spatial(c, input[1], ksize[1], strides[1], 1, 0), Spatial(c, input[2], ksize[2], strides[2], 1, 1), input[3]]];
    }

    /// <summary>FusedBatchNormV3: y has x's shape; the statistics are vectors over the channels.</summary>
    public static IReadOnlyList<long[]?> FusedBatchNorm(ShapeContext c)
    {
        long[]? x = c.Shape(0);
        if (x is not null && x.Length != 4) throw c.Fail($"x must be 4-D, got {ShapeRules.Format(x)}");
        long channels = x is null ? -1 : c.Text("data_format") == "NCHW" ? x[1] : x[3];
        for (int i = 1; i < 5 && i < c.ArgumentCount; i++)
            if (c.Shape(i) is { } v && (v.Length != 1 || channels >= 0 && v[0] >= 0 && v[0] != channels && !(i >= 3 && v[0] == 0)))
                throw c.Fail($"input {i} has shape {ShapeRules.Format(v)}, not a vector of the {channels} channels of x {ShapeRules.Format(x)}");
        long[] stats = [channels];
        return [x, stats, stats, stats, stats, UnknownShape];
    }

    private static long[]? Convolution(ShapeContext c, bool depthwise)
    {
        long[]? input = c.Shape(0), filter = c.Shape(1);
        if (input is not null && input.Length != 4) throw c.Fail($"input must be 4-D NHWC, got {ShapeRules.Format(input)}");
        if (filter is not null && filter.Length != 4) throw c.Fail($"filter must be 4-D [height, width, in, out], got {ShapeRules.Format(filter)}");
        if (input is null || filter is null) return UnknownShape;
        if (input[3] >= 0 && filter[2] >= 0 && (depthwise ? input[3] != filter[2] : filter[2] == 0 || input[3] % filter[2] != 0))
            throw c.Fail($"input channels {input[3]} do not match the filter's {filter[2]} (input {ShapeRules.Format(input)}, filter {ShapeRules.Format(filter)})");
        long[] strides = c.Ints("strides") ?? [1, 1, 1, 1], dilations = c.Ints("dilations") is { Length: 4 } d ? d : [1, 1, 1, 1];
        if (strides.Length != 4) throw c.Fail("strides must have 4 entries (NHWC)");
        long outChannels = depthwise ? (input[3] < 0 || filter[3] < 0 ? -1 : input[3] * filter[3]) : filter[3];
        return [input[0], Spatial(c, input[1], filter[0], strides[1], dilations[1], 0), Spatial(c, input[2], filter[1], strides[2], dilations[2], 1), outChannels];
    }

    /// <summary>One spatial output size: SAME is ceil(in / stride); VALID ceil((in - dilated window + 1) / stride); EXPLICIT adds its padding.</summary>
    private static long Spatial(ShapeContext c, long size, long window, long stride, long dilation, int spatialIndex)
    {
        if (stride <= 0 || dilation <= 0) throw c.Fail($"strides and dilations must be positive, got stride {stride} and dilation {dilation}");
        if (size < 0 || window < 0) return -1;
        long effective = (window - 1) * dilation + 1;
        switch (c.Text("padding"))
        {
            case "SAME":
                return (size + stride - 1) / stride;
            case "VALID":
                if (size < effective) throw c.Fail($"a window of {effective} does not fit in a dimension of {size} with VALID padding");
                return (size - effective + stride) / stride;
            case "EXPLICIT":
                long[] pads = c.Ints("explicit_paddings") ?? [];
                int at = 2 * (spatialIndex + 1);
                long padded = size + (pads.Length == 8 ? pads[at] + pads[at + 1] : 0);
                if (padded < effective) throw c.Fail($"a window of {effective} does not fit in a padded dimension of {padded}");
                return (padded - effective + stride) / stride;
            default:
                throw c.Fail($"padding '{c.Text("padding")}' is not SAME, VALID or EXPLICIT");
        }
    }

    /// <summary>Merges two shapes that must be equal where both are known.</summary>
    private static long[]? Merge(ShapeContext c, long[]? a, long[]? b, string what)
    {
        if (a is null) return b;
        if (b is null) return a;
        if (a.Length != b.Length) throw c.Fail($"{what} have different shapes {ShapeRules.Format(a)} and {ShapeRules.Format(b)}");
        var merged = new long[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) throw c.Fail($"{what} have different shapes {ShapeRules.Format(a)} and {ShapeRules.Format(b)}");
            merged[i] = a[i] >= 0 ? a[i] : b[i];
        }
        return merged;
    }

    /// <summary>An axis in [-rank, rank) as a non-negative index.</summary>
    public static long NormalizeAxis(ShapeContext c, long axis, int rank, long[]? shape)
    {
        long normalized = axis < 0 ? axis + rank : axis;
        if (normalized < 0 || normalized >= rank) throw c.Fail($"axis {axis} is out of range for shape {ShapeRules.Format(shape)}");
        return normalized;
    }
}
