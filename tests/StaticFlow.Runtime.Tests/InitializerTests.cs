using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>The variable initializers Keras' layers use by default, checked for the property each promises.</summary>
public class InitializerTests
{
    [Theory]
    [InlineData(8, 32)] // an LSTM's recurrent kernel [units, 4 * units]: orthonormal rows
    [InlineData(12, 5)] // taller than wide: orthonormal columns
    [InlineData(6, 6)]
    public void OrthogonalMatricesHaveOrthonormalRowsOrColumns(int rows, int columns)
    {
        double[] w = [.. Initializers.Create<float>(Init.Orthogonal, [rows, columns], seed: 4).ToArray().Select(v => (double)v)];
        int n = Math.Min(rows, columns);
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                // Rows when there are fewer rows, else columns.
                double dot = 0;
                for (int k = 0; k < Math.Max(rows, columns); k++)
                    dot += rows < columns ? w[a * columns + k] * w[b * columns + k] : w[k * columns + a] * w[k * columns + b];
                Assert.Equal(a == b ? 1.0 : 0.0, dot, 5);
            }
        Assert.NotEqual(w, Initializers.Create<float>(Init.Orthogonal, [rows, columns], seed: 5).ToArray().Select(v => (double)v));
    }

    [Fact]
    public void AConvolutionKernelIsOrthogonalOverItsFlattenedLeadingDimensions()
    {
        // [3, 3, 2, 4] is 18 rows of 4: the 4 columns are orthonormal.
        float[] w = Initializers.Create<float>(Init.Orthogonal, [3, 3, 2, 4], seed: 1).ToArray();
        for (int a = 0; a < 4; a++)
            Assert.Equal(1.0, Enumerable.Range(0, 18).Sum(k => (double)w[k * 4 + a] * w[k * 4 + a]), 5);
    }

    [Fact]
    public void UnitForgetBiasOpensOnlyTheForgetGate()
    {
        // Keras' gate order: input, forget, cell, output.
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f, 0f, 0f], Initializers.Create<float>(Init.UnitForgetBias, [8], seed: 0).ToArray());
        Assert.Throws<ArgumentException>(() => Initializers.Create<float>(Init.UnitForgetBias, [6], seed: 0));
    }

    [Fact]
    public void RandomUniformStaysWithinKerasBounds()
    {
        float[] values = Initializers.Create<float>(Init.RandomUniform, [1000], seed: 2).ToArray();
        Assert.All(values, v => Assert.InRange(v, -0.05f, 0.05f));
        Assert.True(values.Max() - values.Min() > 0.09f);
    }
}
