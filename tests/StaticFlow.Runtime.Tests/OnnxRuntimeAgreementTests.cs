using Microsoft.ML.OnnxRuntime;
using StaticFlow.Benchmarks;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>
/// The benchmarks' models give the same outputs in StaticFlow and in ONNX Runtime (the same weights, written once
/// as a TensorFlow graph and once as an ONNX model), so a speed ratio compares equal work.
/// </summary>
public class OnnxRuntimeAgreementTests
{
    public static TheoryData<string, int> Models => new()
    {
        { "cnn", 1 }, { "cnn", 64 },
        { "784-100-10", 1 }, { "784-100-10", 64 },
        { "784-512-512-10", 1 }, { "784-512-512-10", 64 },
        { "matmul-256", 256 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void StaticFlowAndOnnxRuntimeAgree(string model, int batch)
    {
        var pair = model switch
        {
            "cnn" => ModelPair.Cnn(),
            "matmul-256" => ModelPair.Dense([256, 256], biasAndRelu: false),
            _ => ModelPair.Dense([.. model.Split('-').Select(int.Parse)], biasAndRelu: true, softmax: true),
        };
        long[] shape = [batch, .. pair.InputShape];
        var random = new Random(batch);
        float[] input = [.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => random.NextSingle())];

        using var results = pair.Session.Run(new Dictionary<string, Tensor> { [pair.InputName] = Tensor.FromArray<float>(input, shape) }, [pair.OutputName]);
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var onnx = new InferenceSession(pair.OnnxModel, options);
        using var onnxInput = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var expected = onnx.Run(runOptions, [pair.InputName], [onnxInput], [pair.OutputName]);

        var theirs = expected[0].GetTensorDataAsSpan<float>();
        Assert.Equal(expected[0].GetTensorTypeAndShape().Shape, results[0].Shape.Dims.ToArray());
        float[] ours = results[0].ToArray<float>();
        double scale = 0;
        foreach (float v in theirs) scale = Math.Max(scale, Math.Abs(v));
        Assert.True(scale > 0, "the model's output is all zeros, so it would agree with anything");
        for (int i = 0; i < ours.Length; i++)
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= 1e-4 * Math.Max(1, scale), $"{model} batch {batch}, output {i}: StaticFlow {ours[i]}, ONNX Runtime {theirs[i]}");
    }
}
