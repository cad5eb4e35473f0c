using System.Reflection;
using StaticFlow.Tensors;

namespace StaticFlow.Generator.Tests;

/// <summary>String tensors (<c>Tensor&lt;TString&gt;</c>) in graph functions: the tf.strings ops Keras' text layers run, eagerly and as graphs.</summary>
public class StringFunctionTests
{
    private const string Source = """
        using StaticFlow;

        namespace Models;

        [GraphModule]
        public partial class Text
        {
            // Keras' Hashing layer after standardization: strip, lower-case, drop punctuation, hash into buckets.
            [GraphFunction(Signature = "serving_default")]
            public Tensor<long> Buckets([Shape(-1)] Tensor<TString> words) =>
                Ops.StringToHashBucketFast(Ops.RegexReplace(Ops.StringLower(Ops.StringStrip(words), encoding: "utf-8"), "[^\\w\\s]", ""), 1000);

            [GraphFunction]
            public Tensor<TString> Label([Shape(-1)] Tensor<TString> names, [Shape(-1)] Tensor<float> scores) =>
                Ops.StringJoin([Ops.StringUpper(names), Ops.AsString(scores, precision: 2)], separator: "=");

            [GraphFunction]
            public Tensor<float> Parse([Shape(-1)] Tensor<TString> text)
            {
                var digits = Ops.RegexReplace(text, "[^0-9.\\-]", "");
                var lengths = Ops.Cast<float>(Ops.StringLength(text, unit: "UTF8_CHAR"));
                return Ops.StringToNumber<float>(digits) + lengths * 0f;
            }

            [GraphFunction]
            public (Tensor<long> Indices, Tensor<TString> Pieces, Tensor<long> Shape) Tokens([Shape(-1)] Tensor<TString> lines) => Ops.StringSplit(lines, " ");

            private static readonly string[] Animals = ["cat", "dog", "fish"];

            // Keras' StringLookup: indices from 1, 0 for a word outside the vocabulary; two tables in one function.
            [GraphFunction(Signature = "ids")]
            public Tensor<long> Ids([Shape(-1)] Tensor<TString> words) => Ops.StringLookup(Ops.StringLower(words), Animals) + Ops.StringLookup(words, ["x"]) * 10;

            // String constants: a greeting joined to each name.
            [GraphFunction]
            public Tensor<TString> Greet([Shape(-1)] Tensor<TString> names) =>
                Ops.StringJoin([StringTensors.Scalar("hello"), names, StringTensors.Scalar("!")], separator: " ");

            [GraphFunction]
            public Tensor<TString> Pairs([Shape(2)] Tensor<TString> tails) => Ops.StringJoin([StringTensors.From(["a", "b"]), StringTensors.From(["c", "d"], 2), tails], separator: "-");

            [GraphFunction]
            public Tensor<bool> IsNumber([Shape(-1)] Tensor<TString> text) => Ops.RegexFullMatch(Ops.Substr(text, 0, 3), "[0-9]+");
        }
        """;

    private static readonly Lazy<Assembly> s_assembly = new(() => GeneratorHost.Build(Source));

    private static IGraphModule Create() => (IGraphModule)Activator.CreateInstance(s_assembly.Value.GetType("Models.Text")!)!;

    [Fact]
    public void StringOpsAgreeEagerlyAndAsGraphs()
    {
        var module = Create();
        var words = StringTensors.From(["  Hello!", "WORLD", "héllo", "hello"]);
        long[] eager = ((Tensor<long>)GeneratorHost.Invoke(module, "Buckets", words)).ToArray(), graph = ((Tensor<long>)GeneratorHost.Invoke(module, "BucketsGraph", words)).ToArray();
        Assert.Equal(eager, graph);
        Assert.Equal(eager[0], eager[3]);  // "  Hello!" standardizes to "hello"
        Assert.All(eager, b => Assert.InRange(b, 0, 999));

        var names = StringTensors.From(["ab", "c"]);
        var scores = Tensor<float>.From([0.5f, 2.25f], 2);
        Assert.Equal(["AB=0.50", "C=2.25"], ((Tensor<TString>)GeneratorHost.Invoke(module, "LabelGraph", names, scores)).ToStrings());
        Assert.Equal(["AB=0.50", "C=2.25"], ((Tensor<TString>)GeneratorHost.Invoke(module, "Label", names, scores)).ToStrings());

        var text = StringTensors.From(["x=1.5", "-2e", "7 kg"]);
        Assert.Equal([1.5f, -2f, 7f], ((Tensor<float>)GeneratorHost.Invoke(module, "ParseGraph", text)).ToArray());
        Assert.Equal([1.5f, -2f, 7f], ((Tensor<float>)GeneratorHost.Invoke(module, "Parse", text)).ToArray());

        var lines = StringTensors.From(["a b", "c"]);
        foreach (string method in new[] { "Tokens", "TokensGraph" })
        {
            var (indices, pieces, shape) = ((Tensor<long>, Tensor<TString>, Tensor<long>))GeneratorHost.Invoke(module, method, lines);
            Assert.Equal([0L, 0, 0, 1, 1, 0], indices.ToArray());
            Assert.Equal(["a", "b", "c"], pieces.ToStrings());
            Assert.Equal([2L, 2], shape.ToArray());
        }

        var animals = StringTensors.From(["Dog", "cat", "zebra", "x"]);
        Assert.Equal([2L, 1, 0, 10], ((Tensor<long>)GeneratorHost.Invoke(module, "Ids", animals)).ToArray());
        Assert.Equal([2L, 1, 0, 10], ((Tensor<long>)GeneratorHost.Invoke(module, "IdsGraph", animals)).ToArray());
        Assert.Equal([2L, 1, 0, 10], ((Tensor<long>)GeneratorHost.Invoke(module, "IdsGraph", animals)).ToArray());
        Assert.Contains("different value for same key", Assert.Throws<ArgumentException>(() => Ops.StringLookup(animals, ["a", "b", "a"])).Message, StringComparison.Ordinal);
        // Eagerly the table follows the array it was made from.
        string[] vocabulary = ["cat"];
        Assert.Equal([1L, 0, 0, 0], Ops.StringLookup(StringTensors.From(["cat", "dog", "x", "y"]), vocabulary).ToArray());
        vocabulary[0] = "dog";
        Assert.Equal([0L, 1, 0, 0], Ops.StringLookup(StringTensors.From(["cat", "dog", "x", "y"]), vocabulary).ToArray());

        var people = StringTensors.From(["ada", "alan"]);
        Assert.Equal(["hello ada !", "hello alan !"], ((Tensor<TString>)GeneratorHost.Invoke(module, "GreetGraph", people)).ToStrings());
        Assert.Equal(["hello ada !", "hello alan !"], ((Tensor<TString>)GeneratorHost.Invoke(module, "Greet", people)).ToStrings());
        Assert.Equal(["a-c-x", "b-d-y"], ((Tensor<TString>)GeneratorHost.Invoke(module, "PairsGraph", StringTensors.From(["x", "y"]))).ToStrings());
        Assert.Equal(["a-c-x", "b-d-y"], ((Tensor<TString>)GeneratorHost.Invoke(module, "Pairs", StringTensors.From(["x", "y"]))).ToStrings());

        var mixed = StringTensors.From(["123abc", "12", "x12"]);
        Assert.Equal([true, true, false], ((Tensor<bool>)GeneratorHost.Invoke(module, "IsNumberGraph", mixed)).ToArray());
        Assert.Equal([true, true, false], ((Tensor<bool>)GeneratorHost.Invoke(module, "IsNumber", mixed)).ToArray());
    }

    [Fact]
    public void AStringSignatureExportsAndReloads()
    {
        var module = Create();
        string directory = module.ExportSavedModel(Path.Combine(StaticFlow.Tests.TempDirectory.Create(), "text"));
        var bundle = StaticFlow.SavedModels.SavedModelBundle.Load(directory);
        var words = StringTensors.From(["Hello", "world"]);
        var signature = bundle.GetSignature();
        var loaded = signature.Run(new Dictionary<string, Tensor> { ["words"] = words.Untyped }).Values.Single();
        Assert.Equal(((Tensor<long>)GeneratorHost.Invoke(module, "Buckets", words)).ToArray(), loaded.ToArray<long>());
        // The lookup runs from the SavedModel too: its table is made and filled inside the exported function.
        var ids = bundle.GetSignature("ids").Run(new Dictionary<string, Tensor> { ["words"] = StringTensors.From(["fish", "x", "cow"]).Untyped }).Values.Single();
        Assert.Equal([3L, 10, 0], ids.ToArray<long>());
        Assert.Equal(2, module.Definition.ToGraphDef().Node.Count(n => n.Op == "HashTableV2" && n.Name.StartsWith("Ids/", StringComparison.Ordinal)));
        // The separator of the split is a string constant in the graph (string_val), as TensorFlow writes one.
        var split = module.Definition.ToGraphDef().Node.Single(n => n.Op == "StringSplitV2" && n.Name.StartsWith("Tokens/", StringComparison.Ordinal));
        var separator = module.Definition.ToGraphDef().Node.Single(n => n.Name == split.Input[1]);
        Assert.Equal(" ", separator.Attr["value"].Tensor.StringVal.Single().ToStringUtf8());
    }
}
