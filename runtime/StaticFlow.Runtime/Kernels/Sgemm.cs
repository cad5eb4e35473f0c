using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StaticFlow.Kernels;

/// <summary>
/// Single-precision GEMM, C = op(A) · op(B), in the Goto/BLIS style: B is packed into KC x NR column panels and
/// A into MC x KC row panels so the micro-kernel streams both from cache, and an MR x NR register tile of
/// accumulators is updated with fused multiply-adds (Vector512 where the CPU has it, else Vector256, else a
/// scalar loop). Row blocks of A run in parallel for large products.
/// </summary>
internal static unsafe class Sgemm
{
    private const int MR = 6;
    private const int KC = 256;
    private const int MC = 96;
    private const int NC = 3072;
    private static readonly int NR = Vector512.IsHardwareAccelerated ? 32 : 16;

    /// <summary>Work (m·n·k) below which one thread does it all: thread hand-off would cost more.</summary>
    private const long ParallelThreshold = 96L * 96 * 96;

    /// <summary>C[m×n] = op(A)[m×k] · op(B)[k×n]; A, B and C are row-major with leading dimensions lda, ldb, ldc.</summary>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int lda, bool transA, ReadOnlySpan<float> b, int ldb, bool transB, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        if (m == 0 || n == 0 || k == 0) return;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var args = new Args(m, n, k, pa, lda, transA, pb, ldb, transB, pc, ldc);
            Run(in args);
        }
    }

    private readonly struct Args(int m, int n, int k, float* a, int lda, bool transA, float* b, int ldb, bool transB, float* c, int ldc)
    {
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly float* A = a, B = b, C = c;
        public readonly bool TransA = transA, TransB = transB;
    }

    private static void Run(in Args g)
    {
        int nr = NR;
        float[] bPack = ArrayPool<float>.Shared.Rent(KC * (NC + nr));
        try
        {
            for (int jc = 0; jc < g.N; jc += NC)
            {
                int nc = Math.Min(NC, g.N - jc);
                for (int pc = 0; pc < g.K; pc += KC)
                {
                    int kc = Math.Min(KC, g.K - pc);
                    fixed (float* bp = bPack) PackB(in g, pc, kc, jc, nc, bp, nr);
                    int blocks = (g.M + MC - 1) / MC;
                    bool parallel = (long)g.M * nc * kc >= ParallelThreshold && blocks > 1 && Environment.ProcessorCount > 1;
                    if (parallel)
                    {
                        var local = g;
                        Parallel.For(0, blocks, block => RowBlock(in local, block * MC, pc, kc, jc, nc, bPack, nr));
                    }
                    else
                    {
                        for (int block = 0; block < blocks; block++) RowBlock(in g, block * MC, pc, kc, jc, nc, bPack, nr);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(bPack);
        }
    }

    private static void RowBlock(in Args g, int ic, int pc, int kc, int jc, int nc, float[] bPack, int nr)
    {
        int mc = Math.Min(MC, g.M - ic);
        float[] aPack = ArrayPool<float>.Shared.Rent(KC * (MC + MR));
        float* tile = stackalloc float[MR * 32];
        try
        {
            fixed (float* ap = aPack)
            fixed (float* bp = bPack)
            {
                PackA(in g, ic, mc, pc, kc, ap);
                for (int jr = 0; jr < nc; jr += nr)
                {
                    int nPart = Math.Min(nr, nc - jr);
                    float* bPanel = bp + (jr / nr) * kc * nr;
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int mPart = Math.Min(MR, mc - ir);
                        float* aPanel = ap + (ir / MR) * kc * MR;
                        float* cTile = g.C + (long)(ic + ir) * g.Ldc + jc + jr;
                        if (mPart == MR && nPart == nr) MicroKernel(kc, aPanel, bPanel, cTile, g.Ldc, nr);
                        else
                        {
                            // Edge tile: compute a full tile into scratch, add back only the valid part.
                            new Span<float>(tile, MR * nr).Clear();
                            MicroKernel(kc, aPanel, bPanel, tile, nr, nr);
                            for (int r = 0; r < mPart; r++)
                                for (int col = 0; col < nPart; col++) cTile[(long)r * g.Ldc + col] += tile[r * nr + col];
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(aPack);
        }
    }

    /// <summary>Packs rows ic..ic+mc of op(A), columns pc..pc+kc, as MR-row panels: for each p, MR consecutive values.</summary>
    private static void PackA(in Args g, int ic, int mc, int pc, int kc, float* dst)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            int rows = Math.Min(MR, mc - ir);
            for (int p = 0; p < kc; p++)
            {
                for (int r = 0; r < rows; r++)
                {
                    long i = ic + ir + r, col = pc + p;
                    *dst++ = g.TransA ? g.A[col * g.Lda + i] : g.A[i * g.Lda + col];
                }
                for (int r = rows; r < MR; r++) *dst++ = 0;
            }
        }
    }

    /// <summary>Packs rows pc..pc+kc of op(B), columns jc..jc+nc, as NR-column panels: for each p, NR consecutive values.</summary>
    private static void PackB(in Args g, int pc, int kc, int jc, int nc, float* dst, int nr)
    {
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            for (int p = 0; p < kc; p++)
            {
                long row = pc + p;
                if (!g.TransB && cols == nr)
                {
                    Buffer.MemoryCopy(g.B + row * g.Ldb + jc + jr, dst, nr * sizeof(float), nr * sizeof(float));
                    dst += nr;
                    continue;
                }
                for (int col = 0; col < cols; col++)
                {
                    long j = jc + jr + col;
                    *dst++ = g.TransB ? g.B[j * g.Ldb + row] : g.B[row * g.Ldb + j];
                }
                for (int col = cols; col < nr; col++) *dst++ = 0;
            }
        }
    }

    /// <summary>C[MR×nr] += Apanel[kc×MR] · Bpanel[kc×nr], with the tile held in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel(int kc, float* a, float* b, float* c, int ldc, int nr)
    {
        if (nr == 32 && Vector512.IsHardwareAccelerated)
        {
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
                             c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int p = 0; p < kc; p++, a += MR, b += 32)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                var a0 = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                var a1 = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                var a2 = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                var a3 = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                var a4 = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                var a5 = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            }
            Store512(c, c00, c01); Store512(c + ldc, c10, c11); Store512(c + 2 * ldc, c20, c21);
            Store512(c + 3 * ldc, c30, c31); Store512(c + 4 * ldc, c40, c41); Store512(c + 5 * ldc, c50, c51);
        }
        else if (nr == 16 && Vector256.IsHardwareAccelerated)
        {
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
                             c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int p = 0; p < kc; p++, a += MR, b += 16)
            {
                var b0 = Vector256.Load(b);
                var b1 = Vector256.Load(b + 8);
                var a0 = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(a0, b0, c00); c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                var a1 = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(a1, b0, c10); c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                var a2 = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(a2, b0, c20); c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                var a3 = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(a3, b0, c30); c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                var a4 = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(a4, b0, c40); c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                var a5 = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(a5, b0, c50); c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }
            Store256(c, c00, c01); Store256(c + ldc, c10, c11); Store256(c + 2 * ldc, c20, c21);
            Store256(c + 3 * ldc, c30, c31); Store256(c + 4 * ldc, c40, c41); Store256(c + 5 * ldc, c50, c51);
        }
        else
        {
            for (int p = 0; p < kc; p++, a += MR, b += nr)
                for (int r = 0; r < MR; r++)
                {
                    float av = a[r];
                    for (int j = 0; j < nr; j++) c[(long)r * ldc + j] += av * b[j];
                }
        }
    }

    private static void Store512(float* c, Vector512<float> lo, Vector512<float> hi)
    {
        (Vector512.Load(c) + lo).Store(c);
        (Vector512.Load(c + 16) + hi).Store(c + 16);
    }

    private static void Store256(float* c, Vector256<float> lo, Vector256<float> hi)
    {
        (Vector256.Load(c) + lo).Store(c);
        (Vector256.Load(c + 8) + hi).Store(c + 8);
    }
}
