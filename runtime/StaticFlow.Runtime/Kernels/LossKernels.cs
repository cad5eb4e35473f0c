using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// SoftmaxCrossEntropyWithLogits and SparseSoftmaxCrossEntropyWithLogits: per-row loss and its gradient with respect
/// to the logits (softmax minus labels), computed together as TensorFlow's fused kernels do.
/// </summary>
internal static class LossKernels
{
    public static void Register(KernelRegistrar add)
    {
        add.Add("SoftmaxCrossEntropyWithLogits", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new CrossEntropyFactory(sparse: false)));
        add.Add("SparseSoftmaxCrossEntropyWithLogits", KernelDTypes.Float, node => ElementwiseKernels.ByFloatType(node, "T", new CrossEntropyFactory(sparse: true)));
    }

    private sealed class CrossEntropyFactory(bool sparse) : ElementwiseKernels.IFloatKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, IFloatingPointIeee754<T> => new DelegateKernel(c =>
        {
            Tensor features = c.Input(0), labels = c.Input(1);
            if (features.Shape.Rank != 2) throw c.Error($"logits must be a [batch, classes] matrix, got {features.Shape}");
            long batch = features.Shape[0], classes = features.Shape[1];
            long[]? sparseLabels = null;
            if (sparse)
            {
                if (labels.Shape.Rank != 1 || labels.Shape[0] != batch) throw c.Error($"labels must be a vector of the {batch} rows of logits {features.Shape}, got {labels.Shape}");
                sparseLabels = c.ToLongs(1);
            }
            else if (!labels.Shape.Equals(features.Shape)) throw c.Error($"labels {labels.Shape} and logits {features.Shape} must have one shape");
            ReadOnlySpan<T> logits = features.AsSpan<T>();
            ReadOnlySpan<T> dense = sparse ? default : labels.AsSpan<T>();
            var loss = new T[batch];
            var backprop = new T[batch * classes];
            for (long r = 0; r < batch; r++)
            {
                var row = logits.Slice((int)(r * classes), (int)classes);
                if (sparseLabels is not null && (sparseLabels[r] < 0 || sparseLabels[r] >= classes))
                    throw c.Error($"label {sparseLabels[r]} of row {r} is outside [0, {classes})");
                // log-sum-exp from the row's maximum, in double precision.
                double max = double.NegativeInfinity;
                foreach (T v in row) max = Math.Max(max, double.CreateTruncating(v));
                double sum = 0;
                foreach (T v in row) sum += Math.Exp(double.CreateTruncating(v) - max);
                double logSum = Math.Log(sum) + max, rowLoss = 0;
                for (int j = 0; j < classes; j++)
                {
                    double logit = double.CreateTruncating(row[j]);
                    double label = sparseLabels is not null ? (sparseLabels[r] == j ? 1 : 0) : double.CreateTruncating(dense[(int)(r * classes + j)]);
                    if (label != 0) rowLoss += label * (logSum - logit);
                    backprop[r * classes + j] = T.CreateTruncating(Math.Exp(logit - logSum) - label);
                }
                loss[r] = T.CreateTruncating(rowLoss);
            }
            c.SetOutput(0, Tensor.FromArray<T>(loss, batch));
            c.SetOutput(1, Tensor.FromArray<T>(backprop, batch, classes));
        });
    }
}
