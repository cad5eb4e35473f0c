using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// An [OpMethod] a user declares as a body-less <c>static partial</c> method gets its eager body from the generator,
/// running the op through the runtime's kernels; called directly and lowered in a graph function, it computes the same.
/// </summary>
public class UserOpMethodTests
{
    private const string Source = """
        using System.Numerics;
        using StaticFlow;

        namespace Models;

        public static partial class MyOps
        {
            [OpMethod("Erf")]
            public static partial Tensor<T> GaussError<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>;

            [OpMethod("TopKV2")]
            public static partial (Tensor<float> Values, Tensor<int> Indices) Best(Tensor<float> input, int k, bool sorted = true);

            [OpMethod("Cumsum")]
            internal static partial Tensor<float> RunningTotal(Tensor<float> x, int axis, bool exclusive = false, bool reverse = false);

            [OpMethod("Split")]
            public static partial Tensor<float>[] Parts(int axis, Tensor<float> value, int numSplit);

            public static partial class Nested
            {
                [OpMethod("Sum")]
                public static partial Tensor<float> Total(Tensor<float> input, int[] axis, bool keepDims = false);
            }
        }

        [GraphModule]
        public partial class UsesThem
        {
            [GraphFunction]
            public Tensor<float> Run([Shape(-1, 4)] Tensor<float> x)
            {
                var (values, indices) = MyOps.Best(x, 2);
                var halves = MyOps.Parts(1, x, 2);
                var running = MyOps.RunningTotal(x, 1, exclusive: true);
                return MyOps.GaussError(values) + running[.., ..2] + halves[1] + MyOps.Nested.Total(x, [1], keepDims: true);
            }
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Source));

    [Fact]
    public void ABodylessPartialOpMethodRunsItsOpEagerlyAsInTheGraph()
    {
        var type = s_assembly.Value.GetType("Models.UsesThem")!;
        var module = Activator.CreateInstance(type)!;
        var x = Tensor<float>.From([0.5f, -1f, 2f, 0.25f, 1.5f, 0.1f, -0.3f, 3f], 2, 4);
        float[] eager = ((Tensor<float>)type.GetMethod("Run")!.Invoke(module, [x])!).ToArray();
        float[] graph = ((Tensor<float>)type.GetMethod("RunGraph")!.Invoke(module, [x, Type.Missing])!).ToArray();
        Assert.Equal(eager.Length, graph.Length);
        for (int i = 0; i < eager.Length; i++) Assert.Equal(eager[i], graph[i], 5);

        // Row 0 by hand: top two 2 and 0.5, erf of them; exclusive running sums 0 and 0.5; the second half 2, 0.25; total 1.75.
        double[] expected = [Erf(2) + 0 + 2 + 1.75, Erf(0.5) + 0.5 + 0.25 + 1.75];
        Assert.Equal(expected[0], eager[0], 5);
        Assert.Equal(expected[1], eager[1], 5);

        // The generated body runs the catalogue's kernel, with the attrs bound by name as in a graph.
        var myOps = s_assembly.Value.GetType("Models.MyOps")!;
        var best = (System.Runtime.CompilerServices.ITuple)myOps.GetMethod("Best")!.Invoke(null, [x, 1, true])!;
        Assert.Equal([2f, 3f], ((Tensor<float>)best[0]!).ToArray());
        Assert.Equal([2, 3], ((Tensor<int>)best[1]!).ToArray());
        var parts = (Tensor<float>[])myOps.GetMethod("Parts")!.Invoke(null, [1, x, 4])!;
        Assert.Equal(4, parts.Length);
        Assert.Equal(new TensorShape(2, 1), parts[3].Shape);
    }

    [Fact]
    public void TheAnalyzersAcceptBodylessPartialOpMethods() => Assert.Empty(GeneratorHost.Analyze(GeneratorHost.Compile(Source)));

    private static double Erf(double x)
    {
        // Abramowitz-Stegun 7.1.26 is too coarse for 5 digits: integrate exp(-t²) by Simpson's rule instead.
        const int n = 2000;
        double h = x / n, sum = 1 + Math.Exp(-x * x);
        for (int i = 1; i < n; i++) sum += (i % 2 == 1 ? 4 : 2) * Math.Exp(-(i * h) * (i * h));
        return 2 / Math.Sqrt(Math.PI) * sum * h / 3;
    }
}
