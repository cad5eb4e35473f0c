using System.Reflection;
using StaticFlow.Checkpoints;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;
using StaticFlow.Tensors;
using StaticFlow.Tests;
using StaticFlow.Training;

namespace StaticFlow.Generator.Tests;

/// <summary>Fit trains a generated classifier, resumes exactly from a checkpoint, and its callbacks write what Keras' do.</summary>
public class FitTests
{
    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Sources.Classifier));

    private static IGraphModule Create(int seed)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models.Classifier")!)!;
        module.GetType().GetMethod("InitializeVariables")!.Invoke(module, [seed]);
        return module;
    }

    private static Func<Tensor<float>, Tensor<int>, CancellationToken, Tensor<float>> Function(IGraphModule module, string name)
    {
        var method = module.GetType().GetMethod(name)!;
        return (x, y, token) => (Tensor<float>)method.Invoke(module, [x, y, token])!;
    }

    /// <summary>Three Gaussian blobs in four dimensions, one per class.</summary>
    internal static (Tensor<float> X, Tensor<int> Y) Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        float[][] centers = [[2, 0, 0, 1], [-1, 2, 1, 0], [0, -2, -1, -1]];
        var x = new float[rows * 4];
        var y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            y[r] = random.Next(3);
            for (int c = 0; c < 4; c++)
                x[r * 4 + c] = centers[y[r]][c] + 0.6f * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }
        return (Tensor<float>.From(x, rows, 4), Tensor<int>.From(y, rows));
    }

    [Fact]
    public void FitTrainsTheClassifierToHighValidationAccuracy()
    {
        var model = Create(seed: 1);
        var (x, y) = Blobs(600, seed: 3);
        var log = new StringWriter();
        var history = model.Fit(Function(model, "TrainGraph"), x, y,
            new FitOptions { Epochs = 8, BatchSize = 32, ValidationSplit = 0.2, Seed = 7, Progress = log },
            validationLoss: Function(model, "LossGraph"),
            metrics: new Dictionary<string, Func<Tensor<float>, Tensor<int>, CancellationToken, Tensor<float>>> { ["accuracy"] = Function(model, "AccuracyGraph") });
        Assert.Equal(8, history.Epochs.Count);
        Assert.True(history.Epochs[^1].Loss < history.Epochs[0].Loss / 2, $"loss {history.Epochs[0].Loss} -> {history.Epochs[^1].Loss}");
        Assert.True(history.Epochs[^1].Values["val_accuracy"] >= 0.95, $"validation accuracy {history.Epochs[^1].Values["val_accuracy"]}");
        Assert.Equal(15, history.Epochs[0].Steps); // 480 training rows in batches of 32
        Assert.Equal(0.02, history.Epochs[0].Values["learning_rate"], 6);
        string text = log.ToString();
        Assert.Contains("Epoch 8/8", text);
        Assert.Contains("val_accuracy", text);
        Assert.Equal(120L, model.GetVariables()["Adam/iter"].ToArray<long>()[0]);
    }

    [Fact]
    public void ResumingFromACheckpointRepeatsTheSameTrajectory()
    {
        var (x, y) = Blobs(200, seed: 5);
        FitOptions Options(int from, int to, IReadOnlyList<ITrainingCallback>? callbacks = null) =>
            new() { InitialEpoch = from, Epochs = to, BatchSize = 16, Seed = 11, Progress = null, Callbacks = callbacks ?? [] };

        var straight = Create(seed: 2);
        straight.Fit(Function(straight, "TrainGraph"), x, y, Options(0, 4));

        string directory = TempDirectory.Create();
        var first = Create(seed: 2);
        var manager = new CheckpointManager(directory, maxToKeep: 2);
        first.Fit(Function(first, "TrainGraph"), x, y, Options(0, 2, [new CheckpointCallback(manager, everySteps: 5)]));
        Assert.Equal(2, manager.Checkpoints.Count); // max_to_keep
        Assert.EndsWith("-26", manager.LatestCheckpoint); // 13 steps per epoch, saved at the end

        var resumed = Create(seed: 99); // other initial weights: all of them come from the checkpoint
        resumed.RestoreCheckpoint(directory);
        resumed.Fit(Function(resumed, "TrainGraph"), x, y, Options(2, 4));

        foreach (var (name, expected) in straight.GetVariables())
            Assert.True(expected.ContentEquals(resumed.GetVariables()[name]), $"variable {name} differs after resuming");
    }

    [Fact]
    public void TensorBoardGetsTheGraphLossCurveAndHistograms()
    {
        var model = Create(seed: 4);
        var (x, y) = Blobs(96, seed: 8);
        string logdir = TempDirectory.Create();
        using var board = new TensorBoardCallback(logdir);
        model.Fit(Function(model, "TrainGraph"), x, y,
            new FitOptions { Epochs = 2, BatchSize = 32, ValidationSplit = 0.25, Progress = null, Callbacks = [board] },
            validationLoss: Function(model, "LossGraph"));
        var events = EventFileReader.Read(Assert.Single(EventFileReader.Files(logdir))).ToList();
        Assert.Contains(events, e => e.GraphDef.Length > 0);
        var tags = events.Where(e => e.Summary is not null).SelectMany(e => e.Summary.Value).Select(v => v.Tag).ToList();
        Assert.Equal(6, tags.Count(t => t == "batch_loss"));
        Assert.Equal(2, tags.Count(t => t == "epoch_loss"));
        Assert.Equal(2, tags.Count(t => t == "epoch_val_loss"));
        Assert.Equal(2, tags.Count(t => t == "epoch_learning_rate"));
        Assert.Equal(2, tags.Count(t => t == "w1"));
    }

    [Fact]
    public void EarlyStoppingStopsAndALearningRateScheduleIsApplied()
    {
        var model = Create(seed: 6);
        var (x, y) = Blobs(128, seed: 2);
        var stopping = new EarlyStopping(monitor: "loss", patience: 0, minDelta: 10);
        var rates = new List<double>();
        var history = model.Fit(Function(model, "TrainGraph"), x, y,
            new FitOptions { Epochs = 5, BatchSize = 64, Progress = null, Callbacks = [stopping], LearningRate = step => 0.1 / (1 + step) });
        Assert.True(history.StoppedEarly);
        Assert.Equal(2, history.Epochs.Count); // the first sets the best, the second fails to beat it by 10
        Assert.Equal(0.1 / 4, history.Epochs[^1].Values["learning_rate"], 6); // the last of 4 steps ran at step 3
    }

    [Fact]
    public void ANanLossStopsWithTheStepNamed()
    {
        var model = Create(seed: 1);
        var (x, y) = Blobs(64, seed: 1);
        var poisoned = Tensor<float>.From([.. x.ToArray().Select((v, i) => i == 70 ? float.NaN : v)], 64, 4);
        var error = Assert.Throws<TrainingDivergedException>(() => model.Fit(Function(model, "TrainGraph"), poisoned, y,
            new FitOptions { Epochs = 1, BatchSize = 16, Shuffle = false, Progress = null }));
        Assert.Contains("step 1 (epoch 0, batch 2)", error.Message);
    }

    [Fact]
    public void TheTrainedClassifierExportsAndTheSavedModelPredictsTheSame()
    {
        var model = Create(seed: 3);
        var (x, y) = Blobs(300, seed: 4);
        model.Fit(Function(model, "TrainGraph"), x, y, new FitOptions { Epochs = 3, Progress = null });
        string exported = model.ExportSavedModel(Path.Combine(TempDirectory.Create(), "classifier"));
        var signature = SavedModelBundle.Load(exported).GetSignature();
        var logits = (Tensor<float>)model.GetType().GetMethod("LogitsGraph")!.Invoke(model, [x, CancellationToken.None])!;
        var loaded = Assert.Single(signature.Run(new Dictionary<string, Tensor> { ["x"] = x.Untyped }).Values);
        Assert.Equal(logits.ToArray(), loaded.ToArray<float>());
        // The SavedModel's variables include the optimizer's, so TensorFlow could continue training from it.
        using var reader = CheckpointReader.Open(Path.Combine(exported, "variables", "variables"));
        Assert.True(reader.Contains("Adam/w1/m"));
    }

    [Fact]
    public void TheExportedTrainSignatureTakesTheSameStepsAsTheModule()
    {
        var model = Create(seed: 8);
        var (x, y) = Blobs(64, seed: 6);
        string exported = model.ExportSavedModel(Path.Combine(TempDirectory.Create(), "trainable"));
        var train = SavedModelBundle.Load(exported).GetSignature("train");
        var feeds = new Dictionary<string, Tensor> { ["x"] = x.Untyped, ["labels"] = y.Untyped };
        var step = Function(model, "TrainGraph");
        for (int i = 0; i < 3; i++)
        {
            float ours = step(x, y, CancellationToken.None).ToArray()[0];
            float loaded = Assert.Single(train.Run(feeds).Values).ToArray<float>()[0];
            Assert.Equal(ours, loaded); // same start, same graph: the loaded model trains step for step alike
        }
    }
}
