using System.Runtime.InteropServices;
using StaticFlow.Kernels;

namespace StaticFlow.Tests;

/// <summary>The packed GEMM itself: layout facts the kernels rely on, and results against a double-precision loop.</summary>
public class SgemmTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 33)]
    [InlineData(784, 512)]
    [InlineData(300, 1000)]
    public void PackedPanelsStartOnACacheLine(int k, int n)
    {
        var random = new Random(k + n);
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => random.NextSingle())];
        var packed = Sgemm.Pack(k, n, b, n, transB: false);
        var handle = GCHandle.Alloc(packed.Data, GCHandleType.Pinned);
        try
        {
            long data = handle.AddrOfPinnedObject();
            for (int pc = 0; pc < k; pc += packed.Kc)
            {
                int kc = Math.Min(packed.Kc, k - pc);
                for (int jr = 0; jr < n; jr += packed.NR)
                    Assert.Equal(0, (data + packed.PanelOffset(pc, kc, jr) * sizeof(float)) % 64);
            }
        }
        finally
        {
            handle.Free();
        }
        // The aligned start leaves the packed values intact: row 0 of the first panel is B's first row.
        for (int j = 0; j < Math.Min(n, packed.NR); j++) Assert.Equal(b[j], packed.Data[packed.PanelOffset(0, Math.Min(packed.Kc, k), 0) + j]);
    }

    [Theory]
    [InlineData(1, 512, 784, 1)]
    [InlineData(1, 517, 300, 2)]
    [InlineData(5, 64, 129, 2)]
    [InlineData(64, 512, 784, 2)]
    [InlineData(97, 45, 1000, 1)]
    public void PrepackedProductsMatchADoubleReference(int m, int n, int k, int threads)
    {
        var random = new Random(m * 31 + n);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => random.NextSingle() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => random.NextSingle() - 0.5f)];
        float[] c = new float[m * n];
        int saved = Sgemm.Threads;
        try
        {
            Sgemm.Threads = threads;
            Sgemm.Multiply(m, a, k, false, Sgemm.Pack(k, n, b, n, false), c, n);
        }
        finally
        {
            Sgemm.Threads = saved;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int p = 0; p < k; p++) expected += (double)a[i * k + p] * b[p * n + j];
                Assert.True(Math.Abs(c[i * n + j] - expected) < 1e-4 * Math.Sqrt(k), $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
    }
}
