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
}
