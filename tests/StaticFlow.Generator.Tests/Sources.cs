namespace StaticFlow.Generator.Tests;

/// <summary>Graph modules used by several tests.</summary>
internal static class Sources
{
    public const string Regressor = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Regressor
        {
            [Variable(5, 10, Init = Init.GlorotUniform)] Tensor<float> w1;
            [Variable(10)] Tensor<float> b1;
            [Variable(10, 1, Init = Init.GlorotUniform)] Tensor<float> w2;
            [Variable(1)] Tensor<float> b2;

            [GraphFunction(Signature = "serving_default"), Device("/GPU:0")]
            public Tensor<float> Predict([Shape(-1, 5)] Tensor<float> x)
            {
                using var scope = GraphScope.Name("dense1");
                var h = Ops.Relu(Ops.MatMul(x, w1) + b1);
                return Ops.MatMul(h, w2) + b2;
            }
        }
        """;

    /// <summary>Nearly every construct the lowering knows, for eager-versus-graph agreement.</summary>
    public const string Everything = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Everything
        {
            [Variable(4, 3, Init = Init.GlorotUniform)] Tensor<float> w;
            [Variable(3, Init = Init.RandomNormal)] Tensor<float> b;
            [Variable(1)] Tensor<float> total;

            [GraphFunction(Signature = "serving_default")]
            public Tensor<float> Forward([Shape(-1, 4)] Tensor<float> x)
            {
                using var scope = GraphScope.Name("layer");
                var h = Ops.MatMul(x, w) + b;
                var gated = Ops.Select(h > 0f, Ops.Tanh(h), Ops.Sigmoid(h) * 0.5f);
                Tensor<float> acc = gated;
                for (int i = 1; i <= 3; i++)
                    acc = acc + gated * (float)i;
                var centered = acc - Ops.Mean(acc, [1], keepDims: true);
                var (squares, magnitudes) = Stats(centered);
                Tensor<float> picked;
                if (Ops.Sum(squares, [0, 1]) > 1f) picked = squares;
                else picked = magnitudes;
                var joined = Ops.Concat([centered, -centered], 1);
                var column = Ops.ExpandDims(Ops.Mean(Ops.Transpose(joined, [1, 0]), [0]), 1);
                var signed = Ops.Max(x, [0, 1]) > 100f ? Ops.Abs(column) : -column;
                return Ops.Softmax(picked) + signed + Ops.Relu6(h) / Ops.Exp(Ops.Square(h));
            }

            [GraphFunction]
            public (Tensor<float> Squares, Tensor<float> Magnitudes) Stats(Tensor<float> v) => (Ops.Square(v), Ops.Abs(v) + b);

            [GraphFunction]
            public Tensor<float> Doubling([Shape(1)] Tensor<float> start, [Shape(1)] Tensor<float> limit)
            {
                Tensor<float> value = start;
                Tensor<float> steps = 0f;
                while (Ops.Sum(value, [0]) < Ops.Sum(limit, [0]))
                {
                    value = value * 2f;
                    if (Ops.Sum(value, [0]) > 100f) value = value - 1f;
                    steps = steps + 1f;
                }
                return value + steps;
            }

            [GraphFunction]
            public Tensor<float> Accumulate([Shape(1)] Tensor<float> amount)
            {
                total = total + amount;
                total += amount * 2f;
                return total * 1f;
            }
        }
        """;

    /// <summary>A small convolutional classifier: Conv2D, Relu, MaxPool, batch normalization, Dense and Softmax.</summary>
    public const string Cnn = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Cnn
        {
            [Variable(3, 3, 1, 4, Init = Init.GlorotUniform)] Tensor<float> filters;
            [Variable(4, Init = Init.RandomNormal)] Tensor<float> filterBias;
            [Variable(4, Init = Init.Ones)] Tensor<float> gamma;
            [Variable(4)] Tensor<float> beta;
            [Variable(4)] Tensor<float> movingMean;
            [Variable(4, Init = Init.Ones)] Tensor<float> movingVariance;
            [Variable(64, 3, Init = Init.GlorotUniform)] Tensor<float> dense;
            [Variable(3)] Tensor<float> denseBias;

            [GraphFunction(Signature = "serving_default")]
            public Tensor<float> Classify([Shape(-1, 8, 8, 1)] Tensor<float> images)
            {
                var features = Ops.Relu(Ops.BiasAdd(Ops.Conv2D(images, filters, [1, 1, 1, 1], "SAME"), filterBias));
                var pooled = Ops.MaxPool(features, [1, 2, 2, 1], [1, 2, 2, 1], "VALID");
                var normalized = Ops.FusedBatchNorm(pooled, gamma, beta, movingMean, movingVariance, epsilon: 0.001f);
                var smoothed = Ops.AvgPool(normalized, [1, 3, 3, 1], [1, 1, 1, 1], "SAME");
                var flat = Ops.Reshape(smoothed, [-1, 64]);
                return Ops.Softmax(Ops.MatMul(flat, dense) + denseBias);
            }

            [GraphFunction]
            public Tensor<float> Loss([Shape(-1, 8, 8, 1)] Tensor<float> images, [Shape(-1)] Tensor<int> labels) =>
                Losses.SparseCategoricalCrossentropy(labels, Classify(images));

            [GraphFunction, TrainStep(Optimizer.Adam, LearningRate = 0.01)]
            public Tensor<float> Train([Shape(-1, 8, 8, 1)] Tensor<float> images, [Shape(-1)] Tensor<int> labels) => Loss(images, labels);

            [GraphFunction]
            public Tensor<float> Upsample([Shape(1, 4, 4, 1)] Tensor<float> images)
            {
                var features = Ops.Conv2D(images, filters, [1, 1, 1, 1], "SAME");
                var back = Ops.Conv2DBackpropInput([1, 4, 4, 1], filters, features, [1, 1, 1, 1], "SAME");
                var big = Ops.ResizeBilinear(Ops.Lrn(back, depthRadius: 1), [8, 8], halfPixelCenters: true);
                var flat = Ops.Reshape(big, [8, 8]);
                return Ops.Einsum("ij,jk->ik", [flat, Ops.Transpose(flat, [1, 0])]);
            }

            [GraphFunction]
            public Tensor<float> Gate(Tensor<float> x) => Ops.Sum(x, [0]) > 0f ? x : -x;

            [GraphFunction]
            public Tensor<float> Mixed([Shape(2, 4)] Tensor<float> x, [Shape(2)] Tensor<int> labels)
            {
                var hot = Ops.OneHot<float>(labels, 4, 1f, 0f);
                var scanned = Ops.Cumsum(x * hot + x, 1, exclusive: true);
                var turned = Ops.Roll(Ops.Reverse(scanned, [1]), [1], [0]);
                var banded = Ops.MatrixBandPart(Ops.BroadcastTo(Ops.Reshape(turned, [1, 2, 4]), [3, 2, 4]), 0, -1);
                var clipped = Ops.ClipByValue(banded, -1f, 1f);
                return Ops.EuclideanNorm(clipped, [0]) + Ops.L2Loss(x) + Ops.Atan2(Ops.Sin(x), Ops.Cos(x)) + Ops.Round(x * 3f)
                    + Ops.Cast<float>(Ops.Reshape(labels, [2, 1]));
            }
        }
        """;

    /// <summary>
    /// Dense(10, relu) -> Dense(1) in double precision with its loss, its gradients (Gradients.Of) and train steps for
    /// each optimizer; Predict and Loss are called from the others, so the gradients flow through inlined calls.
    /// </summary>
    public const string Training = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Trainable
        {
            [Variable(5, 10, Init = Init.GlorotUniform)] Tensor<double> w1;
            [Variable(10, Init = Init.RandomNormal)] Tensor<double> b1;
            [Variable(10, 1, Init = Init.GlorotUniform)] Tensor<double> w2;
            [Variable(1)] Tensor<double> b2;

            [GraphFunction(Signature = "serving_default")]
            public Tensor<double> Predict([Shape(-1, 5)] Tensor<double> x)
            {
                using var scope = GraphScope.Name("dense");
                return Ops.MatMul(Ops.Tanh(Ops.BiasAdd(Ops.MatMul(x, w1), b1)), w2) + b2;
            }

            [GraphFunction]
            public Tensor<double> Loss([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) =>
                Ops.Mean(Ops.SquaredDifference(Predict(x), y), [0, 1]);

            [GraphFunction]
            public (Tensor<double> w1, Tensor<double> b1, Tensor<double> w2, Tensor<double> b2) Grads([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y)
            {
                var loss = Loss(x, y);
                var (g1, g2, g3, g4) = Gradients.Of(loss, w1, b1, w2, b2);
                return (g1, g2, g3, g4);
            }

            [GraphFunction, TrainStep(Optimizer.SGD, LearningRate = 0.1)]
            public Tensor<double> TrainSgd([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) => Loss(x, y);

            [GraphFunction, TrainStep(Optimizer.SGD, Name = "Nesterov", LearningRate = 0.05, Momentum = 0.9, Nesterov = true)]
            public Tensor<double> TrainNesterov([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) => Loss(x, y);

            [GraphFunction, TrainStep(Optimizer.Adam, LearningRate = 0.01)]
            public Tensor<double> TrainAdam([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) => Loss(x, y);

            [GraphFunction, TrainStep(Optimizer.RMSProp, LearningRate = 0.01, ClipNorm = 1.0)]
            public Tensor<double> TrainRmsProp([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) => Loss(x, y);

            [GraphFunction, TrainStep(Optimizer.Adagrad, LearningRate = 0.1)]
            public Tensor<double> TrainAdagrad([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) => Loss(x, y);

            [GraphFunction, TrainStep(Optimizer.AdamW, LearningRate = 0.01, WeightDecay = 0.01)]
            public Tensor<double> TrainAdamW([Shape(-1, 5)] Tensor<double> x, [Shape(-1, 1)] Tensor<double> y) => Loss(x, y);
        }
        """;

    /// <summary>An MLP classifier of 4 features into 3 classes, trained with Keras' sparse categorical cross-entropy.</summary>
    public const string Classifier = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Classifier
        {
            [Variable(4, 16, Init = Init.GlorotUniform)] Tensor<float> w1;
            [Variable(16)] Tensor<float> b1;
            [Variable(16, 3, Init = Init.GlorotUniform)] Tensor<float> w2;
            [Variable(3)] Tensor<float> b2;

            [GraphFunction(Signature = "serving_default")]
            public Tensor<float> Logits([Shape(-1, 4)] Tensor<float> x) =>
                Ops.BiasAdd(Ops.MatMul(Ops.Relu(Ops.BiasAdd(Ops.MatMul(x, w1), b1)), w2), b2);

            [GraphFunction]
            public Tensor<float> Loss([Shape(-1, 4)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) =>
                Losses.SparseCategoricalCrossentropy(labels, Logits(x), fromLogits: true);

            [GraphFunction]
            public Tensor<float> Accuracy([Shape(-1, 4)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) =>
                Metrics.SparseCategoricalAccuracy(labels, Ops.Softmax(Logits(x)));

            [GraphFunction(Signature = "train"), TrainStep(Optimizer.Adam, LearningRate = 0.02)]
            public Tensor<float> Train([Shape(-1, 4)] Tensor<float> x, [Shape(-1)] Tensor<int> labels) => Loss(x, labels);
        }
        """;
}
