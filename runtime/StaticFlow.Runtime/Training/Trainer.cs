using System.Diagnostics;
using System.Numerics;
using StaticFlow.Tensors;

namespace StaticFlow.Training;

/// <summary>How <see cref="Trainer"/>'s <c>Fit</c> trains, as Keras' <c>model.fit</c> arguments.</summary>
public sealed class FitOptions
{
    /// <summary>The epoch to stop before (Keras' <c>epochs</c>).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>The epoch to start at when resuming from a checkpoint (Keras' <c>initial_epoch</c>); shuffling depends only on the seed and the epoch, so a resumed run repeats the same batches.</summary>
    public int InitialEpoch { get; init; }

    /// <summary>Rows per batch (the last batch of an epoch may be smaller).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Whether each epoch visits the training rows in a fresh order drawn from <see cref="Seed"/> and the epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>The seed of the shuffles.</summary>
    public int Seed { get; init; }

    /// <summary>The fraction of rows, taken from the end before any shuffling as Keras does, held out for validation.</summary>
    public double ValidationSplit { get; init; }

    /// <summary>Where the progress bar and per-epoch lines go; null for none. Defaults to the console.</summary>
    public TextWriter? Progress { get; init; } = Console.Out;

    /// <summary>Called after every batch and epoch, in order.</summary>
    public IReadOnlyList<ITrainingCallback> Callbacks { get; init; } = [];

    /// <summary>A learning-rate schedule by global step (0-based), written into the optimizer's <c>learning_rate</c> variable before each step; null keeps it.</summary>
    public Func<long, double>? LearningRate { get; init; }

    /// <summary>Checked before every step and passed to every graph call; cancelling throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Stops with <see cref="TrainingDivergedException"/> when a step's loss is NaN or infinite (Keras' <c>TerminateOnNaN</c>).</summary>
    public bool StopOnNaN { get; init; } = true;
}

/// <summary>What one epoch measured: <c>loss</c> (the mean of its steps' losses), <c>val_loss</c>, <c>val_&lt;metric&gt;</c> and <c>learning_rate</c>.</summary>
public sealed record EpochResult(int Epoch, long Steps, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>The epoch's mean training loss.</summary>
    public double Loss => Values["loss"];

    /// <summary>The validation loss, when there is validation data.</summary>
    public double? ValidationLoss => Values.TryGetValue("val_loss", out double value) ? value : null;
}

/// <summary>Every epoch's results (Keras' <c>History</c>).</summary>
public sealed class History
{
    internal History() { }

    /// <summary>The epochs run, in order.</summary>
    public List<EpochResult> Epochs { get; } = [];

    /// <summary>Whether a callback stopped training before the last epoch.</summary>
    public bool StoppedEarly { get; internal set; }
}

/// <summary>Where training is, for callbacks.</summary>
public sealed class TrainingState
{
    internal TrainingState(IGraphModule model) => Model = model;

    /// <summary>The model being trained.</summary>
    public IGraphModule Model { get; }

    /// <summary>Steps taken so far over the whole run, resumed epochs included (the global step).</summary>
    public long Step { get; internal set; }

    /// <summary>The current epoch.</summary>
    public int Epoch { get; internal set; }

    /// <summary>The last step's loss.</summary>
    public double Loss { get; internal set; }

    /// <summary>Set by a callback to stop after the current epoch.</summary>
    public bool StopRequested { get; set; }
}

/// <summary>Hooks into training (Keras' <c>Callback</c>); every method does nothing unless overridden.</summary>
public interface ITrainingCallback
{
    /// <summary>Before the first step.</summary>
    void OnTrainBegin(TrainingState state) { }

    /// <summary>After each step.</summary>
    void OnBatchEnd(TrainingState state) { }

    /// <summary>After each epoch, with its results.</summary>
    void OnEpochEnd(TrainingState state, EpochResult result) { }

    /// <summary>After the last epoch (or an early stop).</summary>
    void OnTrainEnd(TrainingState state) { }
}

/// <summary>A step's loss was NaN or infinite; names the step, epoch and batch.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>The mean of values seen so far (Keras' <c>tf.keras.metrics.Mean</c>), weighted by counts.</summary>
public sealed class MeanMetric
{
    private double _total;
    private double _weight;

    /// <summary>Adds <paramref name="value"/> with <paramref name="weight"/> (rows in its batch).</summary>
    public void Add(double value, double weight = 1)
    {
        _total += value * weight;
        _weight += weight;
    }

    /// <summary>The mean, or NaN before any value.</summary>
    public double Result => _weight == 0 ? double.NaN : _total / _weight;

    /// <summary>Forgets every value.</summary>
    public void Reset() => (_total, _weight) = (0, 0);
}

/// <summary>
/// Keras' <c>model.fit</c> for graph modules: runs a <see cref="TrainStepAttribute"/> function's compiled form over
/// batches for some epochs, with shuffling, a validation split, a progress bar, learning-rate schedules and callbacks
/// (<see cref="CheckpointCallback"/>, <see cref="TensorBoardCallback"/>, <see cref="EarlyStopping"/>).
/// </summary>
public static class Trainer
{
    /// <summary>Trains on rows of <paramref name="x"/> and <paramref name="y"/> (the first dimension is the row).</summary>
    /// <param name="model">The module whose variables the step updates.</param>
    /// <param name="trainStep">One step on a batch, returning its loss: the compiled train step itself, <c>model.TrainGraph</c>.</param>
    /// <param name="x">The inputs.</param>
    /// <param name="y">The targets, as many rows as <paramref name="x"/>.</param>
    /// <param name="options">Epochs, batch size and the rest.</param>
    /// <param name="validationLoss">The loss without a step (<c>model.LossGraph</c>), for <c>val_loss</c>; null for none.</param>
    /// <param name="metrics">Validation metrics by name (<c>["accuracy"] = model.AccuracyGraph</c>), reported as <c>val_&lt;name&gt;</c>.</param>
    public static History Fit<TX, TY, TLoss>(this IGraphModule model, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>> trainStep, Tensor<TX> x, Tensor<TY> y,
        FitOptions? options = null, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>? validationLoss = null,
        IReadOnlyDictionary<string, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>>? metrics = null)
        where TX : unmanaged where TY : unmanaged where TLoss : unmanaged, IFloatingPoint<TLoss>
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options ??= new FitOptions();
        long rows = x.Shape.Rank > 0 ? x.Shape[0] : throw new ArgumentException("x needs a first (row) dimension", nameof(x));
        if (y.Shape.Rank == 0 || y.Shape[0] != rows) throw new ArgumentException($"y has {(y.Shape.Rank == 0 ? 0 : y.Shape[0])} rows, x has {rows}", nameof(y));
        if (options.ValidationSplit is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), options.ValidationSplit, "ValidationSplit must be in [0, 1)");
        long held = (long)Math.Floor(rows * options.ValidationSplit);
        long training = rows - held;
        if (training <= 0) throw new ArgumentException("no rows left to train on");
        var validation = held > 0 ? Batches(x, y, [.. Enumerable.Range((int)training, (int)held)], options.BatchSize).ToList() : null;

        return Fit(model, trainStep, epoch =>
        {
            int[] order = [.. Enumerable.Range(0, (int)training)];
            if (options.Shuffle) new Random(HashCode.Combine(options.Seed, epoch)).Shuffle(order);
            return Batches(x, y, order, options.BatchSize);
        }, (int)((training + options.BatchSize - 1) / options.BatchSize), options, validation, validationLoss, metrics);
    }

    /// <summary>Trains on the batches <paramref name="batches"/> gives for each epoch (given the epoch number).</summary>
    public static History Fit<TX, TY, TLoss>(this IGraphModule model, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>> trainStep,
        Func<int, IEnumerable<(Tensor<TX> X, Tensor<TY> Y)>> batches, FitOptions? options = null,
        IReadOnlyList<(Tensor<TX> X, Tensor<TY> Y)>? validation = null, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>? validationLoss = null,
        IReadOnlyDictionary<string, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>>? metrics = null)
        where TX : unmanaged where TY : unmanaged where TLoss : unmanaged, IFloatingPoint<TLoss> =>
        Fit(model, trainStep, batches, -1, options ?? new FitOptions(), validation, validationLoss, metrics);

    private static History Fit<TX, TY, TLoss>(IGraphModule model, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>> trainStep,
        Func<int, IEnumerable<(Tensor<TX> X, Tensor<TY> Y)>> batches, int batchesPerEpoch, FitOptions options,
        IReadOnlyList<(Tensor<TX> X, Tensor<TY> Y)>? validation, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>? validationLoss,
        IReadOnlyDictionary<string, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>>? metrics)
        where TX : unmanaged where TY : unmanaged where TLoss : unmanaged, IFloatingPoint<TLoss>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainStep);
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be positive");
        var history = new History();
        var state = new TrainingState(model) { Step = StepCount(model) };
        var progress = options.Progress is { } writer ? new ProgressBar(writer) : null;
        foreach (var callback in options.Callbacks) callback.OnTrainBegin(state);
        for (int epoch = options.InitialEpoch; epoch < options.Epochs; epoch++)
        {
            state.Epoch = epoch;
            progress?.BeginEpoch(epoch, options.Epochs, batchesPerEpoch);
            var loss = new MeanMetric();
            long steps = 0;
            int batch = 0;
            foreach (var (bx, by) in batches(epoch))
            {
                if (options.LearningRate is { } schedule) SetLearningRate(model, schedule(state.Step));
                options.Cancellation.ThrowIfCancellationRequested();
                double value = Scalar(trainStep(bx, by, options.Cancellation));
                batch++;
                if (options.StopOnNaN && !double.IsFinite(value))
                    throw new TrainingDivergedException($"The loss became {value} at step {state.Step} (epoch {epoch}, batch {batch}); lower the learning rate or clip gradients (TrainStep ClipNorm).");
                state.Step++;
                state.Loss = value;
                loss.Add(value, bx.Shape.Rank > 0 ? bx.Shape[0] : 1);
                steps++;
                foreach (var callback in options.Callbacks) callback.OnBatchEnd(state);
                progress?.Batch(batch, loss.Result);
            }
            var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = loss.Result };
            if (validation is not null && validation.Count > 0)
            {
                if (validationLoss is not null) values["val_loss"] = Evaluate(validation, validationLoss, options.Cancellation);
                foreach (var (name, metric) in metrics ?? new Dictionary<string, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>>>())
                    values["val_" + name] = Evaluate(validation, metric, options.Cancellation);
            }
            if (LearningRate(model) is { } rate) values["learning_rate"] = rate;
            var result = new EpochResult(epoch, steps, values);
            history.Epochs.Add(result);
            progress?.EndEpoch(result);
            foreach (var callback in options.Callbacks) callback.OnEpochEnd(state, result);
            if (state.StopRequested)
            {
                history.StoppedEarly = epoch + 1 < options.Epochs;
                break;
            }
        }
        foreach (var callback in options.Callbacks) callback.OnTrainEnd(state);
        return history;
    }

    /// <summary>The mean of <paramref name="function"/> over <paramref name="batches"/>, weighted by rows.</summary>
    public static double Evaluate<TX, TY, TLoss>(IReadOnlyList<(Tensor<TX> X, Tensor<TY> Y)> batches, Func<Tensor<TX>, Tensor<TY>, CancellationToken, Tensor<TLoss>> function,
        CancellationToken cancellation = default)
        where TX : unmanaged where TY : unmanaged where TLoss : unmanaged, IFloatingPoint<TLoss>
    {
        var mean = new MeanMetric();
        foreach (var (bx, by) in batches) mean.Add(Scalar(function(bx, by, cancellation)), bx.Shape.Rank > 0 ? bx.Shape[0] : 1);
        return mean.Result;
    }

    /// <summary>Rows <paramref name="order"/> of <paramref name="x"/> and <paramref name="y"/> in batches of <paramref name="batchSize"/>.</summary>
    public static IEnumerable<(Tensor<TX> X, Tensor<TY> Y)> Batches<TX, TY>(Tensor<TX> x, Tensor<TY> y, int[] order, int batchSize) where TX : unmanaged where TY : unmanaged
    {
        for (int start = 0; start < order.Length; start += batchSize)
        {
            var rows = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            yield return (Rows(x, rows), Rows(y, rows));
        }
    }

    private static Tensor<T> Rows<T>(Tensor<T> source, int[] rows) where T : unmanaged
    {
        long[] dims = source.Shape.Dims.ToArray();
        int width = (int)(source.Shape.ElementCount / Math.Max(1, dims[0]));
        ReadOnlySpan<T> values = source.Untyped.AsSpan<T>();
        var result = new T[rows.Length * width];
        for (int r = 0; r < rows.Length; r++) values.Slice(rows[r] * width, width).CopyTo(result.AsSpan(r * width, width));
        dims[0] = rows.Length;
        return new Tensor<T>(Tensor.FromArray<T>(result, dims));
    }

    private static double Scalar<TLoss>(Tensor<TLoss> loss) where TLoss : unmanaged, IFloatingPoint<TLoss>
    {
        if (loss.Shape.ElementCount != 1) throw new ArgumentException($"the train step returned a loss of shape {loss.Shape}; it must be a scalar");
        return double.CreateChecked(loss.Untyped.AsSpan<TLoss>()[0]);
    }

    private static IEnumerable<GraphVariableInfo> LearningRateVariables(IGraphModule model) =>
        model.Definition.Variables.Where(v => v.IsOptimizerState && v.Name.EndsWith("/learning_rate", StringComparison.Ordinal));

    private static double? LearningRate(IGraphModule model) =>
        LearningRateVariables(model).FirstOrDefault() is { } variable ? ReadDouble(GraphModules.Storage(model)[variable.Name]) : null;

    private static double ReadDouble(Tensor tensor) => tensor.Cast(DType.Float64).AsSpan<double>()[0];

    private static void SetLearningRate(IGraphModule model, double rate)
    {
        var variables = LearningRateVariables(model).ToList();
        if (variables.Count == 0) throw new InvalidOperationException($"Module {model.Definition.Name} has no [TrainStep], so it has no learning rate to schedule.");
        var values = new Dictionary<string, Tensor>(GraphModules.Storage(model), StringComparer.Ordinal);
        foreach (var variable in variables) values[variable.Name] = Tensor.Scalar(rate).Cast(variable.DType);
        model.SetVariables(values);
    }

    /// <summary>The optimizers' step count (<c>&lt;Optimizer&gt;/iter</c>), so a resumed run continues the global step.</summary>
    private static long StepCount(IGraphModule model) =>
        model.Definition.Variables.FirstOrDefault(v => v.IsOptimizerState && v.Name.EndsWith("/iter", StringComparison.Ordinal)) is { } iterations
            ? GraphModules.Storage(model)[iterations.Name].Cast(DType.Int64).AsSpan<long>()[0]
            : 0;

    /// <summary>Keras' progress line: redrawn in place on a terminal, one line per epoch otherwise.</summary>
    private sealed class ProgressBar(TextWriter writer)
    {
        private readonly bool _interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        private readonly Stopwatch _clock = new();
        private int _total;
        private long _lastDraw;

        public void BeginEpoch(int epoch, int epochs, int batches)
        {
            _total = batches;
            _clock.Restart();
            _lastDraw = 0;
            writer.WriteLine($"Epoch {epoch + 1}/{epochs}");
        }

        public void Batch(int batch, double loss)
        {
            if (!_interactive || _clock.ElapsedMilliseconds - _lastDraw < 100) return;
            _lastDraw = _clock.ElapsedMilliseconds;
            writer.Write("\r" + Bar(batch) + $" - loss: {loss:F4}");
        }

        public void EndEpoch(EpochResult result)
        {
            string values = string.Join(" - ", result.Values.Select(v => $"{v.Key}: {v.Value:G5}"));
            writer.WriteLine((_interactive ? "\r" : "") + Bar((int)result.Steps) + $" - {_clock.Elapsed.TotalSeconds:F1}s - {values}");
        }

        private string Bar(int batch)
        {
            int total = _total > 0 ? _total : batch;
            int filled = total == 0 ? 30 : (int)(30L * Math.Min(batch, total) / total);
            return $"{batch}/{(_total > 0 ? _total.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")} [{new string('=', filled)}{new string('.', 30 - filled)}]";
        }
    }
}

/// <summary>Keras' learning-rate schedules as functions of the global step, for <see cref="FitOptions.LearningRate"/>.</summary>
public static class LearningRateSchedules
{
    /// <summary><c>ExponentialDecay</c>: initial · rate^(step / decaySteps), floored to whole periods when <paramref name="staircase"/>.</summary>
    public static Func<long, double> ExponentialDecay(double initial, long decaySteps, double decayRate, bool staircase = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(decaySteps);
        return step =>
        {
            double periods = (double)step / decaySteps;
            return initial * Math.Pow(decayRate, staircase ? Math.Floor(periods) : periods);
        };
    }

    /// <summary><c>PiecewiseConstantDecay</c>: <c>values[i]</c> up to and including <c>boundaries[i]</c>, the last value after the last boundary.</summary>
    public static Func<long, double> PiecewiseConstant(long[] boundaries, double[] values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != boundaries.Length + 1) throw new ArgumentException($"{boundaries.Length} boundaries need {boundaries.Length + 1} values, got {values.Length}", nameof(values));
        return step =>
        {
            for (int i = 0; i < boundaries.Length; i++)
                if (step <= boundaries[i]) return values[i];
            return values[^1];
        };
    }

    /// <summary><c>CosineDecay</c>: from initial down to initial · alpha along half a cosine over <paramref name="decaySteps"/>, then flat.</summary>
    public static Func<long, double> CosineDecay(double initial, long decaySteps, double alpha = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(decaySteps);
        return step =>
        {
            double progress = Math.Min(step, decaySteps) / (double)decaySteps;
            double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
            return initial * ((1 - alpha) * cosine + alpha);
        };
    }
}
