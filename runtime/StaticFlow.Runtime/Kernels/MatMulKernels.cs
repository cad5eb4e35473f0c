using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>MatMul (with transposes) and BatchMatMulV2 (with batch broadcasting): packed SIMD GEMM for float32, a plain loop otherwise.</summary>
internal static class MatMulKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("MatMul", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T",
            new Factory(KernelHelpers.BoolAttr(node, "transpose_a"), KernelHelpers.BoolAttr(node, "transpose_b"), batched: false)));
        add.Add("BatchMatMulV2", KernelDTypes.Numeric, node => ElementwiseKernels.ByNumericType(node, "T",
            new Factory(KernelHelpers.BoolAttr(node, "adj_x"), KernelHelpers.BoolAttr(node, "adj_y"), batched: true)));
    }

    private sealed class Factory(bool transA, bool transB, bool batched) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new MatMulKernel<T>(transA, transB, batched);
    }

    private sealed class MatMulKernel<T>(bool transA, bool transB, bool batched) : IOpKernel, IConstantInputAware, IVariableInputAware, IFusableProduct where T : unmanaged, INumber<T>
    {
        // A constant right-hand matrix (the weights) packed once, with the tensor it came from.
        private (Tensor Source, PackedMatrix Packed)? _packedB;
        // Or one read from a variable, packed while the variable keeps the same tensor.
        private PackedWeights? _variableB;

        public void OnVariableInput(int index)
        {
            if (index == 1 && !batched && typeof(T) == typeof(float)) _variableB = new PackedWeights();
        }

        public void OnConstantInput(int index, Tensor value)
        {
            if (index != 1 || batched || typeof(T) != typeof(float) || value.Shape.Rank != 2) return;
            int k = (int)(transB ? value.Shape[1] : value.Shape[0]), n = (int)(transB ? value.Shape[0] : value.Shape[1]);
            _packedB = (value, Sgemm.Pack(k, n, value.AsSpan<float>(), transB ? k : n, transB));
        }

        public void Compute(KernelContext context) => context.SetOutput(0, Multiply(context, default, relu: false));

        public long Columns(Tensor b) => batched || typeof(T) != typeof(float) || b.Shape.Rank != 2 ? -1 : transB ? b.Shape[0] : b.Shape[1];

        public Tensor Multiply(KernelContext context, ReadOnlySpan<float> bias, bool relu)
        {
            Tensor a = context.Input(0), b = context.Input(1);
            int ra = a.Shape.Rank, rb = b.Shape.Rank;
            if (!batched && (ra != 2 || rb != 2)) throw context.Error($"MatMul needs two matrices, got {a.Shape} and {b.Shape}");
            if (ra < 2 || rb < 2) throw context.Error($"BatchMatMul needs tensors of rank >= 2, got {a.Shape} and {b.Shape}");
            long m = transA ? a.Shape[ra - 1] : a.Shape[ra - 2], ka = transA ? a.Shape[ra - 2] : a.Shape[ra - 1];
            long kb = transB ? b.Shape[rb - 1] : b.Shape[rb - 2], n = transB ? b.Shape[rb - 2] : b.Shape[rb - 1];
            if (ka != kb) throw context.Error($"inner dimensions differ: {a.Shape}{(transA ? "ᵀ" : "")} · {b.Shape}{(transB ? "ᵀ" : "")} ({ka} vs {kb})");

            long[] batchA = [.. a.Shape.Dims[..^2]], batchB = [.. b.Shape.Dims[..^2]];
            long[] batch = Broadcast.Shape(batchA, batchB) ?? throw context.Error($"batch dimensions of {a.Shape} and {b.Shape} do not broadcast");
            // The float GEMM writes every element itself; the generic loop accumulates into zeros.
            var outputShape = new TensorShape([.. batch, m, n]);
            var output = typeof(T) == typeof(float) ? context.Frame.NewOutput(a.DType, outputShape) : context.Frame.NewZeroedOutput(a.DType, outputShape);
            long batches = new TensorShape(batch).ElementCount;
            long[] sa = Broadcast.Strides(batchA, batch), sb = Broadcast.Strides(batchB, batch);
            ReadOnlySpan<T> x = a.AsSpan<T>(), y = b.AsSpan<T>();
            Span<T> z = output.AsSpan<T>();
            if (_packedB is { } packed && ReferenceEquals(packed.Source, b))
            {
                Sgemm.Multiply((int)m, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a.AsSpan<T>()), transA ? (int)m : (int)ka, transA,
                    packed.Packed, output.AsSpan<float>(), (int)n, bias, relu);
                return output;
            }
            if (_variableB?.Find(b, (int)kb, (int)n, transB ? (int)kb : (int)n, transB) is { } weights)
            {
                Sgemm.Multiply((int)m, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a.AsSpan<T>()), transA ? (int)m : (int)ka, transA,
                    weights, output.AsSpan<float>(), (int)n, bias, relu);
                return output;
            }
            if (!bias.IsEmpty && (batches != 1 || typeof(T) != typeof(float))) throw new InvalidOperationException("A bias is fused only into a single float32 product.");
            var index = new long[batch.Length];
            long ia = 0, ib = 0;
            for (long t = 0; t < batches; t++)
            {
                Multiply(x.Slice((int)(ia * m * ka), (int)(m * ka)), y.Slice((int)(ib * ka * n), (int)(ka * n)), z.Slice((int)(t * m * n), (int)(m * n)), (int)m, (int)n, (int)ka, bias, relu);
                for (int d = batch.Length - 1; d >= 0; d--)
                {
                    index[d]++; ia += sa[d]; ib += sb[d];
                    if (index[d] < batch[d]) break;
                    ia -= sa[d] * batch[d]; ib -= sb[d] * batch[d]; index[d] = 0;
                }
            }
            return output;
        }

        private void Multiply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k, ReadOnlySpan<float> bias, bool relu)
        {
            int lda = transA ? m : k, ldb = transB ? k : n;
            if (typeof(T) == typeof(float))
            {
                Sgemm.Multiply(m, n, k,
                    System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a), lda, transA,
                    System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b), ldb, transB,
                    System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(c), n, bias, relu);
                return;
            }
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                {
                    T av = transA ? a[p * lda + i] : a[i * lda + p];
                    for (int j = 0; j < n; j++) c[i * n + j] += av * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                }
        }
    }
}

/// <summary>A MatMul kernel that can add a bias and apply Relu as it stores its product (see <see cref="FusedProductKernel"/>).</summary>
internal interface IFusableProduct
{
    /// <summary>The product's column count for right-hand side <paramref name="b"/>, or -1 when this product cannot take a fused bias.</summary>
    long Columns(Tensor b);

    /// <summary>op(a) · op(b) + bias (then max(·, 0)) for the inputs of <paramref name="context"/>; the bias has <see cref="Columns"/> values.</summary>
    Tensor Multiply(KernelContext context, ReadOnlySpan<float> bias, bool relu);
}
