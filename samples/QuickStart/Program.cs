using StaticFlow.Checkpoints;
using StaticFlow.Tensors;

// QuickStart, first topic: save and load variables in TensorFlow's checkpoint format.
// (Graph functions, SavedModel export, TensorBoard and device placement join as their issues land.)
string root = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "staticflow-quickstart");
string checkpoints = Path.Combine(root, "checkpoints");
if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);

var random = new Random(42);
var variables = new Dictionary<string, Tensor>
{
    ["dense1/kernel"] = Tensor.FromArray<float>(Enumerable.Range(0, 50).Select(_ => random.NextSingle() - 0.5f).ToArray(), 5, 10),
    ["dense1/bias"] = Tensor.Zeros(DType.Float32, new TensorShape(10)),
    ["dense2/kernel"] = Tensor.FromArray<float>(Enumerable.Range(0, 10).Select(_ => random.NextSingle() - 0.5f).ToArray(), 10, 1),
    ["dense2/bias"] = Tensor.Vector(0.5f),
};

// Like tf.train.CheckpointManager: numbered checkpoints, the newest three kept.
var manager = new CheckpointManager(checkpoints, maxToKeep: 3);
for (int step = 1; step <= 5; step++)
{
    variables["dense2/bias"].AsSpan<float>()[0] = 0.5f * step;
    string saved = manager.Save(variables);
    Console.WriteLine($"saved step {step} -> {saved}");
}

Console.WriteLine($"kept: {string.Join(", ", manager.Checkpoints.Select(Path.GetFileName))}");
Console.WriteLine($"latest: {manager.LatestCheckpoint}");

// Like tf.train.list_variables and tf.train.load_checkpoint.
using var reader = CheckpointReader.Open(checkpoints);
Console.WriteLine("variables in the latest checkpoint:");
foreach (var v in reader.ListVariables()) Console.WriteLine($"  {v.Name} {v.DTypeName} {v.Shape}");

Tensor restored = reader.Read("dense1/kernel");
bool same = restored.ContentEquals(variables["dense1/kernel"]);
Console.WriteLine($"restored dense1/kernel {restored}: {(same ? "identical to what was saved" : "DIFFERS")}");
Console.WriteLine($"restored dense2/bias = {TensorFormatter.ToText(reader.Read("dense2/bias"))}");
Console.WriteLine($"files are in {checkpoints}; list them with: dotnet run --project tools/StaticFlow.Cli -- inspect {checkpoints}");
return same ? 0 : 1;
