using StaticFlow.Formats.Text;
using StaticFlow.Protos;

namespace StaticFlow.Tests;

public class TextFormatTests
{
    [Fact]
    public void ParsesWhatTensorFlowPrints()
    {
        const string text = """
            # A GraphDef as tf.io.write_graph(as_text=True) writes it.
            node {
              name: "Const"
              op: "Const"
              attr {
                key: "dtype"
                value { type: DT_FLOAT }
              }
              attr {
                key: "value"
                value {
                  tensor {
                    dtype: DT_FLOAT
                    tensor_shape { dim { size: 2 } }
                    float_val: 1.5
                    float_val: -inf
                  }
                }
              }
            }
            node < name: 'y' op: "Identity" input: ["Const"] device: "/device:GPU:0" >
            versions { producer: 1645 min_consumer: 12 }
            """;
        var graph = TextFormat.Parse<GraphDef>(text);
        Assert.Equal(2, graph.Node.Count);
        Assert.Equal(DataType.DtFloat, graph.Node[0].Attr["dtype"].Type);
        Assert.Equal([1.5f, float.NegativeInfinity], graph.Node[0].Attr["value"].Tensor.FloatVal);
        Assert.Equal("Const", graph.Node[1].Input[0]);
        Assert.Equal(1645, graph.Versions.Producer);
        Assert.Equal(graph, TextFormat.Parse<GraphDef>(TextFormat.Print(graph)));
    }

    [Fact]
    public void BytesEscapeAndUnescapeExactly()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var proto = new TensorProto { Dtype = DataType.DtString, StringVal = { Google.Protobuf.ByteString.CopyFrom(all) } };
        string printed = TextFormat.Print(proto);
        Assert.Contains("\\000\\001", printed);
        Assert.Equal(all, TextFormat.Parse<TensorProto>(printed).StringVal[0].ToByteArray());
        Assert.Equal("ab\n"u8.ToArray(), TextFormat.Parse<TensorProto>("string_val: 'a' \"b\\x0a\"").StringVal[0].ToByteArray());
    }

    [Theory]
    [InlineData("node { name: \"x\" ", "line 1")]
    [InlineData("nodes { }", "no field named 'nodes'")]
    [InlineData("versions { producer: 99999999999 }", "out of range")]
    [InlineData("node { name: x }", "expected a quoted string")]
    [InlineData("node { attr { key: \"a\" value { type: DT_NOPE } } }", "has no value 'DT_NOPE'")]
    public void ErrorsSayWhereAndWhy(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => TextFormat.Parse<GraphDef>(text)).Message);

    [Fact]
    public void DeepNestingIsRefusedRatherThanOverflowingTheStack()
    {
        string deep = string.Concat(Enumerable.Repeat("list { func { attr { key: \"a\" value { ", 400));
        Assert.Throws<FormatException>(() => TextFormat.Parse<AttrValue>(deep));
    }
}

public class TextFormatFuzzTests
{
    [Fact]
    public void DamagedTextGivesOnlyFormatErrors()
    {
        string text = Formats.Text.TextFormat.Print(SavedModels.SavedModelDirectory.Open(TestData.CopyModel(TestData.HalfPlusTwoTf1)).Model);
        int trials = int.TryParse(Environment.GetEnvironmentVariable("STATICFLOW_FUZZ_TRIALS"), out int t) ? t : 200;
        var random = new Random(23 + trials);
        const string alphabet = "{}<>[]:,;\"'\\#\n 0123456789abcxyz-.eE_";
        int rejected = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            char[] damaged = text.ToCharArray();
            for (int i = 0, edits = 1 + random.Next(5); i < edits; i++) damaged[random.Next(damaged.Length)] = alphabet[random.Next(alphabet.Length)];
            string candidate = trial % 4 == 3 ? new string(damaged, 0, random.Next(damaged.Length)) : new string(damaged);
            try { Formats.Text.TextFormat.Parse<SavedModel>(candidate); }
            catch (FormatException) { rejected++; }
        }
        Assert.True(rejected > trials / 4, $"only {rejected} of {trials} damaged texts were rejected");
    }
}
