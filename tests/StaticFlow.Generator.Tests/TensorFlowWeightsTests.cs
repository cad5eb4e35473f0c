using System.Reflection;
using StaticFlow.Tensors;
using StaticFlow.Tests;

namespace StaticFlow.Generator.Tests;

/// <summary>
/// Checkpoints written by Python TensorFlow restore into the C# module with the matching variables: the
/// half_plus_two models' scalar variables a, b and c, from TF 2.14's object-based keys and TF 1.14's names.
/// </summary>
public class TensorFlowWeightsTests
{
    private const string Source = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class HalfPlusTwo
        {
            [Variable] Tensor<float> a;
            [Variable] Tensor<float> b;
            [Variable] Tensor<float> c;

            [GraphFunction]
            public (Tensor<float> y, Tensor<float> y2) Predict([Shape(-1, 1)] Tensor<float> x) => (a * x + b, a * x + c);
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Source));

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf2)]
    [InlineData(TestData.HalfPlusTwoTf1)]
    public void ATensorFlowCheckpointOfScalarVariablesRestoresIntoTheModule(string model)
    {
        var module = (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models.HalfPlusTwo")!)!;
        module.RestoreCheckpoint(Path.Combine(TestData.CopyModel(model), "variables", "variables"));
        Assert.Equal(0.5f, module.GetVariables()["a"].ToArray<float>()[0]);
        Assert.Equal(TensorShape.Scalar, module.GetVariables()["c"].Shape);

        // The README's expected outputs: y = a*x + b = [2.5, 3, 4.5] for x = [1, 2, 5]; y2 = a*x + c.
        var x = Tensor<float>.From([1f, 2f, 5f], 3, 1);
        object result = module.GetType().GetMethod("PredictGraph")!.Invoke(module, [x, Type.Missing])!;
        var outputs = result.GetType().GetFields().Select(f => (Tensor<float>)f.GetValue(result)!).ToArray();
        Assert.Equal([2.5f, 3f, 4.5f], outputs[0].ToArray());
        Assert.Equal([3.5f, 4f, 5.5f], outputs[1].ToArray());
    }
}
