using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using StaticFlow.Benchmarks;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

// Usage:
//   StaticFlow.ColdStart write DIR        writes DIR/mlp (a SavedModel) and DIR/mlp.onnx: the MLP 784-512-512-10 + Softmax
//   StaticFlow.ColdStart staticflow DIR   loads DIR/mlp and runs one batch-1 inference
//   StaticFlow.ColdStart onnx DIR         loads DIR/mlp.onnx into ONNX Runtime and runs one batch-1 inference
//   StaticFlow.ColdStart phases DIR       times each step of loading DIR/mlp and its first two runs
// The two inference modes print the time from Main to the first result and the first output value; the script
// around them times the whole process.
var clock = Stopwatch.StartNew();
string mode = args[0], directory = args[1];
float[] input = new float[784];
for (int i = 0; i < input.Length; i++) input[i] = (i % 17) / 17f;
switch (mode)
{
    case "write":
    {
        var pair = ModelPair.Dense([784, 512, 512, 10], biasAndRelu: true, softmax: true);
        SavedModelExporter.Export(Path.Combine(directory, "mlp"), pair.Graph, new Dictionary<string, Tensor>(),
            [new SignatureSpec("serving_default",
                [new TensorSpec("x", pair.InputName + ":0", DataType.DtFloat, new TensorShape(-1, 784))],
                [new TensorSpec("y", pair.OutputName + ":0", DataType.DtFloat, new TensorShape(-1, 10))])],
            new SavedModelExportOptions { Overwrite = true });
        File.WriteAllBytes(Path.Combine(directory, "mlp.onnx"), pair.OnnxModel);
        Console.WriteLine($"wrote {directory}/mlp and {directory}/mlp.onnx");
        break;
    }
    case "staticflow":
    {
        var bundle = SavedModelBundle.Load(Path.Combine(directory, "mlp"));
        double loaded = clock.Elapsed.TotalMilliseconds;
        var outputs = bundle.GetSignature().Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(input, 1, 784) });
        Report(outputs["y"].AsSpan<float>()[0], $" (loaded at {loaded:F1} ms)");
        break;
    }
    case "phases":
    {
        // Where a cold load spends its time: each step of SavedModelBundle.Load, timed on its own.
        var times = new List<(string Step, double Ms)>();
        double last = 0;
        void Mark(string step) { double now = clock.Elapsed.TotalMilliseconds; times.Add((step, now - last)); last = now; }
        Mark("Main to the first step");
        byte[] bytes = File.ReadAllBytes(Path.Combine(directory, "mlp", "saved_model.pb"));
        Mark($"read saved_model.pb ({bytes.Length} bytes)");
        StaticFlow.Protos.SavedModel.Parser.ParseFrom(bytes);
        Mark("parse it (first time)");
        StaticFlow.Protos.SavedModel.Parser.ParseFrom(bytes);
        Mark("parse it again");
        StaticFlow.SavedModels.SavedModelDirectory.Open(Path.Combine(directory, "mlp"), verifyFingerprint: false);
        Mark("open without the fingerprint check (read and parse once more)");
        var opened = StaticFlow.SavedModels.SavedModelDirectory.Open(Path.Combine(directory, "mlp"));
        Mark("open with the fingerprint check");
        var metaGraph = opened.GetMetaGraph("serve");
        var catalog = StaticFlow.Operations.OpCatalog.Standard;
        Mark("the op catalogue (first use)");
        var graph = StaticFlow.Graphs.GraphImporter.Import(metaGraph.GraphDef, catalog);
        Mark("import and validate the graph");
        var session = new StaticFlow.Execution.GraphSession(graph);
        Mark("create the session");
        var feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(input, 1, 784) };
        var prepared = session.Prepare(["x"], ["softmax"]);
        Mark("plan: kernels, constant folding, packing");
        var result = prepared.Run([Tensor.FromArray<float>(input, 1, 784)]);
        Mark("first run");
        prepared.Run([Tensor.FromArray<float>(input, 1, 784)]).Dispose();
        Mark("second run");
        foreach (var (step, ms) in times) Console.WriteLine($"{ms,8:F2} ms  {step}");
        Report(result[0].AsSpan<float>()[0], "");
        break;
    }
    case "onnx":
    {
        using var session = new InferenceSession(Path.Combine(directory, "mlp.onnx"));
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 784]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [value], session.OutputNames);
        Report(outputs[0].GetTensorDataAsSpan<float>()[0], "");
        break;
    }
    default:
        Console.Error.WriteLine($"unknown mode '{mode}' (write, staticflow, onnx)");
        return 2;
}
return 0;

void Report(float first, string detail) => Console.WriteLine($"{mode}: first inference {clock.Elapsed.TotalMilliseconds:F1} ms after Main{detail}, y[0] = {first}");
