using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace StaticFlow.Kernels;

/// <summary>
/// B of a product packed for <see cref="Sgemm"/>: for each block of <see cref="Kc"/> rows, NR-column
/// panels laid out row by row (zero-padded). Packing once and reusing is what makes a constant weight matrix
/// cheap: inference never repacks it. The panels start on a 64-byte boundary of a pinned array, so every vector
/// load of a panel row reads one cache line: a managed array's elements start 16 bytes into a line, and loads
/// that straddle two lines halved the speed at which the kernels read B from L2 (58 against 100 GB/s measured).
/// </summary>
internal sealed class PackedMatrix
{
    internal PackedMatrix(int k, int n, int nr, int kc, float[] data)
    {
        K = k;
        N = n;
        NR = nr;
        Kc = kc;
        Data = data;
        PaddedN = (n + nr - 1) / nr * nr;
        Start = AlignedStart(data);
    }

    /// <summary>Floats to allocate for a packed k×n matrix: the panels plus room to align their start.</summary>
    internal static int Length(int k, int n, int nr) => Math.Max(1, k * ((n + nr - 1) / nr * nr)) + CacheLineFloats - 1;

    private const int CacheLineFloats = 64 / sizeof(float);

    /// <summary>The index of the first element of <paramref name="pinned"/> on a cache-line boundary.</summary>
    private static unsafe int AlignedStart(float[] pinned)
    {
        long address = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((64 - (address & 63)) & 63) / sizeof(float);
    }

    /// <summary>Index in <see cref="Data"/> of the first panel (64-byte aligned; the array is pinned).</summary>
    internal int Start { get; }

    /// <summary>Rows per block: K split into equal blocks of at most <see cref="Sgemm.KC"/>, so no block is a short tail.</summary>
    internal int Kc { get; }

    /// <summary>Rows (the inner dimension of the product).</summary>
    public int K { get; }

    /// <summary>Columns.</summary>
    public int N { get; }

    internal int NR { get; }

    internal int PaddedN { get; }

    internal float[] Data { get; }

    /// <summary>Offset of the panel holding columns jr.. of the block starting at row pc (kc rows).</summary>
    internal long PanelOffset(int pc, int kc, int jr) => Start + (long)pc * PaddedN + (long)(jr / NR) * kc * NR;
}

/// <summary>
/// The right-hand matrix of a product whose plan reads it from a variable (the weights of a loaded model), packed
/// once and reused while the variable keeps the same tensor with the same contents, as constant weights are packed
/// once at plan time. A tensor is packed for keeps on its second use in a row at one <see cref="Tensors.Tensor.Version"/>,
/// so a value that changes every run (an assignment's result, weights in training, which an optimizer step updates
/// in place) is packed into scratch as before, and weights after training are packed once again.
/// Runs may share the kernel concurrently: the cache is one immutable entry, replaced whole.
/// </summary>
internal sealed class PackedWeights
{
    private sealed record Entry(Tensors.Tensor Source, byte[] Storage, int Version, PackedMatrix Packed);
    private sealed record Sighting(Tensors.Tensor Source, int Version);

    private Entry? _entry;
    private Sighting? _last;

    /// <summary>
    /// op(B)[k×n] of <paramref name="source"/> packed for keeps (from the cache, or packed now on its second use in a
    /// row), or null when the caller should pack it into scratch for this product only.
    /// </summary>
    public PackedMatrix? Find(Tensors.Tensor source, int k, int n, int ldb, bool transB)
    {
        if (source.Storage is not { } storage) return null;
        // An in-place update happens only while no read of the tensor is in flight, so the version cannot move
        // while this product runs.
        int version = Volatile.Read(ref source.Version);
        var entry = Volatile.Read(ref _entry);
        if (entry is not null && ReferenceEquals(entry.Source, source) && ReferenceEquals(entry.Storage, storage) && entry.Version == version
            && entry.Packed.K == k && entry.Packed.N == n)
            return entry.Packed;
        var last = Volatile.Read(ref _last);
        if (last is null || !ReferenceEquals(last.Source, source) || last.Version != version)
        {
            Volatile.Write(ref _last, new Sighting(source, version));
            return null;
        }
        var packed = Sgemm.Pack(k, n, source.AsSpan<float>(), ldb, transB);
        Volatile.Write(ref _entry, new Entry(source, storage, version, packed));
        return packed;
    }
}

/// <summary>
/// Single-precision GEMM, C = op(A) · op(B), in the Goto/BLIS style: B is packed into KC x NR column panels and
/// A into MC x KC row panels so the micro-kernel streams both from cache, and an MR x NR register tile of
/// accumulators is updated with fused multiply-adds (Vector512 where the CPU has it, else Vector256, else
/// Vector128, as on ARM64; a scalar loop when hardware intrinsics are off). Large products are split across
/// cores by rows or by columns of C, whichever leaves each core
/// the smaller operand to read whole.
/// </summary>
[SkipLocalsInit] // the stack tiles are always written before they are read
internal static unsafe class Sgemm
{
    internal const int KC = 256;
    private const int MR = 6;
    private const int MC = 96;
    private const int MaxThreads = 64;
    /// <summary>Columns of a packed panel and of the register tile: two vectors of the widest width the CPU runs.</summary>
    private static readonly int NR = 2 * (Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count : Vector128<float>.Count);

    /// <summary>The vector width the tiles run with (see <see cref="KernelVectors.Bits"/>).</summary>
    internal static int VectorBits => Vector128.IsHardwareAccelerated ? NR / 2 * 32 : 0;

    /// <summary>Work (m·n·k) below which one thread does it all: the hand-off would cost more than it saves.</summary>
    private const long ParallelThreshold = 64L * 64 * 64;

    /// <summary>
    /// C[m×n] = op(A)[m×k] · op(B)[k×n] (+ bias, then max(·, 0) when <paramref name="relu"/>); A, B and C are row-major
    /// with leading dimensions lda, ldb, ldc. <paramref name="bias"/> is empty or holds one value per column.
    /// </summary>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int lda, bool transA, ReadOnlySpan<float> b, int ldb, bool transB, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, bool relu = false)
    {
        if (m == 0 || n == 0) return;
        if (ReadsBInPlace(m, n, transB))
        {
            fixed (float* pb = b)
                Multiply(m, a, lda, transA, new PackedMatrix(k, n, NR, BlockRows(k), []), c, ldc, bias, relu, serial: false, new Unpacked(pb, ldb, transB, inPlace: true));
            return;
        }
        // Otherwise a one-off product packs B into this thread's scratch buffer: a fresh multi-megabyte array per call
        // would cost more in page faults and GC than the packing itself. The packing is left to the product, which
        // split by columns has each core pack the panels it multiplies.
        int length = PackedMatrix.Length(k, n, NR);
        float[] scratch = t_bPack is { } existing && existing.Length >= length ? existing : (t_bPack = GC.AllocateUninitializedArray<float>(length, pinned: true));
        var packed = new PackedMatrix(k, n, NR, BlockRows(k), scratch);
        fixed (float* pb = b)
            Multiply(m, a, lda, transA, packed, c, ldc, bias, relu, serial: false, new Unpacked(pb, ldb, transB));
    }

    /// <summary>
    /// Whether a one-off product reads B where it is instead of packing it: a row-major B whose columns fill whole
    /// NR panels, multiplied by few rows of A. Each B panel then serves at most 128 rows, too few to repay copying it;
    /// the micro-kernel reads the panel's rows ldb apart instead of NR apart. This is a train step's forward layer
    /// (weights an optimizer changes every step, batch 64), which packed its weights on every step: in four profiles
    /// each (`--profile-training Mlp`), the two large layers' medians went from 0.24-0.37 and 0.17-0.26 ms to
    /// 0.21-0.23 and 0.15-0.18 ms.
    /// </summary>
    internal static bool ReadsBInPlace(int m, int n, bool transB) => !transB && n % NR == 0 && m <= 128;

    /// <summary>B as given, row-major with leading dimension Ldb (transposed when TransB), to be packed into a product's <see cref="PackedMatrix"/>.</summary>
    private readonly struct Unpacked(float* b, int ldb, bool transB, bool inPlace = false)
    {
        public float* B { get; } = b;
        public int Ldb { get; } = ldb;
        public bool TransB { get; } = transB;

        /// <summary>B is read where it is (<see cref="ReadsBInPlace"/>), never packed.</summary>
        public bool InPlace { get; } = inPlace;
    }

    /// <summary>
    /// The block height for k rows: k in equal blocks of at most KC (784 is 4 × 196, not 3 × 256 + 16: a 16-row
    /// tail block would load and store every C tile for only 16 multiply-adds), a multiple of 4 for the row kernel.
    /// </summary>
    internal static int BlockRows(int k)
    {
        if (k <= KC) return Math.Max(1, k);
        int blocks = (k + KC - 1) / KC;
        int rows = (k + blocks - 1) / blocks;
        return Math.Min(KC, (rows + 3) / 4 * 4);
    }

    /// <summary>
    /// Packs op(B)[k×n] into the calling thread's scratch buffer, for products made during this call only (the next
    /// one-off product on this thread overwrites it). Other threads may read it while the caller waits for them.
    /// </summary>
    internal static PackedMatrix PackTransient(int k, int n, ReadOnlySpan<float> b, int ldb, bool transB)
    {
        int length = PackedMatrix.Length(k, n, NR);
        float[] scratch = t_bPack is { } existing && existing.Length >= length ? existing : (t_bPack = GC.AllocateUninitializedArray<float>(length, pinned: true));
        return PackInto(k, n, b, ldb, transB, scratch);
    }

    /// <summary>Packs op(B)[k×n] for repeated products.</summary>
    public static PackedMatrix Pack(int k, int n, ReadOnlySpan<float> b, int ldb, bool transB) =>
        PackInto(k, n, b, ldb, transB, GC.AllocateUninitializedArray<float>(PackedMatrix.Length(k, n, NR), pinned: true));

    private static PackedMatrix PackInto(int k, int n, ReadOnlySpan<float> b, int ldb, bool transB, float[] data)
    {
        var packed = new PackedMatrix(k, n, NR, BlockRows(k), data);
        fixed (float* pb = b) PackColumns(packed, new Unpacked(pb, ldb, transB), 0, n);
        return packed;
    }

    /// <summary>Packs columns j0..j1 of op(B) (j0 a multiple of NR) into <paramref name="packed"/>'s panels for them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackColumns(PackedMatrix packed, Unpacked source, int j0, int j1)
    {
        int nr = packed.NR, k = packed.K;
        float* pb = source.B;
        int ldb = source.Ldb;
        fixed (float* dst = packed.Data)
        {
            for (int pc = 0; pc < k; pc += packed.Kc)
            {
                int kc = Math.Min(packed.Kc, k - pc);
                for (int jr = j0; jr < j1; jr += nr)
                {
                    float* panel = dst + packed.PanelOffset(pc, kc, jr);
                    int cols = Math.Min(nr, packed.N - jr);
                    if (!source.TransB)
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            float* row = panel + p * nr;
                            new ReadOnlySpan<float>(pb + (long)(pc + p) * ldb + jr, cols).CopyTo(new Span<float>(row, cols));
                            new Span<float>(row + cols, nr - cols).Clear();
                        }
                    }
                    else
                    {
                        for (int j = 0; j < nr; j++)
                        {
                            if (j >= cols)
                            {
                                for (int p = 0; p < kc; p++) panel[p * nr + j] = 0;
                                continue;
                            }
                            float* src = pb + (long)(jr + j) * ldb + pc;
                            for (int p = 0; p < kc; p++) panel[p * nr + j] = src[p];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[m×n] = op(A)[m×k] · B (+ bias, then max(·, 0) when <paramref name="relu"/>), B packed by <see cref="Pack"/>.
    /// The bias and activation are applied to each register tile as the last block of K is stored (a fused
    /// MatMul+BiasAdd+Relu makes no second pass over C), and the first block stores rather than accumulates, so C
    /// needs no clearing.
    /// </summary>
    /// <remarks><paramref name="serial"/> keeps the product on the calling thread: a caller that has already split its
    /// work across cores (a convolution's row blocks) must not split each part again.</remarks>
    public static void Multiply(int m, ReadOnlySpan<float> a, int lda, bool transA, PackedMatrix b, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, bool relu = false, bool serial = false) =>
        Multiply(m, a, lda, transA, b, c, ldc, bias, relu, serial, default);

    /// <summary>The product, packing <paramref name="unpacked"/> into <paramref name="b"/> first when it is given.</summary>
    private static void Multiply(int m, ReadOnlySpan<float> a, int lda, bool transA, PackedMatrix b, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, bool relu, bool serial, Unpacked unpacked)
    {
        int n = b.N, k = b.K;
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"The bias has {bias.Length} values for {n} columns.", nameof(bias));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            for (int i = 0; i < m; i++)
            {
                Span<float> row = c.Slice(i * ldc, n);
                if (bias.IsEmpty) row.Clear();
                else bias.CopyTo(row);
                if (relu) TensorPrimitives.Max(row, 0f, row);
            }
            return;
        }
        fixed (float* pa = a)
        fixed (float* pc = c)
        fixed (float* pb = b.Data)
        fixed (float* pbias = bias)
        {
            var job = new Job(pa, lda, transA, b, pb, pc, ldc, bias.IsEmpty ? null : pbias, relu,
                unpacked.InPlace ? unpacked.B : null, unpacked.Ldb);
            if (unpacked.InPlace) unpacked = default;
            int threads = !serial && (long)m * n * k >= ParallelThreshold ? Math.Min(Threads, MaxThreads) : 1;
            if (threads <= 1)
            {
                if (unpacked.B != null) PackColumns(b, unpacked, 0, n);
                job.Run(0, m, 0, n);
                return;
            }
            RunSplit(job, m, n, b.NR, threads, unpacked);
        }
    }

    /// <summary>Runs <paramref name="job"/> on <paramref name="threads"/> cores, with the calling thread's <see cref="Split"/>.</summary>
    private static void RunSplit(Job job, int m, int n, int nr, int threads, Unpacked unpacked) =>
        (t_split ??= new Split()).Run(job, m, n, nr, threads, unpacked);

    [ThreadStatic] private static Split? t_split;

    /// <summary>
    /// One product split across cores, kept by the calling thread from product to product with its part delegate
    /// and chunk counters, so a split allocates nothing. A thread runs one split at a time: the parts never split
    /// again, and a product on another thread has that thread's own.
    /// </summary>
    private sealed class Split
    {
        private const int Stride = 16;
        // For each thread, the next unclaimed chunk of its own contiguous run (counters a cache line apart), and its end.
        private readonly int[] _next = new int[MaxThreads * Stride];
        private readonly int[] _end = new int[MaxThreads];
        private readonly Action<int> _part;
        private Job _job;
        private Unpacked _unpacked;
        private int _m, _n, _threads, _unit, _extent, _chunkUnits;
        private bool _byRows, _packChunks;

        public Split() => _part = Part;

        public void Run(Job job, int m, int n, int nr, int threads, Unpacked unpacked)
        {
            // Each core reads all of the matrix the split does not divide: split rows (sharing all of B) only
            // when A is the larger of the two, else split columns (sharing all of A).
            bool byRows = m >= threads * MR * 2 && m >= n;
            // Every row chunk reads all of B, so B is packed first; a column chunk packs its own panels.
            if (byRows && unpacked.B != null) PackColumns(job.B, unpacked, 0, n);
            int unit = byRows ? MR : nr, extent = byRows ? m : n;
            int units = (extent + unit - 1) / unit;
            // The split is in chunks, each thread owning a contiguous run of them (the same columns of a weight
            // matrix every time, so each core keeps its share in its own L2); a thread done with its own chunks
            // takes the remaining chunks of the others, so a core that is late (a shared machine's vCPU is not
            // always there) delays only the chunk it is in. Rows go in chunks of at most MC rows (the unit of A's
            // blocking), at least two per thread so that mid-sized products split evenly (256 rows: 4 x 66, not
            // 96 + 96 + 64 over two cores).
            int chunkUnits = byRows ? Math.Min(MC / MR, (units + threads * 2 - 1) / (threads * 2)) : Math.Max(1, units / (threads * 4));
            int chunks = (units + chunkUnits - 1) / chunkUnits;
            threads = Math.Min(threads, chunks);
            for (int t = 0; t < threads; t++)
            {
                _next[t * Stride] = (int)((long)chunks * t / threads);
                _end[t] = (int)((long)chunks * (t + 1) / threads);
            }
            (_job, _unpacked, _m, _n, _threads, _unit, _extent, _chunkUnits, _byRows, _packChunks) =
                (job, unpacked, m, n, threads, unit, extent, chunkUnits, byRows, !byRows && unpacked.B != null);
            try
            {
                if (UseWorkerTeam) WorkerTeam.Shared.Run(threads, _part);
                else Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _part);
            }
            finally
            {
                // The job's pointers are good only during the call.
                _job = default;
                _unpacked = default;
            }
        }

        private void Part(int t)
        {
            for (int v = 0; v < _threads; v++)
            {
                int owner = (t + v) % _threads;
                for (int chunk = Claim(owner); chunk >= 0; chunk = Claim(owner))
                {
                    int start = chunk * _chunkUnits * _unit, end = Math.Min(_extent, (chunk + 1) * _chunkUnits * _unit);
                    if (_byRows) _job.Run(start, end, 0, _n);
                    else
                    {
                        if (_packChunks) PackColumns(_job.B, _unpacked, start, end);
                        _job.Run(0, _m, start, end);
                    }
                }
            }
        }

        /// <summary>Claims the next chunk of <paramref name="owner"/>'s run, or returns -1 when none is left.</summary>
        private int Claim(int owner)
        {
            ref int next = ref _next[owner * Stride];
            if (Volatile.Read(ref next) >= _end[owner]) return -1;
            int chunk = Interlocked.Increment(ref next) - 1;
            return chunk < _end[owner] ? chunk : -1;
        }
    }

    /// <summary>Split products over <see cref="WorkerTeam"/> (spinning workers) rather than the thread pool; benchmarks compare both.</summary>
    internal static bool UseWorkerTeam { get; set; } = true;

    /// <summary>How many cores a large product uses (all of them unless a benchmark says otherwise).</summary>
    internal static int Threads { get; set; } = Environment.ProcessorCount;

    // Packing buffers, per thread, grown as needed: steady-state products allocate nothing.
    [ThreadStatic] private static float[]? t_aPack;
    [ThreadStatic] private static float[]? t_bPack;

    private readonly struct Job(float* a, int lda, bool transA, PackedMatrix b, float* packedB, float* c, int ldc, float* bias, bool relu, float* directB, int directLdb)
    {
        /// <summary>The packed right-hand matrix.</summary>
        public PackedMatrix B => b;

        /// <summary>Rows i0..i1 and columns j0..j1 of C (j0 a multiple of NR).</summary>
        // Called a few times per product, these loops would otherwise run as instrumented tier-0 code for a
        // long time, and its shared profile counters make threads slow each other down.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(int i0, int i1, int j0, int j1)
        {
            int nr = b.NR;
            float[] aPack = t_aPack is { Length: >= KC * (MC + MR) } existing ? existing : (t_aPack = GC.AllocateUninitializedArray<float>(KC * (MC + MR), pinned: true));
            float* tile = stackalloc float[MR * 32];
            // A row-major A is read in place: its rows are already contiguous along k, so the micro-kernel broadcasts
            // from six row pointers. Only a transposed A, and a partial panel of fewer than MR rows, are packed; a
            // single row (a batch of one) is read in place too unless an edge tile needs its zero-padded panel.
            bool direct = !transA;
            fixed (float* ap = aPack)
            {
                for (int pc = 0; pc < b.K; pc += b.Kc)
                {
                    int kc = Math.Min(b.Kc, b.K - pc);
                    bool first = pc == 0, last = pc + kc == b.K;
                    for (int ic = i0; ic < i1; ic += MC)
                    {
                        int mc = Math.Min(MC, i1 - ic);
                        int fullRows = mc / MR * MR;
                        bool packPartial = fullRows < mc && (mc - fullRows > 1 || (j1 - j0) % nr != 0);
                        if (!direct) PackA(ic, mc, pc, kc, ap);
                        else if (packPartial) PackA(ic + fullRows, mc - fullRows, pc, kc, ap + (fullRows / MR) * kc * MR);
                        for (int jr = j0; jr < j1; jr += nr)
                        {
                            int nPart = Math.Min(nr, j1 - jr);
                            // B's panel: packed (rows NR apart), or B itself when it is read in place (rows ldb apart).
                            float* bPanel = directB != null ? directB + (long)pc * directLdb + jr : packedB + b.PanelOffset(pc, kc, jr);
                            int bStride = directB != null ? directLdb : nr;
                            var finish = new Finish(!first, last && bias != null ? bias + jr : null, last && relu);
                            for (int ir = 0; ir < mc; ir += MR)
                            {
                                int mPart = Math.Min(MR, mc - ir);
                                bool inPlace = direct && (mPart == MR || !packPartial);
                                float* aPanel = inPlace ? a + (long)(ic + ir) * lda + pc : ap + (ir / MR) * kc * MR;
                                int rowStride = inPlace ? lda : 1, step = inPlace ? 1 : MR;
                                float* cTile = c + (long)(ic + ir) * ldc + jr;
                                // A last panel with at most half its columns used (the 100 outputs of a layer are
                                // three panels of 32 and 4 columns) is computed half as wide.
                                int width = nPart <= nr / 2 && HasHalfTile(nr) ? nr / 2 : nr;
                                if (mPart == MR && nPart == width) MicroKernel(kc, aPanel, rowStride, step, bPanel, bStride, cTile, ldc, width, finish);
                                else if (mPart == 1 && nPart == width) RowKernel(kc, aPanel, step, bPanel, bStride, cTile, width, finish);
                                else
                                {
                                    // Edge tile: compute a whole tile into scratch, finish only the valid part.
                                    MicroKernel(kc, aPanel, rowStride, step, bPanel, bStride, tile, width, width, default);
                                    for (int r = 0; r < mPart; r++)
                                        for (int col = 0; col < nPart; col++)
                                            cTile[(long)r * ldc + col] = finish.Apply(tile[r * width + col], cTile[(long)r * ldc + col], col);
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>Packs rows ic..ic+mc, columns pc..pc+kc of op(A) as MR-row panels: for each p, MR consecutive values.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackA(int ic, int mc, int pc, int kc, float* dst)
        {
            for (int ir = 0; ir < mc; ir += MR, dst += kc * MR)
            {
                int rows = Math.Min(MR, mc - ir);
                if (transA)
                {
                    // op(A)'s rows are A's columns: the panel's MR values for one p are adjacent in A's row p, so
                    // walk A row by row (a column-wise walk touches a new cache line for every value).
                    float* src = a + (long)pc * lda + ic + ir;
                    for (int p = 0; p < kc; p++, src += lda)
                    {
                        float* panelRow = dst + p * MR;
                        int r = 0;
                        for (; r < rows; r++) panelRow[r] = src[r];
                        for (; r < MR; r++) panelRow[r] = 0;
                    }
                    continue;
                }
                for (int r = 0; r < MR; r++)
                {
                    if (r >= rows)
                    {
                        for (int p = 0; p < kc; p++) dst[p * MR + r] = 0;
                        continue;
                    }
                    float* src = a + (ic + ir + r) * (long)lda + pc;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
                }
            }
        }
    }

    /// <summary>
    /// C[MR×width] += A[MR×kc] · Bpanel[kc×width], with the tile held in registers. A's element (r, p) is at
    /// a[r·rowStride + p·step]: a packed panel has rowStride 1 and step MR, a row-major A rowStride lda and step 1.
    /// The panel's rows are <paramref name="bStride"/> apart: the packed width NR, of which a tile may use half.
    /// </summary>
    private static void MicroKernel(int kc, float* a, int rowStride, int step, float* b, int bStride, float* c, int ldc, int width, Finish finish)
    {
        if (width == 2 * Vector512<float>.Count && Lanes512.IsAccelerated) Tile<Lanes512, Vector512<float>>(kc, a, rowStride, step, b, bStride, c, ldc, finish);
        else if (width == 2 * Vector256<float>.Count && Lanes256.IsAccelerated) Tile<Lanes256, Vector256<float>>(kc, a, rowStride, step, b, bStride, c, ldc, finish);
        else if (width == 2 * Vector128<float>.Count && Lanes128.IsAccelerated) Tile<Lanes128, Vector128<float>>(kc, a, rowStride, step, b, bStride, c, ldc, finish);
        else ScalarTile(kc, a, rowStride, step, b, bStride, c, ldc, width, finish);
    }

    /// <summary>Whether a vector tile half as wide as <paramref name="nr"/> exists (not below two 128-bit vectors).</summary>
    private static bool HasHalfTile(int nr) => nr / 2 >= 2 * Vector128<float>.Count && Vector128.IsHardwareAccelerated;

    /// <summary>
    /// The register tile for one vector width: MR rows of two vectors each (12 accumulators, which leaves room for
    /// the two B vectors and a broadcast in the 16 registers of AVX2 and SSE; AVX-512 and AdvSimd have 32).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<W, V>(int kc, float* a, int rowStride, int step, float* b, int bStride, float* c, int ldc, Finish finish)
        where W : struct, ILanes<V> where V : struct
    {
        int width = W.Count;
        float* r0 = a, r1 = a + rowStride, r2 = a + 2 * rowStride, r3 = a + 3 * rowStride, r4 = a + 4 * rowStride, r5 = a + 5 * rowStride;
        V c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
          c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, b += bStride)
        {
            long o = (long)p * step;
            var b0 = W.Load(b);
            var b1 = W.Load(b + width);
            var a0 = W.Broadcast(r0[o]); c00 = W.MultiplyAdd(a0, b0, c00); c01 = W.MultiplyAdd(a0, b1, c01);
            var a1 = W.Broadcast(r1[o]); c10 = W.MultiplyAdd(a1, b0, c10); c11 = W.MultiplyAdd(a1, b1, c11);
            var a2 = W.Broadcast(r2[o]); c20 = W.MultiplyAdd(a2, b0, c20); c21 = W.MultiplyAdd(a2, b1, c21);
            var a3 = W.Broadcast(r3[o]); c30 = W.MultiplyAdd(a3, b0, c30); c31 = W.MultiplyAdd(a3, b1, c31);
            var a4 = W.Broadcast(r4[o]); c40 = W.MultiplyAdd(a4, b0, c40); c41 = W.MultiplyAdd(a4, b1, c41);
            var a5 = W.Broadcast(r5[o]); c50 = W.MultiplyAdd(a5, b0, c50); c51 = W.MultiplyAdd(a5, b1, c51);
        }
        Store<W, V>(c, c00, c01, finish); Store<W, V>(c + ldc, c10, c11, finish); Store<W, V>(c + 2 * ldc, c20, c21, finish);
        Store<W, V>(c + 3 * ldc, c30, c31, finish); Store<W, V>(c + 4 * ldc, c40, c41, finish); Store<W, V>(c + 5 * ldc, c50, c51, finish);
    }

    /// <summary>The tile without vectors (hardware intrinsics disabled): slow, but the same results.</summary>
    private static void ScalarTile(int kc, float* a, int rowStride, int step, float* b, int bStride, float* c, int ldc, int nr, Finish finish)
    {
        float* sums = stackalloc float[MR * nr];
        new Span<float>(sums, MR * nr).Clear();
        for (int p = 0; p < kc; p++, b += bStride)
            for (int r = 0; r < MR; r++)
            {
                float av = a[(long)r * rowStride + (long)p * step];
                for (int j = 0; j < nr; j++) sums[r * nr + j] += av * b[j];
            }
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < nr; j++) c[(long)r * ldc + j] = finish.Apply(sums[r * nr + j], c[(long)r * ldc + j], j);
    }

    /// <summary>
    /// C[1×width] (+)= a · Bpanel for one row of A whose element p is at a[p·step] (a packed panel: step MR; the row
    /// in place: step 1): the one-row case (a batch of one), which the 6-row tile would compute six times over.
    /// </summary>
    private static void RowKernel(int kc, float* a, int step, float* b, int bStride, float* c, int width, Finish finish)
    {
        if (width == 2 * Vector512<float>.Count && Lanes512.IsAccelerated) Row<Lanes512, Vector512<float>>(kc, a, step, b, bStride, c, finish);
        else if (width == 2 * Vector256<float>.Count && Lanes256.IsAccelerated) Row<Lanes256, Vector256<float>>(kc, a, step, b, bStride, c, finish);
        else if (width == 2 * Vector128<float>.Count && Lanes128.IsAccelerated) Row<Lanes128, Vector128<float>>(kc, a, step, b, bStride, c, finish);
        else
        {
            float* sums = stackalloc float[width];
            new Span<float>(sums, width).Clear();
            for (int p = 0; p < kc; p++, a += step, b += bStride)
            {
                float av = a[0];
                for (int j = 0; j < width; j++) sums[j] += av * b[j];
            }
            for (int j = 0; j < width; j++) c[j] = finish.Apply(sums[j], c[j], j);
        }
    }

    /// <summary>
    /// One row against a panel for one vector width. Four interleaved accumulator pairs hide the FMA latency: with
    /// one pair, each multiply-add would wait for the previous one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<W, V>(int kc, float* a, int step, float* b, int nr, float* c, Finish finish)
        where W : struct, ILanes<V> where V : struct
    {
        int width = W.Count;
        V s0 = default, s1 = default, t0 = default, t1 = default, u0 = default, u1 = default, v0 = default, v1 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4, a += 4 * step, b += 4 * nr)
        {
            var a0 = W.Broadcast(a[0]); s0 = W.MultiplyAdd(a0, W.Load(b), s0); s1 = W.MultiplyAdd(a0, W.Load(b + width), s1);
            var a1 = W.Broadcast(a[step]); t0 = W.MultiplyAdd(a1, W.Load(b + nr), t0); t1 = W.MultiplyAdd(a1, W.Load(b + nr + width), t1);
            var a2 = W.Broadcast(a[2 * step]); u0 = W.MultiplyAdd(a2, W.Load(b + 2 * nr), u0); u1 = W.MultiplyAdd(a2, W.Load(b + 2 * nr + width), u1);
            var a3 = W.Broadcast(a[3 * step]); v0 = W.MultiplyAdd(a3, W.Load(b + 3 * nr), v0); v1 = W.MultiplyAdd(a3, W.Load(b + 3 * nr + width), v1);
        }
        for (; p < kc; p++, a += step, b += nr)
        {
            var a0 = W.Broadcast(a[0]);
            s0 = W.MultiplyAdd(a0, W.Load(b), s0);
            s1 = W.MultiplyAdd(a0, W.Load(b + width), s1);
        }
        Store<W, V>(c, W.Add(W.Add(s0, t0), W.Add(u0, v0)), W.Add(W.Add(s1, t1), W.Add(u1, v1)), finish);
    }

    /// <summary>
    /// How a tile's sums reach C: added to what an earlier block of K left there or stored over it (the first
    /// block), and on the last block plus the bias of each column, then max(·, 0).
    /// </summary>
    private readonly struct Finish(bool accumulate, float* bias, bool relu)
    {
        /// <summary>The value C takes for a sum in column <paramref name="column"/> of the tile.</summary>
        public float Apply(float sum, float current, int column)
        {
            if (accumulate) sum += current;
            if (bias != null) sum += bias[column];
            // Math.Max keeps NaN, as TensorFlow's Relu does.
            return relu ? Math.Max(sum, 0f) : sum;
        }

        public V Apply<W, V>(V sum, float* c, int column) where W : struct, ILanes<V> where V : struct
        {
            if (accumulate) sum = W.Add(sum, W.Load(c));
            if (bias != null) sum = W.Add(sum, W.Load(bias + column));
            return relu ? W.Relu(sum) : sum;
        }
    }

    private static void Store<W, V>(float* c, V lo, V hi, Finish finish) where W : struct, ILanes<V> where V : struct
    {
        W.Store(finish.Apply<W, V>(lo, c, 0), c);
        W.Store(finish.Apply<W, V>(hi, c + W.Count, W.Count), c + W.Count);
    }

    /// <summary>
    /// The float operations of one vector width. The kernels are written once against this; a generic method over a
    /// struct is compiled separately for each, with these calls inlined, so each width gets its own machine code.
    /// </summary>
    private interface ILanes<V> where V : struct
    {
        static abstract bool IsAccelerated { get; }
        static abstract int Count { get; }
        static abstract V Load(float* source);
        static abstract void Store(V value, float* destination);
        static abstract V Broadcast(float value);
        /// <summary>a·b + addend, fused where the CPU has FMA.</summary>
        static abstract V MultiplyAdd(V a, V b, V addend);
        static abstract V Add(V a, V b);
        /// <summary>max(value, 0), NaN kept (as TensorFlow's Relu and Math.Max).</summary>
        static abstract V Relu(V value);
    }

    private readonly struct Lanes512 : ILanes<Vector512<float>>
    {
        public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
        public static int Count => Vector512<float>.Count;
        public static Vector512<float> Load(float* source) => Vector512.Load(source);
        public static void Store(Vector512<float> value, float* destination) => value.Store(destination);
        public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
        public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> addend) => Vector512.FusedMultiplyAdd(a, b, addend);
        public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
        public static Vector512<float> Relu(Vector512<float> value) => Vector512.Max(value, Vector512<float>.Zero);
    }

    private readonly struct Lanes256 : ILanes<Vector256<float>>
    {
        public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
        public static int Count => Vector256<float>.Count;
        public static Vector256<float> Load(float* source) => Vector256.Load(source);
        public static void Store(Vector256<float> value, float* destination) => value.Store(destination);
        public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
        // Vector256.FusedMultiplyAdd without FMA hardware is a software emulation, many times slower than a
        // multiply and an add (an AVX CPU without FMA, or FMA disabled).
        public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> addend) =>
            Fma.IsSupported ? Vector256.FusedMultiplyAdd(a, b, addend) : a * b + addend;
        public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
        public static Vector256<float> Relu(Vector256<float> value) => Vector256.Max(value, Vector256<float>.Zero);
    }

    private readonly struct Lanes128 : ILanes<Vector128<float>>
    {
        public static bool IsAccelerated => Vector128.IsHardwareAccelerated;
        public static int Count => Vector128<float>.Count;
        public static Vector128<float> Load(float* source) => Vector128.Load(source);
        public static void Store(Vector128<float> value, float* destination) => value.Store(destination);
        public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
        // ARM64's AdvSimd always has a fused multiply-add; x64 below AVX2 (SSE only) may not.
        public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> addend) =>
            Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(a, b, addend) : a * b + addend;
        public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
        public static Vector128<float> Relu(Vector128<float> value) => Vector128.Max(value, Vector128<float>.Zero);
    }
}
