using StaticFlow.Checkpoints;
using StaticFlow.Tensors;

// Usage: StaticFlow.SaveLoop DIR ELEMENTS [numbered|fixed|resave]
// Saves checkpoint after checkpoint into DIR until killed; save N holds one float32 tensor of ELEMENTS values all
// equal to N, so a reader can tell a torn checkpoint from a whole one. Prints "saved N" after each save.
//   numbered: a CheckpointManager (max_to_keep 2) saves ckpt-1, ckpt-2, ...
//   fixed:    Checkpoint.Save writes every step to the one prefix DIR/model, over the previous one
//   resave:   a CheckpointManager saves ckpt-1, then writes every later step as ckpt-1 again
string directory = args[0];
int elements = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
string mode = args.Length > 2 ? args[2] : "numbered";
var manager = mode == "fixed" ? null : new CheckpointManager(directory, maxToKeep: 2);
for (long step = 1; ; step++)
{
    var values = new float[elements];
    Array.Fill(values, step);
    var variables = new Dictionary<string, Tensor>
    {
        ["model/weights"] = Tensor.FromArray<float>(values, elements),
        ["model/step"] = Tensor.Scalar(step),
    };
    switch (mode)
    {
        case "numbered": manager!.Save(variables, step); break;
        case "resave": manager!.Save(variables, 1); break;
        case "fixed": Checkpoint.Save(Path.Combine(directory, "model"), variables); break;
        default: throw new ArgumentException($"unknown mode '{mode}'");
    }
    Console.Out.WriteLine($"saved {step}");
    Console.Out.Flush();
}
