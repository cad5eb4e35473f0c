using Google.Protobuf;
using StaticFlow.Graphs;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>The real TensorFlow SavedModels load, restore their variables and compute what their README documents.</summary>
public class SavedModelRunTests
{
    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1, 2f)]
    [InlineData(TestData.HalfPlusThree, 3f)]
    public void Tf1ServingDefaultComputesHalfPlusB(string model, float b)
    {
        var bundle = SavedModelBundle.Load(TestData.CopyModel(model));
        var outputs = bundle.GetSignature("serving_default").Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1, 2, 5], 3, 1) });
        Assert.Equal([0.5f + b, 1 + b, 2.5f + b], outputs["y"].ToArray<float>());
        Assert.Equal(new TensorShape(3, 1), outputs["y"].Shape);
    }

    [Fact]
    public void Tf2ServingDefaultComputesHalfPlusTwo()
    {
        var bundle = SavedModelBundle.Load(TestData.CopyModel(TestData.HalfPlusTwoTf2));
        var signature = bundle.GetSignature("serving_default");
        var outputs = signature.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<float>([1], 1) });
        Assert.Equal([2.5f], outputs["y"].ToArray<float>());
    }

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    public void RegressSignatureParsesSerializedExamples(string model)
    {
        var bundle = SavedModelBundle.Load(TestData.CopyModel(model));
        var examples = new[] { 1f, 2f, 5f }.Select(x => new Example
        {
            Features = new Features { Feature = { ["x"] = new Feature { FloatList = new FloatList { Value = { x } } }, ["x2"] = new Feature { FloatList = new FloatList { Value = { 0f } } } } },
        }.ToByteArray()).ToArray();
        var outputs = bundle.GetSignature("regress_x_to_y").Run(new Dictionary<string, Tensor> { ["inputs"] = Tensor.FromStrings(examples, 3) });
        Assert.Equal([2.5f, 3f, 4.5f], outputs["outputs"].ToArray<float>());
    }

    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    public void EveryOtherSignatureComputesItsFormula(string model)
    {
        // y2 = a*x + c, y3 = a*x2 + c, with a = 0.5 and c = 3 (testdata README); classify scores are y.
        var bundle = SavedModelBundle.Load(TestData.CopyModel(model));
        byte[] Example(float x, float x2) => new Example { Features = new Features { Feature =
        {
            ["x"] = new Feature { FloatList = new FloatList { Value = { x } } },
            ["x2"] = new Feature { FloatList = new FloatList { Value = { x2 } } },
        } } }.ToByteArray();
        var examples = Tensor.FromStrings([Example(1, 4), Example(2, 6)], 2);
        Assert.Equal([3.5f, 4f], bundle.GetSignature("regress_x_to_y2").Run(new Dictionary<string, Tensor> { ["inputs"] = examples })["outputs"].ToArray<float>());
        Assert.Equal([2.5f, 3f], bundle.GetSignature("classify_x_to_y").Run(new Dictionary<string, Tensor> { ["inputs"] = examples })["scores"].ToArray<float>());
        var x2 = bundle.GetSignature("regress_x2_to_y3").Inputs[0];
        Tensor x2Value = x2.Shape.Rank == 2 ? Tensor.FromArray<float>([4], 1, 1) : Tensor.FromArray<float>([4], 1);
        var y3 = bundle.GetSignature("regress_x2_to_y3").Run(new Dictionary<string, Tensor> { [x2.Key] = x2Value });
        Assert.Equal([5f], y3.Values.Single().ToArray<float>());
    }

    [Fact]
    public void WrongFeedsAreNamed()
    {
        var signature = SavedModelBundle.Load(TestData.CopyModel(TestData.HalfPlusTwoTf1)).GetSignature();
        Assert.Contains("no input 'z'", Assert.Throws<FeedException>(() => signature.Run(new Dictionary<string, Tensor> { ["z"] = Tensor.Scalar(1f) })).Message);
        Assert.Contains("is DT_FLOAT, got int32", Assert.Throws<FeedException>(() => signature.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray<int>([1], 1, 1) })).Message);
        Assert.Contains("has shape [?,1], got [3]", Assert.Throws<FeedException>(() => signature.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Vector(1f, 2f, 3f) })).Message);
    }
}

public class SaverGraphTests
{
    [Theory]
    [InlineData(TestData.HalfPlusTwoTf1)]
    [InlineData(TestData.HalfPlusTwoTf2)]
    [InlineData(TestData.HalfPlusThree)]
    public void TheModelsOwnSaverGraphWritesACheckpointThatReadsBack(string model)
    {
        // Run TensorFlow's own save subgraph (SaveV2; for TF2 also ShardedFilename, StringJoin,
        // StaticRegexFullMatch and MergeV2Checkpoints), as tf.train.Saver.save would.
        var bundle = SavedModelBundle.Load(TestData.CopyModel(model));
        var saver = bundle.MetaGraph.SaverDef;
        string prefix = Path.Combine(TempDirectory.Create(), "saved", "model.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(prefix)!);
        var written = bundle.Session.Run(new Dictionary<string, Tensor> { [saver.FilenameTensorName] = Tensor.Scalar(prefix) }, [saver.SaveTensorName]);
        Assert.Equal(prefix, System.Text.Encoding.UTF8.GetString(written[0].Strings[0]));

        using var original = Checkpoints.CheckpointReader.Open(bundle.Directory.VariablesPrefix);
        using var saved = Checkpoints.CheckpointReader.Open(prefix);
        var names = original.ListVariables().Select(v => v.Name).Where(n => n != Checkpoints.ObjectGraph.ObjectGraphKey).ToList();
        foreach (string name in names) Assert.True(original.Read(name).ContentEquals(saved.Read(name)), name);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(prefix)!));
    }
}
