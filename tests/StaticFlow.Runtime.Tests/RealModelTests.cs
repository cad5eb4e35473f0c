using StaticFlow.Checkpoints;
using StaticFlow.Formats.Bundles;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

/// <summary>The real TensorFlow-made SavedModels: their variables, protos and layouts.</summary>
public class RealModelTests
{
    public static TheoryData<string> Models => [.. TestData.AllModels];

    [Fact]
    public void Tf1HalfPlusTwoVariablesAreReadExactly()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        using var reader = CheckpointReader.Open(dir);
        Assert.False(reader.IsObjectBased);
        Assert.Equal(["a", "a2", "b", "c", "c2"], reader.ListVariables().Select(v => v.Name));
        Assert.All(reader.ListVariables(), v => Assert.Equal(("float32", "[]"), (v.DTypeName, v.Shape.ToString())));
        Assert.Equal(0.5f, Scalar(reader, "a"));
        Assert.Equal(2f, Scalar(reader, "b"));
        Assert.Equal(3f, Scalar(reader, "c"));
    }

    [Fact]
    public void Tf2HalfPlusTwoReadsObjectKeysAndTheObjectGraph()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusTwoTf2);
        using var reader = CheckpointReader.Open(dir);
        Assert.True(reader.IsObjectBased);
        Assert.Equal(
            ["_CHECKPOINTABLE_OBJECT_GRAPH", "a/.ATTRIBUTES/VARIABLE_VALUE", "b/.ATTRIBUTES/VARIABLE_VALUE", "c/.ATTRIBUTES/VARIABLE_VALUE"],
            reader.ListVariables().Select(v => v.Name));
        Assert.Equal(0.5f, Scalar(reader, "a/.ATTRIBUTES/VARIABLE_VALUE"));
        // Object paths resolve through the object graph to their keys.
        Assert.Equal(0.5f, Scalar(reader, "a"));
        Assert.Equal(2f, Scalar(reader, "b"));
        Assert.Equal(3f, Scalar(reader, "c"));
        var variables = reader.ObjectValues.Where(v => v.Attribute == ObjectGraph.VariableValue).ToDictionary(v => v.ObjectPath, v => v.CheckpointKey);
        Assert.Equal("a/.ATTRIBUTES/VARIABLE_VALUE", variables["a"]);
        Assert.Equal("c/.ATTRIBUTES/VARIABLE_VALUE", variables["c"]);
    }

    [Fact]
    public void HalfPlusThreeVariablesAreReadExactly()
    {
        string dir = TestData.CopyModel(TestData.HalfPlusThree);
        using var reader = CheckpointReader.Open(dir);
        Assert.Equal(["a", "b", "c"], reader.ListVariables().Select(v => v.Name));
        Assert.Equal(0.5f, Scalar(reader, "a"));
        Assert.Equal(3f, Scalar(reader, "b"));
        Assert.Equal(3f, Scalar(reader, "c"));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryTensorCrcVerifies(string model)
    {
        string dir = TestData.CopyModel(model);
        using var reader = TensorBundleReader.Open(Path.Combine(dir, "variables", "variables"));
        foreach (string name in reader.Names)
        {
            byte[] raw = reader.ReadRawBytes(name);
            Assert.Equal(reader.GetEntry(name).Size, raw.Length);
            Assert.NotNull(reader.Read(name));
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SavedModelProtoReserializesByteIdentically(string model)
    {
        string dir = TestData.CopyModel(model);
        byte[] original = File.ReadAllBytes(Path.Combine(dir, "saved_model.pb"));
        var opened = SavedModelDirectory.Open(dir);
        Assert.Equal(original, opened.Serialize());

        // The canonical serialization always parses back to the same model...
        byte[] canonical = Google.Protobuf.MessageExtensions.ToByteArray(opened.Model);
        Assert.Equal(opened.Model, SavedModel.Parser.ParseFrom(canonical));
        // ...and is the file's own bytes for the TF1 files, written by C++ in field-number order. TF 2.14's
        // Python writer puts some fields in reverse order (object_graph_def before meta_info_def), legal
        // protobuf that no canonical serializer reproduces.
        if (model != TestData.HalfPlusTwoTf2) Assert.Equal(original, canonical);
        else Assert.NotEqual(original, canonical);

        // Once changed, the model serializes canonically.
        opened.Model.MetaGraphs[0].MetaInfoDef.Tags.Add("train");
        Assert.Equal(Google.Protobuf.MessageExtensions.ToByteArray(opened.Model), opened.Serialize());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SavedModelSurvivesTextFormatRoundTrip(string model)
    {
        string dir = TestData.CopyModel(model);
        var original = SavedModelDirectory.Open(dir).Model;
        string text = Formats.Text.TextFormat.Print(original);
        var reparsed = Formats.Text.TextFormat.Parse<SavedModel>(text);
        Assert.Equal(original, reparsed);

        // And a directory holding saved_model.pbtxt instead opens to the same model.
        File.Delete(Path.Combine(dir, "saved_model.pb"));
        File.WriteAllText(Path.Combine(dir, "saved_model.pbtxt"), text);
        Assert.Equal(original, SavedModelDirectory.Open(dir).Model);
    }

    [Fact]
    public void Tf2ModelHasFingerprintAndTf1ModelsDoNot()
    {
        var tf2 = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf2));
        Assert.NotNull(tf2.Fingerprint);
        Assert.NotEqual(0UL, tf2.Fingerprint!.SavedModelChecksum);
        Assert.NotEqual(0UL, tf2.Fingerprint.CheckpointHash);
        Assert.Null(SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1)).Fingerprint);
    }

    [Fact]
    public void Tf1ModelSignaturesAndSaverDefAreRead()
    {
        var model = SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1));
        var metaGraph = model.GetMetaGraph("serve");
        Assert.Equal(
            ["classify_x_to_y", "regress_x2_to_y3", "regress_x_to_y", "regress_x_to_y2", "serving_default"],
            metaGraph.SignatureDef.Keys.Order(StringComparer.Ordinal));
        var serving = metaGraph.SignatureDef["serving_default"];
        Assert.Equal("x:0", serving.Inputs["x"].Name);
        Assert.Equal("y:0", serving.Outputs["y"].Name);
        Assert.Equal(SaverDef.Types.CheckpointFormatVersion.V2, metaGraph.SaverDef.Version);
        Assert.True(model.HasVariables);
        Assert.True(File.Exists(Path.Combine(model.AssetsDirectory, "foo.txt")));
        Assert.Contains(metaGraph.GraphDef.Node, n => n.Op == "RestoreV2");
    }

    [Fact]
    public void ServingBaseDirectoryOpensTheNewestVersion()
    {
        string version = TestData.CopyModel(TestData.HalfPlusTwoTf1);
        string baseDir = Path.GetDirectoryName(version)!;
        TestData.CopyDirectory(version, Path.Combine(baseDir, "7"));
        File.WriteAllText(Path.Combine(baseDir, "not-a-version.txt"), "");
        Assert.Equal(Path.Combine(baseDir, "00000123"), SavedModelDirectory.Open(baseDir).Path);
        Assert.Equal(Path.Combine(baseDir, "124"), ServingVersions.Next(baseDir));
    }

    private static float Scalar(CheckpointReader reader, string name)
    {
        Tensor t = reader.Read(name);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(0, t.Shape.Rank);
        return t.AsSpan<float>()[0];
    }
}
