// Composition: a model built from nested layer modules, run eagerly and as its compiled graph, checkpointed
// with nested keys, exported as a SavedModel and loaded back through the runtime.
using Composition;
using StaticFlow;
using StaticFlow.Checkpoints;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

string work = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "staticflow-composition");
Directory.CreateDirectory(work);

var encoder = new Encoder();
encoder.InitializeVariables(seed: 7);
var random = new Random(1);
var images = Tensor<float>.From([.. Enumerable.Range(0, 2 * 28 * 28).Select(_ => (float)random.NextDouble())], 2, 28, 28, 1);

var eager = encoder.Classify(images);
var graph = encoder.ClassifyGraph(images);
float difference = eager.ToArray().Zip(graph.ToArray(), (a, b) => MathF.Abs(a - b)).Max();
Console.WriteLine($"1. eager and graph: {eager.Shape} each, largest difference {difference:E1}");

var variables = encoder.GetVariables();
Console.WriteLine($"2. {variables.Count} variables by path, e.g. {string.Join(", ", variables.Keys.Order(StringComparer.Ordinal).Take(4))}");

string prefix = encoder.SaveCheckpoint(Path.Combine(work, "ckpt", "encoder-1"));
using (var reader = CheckpointReader.Open(prefix))
    Console.WriteLine($"3. checkpoint keys: {string.Join(", ", reader.ListVariables().Select(v => v.Name).Where(n => n.StartsWith("blocks/1/", StringComparison.Ordinal)).Take(3))}");
var restored = new Encoder();
restored.RestoreCheckpoint(prefix);
Console.WriteLine($"   restored model agrees: {restored.ClassifyGraph(images).ToArray().SequenceEqual(graph.ToArray())}");

string exported = encoder.ExportSavedModel(Path.Combine(work, "encoder"));
var loaded = SavedModelBundle.Load(exported).GetSignature("serving_default").Run(new Dictionary<string, Tensor> { ["images"] = images.Untyped })["output_0"];
float exportDifference = loaded.ToArray<float>().Zip(graph.ToArray(), (a, b) => MathF.Abs(a - b)).Max();
Console.WriteLine($"4. SavedModel at {exported}: serving_default gives {loaded.Shape}, largest difference {exportDifference:E1}");
Console.WriteLine(difference < 1e-4f && exportDifference < 1e-4f ? "Done." : "Mismatch.");
return difference < 1e-4f && exportDifference < 1e-4f ? 0 : 1;
