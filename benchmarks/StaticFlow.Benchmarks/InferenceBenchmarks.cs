using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Microsoft.ML.OnnxRuntime;
using PreparedRun = StaticFlow.Execution.PreparedRun;
using StaticFlow.Tensors;

namespace StaticFlow.Benchmarks;

/// <summary>
/// Shared set-up: one StaticFlow session and one ONNX Runtime session over the same weights, both on all cores
/// (or both on one: <c>DOTNET_PROCESSOR_COUNT=1</c> limits ONNX Runtime's threads here and StaticFlow's GEMM).
/// </summary>
public abstract class VersusOnnxRuntime
{
    private ModelPair _models = null!;
    private InferenceSession _onnx = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _onnxInput = null!;
    private Dictionary<string, Tensor> _feeds = null!;
    private string[] _fetches = null!;
    private PreparedRun _run = null!;
    private Tensor _input = null!;

    private protected void Setup(ModelPair models, int batch)
    {
        _models = models;
        _onnx = new InferenceSession(_models.OnnxModel, OnnxOptions(Environment.ProcessorCount));
        _runOptions = new RunOptions();
        long[] shape = [batch, .. models.InputShape];
        var random = new Random(2);
        float[] input = [.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => random.NextSingle())];
        _onnxInput = OrtValue.CreateTensorValueFromMemory(input, shape);
        _feeds = new Dictionary<string, Tensor> { [models.InputName] = Tensor.FromArray<float>(input, [.. shape.Select(d => (int)d)]) };
        _fetches = [_models.OutputName];
        _input = _feeds[models.InputName];
        _run = _models.Session.Prepare([models.InputName], _fetches);

        // Both must agree before either is timed.
        float[] ours = _models.Session.Run(_feeds, _fetches)[0].ToArray<float>();
        using var theirs = _onnx.Run(_runOptions, [models.InputName], [_onnxInput], [_models.OutputName]);
        if (Disagreement(ours, theirs[0].GetTensorDataAsSpan<float>()) is { } message) throw new InvalidOperationException(message);
    }

    /// <summary>ONNX Runtime's CPU provider with every graph optimization, on <paramref name="threads"/> threads.</summary>
    internal static SessionOptions OnnxOptions(int threads) => new()
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    /// <summary>Where two outputs differ by more than float32 rounding of a long sum explains, or null.</summary>
    internal static string? Disagreement(ReadOnlySpan<float> ours, ReadOnlySpan<float> theirs)
    {
        if (ours.Length != theirs.Length) return $"StaticFlow gave {ours.Length} values, ONNX Runtime {theirs.Length}";
        for (int i = 0; i < ours.Length; i++)
            if (!(Math.Abs(ours[i] - theirs[i]) <= 1e-3f * Math.Max(1, Math.Abs(theirs[i]))))
                return $"StaticFlow and ONNX Runtime disagree at {i}: {ours[i]} vs {theirs[i]}";
        return null;
    }

    /// <summary>
    /// One run, prepared as a serving loop would (names resolved once); its results are disposed as ONNX Runtime's
    /// are below, so both reuse the output's storage.
    /// </summary>
    protected float RunStaticFlow()
    {
        using var results = _run.Run(_input);
        return results[0].AsSpan<float>()[0];
    }

    protected float RunOnnxRuntime()
    {
        using var outputs = _onnx.Run(_runOptions, [_models.InputName], [_onnxInput], [_models.OutputName]);
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
    public void Setup() => Setup(ModelPair.Dense([Size, Size], biasAndRelu: false), batch: Size);

    [Benchmark(Baseline = true)]
    public float OnnxRuntime() => RunOnnxRuntime();

    [Benchmark]
    public float StaticFlow() => RunStaticFlow();
}

/// <summary>MLPs 784-100-10 and 784-512-512-10 (MatMul + BiasAdd + Relu, then Softmax), StaticFlow against ONNX Runtime in the same run.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MlpBenchmarks : VersusOnnxRuntime
{
    [Params("784-100-10", "784-512-512-10")]
    public string Widths { get; set; } = "";

    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup() => Setup(ModelPair.Dense([.. Widths.Split('-').Select(int.Parse)], biasAndRelu: true, softmax: true), Batch);

    [Benchmark(Baseline = true)]
    public float OnnxRuntime() => RunOnnxRuntime();

    [Benchmark]
    public float StaticFlow() => RunStaticFlow();
}

/// <summary>The CNN of <see cref="ModelPair.Cnn"/> (two 3×3 convolutions, two max pools, two dense layers), StaticFlow against ONNX Runtime.</summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class CnnBenchmarks : VersusOnnxRuntime
{
    [Params(1, 64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup() => Setup(ModelPair.Cnn(), Batch);

    [Benchmark(Baseline = true)]
    public float OnnxRuntime() => RunOnnxRuntime();

    [Benchmark]
    public float StaticFlow() => RunStaticFlow();
}
