// StaticFlow QuickStart: what a TensorFlow user does with graphs (train, save, serialize, visualize, move between machines), with graph functions written in C#
// and lowered to TensorFlow graphs at compile time. Run with `dotnet run --project samples/QuickStart [output-dir]`.
using QuickStart;
using StaticFlow;
using StaticFlow.Checkpoints;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using StaticFlow.Training;

string root = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "staticflow-quickstart"));
if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
Directory.CreateDirectory(root);
Console.WriteLine($"StaticFlow QuickStart; files go to {root}");
// A NativeAOT build keeps the wide kernels only if compiled for them (IlcInstructionSet in QuickStart.csproj).
Console.WriteLine($"Kernels: {(StaticFlow.Kernels.KernelVectors.Bits is 0 ? "scalar" : $"{StaticFlow.Kernels.KernelVectors.Bits}-bit vectors")} ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");

// 1. Save and load: the x + y graph and a checkpoint of its variables.
Console.WriteLine();
Console.WriteLine("1. The x + y graph, and a checkpoint of x and y");
var adder = new Adder();
Console.WriteLine($"   graph nodes: {string.Join(", ", Adder.GraphDefinition.Graph.Nodes.Select(n => $"{n.Name} ({n.Op})"))}");
Console.WriteLine($"   Sum() eagerly:      {Format(adder.Sum())}");
Console.WriteLine($"   SumGraph() (graph): {Format(adder.SumGraph())}");
string checkpoint = adder.SaveCheckpoint(Path.Combine(root, "checkpoints", "adder-1"));
Console.WriteLine($"   saved checkpoint    {checkpoint}.index / .data-00000-of-00001");
adder.AssignGraph(Tensor<float>.From([10f, 20f, 30f], 3), Tensor<float>.From([1f, 2f, 3f], 3));
Console.WriteLine($"   after AssignGraph:  {Format(adder.SumGraph())}");
adder.RestoreCheckpoint(checkpoint);
Console.WriteLine($"   restored:           {Format(adder.SumGraph())}");

// 2. Training, then serialization: Dense(10, relu) -> Dense(1) trained with Adam on MSE (the chapter's
//    model.compile(optimizer='adam', loss='mse'); model.fit(...)), checkpointed while training, exported and loaded back.
Console.WriteLine();
Console.WriteLine("2. A Dense(10, relu) -> Dense(1) regressor, trained with Adam on MSE, exported as a SavedModel and loaded back");
var regressor = new Regressor();
regressor.InitializeVariables(seed: 42);
var (features, targets) = RegressionData(rows: 1000, seed: 1);
var checkpoints = new CheckpointManager(Path.Combine(root, "training", "checkpoints"), maxToKeep: 3);
using (var board = new TensorBoardCallback(Path.Combine(root, "training", "logs")))
{
    var history = regressor.Fit(regressor.TrainGraph, features, targets,
        new FitOptions { Epochs = 30, BatchSize = 32, ValidationSplit = 0.2, Seed = 7, Progress = null, Callbacks = [new CheckpointCallback(checkpoints, everySteps: 250), board] },
        validationLoss: regressor.LossGraph);
    Console.WriteLine($"   trained {history.Epochs.Count} epochs: loss {history.Epochs[0].Loss:F4} -> {history.Epochs[^1].Loss:F4}, validation loss {history.Epochs[^1].ValidationLoss:F4}");
}
Console.WriteLine($"   checkpoints kept: {string.Join(", ", checkpoints.Checkpoints.Select(Path.GetFileName))}");
Console.WriteLine($"   TensorBoard log (graph, loss curve, weight histograms): {Path.Combine(root, "training", "logs")}");
var batch = Tensor<float>.From([1f, 0.5f, -0.3f, 0.2f, -1f, -0.5f, 0.8f, 0.1f, 0.4f, 0.9f], 2, 5);
Console.WriteLine($"   Predict(x) eagerly:  {Format(regressor.Predict(batch))}  (true function: {Format(TrueFunction(batch))})");
Console.WriteLine($"   PredictGraph(x):     {Format(regressor.PredictGraph(batch))}");
string exported = regressor.ExportSavedModel(Path.Combine(root, "regressor"), new SavedModelExportOptions { Versioned = true });
Console.WriteLine($"   exported SavedModel  {exported}");
foreach (string file in Directory.EnumerateFiles(exported, "*", SearchOption.AllDirectories).Order())
    Console.WriteLine($"     {Path.GetRelativePath(exported, file)} ({new FileInfo(file).Length} bytes)");
var signature = SavedModelBundle.Load(exported).GetSignature();
Console.WriteLine($"   loaded: signature serving_default({string.Join(", ", signature.Inputs.Select(i => $"{i.Key}: {i.DTypeName}{i.Shape}"))})");
var loadedOutputs = signature.Run(new Dictionary<string, Tensor> { ["x"] = batch.Untyped });
Console.WriteLine($"   prediction from the loaded model: {TensorFormatter.ToText(loadedOutputs["output_0"])}");

// 3. Visualization: the graph for TensorBoard.
Console.WriteLine();
Console.WriteLine("3. The regressor's graph for TensorBoard");
string logdir = Path.Combine(root, "logs");
string events = regressor.WriteGraph(logdir);
Console.WriteLine($"   wrote {events}");
Console.WriteLine($"   view it with: tensorboard --logdir {logdir}");

// 4. Cross-environment reuse: Predict asks for /GPU:0; this machine has none, so soft placement moves it.
Console.WriteLine();
Console.WriteLine("4. Device placement: Predict's nodes ask for /GPU:0");
var moved = regressor.GraphSession.Session.Placement.Entries.Where(e => e.Moved).ToList();
Console.WriteLine($"   {moved.Count} nodes moved by soft placement, for example:");
foreach (var entry in moved.Take(4)) Console.WriteLine($"     {entry}");
string portable = regressor.ExportSavedModel(Path.Combine(root, "regressor-portable"), new SavedModelExportOptions { ClearDevices = true });
Console.WriteLine($"   device-free export for any machine: {portable}");
// 5. A classifier trained to a stated accuracy on data the sample makes: three interleaved spiral arms.
Console.WriteLine();
Console.WriteLine("5. A 2 -> 32 -> 32 -> 3 classifier trained on three spiral arms (1500 points, 20% held out)");
var classifier = new SpiralClassifier();
classifier.InitializeVariables(seed: 3);
var (points, labels) = Spirals(pointsPerArm: 500, seed: 5);
var fit = classifier.Fit(classifier.TrainGraph, points, labels,
    new FitOptions { Epochs = 60, BatchSize = 32, ValidationSplit = 0.2, Seed = 1, Progress = null },
    validationLoss: classifier.LossGraph,
    metrics: new Dictionary<string, Func<Tensor<float>, Tensor<int>, CancellationToken, Tensor<float>>> { ["accuracy"] = classifier.AccuracyGraph });
var last = fit.Epochs[^1];
Console.WriteLine($"   after {fit.Epochs.Count} epochs: loss {last.Loss:F4}, validation accuracy {last.Values["val_accuracy"]:P1}");
Console.WriteLine($"   exported: {classifier.ExportSavedModel(Path.Combine(root, "spiral-classifier"))}");

Console.WriteLine();
Console.WriteLine("Done.");

static string Format(Tensor<float> tensor) => TensorFormatter.ToText(tensor.Untyped);

// y = sin(x0) + 0.5 x1 x2 - 0.3 x3 + 0.1 x4², the function the regressor learns, with features uniform in [-1, 1].
static Tensor<float> TrueFunction(Tensor<float> x)
{
    float[] v = x.ToArray();
    int rows = v.Length / 5;
    return Tensor<float>.From([.. Enumerable.Range(0, rows).Select(r =>
        MathF.Sin(v[r * 5]) + 0.5f * v[r * 5 + 1] * v[r * 5 + 2] - 0.3f * v[r * 5 + 3] + 0.1f * v[r * 5 + 4] * v[r * 5 + 4])], rows, 1);
}

// Rows of 5 features and the true function plus Gaussian noise (standard deviation 0.05).
static (Tensor<float> X, Tensor<float> Y) RegressionData(int rows, int seed)
{
    var random = new Random(seed);
    var x = Tensor<float>.From([.. Enumerable.Range(0, rows * 5).Select(_ => random.NextSingle() * 2 - 1)], rows, 5);
    float[] clean = TrueFunction(x).ToArray();
    return (x, Tensor<float>.From([.. clean.Select(c => c + 0.05f * Gaussian(random))], rows, 1));
}

// Three spiral arms, each 500 points with a little noise, shuffled; labels are the arm.
static (Tensor<float> Points, Tensor<int> Labels) Spirals(int pointsPerArm, int seed)
{
    var random = new Random(seed);
    var rows = new List<(float X, float Y, int Arm)>();
    for (int arm = 0; arm < 3; arm++)
        for (int i = 0; i < pointsPerArm; i++)
        {
            float radius = (float)i / pointsPerArm;
            float angle = arm * 2 * MathF.PI / 3 + 3.5f * radius + 0.15f * Gaussian(random);
            rows.Add((radius * MathF.Cos(angle), radius * MathF.Sin(angle), arm));
        }
    var shuffled = rows.OrderBy(_ => random.Next()).ToList();
    return (Tensor<float>.From([.. shuffled.SelectMany(r => new[] { r.X, r.Y })], shuffled.Count, 2), Tensor<int>.From([.. shuffled.Select(r => r.Arm)], shuffled.Count));
}

static float Gaussian(Random random) => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
