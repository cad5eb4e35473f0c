using System.Numerics;
using StaticFlow.Graphs;
using StaticFlow.Operations;
using StaticFlow.Tensors;

namespace StaticFlow.Kernels;

/// <summary>
/// Einsum by its definition: every combination of subscript values, the operands' product summed into the output
/// element the output subscripts pick. Exact and general (repeated subscripts take diagonals); not a fast path.
/// </summary>
internal static class EinsumKernel
{
    public static void Register(KernelRegistrar add) =>
        add.Add("Einsum", KernelDTypes.Numeric, node =>
        {
            string text = KernelHelpers.StringAttr(node, "equation");
            int count = (int)KernelHelpers.IntAttr(node, "N");
            var equation = EinsumEquation.TryParse(text, count, out string? problem) ?? throw new GraphException(node.Name, node.Op, problem!);
            return ElementwiseKernels.ByNumericType(node, "T", new Factory(equation));
        });

    private sealed class Factory(EinsumEquation equation) : ElementwiseKernels.IKernelFactory
    {
        public IOpKernel Create<T>(GraphNode node) where T : unmanaged, INumber<T> => new DelegateKernel(c =>
        {
            var operands = Enumerable.Range(0, c.InputCount).Select(c.Input).ToArray();
            var sizes = equation.Sizes([.. operands.Select(o => (long[]?)o.Shape.Dims.ToArray())], out string? problem) ?? throw c.Error(problem!);
            string letters = equation.Letters;
            long[] extent = [.. letters.Select(ch => sizes[ch])];
            long[] outDims = [.. equation.Output.Select(ch => sizes[ch])];
            var output = Tensor.Zeros(operands[0].DType, new TensorShape(outDims));
            if (extent.Any(e => e == 0)) { c.SetOutput(0, output); return; }
            // Each operand's and the output's stride per letter (summed where a letter repeats: a diagonal).
            long[] StridesOf(string subscripts, long[] dims)
            {
                long[] own = ElementCopy.Strides(dims), byLetter = new long[letters.Length];
                for (int d = 0; d < subscripts.Length; d++) byLetter[letters.IndexOf(subscripts[d])] += own[d];
                return byLetter;
            }
            long[][] operandStrides = [.. operands.Select((o, i) => StridesOf(equation.Operands[i], [.. o.Shape.Dims]))];
            long[] outStrides = StridesOf(equation.Output, outDims);
            var spans = operands.Select(o => o.AsSpan<T>().ToArray()).ToArray();
            Span<T> result = output.AsSpan<T>();
            var index = new long[letters.Length];
            long total = extent.Aggregate(1L, (a, b) => a * b);
            for (long step = 0; step < total; step++)
            {
                T product = T.One;
                for (int i = 0; i < spans.Length; i++)
                {
                    long at = 0;
                    for (int l = 0; l < letters.Length; l++) at += index[l] * operandStrides[i][l];
                    product *= spans[i][at];
                }
                long target = 0;
                for (int l = 0; l < letters.Length; l++) target += index[l] * outStrides[l];
                result[(int)target] += product;
                for (int l = letters.Length - 1; l >= 0 && ++index[l] >= extent[l]; l--) index[l] = 0;
            }
            c.SetOutput(0, output);
        });
    }
}
