// StaticFlow layer library (source package): see README.md next to this file.
#nullable enable
namespace StaticFlow.Layers;

/// <summary>
/// Keras' <c>EinsumDense</c> as <c>MultiHeadAttention</c> builds its query, key and value projections:
/// <c>[batch, time, features]</c> to <c>[batch, time, heads, size]</c> (<c>abc,cde-&gt;abde</c>), with
/// <c>kernel [features, heads, size]</c> and <c>bias [heads, size]</c>.
/// </summary>
[GraphModule]
internal sealed partial class HeadsProjection
{
    /// <summary>A projection of <paramref name="features"/> into <paramref name="heads"/> heads of <paramref name="size"/>.</summary>
    public HeadsProjection(int features, int heads, int size)
    {
        Features = features;
        Heads = heads;
        Size = size;
        InitializeVariables();
    }

    /// <summary>Input features.</summary>
    public int Features { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Features per head.</summary>
    public int Size { get; }

    [Variable(nameof(Features), nameof(Heads), nameof(Size), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Heads), nameof(Size))] Tensor<float> bias;

    /// <summary>The projection of <paramref name="x"/>.</summary>
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x) => Ops.Einsum("abc,cde->abde", [x, kernel]) + bias;
}

/// <summary>Keras' <c>EinsumDense</c> for <c>MultiHeadAttention</c>'s output: heads merged back, <c>abcd,cde-&gt;abe</c>.</summary>
[GraphModule]
internal sealed partial class HeadsMerge
{
    /// <summary>A merge of <paramref name="heads"/> heads of <paramref name="size"/> into <paramref name="features"/>.</summary>
    public HeadsMerge(int heads, int size, int features)
    {
        Heads = heads;
        Size = size;
        Features = features;
        InitializeVariables();
    }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Features per head.</summary>
    public int Size { get; }

    /// <summary>Output features.</summary>
    public int Features { get; }

    [Variable(nameof(Heads), nameof(Size), nameof(Features), Init = Init.GlorotUniform)] Tensor<float> kernel;
    [Variable(nameof(Features))] Tensor<float> bias;

    /// <summary>The heads of <paramref name="x"/> merged.</summary>
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x) => Ops.Einsum("abcd,cde->abe", [x, kernel]) + bias;
}

/// <summary>
/// Keras <c>MultiHeadAttention(num_heads, key_dim)</c> without masks or dropout: softmax(q·kᵀ / sqrt(key_dim))·v per
/// head, with Keras' einsum subscripts and its variables (<c>query/kernel</c>, <c>key/…</c>, <c>value/…</c>,
/// <c>attention_output/…</c>). <see cref="Call"/> is self-attention; <see cref="Attend"/> takes the query and value.
/// </summary>
[GraphModule]
internal sealed partial class MultiHeadAttention : ILayer
{
    /// <summary>Attention over <paramref name="features"/>-wide sequences with <paramref name="heads"/> heads of <paramref name="keyDim"/>.</summary>
    public MultiHeadAttention(int features, int heads, int keyDim)
    {
        Scale = 1.0 / System.Math.Sqrt(keyDim);
        query = new HeadsProjection(features, heads, keyDim);
        key = new HeadsProjection(features, heads, keyDim);
        value = new HeadsProjection(features, heads, keyDim);
        attention_output = new HeadsMerge(heads, keyDim, features);
        InitializeVariables();
    }

    /// <summary>1 / sqrt(key_dim), applied to the query.</summary>
    public double Scale { get; }

    private readonly HeadsProjection query;
    private readonly HeadsProjection key;
    private readonly HeadsProjection value;
    private readonly HeadsMerge attention_output;

    /// <inheritdoc />
    [GraphFunction]
    public Tensor<float> Call(Tensor<float> x, bool training = false) => Attend(x, x);

    /// <summary>Each position of <paramref name="queries"/> attends over <paramref name="values"/> (which also serve as keys).</summary>
    [GraphFunction]
    public Tensor<float> Attend(Tensor<float> queries, Tensor<float> values)
    {
        var q = query.Call(queries) * (float)Scale;
        var k = key.Call(values);
        var v = value.Call(values);
        var weights = Ops.Softmax(Ops.Einsum("aecd,abcd->acbe", [k, q]));
        return attention_output.Call(Ops.Einsum("acbe,aecd->abcd", [weights, v]));
    }
}
