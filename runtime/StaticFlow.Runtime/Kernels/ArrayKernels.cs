using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>Shape and layout ops: Reshape, Squeeze, ExpandDims, Transpose, concatenation, splitting, slicing, gathering, tiling, padding, fills and shape queries.</summary>
internal static class ArrayKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("Reshape", _ => new DelegateKernel(c => c.SetOutput(0, Reshape(c, c.Input(0), c.ToLongs(1)))));
        add.Add("Squeeze", node =>
        {
            long[] axes = KernelHelpers.IntListAttr(node, "squeeze_dims");
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0);
                bool[] chosen = axes.Length == 0 ? [.. x.Shape.Dims.ToArray().Select(d => d == 1)] : ReductionKernels.Axes(c, axes, x.Shape.Rank);
                var dims = new List<long>();
                for (int i = 0; i < x.Shape.Rank; i++)
                {
                    if (!chosen[i]) dims.Add(x.Shape[i]);
                    else if (x.Shape[i] != 1) throw c.Error($"cannot squeeze dimension {i} of {x.Shape}: it is not 1");
                }
                c.SetOutput(0, x.WithShape(new TensorShape([.. dims])));
            });
        });
        add.Add("ExpandDims", _ => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            long[] dim = c.ToLongs(1);
            if (dim.Length != 1) throw c.Error("dim must be a scalar");
            int rank = x.Shape.Rank;
            long axis = dim[0] < 0 ? dim[0] + rank + 1 : dim[0];
            if (axis < 0 || axis > rank) throw c.Error($"dim {dim[0]} is out of range for rank {rank}");
            var dims = x.Shape.Dims.ToArray().ToList();
            dims.Insert((int)axis, 1);
            c.SetOutput(0, x.WithShape(new TensorShape([.. dims])));
        }));
        add.Add("Transpose", _ => new DelegateKernel(c => c.SetOutput(0, Transpose(c, c.Input(0), c.ToLongs(1)))));
        add.Add("InvertPermutation", _ => new DelegateKernel(c =>
        {
            long[] perm = c.ToLongs(0);
            var inverse = new long[perm.Length];
            var seen = new bool[perm.Length];
            for (int i = 0; i < perm.Length; i++)
            {
                if (perm[i] < 0 || perm[i] >= perm.Length || seen[perm[i]]) throw c.Error($"{string.Join(",", perm)} is not a permutation");
                seen[perm[i]] = true;
                inverse[perm[i]] = i;
            }
            c.SetOutput(0, c.Input(0).DType == DType.Int64 ? Tensor.Vector(inverse) : Tensor.Vector(Array.ConvertAll(inverse, v => (int)v)));
        }));
        add.Add("ConcatV2", _ => new DelegateKernel(c =>
        {
            var values = Enumerable.Range(0, c.InputCount - 1).Select(c.Input).ToArray();
            long[] axisValue = c.ToLongs(c.InputCount - 1);
            c.SetOutput(0, Concat(c, values, axisValue.Length == 1 ? axisValue[0] : throw c.Error("axis must be a scalar")));
        }));
        add.Add("Pack", node =>
        {
            long axis = KernelHelpers.IntAttr(node, "axis");
            return new DelegateKernel(c =>
            {
                var values = Enumerable.Range(0, c.InputCount).Select(c.Input).ToArray();
                int rank = values[0].Shape.Rank;
                long a = axis < 0 ? axis + rank + 1 : axis;
                if (a < 0 || a > rank) throw c.Error($"axis {axis} is out of range for rank {rank + 1}");
                foreach (var v in values)
                    if (!v.Shape.Equals(values[0].Shape)) throw c.Error($"all values must have shape {values[0].Shape}; one has {v.Shape}");
                var expanded = values.Select(v => { var d = v.Shape.Dims.ToArray().ToList(); d.Insert((int)a, 1); return v.WithShape(new TensorShape([.. d])); }).ToArray();
                c.SetOutput(0, Concat(c, expanded, a));
            });
        });
        add.Add("Unpack", node =>
        {
            long axis = KernelHelpers.IntAttr(node, "axis");
            int num = (int)KernelHelpers.IntAttr(node, "num");
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0);
                long a = axis < 0 ? axis + x.Shape.Rank : axis;
                if (a < 0 || a >= x.Shape.Rank || x.Shape[(int)a] != num) throw c.Error($"cannot unpack {x.Shape} into {num} along axis {axis}");
                var parts = Split(x, (int)a, Enumerable.Repeat(1L, num).ToArray());
                for (int i = 0; i < num; i++)
                {
                    var d = parts[i].Shape.Dims.ToArray().ToList();
                    d.RemoveAt((int)a);
                    c.SetOutput(i, parts[i].WithShape(new TensorShape([.. d])));
                }
            });
        });
        add.Add("Split", node =>
        {
            int num = (int)KernelHelpers.IntAttr(node, "num_split");
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(1);
                int axis = Axis(c, c.ToLongs(0)[0], x.Shape.Rank);
                if (x.Shape[axis] % num != 0) throw c.Error($"dimension {axis} of {x.Shape} does not split evenly into {num}");
                var parts = Split(x, axis, Enumerable.Repeat(x.Shape[axis] / num, num).ToArray());
                for (int i = 0; i < num; i++) c.SetOutput(i, parts[i]);
            });
        });
        add.Add("SplitV", node =>
        {
            int num = (int)KernelHelpers.IntAttr(node, "num_split");
            return new DelegateKernel(c =>
            {
                Tensor x = c.Input(0);
                long[] sizes = c.ToLongs(1);
                int axis = Axis(c, c.ToLongs(2)[0], x.Shape.Rank);
                if (sizes.Length != num) throw c.Error($"size_splits has {sizes.Length} entries for num_split {num}");
                int unknown = Array.IndexOf(sizes, -1L);
                long known = sizes.Where(s => s >= 0).Sum();
                if (unknown >= 0) sizes[unknown] = x.Shape[axis] - known;
                if (sizes.Any(s => s < 0) || sizes.Sum() != x.Shape[axis]) throw c.Error($"size_splits [{string.Join(",", sizes)}] do not add up to dimension {axis} of {x.Shape}");
                var parts = Split(x, axis, sizes);
                for (int i = 0; i < num; i++) c.SetOutput(i, parts[i]);
            });
        });
        add.Add("Slice", _ => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            long[] begin = c.ToLongs(1), size = c.ToLongs(2);
            int rank = x.Shape.Rank;
            if (begin.Length != rank || size.Length != rank) throw c.Error($"begin and size must have {rank} entries");
            var steps = ElementCopy.Strides(x.Shape.Dims);
            long start = 0;
            for (int d = 0; d < rank; d++)
            {
                if (size[d] == -1) size[d] = x.Shape[d] - begin[d];
                if (begin[d] < 0 || size[d] < 0 || begin[d] + size[d] > x.Shape[d]) throw c.Error($"slice [{begin[d]}, +{size[d]}) is out of bounds for dimension {d} of {x.Shape}");
                start += begin[d] * steps[d];
            }
            c.SetOutput(0, ElementCopy.Gather(x, size, start, steps));
        }));
        add.Add("StridedSlice", node => new StridedSliceKernel(node));
        add.Add("StridedSliceGrad", [DType.Float32, DType.Float64, DType.Float16, DType.Int32, DType.Int64], node => new StridedSliceGradKernel(node), dtypeAttr: "T");
        add.Add("GatherV2", node =>
        {
            long batchDims = KernelHelpers.IntAttr(node, "batch_dims");
            if (batchDims != 0) throw new KernelNotFoundException(node.Name, node.Op, "batch_dims other than 0 are not supported yet");
            return new DelegateKernel(c =>
            {
                Tensor parameters = c.Input(0);
                long[] indices = c.ToLongs(1);
                int axis = Axis(c, c.ToLongs(2)[0], parameters.Shape.Rank);
                long outer = 1, inner = 1, size = parameters.Shape[axis];
                for (int i = 0; i < axis; i++) outer *= parameters.Shape[i];
                for (int i = axis + 1; i < parameters.Shape.Rank; i++) inner *= parameters.Shape[i];
                long[] dims = [.. parameters.Shape.Dims[..axis], .. c.Input(1).Shape.Dims, .. parameters.Shape.Dims[(axis + 1)..]];
                var output = Tensor.Zeros(parameters.DType, new TensorShape(dims));
                for (long o = 0; o < outer; o++)
                    for (long i = 0; i < indices.Length; i++)
                    {
                        if (indices[i] < 0 || indices[i] >= size) throw c.Error($"index {indices[i]} is out of range [0, {size})");
                        ElementCopy.Copy(parameters, (o * size + indices[i]) * inner, output, (o * indices.Length + i) * inner, inner);
                    }
                c.SetOutput(0, output);
            });
        });
        add.Add("Tile", _ => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            long[] multiples = c.ToLongs(1);
            int rank = x.Shape.Rank;
            if (multiples.Length != rank || multiples.Any(m => m < 0)) throw c.Error($"multiples must have {rank} non-negative entries");
            var outDims = new long[rank];
            for (int d = 0; d < rank; d++) outDims[d] = x.Shape[d] * multiples[d];
            var output = Tensor.Zeros(x.DType, new TensorShape(outDims));
            var inStrides = ElementCopy.Strides(x.Shape.Dims);
            var index = new long[rank];
            for (long i = 0; i < output.ElementCount; i++)
            {
                long source = 0;
                for (int d = 0; d < rank; d++) source += index[d] % x.Shape[d] * inStrides[d];
                ElementCopy.Copy(x, source, output, i, 1);
                for (int d = rank - 1; d >= 0 && ++index[d] >= outDims[d]; d--) index[d] = 0;
            }
            c.SetOutput(0, output);
        }));
        add.Add("Pad", _ => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            long[] paddings = c.ToLongs(1);
            int rank = x.Shape.Rank;
            if (paddings.Length != 2 * rank || paddings.Any(p => p < 0)) throw c.Error($"paddings must be a [{rank}, 2] tensor of non-negative values");
            var outDims = new long[rank];
            for (int d = 0; d < rank; d++) outDims[d] = paddings[2 * d] + x.Shape[d] + paddings[2 * d + 1];
            var output = Tensor.Zeros(x.DType, new TensorShape(outDims));
            var outStrides = ElementCopy.Strides(outDims);
            var index = new long[rank];
            for (long i = 0; i < x.ElementCount; i++)
            {
                long target = 0;
                for (int d = 0; d < rank; d++) target += (index[d] + paddings[2 * d]) * outStrides[d];
                ElementCopy.Copy(x, i, output, target, 1);
                for (int d = rank - 1; d >= 0 && ++index[d] >= x.Shape[d]; d--) index[d] = 0;
            }
            c.SetOutput(0, output);
        }));
        add.Add("Fill", _ => new DelegateKernel(c =>
        {
            long[] dims = c.ToLongs(0);
            Tensor value = c.Input(1);
            if (value.ElementCount != 1 || value.Shape.Rank != 0) throw c.Error($"value must be a scalar, got {value.Shape}");
            if (dims.Any(d => d < 0)) throw c.Error($"dims [{string.Join(",", dims)}] must be non-negative");
            var shape = new TensorShape(dims);
            if (!shape.TryGetElementCount(out long count) || count > Tensor.MaxStorageBytes) throw c.Error($"shape {shape} is too large");
            var output = Tensor.Zeros(value.DType, shape);
            for (long i = 0; i < count; i++) ElementCopy.Copy(value, 0, output, i, 1);
            c.SetOutput(0, output);
        }));
        add.Add("ZerosLike", _ => new DelegateKernel(c => c.SetOutput(0, Tensor.Zeros(c.Input(0).DType, c.Input(0).Shape))));
        add.Add("OnesLike", _ => new DelegateKernel(c =>
        {
            Tensor x = c.Input(0);
            var one = Tensor.Scalar(1.0).Cast(x.DType);
            var output = Tensor.Zeros(x.DType, x.Shape);
            for (long i = 0; i < output.ElementCount; i++) ElementCopy.Copy(one, 0, output, i, 1);
            c.SetOutput(0, output);
        }));
        add.Add("Shape", node => ShapeQuery(node, x => [.. x.Shape.Dims]));
        add.Add("Size", node => ShapeQuery(node, x => [x.ElementCount], scalar: true));
        add.Add("Rank", _ => new DelegateKernel(c => c.SetOutput(0, Tensor.Scalar(c.Input(0).Shape.Rank))));
        add.Add("Range", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "Tidx", new RangeFactory()));
    }

    private sealed class RangeFactory : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, System.Numerics.INumber<T> => new DelegateKernel(c =>
        {
            T start = c.Input(0).AsSpan<T>()[0], limit = c.Input(1).AsSpan<T>()[0], delta = c.Input(2).AsSpan<T>()[0];
            if (T.IsZero(delta)) throw c.Error("delta must not be zero");
            if (T.IsPositive(delta) ? start > limit : start < limit) throw c.Error("start must not pass limit in the direction of delta");
            double count = Math.Ceiling(Math.Abs((double.CreateChecked(limit) - double.CreateChecked(start)) / double.CreateChecked(delta)));
            if (count > Tensor.MaxStorageBytes / 8) throw c.Error($"range of {count} elements is too large");
            Execution.MemoryBudget.Check((long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 2, $"a range of {count} elements");
            var values = new T[(long)count];
            T v = start;
            for (int i = 0; i < values.Length; i++, v += delta) values[i] = v;
            c.SetOutput(0, Tensor.Vector(values));
        });
    }

    private static IOpKernel ShapeQuery(GraphNode node, Func<Tensor, long[]> dims, bool scalar = false)
    {
        DType outType = KernelHelpers.DTypeAttr(node, "out_type");
        return new DelegateKernel(c =>
        {
            long[] values = dims(c.Input(0));
            Tensor result = outType == DType.Int64
                ? (scalar ? Tensor.Scalar(values[0]) : Tensor.Vector(values))
                : (scalar ? Tensor.Scalar(checked((int)values[0])) : Tensor.Vector(Array.ConvertAll(values, v => checked((int)v))));
            c.SetOutput(0, result);
        });
    }

    internal static int Axis(KernelContext c, long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        return a >= 0 && a < rank ? (int)a : throw c.Error($"axis {axis} is out of range for rank {rank}");
    }

    internal static Tensor Reshape(KernelContext c, Tensor x, long[] shape)
    {
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (unknown >= 0) throw c.Error($"shape [{string.Join(",", shape)}] has more than one -1");
                unknown = i;
            }
            else if (shape[i] < 0) throw c.Error($"shape [{string.Join(",", shape)}] has a negative dimension");
            else known = checked(known * shape[i]);
        }
        if (unknown >= 0)
        {
            if (known == 0 || x.ElementCount % known != 0) throw c.Error($"cannot reshape {x.Shape} ({x.ElementCount} elements) to [{string.Join(",", shape)}]");
            shape[unknown] = x.ElementCount / known;
        }
        else if (known != x.ElementCount) throw c.Error($"cannot reshape {x.Shape} ({x.ElementCount} elements) to [{string.Join(",", shape)}] ({known} elements)");
        return x.WithShape(new TensorShape(shape));
    }

    internal static Tensor Transpose(KernelContext c, Tensor x, long[] perm)
    {
        int rank = x.Shape.Rank;
        if (perm.Length != rank) throw c.Error($"perm has {perm.Length} entries for a tensor of rank {rank}");
        var seen = new bool[rank];
        var inStrides = ElementCopy.Strides(x.Shape.Dims);
        var outDims = new long[rank];
        var steps = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]) throw c.Error($"[{string.Join(",", perm)}] is not a permutation of {rank} axes");
            seen[perm[d]] = true;
            outDims[d] = x.Shape[(int)perm[d]];
            steps[d] = inStrides[perm[d]];
        }
        return ElementCopy.Gather(x, outDims, 0, steps);
    }

    internal static Tensor Concat(KernelContext c, Tensor[] values, long axisValue)
    {
        Tensor first = values[0];
        int rank = first.Shape.Rank;
        int axis = Axis(c, axisValue, rank);
        long total = 0;
        foreach (var v in values)
        {
            if (v.DType != first.DType) throw c.Error($"values mix {first.DType.Name()} and {v.DType.Name()}");
            if (v.Shape.Rank != rank) throw c.Error($"values have ranks {rank} and {v.Shape.Rank}");
            for (int d = 0; d < rank; d++)
                if (d != axis && v.Shape[d] != first.Shape[d]) throw c.Error($"shapes {first.Shape} and {v.Shape} differ outside axis {axis}");
            total += v.Shape[axis];
        }
        long[] dims = [.. first.Shape.Dims];
        dims[axis] = total;
        var output = Tensor.Zeros(first.DType, new TensorShape(dims));
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= dims[d];
        for (int d = axis + 1; d < rank; d++) inner *= dims[d];
        long offset = 0;
        foreach (var v in values)
        {
            long block = v.Shape[axis] * inner;
            for (long o = 0; o < outer; o++) ElementCopy.Copy(v, o * block, output, o * total * inner + offset, block);
            offset += block;
        }
        return output;
    }

    internal static Tensor[] Split(Tensor x, int axis, long[] sizes)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= x.Shape[d];
        for (int d = axis + 1; d < x.Shape.Rank; d++) inner *= x.Shape[d];
        var parts = new Tensor[sizes.Length];
        long offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            long[] dims = [.. x.Shape.Dims];
            dims[axis] = sizes[i];
            parts[i] = Tensor.Zeros(x.DType, new TensorShape(dims));
            long block = sizes[i] * inner;
            for (long o = 0; o < outer; o++) ElementCopy.Copy(x, o * x.Shape[axis] * inner + offset, parts[i], o * block, block);
            offset += block;
        }
        return parts;
    }
}
