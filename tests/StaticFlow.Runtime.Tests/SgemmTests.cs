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

    // Shapes that reach every path: the one-row kernel, edge tiles in both directions, K in one block and in
    // several (the first stores, the last adds the bias), k = 0, one core and two.
    [Theory]
    [InlineData(1, 512, 784, 1, false, false)]
    [InlineData(1, 517, 300, 2, true, true)]
    [InlineData(5, 64, 129, 2, true, false)]
    [InlineData(64, 512, 784, 2, true, true)]
    [InlineData(97, 45, 1000, 1, false, true)]
    [InlineData(13, 70, 600, 2, true, true)]
    [InlineData(7, 33, 0, 1, true, true)]
    [InlineData(7, 64, 300, 2, true, false)]   // a last single row read in place
    [InlineData(1, 64, 5, 1, false, false)]    // K shorter than the row kernel's unrolling
    [InlineData(200, 64, 100, 2, false, true)] // rows in MC-row chunks shared by two threads
    [InlineData(2000, 40, 64, 2, true, false)] // many row chunks, edge columns
    public void PrepackedProductsMatchADoubleReference(int m, int n, int k, int threads, bool withBias, bool relu)
    {
        var random = new Random(m * 31 + n);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => random.NextSingle() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => random.NextSingle() - 0.5f)];
        float[] bias = withBias ? [.. Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f)] : [];
        // C starts as garbage: the product must not depend on what was there.
        float[] c = [.. Enumerable.Range(0, m * n).Select(_ => float.NaN)];
        int saved = Sgemm.Threads;
        try
        {
            Sgemm.Threads = threads;
            Sgemm.Multiply(m, a, k, false, Sgemm.Pack(k, n, b, n, false), c, n, bias, relu);
        }
        finally
        {
            Sgemm.Threads = saved;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = withBias ? bias[j] : 0;
                for (int p = 0; p < k; p++) expected += (double)a[i * k + p] * b[p * n + j];
                if (relu) expected = Math.Max(expected, 0);
                Assert.True(Math.Abs(c[i * n + j] - expected) < 1e-4 * Math.Sqrt(k + 1), $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
    }

    [Theory]
    [InlineData(64, 512, 784, 2, false, true)]  // a train step's forward layer: weights read in place
    [InlineData(1, 64, 300, 1, false, false)]   // one row, the row kernel
    [InlineData(7, 96, 129, 2, true, true)]     // a transposed A, packed, with B in place; an edge tile of one row
    [InlineData(128, 64, 50, 2, false, false)]  // split by rows
    [InlineData(20, 256, 1000, 2, false, true)] // split by columns, K in blocks
    public void ProductsThatReadBInPlaceMatchADoubleReference(int m, int n, int k, int threads, bool transA, bool withBias)
    {
        Assert.True(Sgemm.ReadsBInPlace(m, n, transB: false));
        const int pad = 3; // B is a block of a wider matrix: its rows are ldb = n + 3 apart
        var random = new Random(m + n + k);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => random.NextSingle() - 0.5f)];
        float[] b = [.. Enumerable.Range(0, k * (n + pad)).Select(_ => random.NextSingle() - 0.5f)];
        float[] bias = withBias ? [.. Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f)] : [];
        float[] c = [.. Enumerable.Range(0, m * n).Select(_ => float.NaN)];
        int saved = Sgemm.Threads;
        try
        {
            Sgemm.Threads = threads;
            Sgemm.Multiply(m, n, k, a, transA ? m : k, transA, b, n + pad, transB: false, c, n, bias, relu: true);
        }
        finally
        {
            Sgemm.Threads = saved;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double expected = withBias ? bias[j] : 0;
                for (int p = 0; p < k; p++) expected += (double)(transA ? a[p * m + i] : a[i * k + p]) * b[p * (n + pad) + j];
                expected = Math.Max(expected, 0);
                Assert.True(Math.Abs(c[i * n + j] - expected) < 1e-4 * Math.Sqrt(k + 1), $"C[{i},{j}] = {c[i * n + j]}, expected {expected}");
            }
        // Products whose B needs its panels (transposed, ragged columns, many rows) still pack it.
        Assert.False(Sgemm.ReadsBInPlace(m, n, transB: true));
        Assert.False(Sgemm.ReadsBInPlace(m, n + 1, transB: false));
        Assert.False(Sgemm.ReadsBInPlace(129, n, transB: false));
    }

    [Fact]
    public void FusedReluKeepsNaNAndTheBiasMustFitTheColumns()
    {
        // One NaN in A poisons its row, as in TensorFlow, where Relu(NaN) is NaN.
        const int m = 6, n = 32, k = 8;
        float[] a = [.. Enumerable.Range(0, m * k).Select(i => i == 0 ? float.NaN : 1f)];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => -1f)];
        float[] c = new float[m * n];
        var packed = Sgemm.Pack(k, n, b, n, false);
        Sgemm.Multiply(m, a, k, false, packed, c, n, new float[n], relu: true);
        Assert.All(c.AsSpan(0, n).ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(c.AsSpan(n).ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(m, a, k, false, packed, c, n, new float[n - 1], relu: false));
    }
}
