using StaticFlow;

namespace QuickStart;

/// <summary>Two variables and the graph that adds them: the first graph of every TensorFlow chapter.</summary>
[GraphModule]
public partial class Adder
{
    [Variable(3)] Tensor<float> x;
    [Variable(3, Init = Init.Ones)] Tensor<float> y;

    /// <summary>x + y.</summary>
    [GraphFunction(Signature = "serving_default")]
    public Tensor<float> Sum() => x + y;

    /// <summary>Sets x and y (a write of module variables inside the graph).</summary>
    [GraphFunction]
    public Tensor<float> Assign(Tensor<float> newX, Tensor<float> newY)
    {
        x = newX;
        y = newY;
        return x + y;
    }
}

/// <summary>Dense(10, relu) then Dense(1) on inputs of 5 features: Keras' first regression model, as a graph module.</summary>
[GraphModule]
public partial class Regressor
{
    [Variable(5, 10, Init = Init.GlorotUniform)] Tensor<float> w1;
    [Variable(10)] Tensor<float> b1;
    [Variable(10, 1, Init = Init.GlorotUniform)] Tensor<float> w2;
    [Variable(1)] Tensor<float> b2;

    /// <summary>The prediction for a batch of rows of 5 features. Its nodes ask for the first GPU.</summary>
    [GraphFunction(Signature = "serving_default"), Device("/GPU:0")]
    public Tensor<float> Predict([Shape(-1, 5)] Tensor<float> x)
    {
        Tensor<float> hidden;
        using (GraphScope.Name("dense1"))
        {
            hidden = Ops.Relu(Ops.MatMul(x, w1) + b1);
        }
        using var output = GraphScope.Name("dense2");
        return Ops.MatMul(hidden, w2) + b2;
    }

    /// <summary>The mean squared error of the predictions for a batch (Keras' <c>loss='mse'</c>).</summary>
    [GraphFunction]
    public Tensor<float> Loss([Shape(-1, 5)] Tensor<float> x, [Shape(-1, 1)] Tensor<float> y) => Losses.MeanSquaredError(y, Predict(x));

    /// <summary>One Adam step on the loss (Keras' <c>optimizer='adam'</c>): gradients built at compile time, applied by ResourceApplyAdam.</summary>
    [GraphFunction, TrainStep(Optimizer.Adam, LearningRate = 0.01)]
    public Tensor<float> Train([Shape(-1, 5)] Tensor<float> x, [Shape(-1, 1)] Tensor<float> y) => Loss(x, y);
}

/// <summary>A small classifier of 2-D points into 3 classes: 2 -> 32 (relu) -> 32 (relu) -> 3, trained with sparse categorical cross-entropy.</summary>
[GraphModule]
public partial class SpiralClassifier
{
    [Variable(2, 32, Init = Init.GlorotUniform)] Tensor<float> w1;
    [Variable(32)] Tensor<float> b1;
    [Variable(32, 32, Init = Init.GlorotUniform)] Tensor<float> w2;
    [Variable(32)] Tensor<float> b2;
    [Variable(32, 3, Init = Init.GlorotUniform)] Tensor<float> w3;
    [Variable(3)] Tensor<float> b3;

    /// <summary>The class logits of a batch of points.</summary>
    [GraphFunction(Signature = "serving_default")]
    public Tensor<float> Logits([Shape(-1, 2)] Tensor<float> points)
    {
        var h1 = Ops.Relu(Ops.BiasAdd(Ops.MatMul(points, w1), b1));
        var h2 = Ops.Relu(Ops.BiasAdd(Ops.MatMul(h1, w2), b2));
        return Ops.BiasAdd(Ops.MatMul(h2, w3), b3);
    }

    /// <summary>Cross-entropy of the labels and the logits.</summary>
    [GraphFunction]
    public Tensor<float> Loss([Shape(-1, 2)] Tensor<float> points, [Shape(-1)] Tensor<int> labels) =>
        Losses.SparseCategoricalCrossentropy(labels, Logits(points), fromLogits: true);

    /// <summary>The fraction of points classified right.</summary>
    [GraphFunction]
    public Tensor<float> Accuracy([Shape(-1, 2)] Tensor<float> points, [Shape(-1)] Tensor<int> labels) =>
        Metrics.SparseCategoricalAccuracy(labels, Logits(points));

    /// <summary>One Adam step.</summary>
    [GraphFunction, TrainStep(Optimizer.Adam, LearningRate = 0.01)]
    public Tensor<float> Train([Shape(-1, 2)] Tensor<float> points, [Shape(-1)] Tensor<int> labels) => Loss(points, labels);
}
