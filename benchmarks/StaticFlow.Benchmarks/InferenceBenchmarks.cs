using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.ML.OnnxRuntime;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>Shared set-up: one StaticFlow session and one ONNX Runtime session over the same weights, both on all cores.</summary>
public abstract class VersusOnnxRuntime
{
    private DenseModels _models = null!;
    private InferenceSession _onnx = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _onnxInput = null!;
    private Dictionary<string, Tensor> _feeds = null!;
    private string[] _fetches = null!;

    protected void Setup(int[] widths, bool biasAndRelu, int batch)
    {
        _models = new DenseModels(widths, biasAndRelu);
        var options = new SessionOptions
        {
            IntraOpNumThreads = Environment.ProcessorCount,
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _onnx = new InferenceSession(_models.OnnxModel, options);
        _runOptions = new RunOptions();
        var random = new Random(2);
        float[] input = [.. Enumerable.Range(0, batch * widths[0]).Select(_ => random.NextSingle())];
        _onnxInput = OrtValue.CreateTensorValueFromMemory(input, [batch, widths[0]]);
        _feeds = new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>(input, batch, widths[0]) };
        _fetches = [_models.OutputName];

        // Both must agree before either is timed.
        float[] ours = _models.Session.Run(_feeds, _fetches)[0].ToArray<float>();
        using var theirs = _onnx.Run(_runOptions, ["x"], [_onnxInput], [_models.OutputName]);
        var expected = theirs[0].GetTensorDataAsSpan<float>();
        for (int i = 0; i < ours.Length; i++)
            if (Math.Abs(ours[i] - expected[i]) > 1e-3f * Math.Max(1, Math.Abs(expected[i])))
                throw new InvalidOperationException($"StaticFlow and ONNX Runtime disagree at {i}: {ours[i]} vs {expected[i]}");
    }

    /// <summary>One run; its results are disposed as ONNX Runtime's are below, so both reuse the output's storage.</summary>
    protected float RunStaticFlow()
    {
        using var results = _models.Session.Run(_feeds, _fetches);
        return results[0].AsSpan<float>()[0];
    }

    protected float RunOnnxRuntime()
    {
        using var outputs = _onnx.Run(_runOptions, ["x"], [_onnxInput], [_models.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _onnxInput.Dispose();
        _runOptions.Dispose();
        _onnx.Dispose();
    }
}

/// <summary>Square float32 MatMul (x · W, W a constant), StaticFlow against ONNX Runtime in the same run.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MatMulBenchmarks : VersusOnnxRuntime
{
    [Params(256, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => Setup([Size, Size], biasAndRelu: false, batch: Size);

    [Benchmark(Baseline = true)]
    public float OnnxRuntime() => RunOnnxRuntime();

    [Benchmark]
    public float StaticFlow() => RunStaticFlow();
}

/// <summary>An MLP 784-512-512-10 (MatMul + BiasAdd + Relu), StaticFlow against ONNX Runtime in the same run.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MlpBenchmarks : VersusOnnxRuntime
{
    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup() => Setup([784, 512, 512, 10], biasAndRelu: true, Batch);

    [Benchmark(Baseline = true)]
    public float OnnxRuntime() => RunOnnxRuntime();

    [Benchmark]
    public float StaticFlow() => RunStaticFlow();
}
