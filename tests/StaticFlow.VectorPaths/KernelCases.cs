using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>One graph run whose output depends on which vector width the kernels took.</summary>
internal sealed record KernelCase(string Name, GraphDef Graph, Dictionary<string, Tensor> Feeds, string Fetch)
{
    public float[] Run() => new GraphSession(GraphImporter.Import(Graph)).Run(Feeds, [Fetch])[0].ToArray<float>();
}

/// <summary>
/// The cases the vector-width test runs on every path: the GEMM's full and edge tiles, its one-row kernel, packed
/// and per-call B, the fused bias and Relu, split products, convolutions on the GEMM and the generic path, fused
/// pooling, the elementwise kernels (TensorPrimitives) behind Softmax, an optimizer step, and the ReluGrad and
/// MaxPoolGrad of a training step.
/// </summary>
internal static class KernelCases
{
    private static readonly (string, AttrValue) F32 = ("T", Type(DType.Float32));

    public static IEnumerable<KernelCase> All()
    {
        foreach (var (m, k, n) in new[] { (1, 784, 100), (1, 37, 45), (6, 64, 64), (7, 33, 50), (130, 300, 33), (64, 256, 256) })
        {
            yield return Product($"matmul-{m}x{k}x{n}", m, k, n, constantWeights: true, transposeA: false, transposeB: false, dense: false);
            yield return Product($"matmul-fed-transposed-{m}x{k}x{n}", m, k, n, constantWeights: false, transposeA: true, transposeB: true, dense: false);
            // Fed, row-major weights: B read in place where its columns fill whole panels (Sgemm.ReadsBInPlace).
            yield return Product($"matmul-fed-{m}x{k}x{n}", m, k, n, constantWeights: false, transposeA: false, transposeB: false, dense: false);
            yield return Product($"dense-{m}x{k}x{n}", m, k, n, constantWeights: true, transposeA: false, transposeB: false, dense: true);
        }
        yield return Convolution("conv-same-stride1", batch: 2, size: 12, channels: 3, outputs: 20, stride: 1, "SAME", pool: false);
        yield return Convolution("conv-same-stride2", batch: 1, size: 13, channels: 8, outputs: 16, stride: 2, "SAME", pool: false);
        yield return Convolution("conv-relu-maxpool", batch: 3, size: 11, channels: 4, outputs: 32, stride: 1, "VALID", pool: true);
        yield return Depthwise();
        yield return Softmax();
        yield return AdamStep();
        yield return Gradients();
    }

    /// <summary>One Adam step (the optimizer's vector loops, split across cores) on a variable set in the same run.</summary>
    private static KernelCase AdamStep()
    {
        const int Length = 70_001;
        var random = new Random(7);
        var nodes = new List<NodeDef>();
        foreach (string name in new[] { "var", "m", "v" })
        {
            nodes.Add(Node(name, "VarHandleOp", null, ("dtype", Type(DType.Float32)), ("shape", G.Shape(Length)), ("shared_name", Str(name))));
            nodes.Add(Const(name + "/start", name == "var" ? Random(random, Length) : Tensor.Zeros(DType.Float32, new TensorShape(Length))));
            nodes.Add(Node(name + "/assign", "AssignVariableOp", [name, name + "/start"], ("dtype", Type(DType.Float32))));
        }
        float[] hypers = [0.9f, 0.999f, 0.01f, 0.9f, 0.999f, 1e-7f];
        for (int h = 0; h < hypers.Length; h++) nodes.Add(Const($"h{h}", Tensor.Scalar(hypers[h])));
        nodes.Add(Node("apply", "ResourceApplyAdam", ["var", "m", "v", "h0", "h1", "h2", "h3", "h4", "h5", "grad", "^var/assign", "^m/assign", "^v/assign"], F32));
        nodes.Add(Placeholder("grad", DType.Float32));
        nodes.Add(Node("read", "ReadVariableOp", ["var", "^apply"], ("dtype", Type(DType.Float32))));
        return new KernelCase("adam-step", Graph([.. nodes]), new() { ["grad"] = Random(random, Length) }, "read");
    }

    /// <summary>ReluGrad (split across cores) and MaxPoolGrad (images across cores) of a CNN-sized activation.</summary>
    private static KernelCase Gradients()
    {
        var random = new Random(8);
        var graph = Graph(
            Placeholder("x", DType.Float32), Placeholder("dy", DType.Float32),
            Node("relu_grad", "ReluGrad", ["dy", "x"], F32),
            Node("pool", "MaxPool", ["x"], F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))),
            Node("pool_grad", "MaxPoolGrad", ["x", "pool", "pool_dy"], F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))),
            Node("pool_dy", "MaxPool", ["dy"], F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))),
            Node("sum", "AddV2", ["relu_grad", "pool_grad"], F32));
        return new KernelCase("relu-and-maxpool-gradients", graph, new() { ["x"] = Random(random, 16, 26, 26, 32), ["dy"] = Random(random, 16, 26, 26, 32) }, "sum");
    }

    private static Tensor Random(Random random, params long[] dims) =>
        Tensor.FromArray<float>([.. Enumerable.Range(0, (int)dims.Aggregate(1L, (a, b) => a * b)).Select(_ => random.NextSingle() - 0.5f)], dims);

    private static KernelCase Product(string name, int m, int k, int n, bool constantWeights, bool transposeA, bool transposeB, bool dense)
    {
        var random = new Random(m * 1000 + k + n);
        Tensor x = transposeA ? Random(random, k, m) : Random(random, m, k);
        Tensor w = transposeB ? Random(random, n, k) : Random(random, k, n);
        var nodes = new List<NodeDef>
        {
            Placeholder("x", DType.Float32), constantWeights ? Const("w", w) : Placeholder("w", DType.Float32),
            Node("mm", "MatMul", ["x", "w"], F32, ("transpose_a", Bool(transposeA)), ("transpose_b", Bool(transposeB))),
        };
        string fetch = "mm";
        if (dense)
        {
            nodes.Add(Const("b", Random(random, n)));
            nodes.Add(Node("bias", "BiasAdd", ["mm", "b"], F32));
            nodes.Add(Node("relu", "Relu", ["bias"], F32));
            fetch = "relu";
        }
        var feeds = new Dictionary<string, Tensor> { ["x"] = x };
        if (!constantWeights) feeds["w"] = w;
        return new KernelCase(name, Graph([.. nodes]), feeds, fetch);
    }

    private static KernelCase Convolution(string name, int batch, int size, int channels, int outputs, int stride, string padding, bool pool)
    {
        var random = new Random(size * 100 + outputs);
        var nodes = new List<NodeDef>
        {
            Placeholder("x", DType.Float32), Const("f", Random(random, 3, 3, channels, outputs)), Const("b", Random(random, outputs)),
            Node("conv", "Conv2D", ["x", "f"], F32, ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding))),
            Node("bias", "BiasAdd", ["conv", "b"], F32),
            Node("relu", "Relu", ["bias"], F32),
        };
        if (pool) nodes.Add(Node("pool", "MaxPool", ["relu"], F32, ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID"))));
        var feeds = new Dictionary<string, Tensor> { ["x"] = Random(random, batch, size, size, channels) };
        return new KernelCase(name, Graph([.. nodes]), feeds, pool ? "pool" : "relu");
    }

    private static KernelCase Depthwise()
    {
        var random = new Random(5);
        var graph = Graph(
            Placeholder("x", DType.Float32), Const("f", Random(random, 3, 3, 24, 2)),
            Node("dw", "DepthwiseConv2dNative", ["x", "f"], F32, ("strides", Ints(1, 1, 1, 1)), ("padding", Str("SAME"))),
            Node("avg", "AvgPool", ["dw"], F32, ("ksize", Ints(1, 3, 3, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME"))));
        return new KernelCase("depthwise-avgpool", graph, new() { ["x"] = Random(random, 2, 9, 9, 24) }, "avg");
    }

    private static KernelCase Softmax()
    {
        var random = new Random(6);
        var graph = Graph(Placeholder("x", DType.Float32), Node("softmax", "Softmax", ["x"], F32));
        return new KernelCase("softmax", graph, new() { ["x"] = Random(random, 5, 1000) }, "softmax");
    }
}
