using System.Text;
using StaticFlow.Formats.Hashing;
using StaticFlow.Graphs;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>The string ops Keras text preprocessing and feature columns export, on values from TensorFlow's documentation.</summary>
public class StringKernelTests
{
    private static string[] Texts(Tensor t) => [.. t.Strings.ToArray().Select(b => Encoding.UTF8.GetString(b))];

    [Fact]
    public void CaseStripAndLength()
    {
        var words = Strings("Hello", "ÇA VA", "  padded\t");
        Assert.Equal(["hello", "Ça va", "  padded\t"], Texts(RunOne("StringLower", [words])));
        Assert.Equal(["hello", "ça va", "  padded\t"], Texts(RunOne("StringLower", [words], ("encoding", Str("utf-8")))));
        Assert.Equal(["HELLO", "ÇA VA", "  PADDED\t"], Texts(RunOne("StringUpper", [words])));
        Assert.Equal(["Hello", "ÇA VA", "padded"], Texts(RunOne("StringStrip", [words])));
        Assert.Equal([5, 6, 9], RunOne("StringLength", [words]).ToArray<int>());
        Assert.Equal([5, 5, 9], RunOne("StringLength", [words], ("unit", Str("UTF8_CHAR"))).ToArray<int>());
    }

    [Fact]
    public void SubstrTakesBytesFromAPosition()
    {
        var words = Strings("Hello", "World");
        var i32 = ("T", Type(DType.Int32));
        Assert.Equal(["ell", "orl"], Texts(RunOne("Substr", [words, Tensor.Scalar(1), Tensor.Scalar(3)], i32)));
        Assert.Equal(["lo", "d"], Texts(RunOne("Substr", [words, Tensor.Vector(-2, -1), Tensor.Vector(5, 5)], i32)));
        Assert.Contains("out of range", Assert.Throws<GraphException>(() => RunOne("Substr", [words, Tensor.Scalar(6), Tensor.Scalar(1)], i32)).Message);
    }

    [Fact]
    public void NumbersToAndFromStrings()
    {
        Assert.Equal([1.5f, -2e3f, float.PositiveInfinity], RunOne("StringToNumber", [Strings("1.5", " -2e3 ", "inf")], ("out_type", Type(DType.Float32))).ToArray<float>());
        Assert.Equal([42L, -7L], RunOne("StringToNumber", [Strings("42", "-7")], ("out_type", Type(DType.Int64))).ToArray<long>());
        // int64 parses exactly (not through a double), and narrower integers keep their range.
        Assert.Equal([9007199254740993L], RunOne("StringToNumber", [Strings("9007199254740993")], ("out_type", Type(DType.Int64))).ToArray<long>());
        Assert.Equal([(sbyte)-128], RunOne("StringToNumber", [Strings("-128")], ("out_type", Type(DType.Int8))).ToArray<sbyte>());
        Assert.Contains("'128' to int8", Assert.Throws<GraphException>(() => RunOne("StringToNumber", [Strings("128")], ("out_type", Type(DType.Int8)))).Message);
        var error = Assert.Throws<GraphException>(() => RunOne("StringToNumber", [Strings("4x2")], ("out_type", Type(DType.Int32))));
        Assert.Equal(("op", "StringToNumber"), (error.NodeName, error.Op));
        Assert.Contains("'4x2'", error.Message);
        // tf.strings.as_string writes floats as C's %f: six decimals.
        Assert.Equal(["3.140000", "-0.500000"], Texts(RunOne("AsString", [Tensor.Vector(3.14f, -0.5f)], ("T", Type(DType.Float32)))));
        Assert.Equal(["3.1"], Texts(RunOne("AsString", [Tensor.Vector(3.14)], ("T", Type(DType.Float64)), ("precision", Int(1)))));
        Assert.Equal(["12", "-3"], Texts(RunOne("AsString", [Tensor.Vector(12, -3)], ("T", Type(DType.Int32)))));
        Assert.Equal(["true", "false"], Texts(RunOne("AsString", [Tensor.Vector(true, false)], ("T", Type(DType.Bool)))));
    }

    [Fact]
    public void RegexReplaceRewritesGroupsAsRe2Does()
    {
        var input = Strings("2024-01-31", "no date");
        Assert.Equal(["31/01/2024", "no date"], Texts(RunOne("StaticRegexReplace", [input], ("pattern", Str(@"(\d+)-(\d+)-(\d+)")), ("rewrite", Str(@"\3/\2/\1")))));
        Assert.Equal(["X-01-31", "no date"], Texts(RunOne("RegexReplace", [input, Tensor.Scalar(@"\d+"), Tensor.Scalar("X")], ("replace_global", Bool(false)))));
        Assert.Equal(["$-$-$", "no date"], Texts(RunOne("RegexReplace", [input, Tensor.Scalar(@"\d+"), Tensor.Scalar("$")])));
        Assert.Contains("not a regular expression", Assert.Throws<GraphException>(() => RunOne("StaticRegexReplace", [input], ("pattern", Str("(")), ("rewrite", Str("")))).Message);
    }

    [Fact]
    public void HashBucketsAreFarmHashFingerprintsModuloTheCount()
    {
        var words = Strings("Pad", "Hello", "");
        long[] buckets = RunOne("StringToHashBucketFast", [words], ("num_buckets", Int(1000))).ToArray<long>();
        Assert.Equal([.. new[] { "Pad", "Hello", "" }.Select(w => (long)(FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(w)) % 1000))], buckets);
        Assert.All(buckets, b => Assert.InRange(b, 0, 999));
    }

    [Fact]
    public void SplitV2GivesASparseTensorOfParts()
    {
        // tf.strings.split(["hello world", "a b c"]) as StringSplitV2 computes it.
        var parts = RunOp("StringSplitV2", [Strings("hello world", " a  b c "), Tensor.Scalar("")], 3);
        Assert.Equal([0L, 0L, 0L, 1L, 1L, 0L, 1L, 1L, 1L, 2L], parts[0].ToArray<long>());
        Assert.Equal(["hello", "world", "a", "b", "c"], Texts(parts[1]));
        Assert.Equal([2L, 3L], parts[2].ToArray<long>());
        var bySeparator = RunOp("StringSplitV2", [Strings("1,,2"), Tensor.Scalar(",")], 3);
        Assert.Equal(["1", "", "2"], Texts(bySeparator[1]));
        var limited = RunOp("StringSplitV2", [Strings("a,b,c"), Tensor.Scalar(",")], 3, ("maxsplit", Int(1)));
        Assert.Equal(["a", "b,c"], Texts(limited[1]));
    }
}
