// StaticFlow QuickStart: the four things a TensorFlow user does with graphs, with graph functions written in C#
// and lowered to TensorFlow graphs at compile time. Run with `dotnet run --project samples/QuickStart [output-dir]`.
using QuickStart;
using StaticFlow;
using StaticFlow.Checkpoints;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

string root = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "staticflow-quickstart"));
if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
Directory.CreateDirectory(root);
Console.WriteLine($"StaticFlow QuickStart; files go to {root}");

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

// 2. Serialization: export Dense(10, relu) -> Dense(1) as a SavedModel and load it back for a prediction.
Console.WriteLine();
Console.WriteLine("2. A Dense(10, relu) -> Dense(1) regressor, exported as a SavedModel and loaded back");
var regressor = new Regressor();
regressor.InitializeVariables(seed: 42);
var batch = Tensor<float>.From([1f, 2f, 3f, 4f, 5f, -1f, 0.5f, 0f, 2f, 1f], 2, 5);
Console.WriteLine($"   Predict(x) eagerly:  {Format(regressor.Predict(batch))}");
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
Console.WriteLine();
Console.WriteLine("Done.");

static string Format(Tensor<float> tensor) => TensorFormatter.ToText(tensor.Untyped);
