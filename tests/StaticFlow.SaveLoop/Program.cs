using StaticFlow.Checkpoints;
using StaticFlow.Tensors;

// Usage: StaticFlow.SaveLoop DIR ELEMENTS
// Saves checkpoint after checkpoint into DIR; checkpoint N holds one float32 tensor of ELEMENTS values all
// equal to N, so a reader can tell a torn checkpoint from a whole one. Prints "saved N" after each save.
string directory = args[0];
int elements = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var manager = new CheckpointManager(directory, maxToKeep: 2);
for (long step = 1; ; step++)
{
    var values = new float[elements];
    Array.Fill(values, step);
    var weights = Tensor.FromArray<float>(values, elements);
    manager.Save(new Dictionary<string, Tensor> { ["model/weights"] = weights, ["model/step"] = Tensor.Scalar(step) }, step);
    Console.Out.WriteLine($"saved {step}");
    Console.Out.Flush();
}
