using System.Numerics;
using StaticFlow.Tensors;

namespace StaticFlow;

// String ops (tf.strings): what Keras' text preprocessing and feature columns run.
public static partial class Ops
{
    private static Tensor[] In(Tensor<TString> strings) => [strings.Untyped];

    private static Tensor[] In(string text) => [Tensor.Scalar(text)];

    /// <summary>Lower-cases each string: ASCII letters only, or every letter when <paramref name="encoding"/> is <c>"utf-8"</c> (<c>tf.strings.lower</c>).</summary>
    [OpMethod("StringLower")]
    public static Tensor<TString> StringLower(Tensor<TString> input, string encoding = "") => One<TString>("StringLower", [In(input)], ("encoding", AttrValues.Of(encoding)));

    /// <summary>Upper-cases each string: ASCII letters only, or every letter when <paramref name="encoding"/> is <c>"utf-8"</c>.</summary>
    [OpMethod("StringUpper")]
    public static Tensor<TString> StringUpper(Tensor<TString> input, string encoding = "") => One<TString>("StringUpper", [In(input)], ("encoding", AttrValues.Of(encoding)));

    /// <summary>Strips leading and trailing ASCII whitespace from each string.</summary>
    [OpMethod("StringStrip")]
    public static Tensor<TString> StringStrip(Tensor<TString> input) => One<TString>("StringStrip", [In(input)]);

    /// <summary>The length of each string in bytes, or in Unicode characters when <paramref name="unit"/> is <c>"UTF8_CHAR"</c>.</summary>
    [OpMethod("StringLength")]
    public static Tensor<int> StringLength(Tensor<TString> input, string unit = "BYTE") => One<int>("StringLength", [In(input)], ("unit", AttrValues.Of(unit)));

    /// <summary>The part of each string from <paramref name="pos"/> (negative: from the end) of at most <paramref name="len"/> bytes or characters.</summary>
    [OpMethod("Substr")]
    public static Tensor<TString> Substr(Tensor<TString> input, Tensor<int> pos, Tensor<int> len, string unit = "BYTE") =>
        One<TString>("Substr", [In(input), In(pos.Untyped), In(len.Untyped)], ("T", AttrValues.Of(DType.Int32)), ("unit", AttrValues.Of(unit)));

    /// <summary>Parses each string as a number of type <typeparamref name="T"/> (float, double, int or long); a string that is not one is an error naming it.</summary>
    [OpMethod("StringToNumber")]
    public static Tensor<T> StringToNumber<T>(Tensor<TString> input) where T : unmanaged, INumber<T> =>
        One<T>("StringToNumber", [In(input)], ("out_type", AttrValues.Of(DTypes.Of<T>())));

    /// <summary>Formats each element as text, as <c>tf.strings.as_string</c> (floats as C's <c>%f</c> unless <paramref name="precision"/> or the flags say otherwise).</summary>
    [OpMethod("AsString")]
    public static Tensor<TString> AsString<T>(Tensor<T> input, int precision = -1, bool scientific = false, bool shortest = false, int width = -1, string fill = "") where T : unmanaged =>
        One<TString>("AsString", [In(input.Untyped)], ("T", AttrValues.Of(DTypes.Of<T>())), ("precision", AttrValues.Of(precision)), ("scientific", AttrValues.Of(scientific)),
            ("shortest", AttrValues.Of(shortest)), ("width", AttrValues.Of(width)), ("fill", AttrValues.Of(fill)));

    /// <summary>Replaces the matches of the RE2 <paramref name="pattern"/> in each string by <paramref name="rewrite"/> (<c>\1</c> for groups), all or the first (<c>tf.strings.regex_replace</c>).</summary>
    [OpMethod("StaticRegexReplace")]
    public static Tensor<TString> RegexReplace(Tensor<TString> input, string pattern, string rewrite, bool replaceGlobal = true) =>
        One<TString>("StaticRegexReplace", [In(input)], ("pattern", AttrValues.Of(pattern)), ("rewrite", AttrValues.Of(rewrite)), ("replace_global", AttrValues.Of(replaceGlobal)));

    /// <summary>Whether each whole string matches the RE2 <paramref name="pattern"/>.</summary>
    [OpMethod("StaticRegexFullMatch")]
    public static Tensor<bool> RegexFullMatch(Tensor<TString> input, string pattern) => One<bool>("StaticRegexFullMatch", [In(input)], ("pattern", AttrValues.Of(pattern)));

    /// <summary>Hashes each string into one of <paramref name="numBuckets"/> buckets with TensorFlow's Fingerprint64 (Keras' <c>Hashing</c> layer).</summary>
    [OpMethod("StringToHashBucketFast")]
    public static Tensor<long> StringToHashBucketFast(Tensor<TString> input, int numBuckets) =>
        One<long>("StringToHashBucketFast", [In(input)], ("num_buckets", AttrValues.Of(numBuckets)));

    /// <summary>Joins the strings of <paramref name="inputs"/> elementwise (with broadcasting of scalars) with <paramref name="separator"/> between them.</summary>
    [OpMethod("StringJoin")]
    public static Tensor<TString> StringJoin(Tensor<TString>[] inputs, string separator = "") =>
        One<TString>("StringJoin", [In(inputs)], ("separator", AttrValues.Of(separator)));

    /// <summary>
    /// Keras' <c>StringLookup(vocabulary=...)</c>: each string's index in <paramref name="vocabulary"/> counted from 1,
    /// and 0 for a string not in it (the one out-of-vocabulary index). In a graph function it is what Keras exports: a
    /// <c>HashTableV2</c> filled by <c>InitializeTableV2</c> from the vocabulary as constants, queried with
    /// <c>LookupTableFindV2</c>; the vocabulary must then be a constant array.
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary repeats a string.</exception>
    public static Tensor<long> StringLookup(Tensor<TString> input, string[] vocabulary)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(vocabulary);
        // The array may have changed since the table was made from it: a copy of its words says.
        if (!s_vocabularies.TryGetValue(vocabulary, out var cached) || !cached.Words.AsSpan().SequenceEqual(vocabulary))
        {
            var created = new Execution.LookupTable(DType.String, DType.Int64, mutable: false);
            var (keys, values) = Vocabulary(vocabulary);
            try { created.Initialize(keys, values); }
            catch (InvalidOperationException e) { throw new ArgumentException(e.Message, nameof(vocabulary), e); }
            cached = new VocabularyTable([.. vocabulary], created);
            s_vocabularies.AddOrUpdate(vocabulary, cached);
        }
        return new Tensor<long>(cached.Table.Find(input.Untyped, Tensor.Scalar(0L)));
    }

    /// <summary>The table's keys and values for <see cref="StringLookup"/>: the words, and their indices from 1.</summary>
    internal static (Tensor Keys, Tensor Values) Vocabulary(string[] words) =>
        (Tensor.FromStrings([.. words.Select(System.Text.Encoding.UTF8.GetBytes)], words.Length),
         Tensor.FromArray<long>([.. Enumerable.Range(1, words.Length).Select(i => (long)i)], words.Length));

    // One table per vocabulary array, for as long as the array lives (eager calls reuse it).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string[], VocabularyTable> s_vocabularies = new();

    private sealed record VocabularyTable(string[] Words, Execution.LookupTable Table);

    /// <summary>
    /// Splits each string of a vector at <paramref name="separator"/> (at runs of whitespace when it is empty), at most
    /// <paramref name="maxsplit"/> times (-1: no limit), as a sparse matrix: one row per string, the pieces as its values
    /// (<c>tf.strings.split</c>, which Keras' <c>TextVectorization</c> calls).
    /// </summary>
    [OpMethod("StringSplitV2")]
    public static (Tensor<long> Indices, Tensor<TString> Values, Tensor<long> Shape) StringSplit(Tensor<TString> input, string separator = "", int maxsplit = -1)
    {
        var outputs = EagerExecutor.Execute("StringSplitV2", [In(input), In(separator)], [("maxsplit", AttrValues.Of(maxsplit))], [DType.Int64, DType.String, DType.Int64]);
        return (new Tensor<long>(outputs[0]), new Tensor<TString>(outputs[1]), new Tensor<long>(outputs[2]));
    }
}
