using StaticFlow.Cli;

namespace StaticFlow.Tests;

/// <summary>Runs the tool in-process with captured output.</summary>
internal static class CliRunner
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int code = CommandLineApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

public class CliTests
{
    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1, new[] { "classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default" })]
    [InlineData(TestData.HalfPlusTwoTf2, new[] { "__saved_model_init_op", "classify_x2_to_y3", "classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default" })]
    [InlineData(TestData.HalfPlusThree, new[] { "serving_default", "tensorflow/serving/regress" })]
    public void ShowAllPrintsEverySignature(string model, string[] signatures)
    {
        var (code, output, _) = Run("show", TestData.CopyModel(model), "--all");
        Assert.Equal(0, code);
        var printed = output.Split('\n').Where(l => l.StartsWith("signature_def['", StringComparison.Ordinal)).Select(l => l[15..l.IndexOf('\'', 15)]);
        Assert.Equal(signatures, printed);
        Assert.Contains("MetaGraphDef with tag-set: 'serve'", output);
    }

    [Fact]
    public void ShowAllPrintsInputsOutputsDtypesAndShapes()
    {
        var (_, output, _) = Run("show", TestData.CopyModel(TestData.HalfPlusTwoTf1), "--all");
        string serving = output[output.IndexOf("signature_def['serving_default']", StringComparison.Ordinal)..];
        Assert.Contains("inputs['x'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 1)\n        name: x:0", serving);
        Assert.Contains("outputs['y'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1, 1)\n        name: y:0", serving);
        Assert.Contains("Method name is: tensorflow/serving/predict", serving);
    }

    [Fact]
    public void InspectListsVariablesAndPrintsValues()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        var (code, output, _) = Run("inspect", Path.Combine(dir, "variables", "variables.index"));
        Assert.Equal(0, code);
        Assert.Equal(["a float32 []", "a2 float32 []", "b float32 []", "c float32 []", "c2 float32 []"], output.Trim().Split('\n'));

        (_, output, _) = Run("inspect", dir, "--tensor", "b");
        Assert.Equal("tensor_name: b (float32[])\n2.0", output.Trim());

        (_, output, _) = Run("inspect", TestData.CopyModel(TestData.HalfPlusTwoTf2), "--tensor", "c", "--json");
        var json = System.Text.Json.JsonDocument.Parse(output).RootElement;
        Assert.Equal(3.0, json.GetProperty("tensors")[0].GetProperty("values").GetDouble());
        Assert.Equal(4, json.GetProperty("variables").GetArrayLength());
    }

    [Fact]
    public void InspectPrintsLargeTensorsWithoutElision()
    {
        string prefix = Path.Combine(TempDirectory.Create(), "big");
        Checkpoints.Checkpoint.Save(prefix, new Dictionary<string, Tensors.Tensor> { ["m"] = Tensors.Tensor.FromArray<int>(Enumerable.Range(0, 3000).ToArray(), 30, 100) }, Checkpoints.CheckpointKeyStyle.NameBased);
        var (_, output, _) = Run("inspect", prefix, "--tensor", "m");
        Assert.DoesNotContain("...", output);
        Assert.Contains("2998, 2999]]", output);
        string values = output.Split('\n')[1];
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            System.Text.RegularExpressions.Regex.Matches(values, "[0-9]+").Select(m => m.Value));
    }

    [Fact]
    public void BadInputGivesOneLineAndItsExitCode()
    {
        var (code, _, error) = Run("inspect", Path.Combine(TempDirectory.Create(), "missing"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("error: ", error);
        (code, _, error) = Run("inspect", TestData.CopyModel(TestData.HalfPlusTwoTf1), "--tensor", "nope");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no tensor named 'nope'", error);
    }

}

public class CliRunTests
{

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run(args);

    private static float[] Values(string json) =>
        [.. System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("outputs")[0].GetProperty("values").EnumerateArray()
            .SelectMany(row => row.ValueKind == System.Text.Json.JsonValueKind.Array ? row.EnumerateArray() : new[] { row }.AsEnumerable()).Select(v => v.GetSingle())];

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1, new[] { 2.5f, 3f, 4.5f })]
    [InlineData(TestData.HalfPlusThree, new[] { 3.5f, 4f, 5.5f })]
    public void RunPrintsTheDocumentedServingOutputs(string model, float[] expected)
    {
        var (code, output, error) = Run("run", TestData.CopyModel(model), "--signature_def", "serving_default", "--input", "x=[[1],[2],[5]]");
        Assert.True(code == 0, error);
        Assert.Equal(expected, Values(output));
    }

    [Fact]
    public void RunOnTheTf2ModelTakesOneValueAtATime()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        foreach (var (x, y) in new[] { (1f, 2.5f), (2f, 3f), (5f, 4.5f) })
        {
            var (code, output, error) = Run("run", dir, "--input", $"x=[{x}]");
            Assert.True(code == 0, error);
            Assert.Equal([y], Values(output));
        }
    }

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    public void RunRegressFedWithExamples(string model)
    {
        var (code, output, error) = Run("run", TestData.CopyModel(model), "--signature_def", "regress_x_to_y",
            "--input_examples", "inputs=[{\"x\":[1.0]},{\"x\":[2.0]},{\"x\":[5.0]}]");
        Assert.True(code == 0, error);
        Assert.Equal([2.5f, 3f, 4.5f], Values(output));
    }

    [Fact]
    public void RunReadsNpyFiles()
    {
        string npy = Path.Combine(TempDirectory.Create(), "x.npy");
        string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1), }";
        header = header.PadRight(118 - 10 - 1) + "\n";
        byte[] data = [.. new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 },
            .. System.Text.Encoding.ASCII.GetBytes(header), .. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f), .. BitConverter.GetBytes(5f)];
        File.WriteAllBytes(npy, data);
        var (code, output, error) = Run("run", TestData.CopyModel(TestData.HalfPlusTwoTf1), "--input", $"x={npy}");
        Assert.True(code == 0, error);
        Assert.Equal([2.5f, 3f, 4.5f], Values(output));
    }

    [Fact]
    public void RunErrorsNameTheSignatureAndInput()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        var (code, _, error) = Run("run", dir, "--signature_def", "nope");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no signature 'nope'", error);
        (code, _, error) = Run("run", dir, "--input", "q=[1]");
        Assert.Contains("has no input 'q'", error);
        (code, _, error) = Run("run", dir, "--input", "x=[[1],[2,3]]");
        Assert.Contains("ragged", error);
    }
}
