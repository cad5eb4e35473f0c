using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace StaticFlow.Kernels;

/// <summary>
/// A team of worker threads for splitting one kernel across cores, in the style of OpenMP or ONNX Runtime's
/// thread pool: after a job, workers spin for a short while before they sleep, so the next job of a graph (the
/// next layer, microseconds later) starts on every core at once instead of waiting for the thread pool to wake a
/// thread. One job runs at a time; a caller that finds the team busy runs its job on its own thread.
/// A part that no worker has started by the time the caller is done with its own is taken back and run by the
/// caller: on a shared machine a worker's core can be away for milliseconds, and waiting for it would cost more
/// than the part itself (together with <see cref="Sgemm"/>'s chunk stealing, a late core only slows its own share).
/// </summary>
internal sealed class WorkerTeam
{
    /// <summary>How long an idle worker spins before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5_000; // 200 µs

    private readonly Worker[] _workers;
    private readonly Lock _gate = new();
    private Action<int>? _job;
    private int _pending;
    private long _generation;
    private ExceptionDispatchInfo? _failure;

    // Per worker and job: who runs its part. A worker claims it (Waiting -> Started) before running it; the caller
    // takes back a part still Waiting (-> Revoked) and runs it itself. Exactly one of them wins.
    private const int Waiting = 0, Started = 1, Revoked = 2;

    private WorkerTeam(int workers)
    {
        _workers = new Worker[workers];
        for (int i = 0; i < workers; i++) _workers[i] = new Worker(this, i + 1);
    }

    /// <summary>The team for this process: one worker per core beyond the caller's.</summary>
    public static WorkerTeam Shared { get; } = new(Math.Max(0, Environment.ProcessorCount - 1));

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="length"/>) in one contiguous range per core
    /// (<see cref="Sgemm.Threads"/>), each at least <paramref name="minimumPerPart"/> elements, or in one call when
    /// the work is smaller. Ranges start on multiples of 16 elements, so no two cores write one cache line of a
    /// 4-byte tensor. For memory-bound elementwise kernels, which one core cannot run at the memory's speed.
    /// </summary>
    public static void ForRanges(int length, int minimumPerPart, Action<int, int> body)
    {
        int parts = Math.Min(Sgemm.Threads, length / Math.Max(1, minimumPerPart));
        if (parts <= 1)
        {
            body(0, length);
            return;
        }
        int chunk = (length / parts + 15) & ~15;
        Shared.Run(parts, part => body(Math.Min(length, part * chunk), part == parts - 1 ? length : Math.Min(length, (part + 1) * chunk)));
    }

    /// <summary>Runs <paramref name="job"/>(0..parts-1), part 0 on the calling thread, the others on workers.</summary>
    public void Run(int parts, Action<int> job)
    {
        if (parts <= 1 || _workers.Length == 0 || !_gate.TryEnter())
        {
            for (int i = 0; i < parts; i++) job(i);
            return;
        }
        try
        {
            int helpers = Math.Min(parts - 1, _workers.Length);
            _job = job;
            _failure = null;
            Volatile.Write(ref _pending, helpers);
            for (int w = 0; w < _workers.Length; w++) Volatile.Write(ref _workers[w].State, w < helpers ? Waiting : Revoked);
            Interlocked.Increment(ref _generation);
            for (int w = 0; w < helpers; w++) _workers[w].Wake();
            try
            {
                job(0);
                // Parts beyond the workers (more parts than cores) run here too.
                for (int i = helpers + 1; i < parts; i++) job(i);
                // Then every part whose worker has not started yet.
                for (int w = 0; w < helpers; w++)
                {
                    if (Interlocked.CompareExchange(ref _workers[w].State, Revoked, Waiting) != Waiting) continue;
                    Interlocked.Decrement(ref _pending);
                    job(w + 1);
                }
            }
            catch (Exception e)
            {
                // Recorded, not thrown yet: the workers must finish this job before the team takes another. Parts
                // still waiting are taken back unrun (the job has failed).
                _failure = ExceptionDispatchInfo.Capture(e);
                for (int w = 0; w < helpers; w++)
                    if (Interlocked.CompareExchange(ref _workers[w].State, Revoked, Waiting) == Waiting) Interlocked.Decrement(ref _pending);
            }
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(sleep1Threshold: -1);
            _job = null;
            _failure?.Throw();
        }
        finally
        {
            _gate.Exit();
        }
    }

    private sealed class Worker
    {
        private readonly WorkerTeam _team;
        private readonly int _index;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        /// <summary>Waiting, Started or Revoked: who runs this worker's part of the current job.</summary>
        public int State;

        public Worker(WorkerTeam team, int index)
        {
            _team = team;
            _index = index;
            new Thread(Loop) { IsBackground = true, Name = $"StaticFlow worker {index}" }.Start();
        }

        public void Wake()
        {
            if (Volatile.Read(ref _sleeping) == 1) _wake.Release();
        }

        private void Loop()
        {
            long seen = 0;
            while (true)
            {
                long started = Stopwatch.GetTimestamp();
                // Spin while work is likely to come soon; then sleep until woken.
                while (Volatile.Read(ref _team._generation) == seen)
                {
                    if (Stopwatch.GetTimestamp() - started < SpinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    // A full fence between announcing sleep and checking for work: with Wake's fenced increment of the
                    // generation, either this thread sees the new job or the caller sees it asleep and releases it.
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _team._generation) == seen) _wake.Wait();
                    Volatile.Write(ref _sleeping, 0);
                    started = Stopwatch.GetTimestamp();
                }
                seen = Volatile.Read(ref _team._generation);
                // The caller may have taken the part back already (or this worker has no part in this job).
                if (Interlocked.CompareExchange(ref State, Started, Waiting) != Waiting) continue;
                try { _team._job!(_index); }
                catch (Exception e) { _team._failure = ExceptionDispatchInfo.Capture(e); }
                finally { Interlocked.Decrement(ref _team._pending); }
            }
        }
    }
}
