using StaticFlow.Checkpoints;
using StaticFlow.Summaries;
using StaticFlow.Tensors;

namespace StaticFlow.Training;

/// <summary>
/// Saves the model's variables (optimizer state included, so training resumes exactly) through a
/// <see cref="CheckpointManager"/> every <paramref name="everySteps"/> steps, numbered by the global step, and at the
/// end of training; the manager keeps its <c>max_to_keep</c> newest.
/// </summary>
public sealed class CheckpointCallback(CheckpointManager manager, int everySteps) : ITrainingCallback
{
    /// <summary>The manager saves go through.</summary>
    public CheckpointManager Manager { get; } = manager ?? throw new ArgumentNullException(nameof(manager));

    /// <summary>Saves when the global step is a multiple of the interval.</summary>
    public void OnBatchEnd(TrainingState state)
    {
        if (everySteps > 0 && state.Step % everySteps == 0) Manager.Save(state.Model.GetVariables(), state.Step, GraphModules.OptimizerSlots(state.Model.Definition));
    }

    /// <summary>Saves the final weights unless the last step just did.</summary>
    public void OnTrainEnd(TrainingState state)
    {
        if (state.Step > 0 && (everySteps <= 0 || state.Step % everySteps != 0)) Manager.Save(state.Model.GetVariables(), state.Step, GraphModules.OptimizerSlots(state.Model.Definition));
    }
}

/// <summary>
/// Writes TensorBoard's view of training into <paramref name="logdir"/>: the module graph, <c>batch_loss</c> every
/// step, <c>epoch_loss</c>, <c>epoch_val_loss</c>, <c>epoch_val_&lt;metric&gt;</c> and <c>epoch_learning_rate</c> every epoch, and
/// (with <paramref name="histograms"/>) a histogram of every trainable variable every epoch, as Keras' TensorBoard callback names them.
/// </summary>
public sealed class TensorBoardCallback(string logdir, bool histograms = true) : ITrainingCallback, IDisposable
{
    private SummaryWriter? _writer;

    /// <summary>The event file written, once training began.</summary>
    public string? FilePath => _writer?.FilePath;

    /// <summary>Opens the event file and writes the graph.</summary>
    public void OnTrainBegin(TrainingState state)
    {
        _writer ??= new SummaryWriter(logdir);
        _writer.AddGraph(state.Model.Definition.ToGraphDef());
    }

    /// <summary>Writes the step's loss.</summary>
    public void OnBatchEnd(TrainingState state) => _writer?.AddScalar("batch_loss", (float)state.Loss, state.Step);

    /// <summary>Writes the epoch's values and variable histograms.</summary>
    public void OnEpochEnd(TrainingState state, EpochResult result)
    {
        if (_writer is null) return;
        foreach (var (name, value) in result.Values) _writer.AddScalar("epoch_" + name, (float)value, result.Epoch);
        if (histograms)
        {
            var values = state.Model.GetVariables();
            foreach (var variable in state.Model.Definition.Variables.Where(v => v.Trainable && !v.IsOptimizerState))
                _writer.AddHistogram(variable.Name, values[variable.Name].Cast(DType.Float64).AsSpan<double>(), result.Epoch);
        }
        _writer.Flush();
    }

    /// <summary>Closes the event file.</summary>
    public void OnTrainEnd(TrainingState state) => Dispose();

    /// <summary>Closes the event file.</summary>
    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }
}

/// <summary>
/// Stops training when <paramref name="monitor"/> (<c>val_loss</c> by default; any value of <see cref="EpochResult.Values"/>)
/// has not improved by more than <paramref name="minDelta"/> for <paramref name="patience"/> epochs (Keras' <c>EarlyStopping</c>);
/// with <paramref name="restoreBestWeights"/> the model ends with the best epoch's variables.
/// </summary>
public sealed class EarlyStopping(string monitor = "val_loss", int patience = 0, double minDelta = 0, bool restoreBestWeights = false, bool higherIsBetter = false) : ITrainingCallback
{
    private double _best = double.NaN;
    private int _wait;
    private IReadOnlyDictionary<string, Tensors.Tensor>? _bestWeights;

    /// <summary>The epoch with the best value so far.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>Compares the epoch's value with the best.</summary>
    public void OnEpochEnd(TrainingState state, EpochResult result)
    {
        if (!result.Values.TryGetValue(monitor, out double value))
            throw new InvalidOperationException($"EarlyStopping monitors '{monitor}', which the epoch did not report (it has {string.Join(", ", result.Values.Keys)}).");
        bool improved = double.IsNaN(_best) || (higherIsBetter ? value > _best + minDelta : value < _best - minDelta);
        if (improved)
        {
            _best = value;
            _wait = 0;
            BestEpoch = result.Epoch;
            if (restoreBestWeights) _bestWeights = new Dictionary<string, Tensors.Tensor>(state.Model.GetVariables(), StringComparer.Ordinal);
            return;
        }
        if (++_wait > patience) state.StopRequested = true;
    }

    /// <summary>Restores the best weights when asked to.</summary>
    public void OnTrainEnd(TrainingState state)
    {
        if (restoreBestWeights && _bestWeights is not null) state.Model.SetVariables(_bestWeights);
    }
}
