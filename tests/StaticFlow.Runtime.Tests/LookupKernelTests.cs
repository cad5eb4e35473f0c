using System.Text;
using StaticFlow.Execution;
using StaticFlow.Graphs;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// Lookup tables as Keras' StringLookup/IntegerLookup layers and TF1's <c>index_table_from_file</c> export them: a
/// table resource filled by an init op, then queried by <c>LookupTableFindV2</c>; semantics from TensorFlow's
/// <c>lookup_ops_test.py</c>.
/// </summary>
public sealed class LookupKernelTests
{
    // The test run's own temporary folder (TempDirectory), removed when the process exits.
    private readonly string _folder = TempDirectory.Create();

    private static string[] Texts(Tensor t) => [.. t.Strings.ToArray().Select(b => Encoding.UTF8.GetString(b))];

    private static NodeDef Table(string name, string op, DType keys, DType values, string shared = "") =>
        Node(name, op, null, ("key_dtype", Type(keys)), ("value_dtype", Type(values)), ("shared_name", Str(shared)));

    private static GraphSession Session(IEnumerable<NodeDef> nodes, SessionOptions? options = null) => new(GraphImporter.Import(Graph([.. nodes])), options);

    private static (string, AttrValue)[] Types(string keys, DType k, string values, DType v) => [(keys, Type(k)), (values, Type(v))];

    [Fact]
    public void AStringLookupMapsKnownWordsAndGivesTheDefaultForOthers()
    {
        var session = Session([
            Table("table", "HashTableV2", DType.String, DType.Int64, shared: "hash_table_vocab"),
            Const("vocab", Strings("a", "b", "c", "ünï")), Const("ids", Tensor.Vector(0L, 1, 2, 3)),
            Node("init", "InitializeTableV2", ["table", "vocab", "ids"], Types("Tkey", DType.String, "Tval", DType.Int64)),
            Node("words", "Placeholder", null, ("dtype", Type(DType.String))), Const("oov", Tensor.Scalar(-1L)),
            Node("lookup", "LookupTableFindV2", ["table", "words", "oov"], Types("Tin", DType.String, "Tout", DType.Int64)),
            Node("size", "LookupTableSizeV2", ["table"]),
            Node("export", "LookupTableExportV2", ["table"], Types("Tkeys", DType.String, "Tvalues", DType.Int64))]);
        var words = Tensor.FromStrings([.. new[] { "a", "zz", "ünï", "b" }.Select(Encoding.UTF8.GetBytes)], 2, 2);
        var feeds = new Dictionary<string, Tensor> { ["words"] = words };

        var error = Assert.Throws<GraphException>(() => session.Run(feeds, ["lookup"]));
        Assert.Equal(("lookup", "LookupTableFindV2"), (error.NodeName, error.Op));
        Assert.Contains("Table not initialized", error.Message, StringComparison.Ordinal);

        session.Run(null, [], ["init"]);
        session.Run(null, [], ["init"]);  // the same data again is allowed, as in TensorFlow
        var found = session.Run(feeds, ["lookup", "size", "export:0", "export:1"]);
        Assert.Equal(new TensorShape(2, 2), found[0].Shape);
        Assert.Equal([0L, -1, 3, 1], found[0].ToArray<long>());
        Assert.Equal(4L, found[1].ToArray<long>()[0]);
        var exported = Texts(found[2]).Zip(found[3].ToArray<long>()).OrderBy(p => p.Second).Select(p => p.First);
        Assert.Equal(["a", "b", "c", "ünï"], exported);
    }

    [Fact]
    public void AnIntegerLookupTakesPerKeyDefaults()
    {
        var result = Session([
            Table("table", "HashTableV2", DType.Int64, DType.Float32),
            Const("keys", Tensor.Vector(10L, 20, 30)), Const("values", Tensor.Vector(1f, 2f, 3f)),
            Node("init", "InitializeTableV2", ["table", "keys", "values"], Types("Tkey", DType.Int64, "Tval", DType.Float32)),
            Const("query", Tensor.Vector(30L, 5, 10)), Const("defaults", Tensor.Vector(-1f, -2f, -3f)),
            Node("lookup", "LookupTableFindV2", ["table", "query", "defaults", "^init"], Types("Tin", DType.Int64, "Tout", DType.Float32))]).Run(null, ["lookup"]);
        Assert.Equal([3f, -2f, 1f], result[0].ToArray<float>());
    }

    [Theory]
    [InlineData("conflict", "different value for same key: key 'a' has 0 and trying to add value 1")]
    [InlineData("wrong_keys", "the keys are int64 but the table's are string")]
    [InlineData("insert", "not mutable")]
    [InlineData("reinit", "already initialized with different data")]
    public void BadTableUseIsAGraphExceptionNamingTheNode(string node, string reason)
    {
        var session = Session([
            Table("table", "HashTableV2", DType.String, DType.Int64),
            Const("vocab", Strings("a", "b")), Const("ids", Tensor.Vector(0L, 1)), Const("other_ids", Tensor.Vector(5L, 6)),
            Const("twice", Strings("a", "a")), Const("numbers", Tensor.Vector(1L, 2)),
            Node("init", "InitializeTableV2", ["table", "vocab", "ids"], Types("Tkey", DType.String, "Tval", DType.Int64)),
            Node("conflict", "InitializeTableV2", ["table", "twice", "ids"], Types("Tkey", DType.String, "Tval", DType.Int64)),
            Node("reinit", "InitializeTableV2", ["table", "vocab", "other_ids", "^init"], Types("Tkey", DType.String, "Tval", DType.Int64)),
            Const("oov", Tensor.Scalar(-1L)),
            Node("wrong_keys", "LookupTableFindV2", ["table", "numbers", "oov", "^init"], Types("Tin", DType.Int64, "Tout", DType.Int64)),
            Node("insert", "LookupTableInsertV2", ["table", "vocab", "ids"], Types("Tin", DType.String, "Tout", DType.Int64))]);
        var error = Assert.ThrowsAny<GraphException>(() => session.Run(null, [], [node]));
        Assert.Equal(node, error.NodeName);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMutableTableInsertsRemovesImportsAndExports()
    {
        var types = Types("Tin", DType.String, "Tout", DType.Int32);
        var session = Session([
            Table("table", "MutableHashTableV2", DType.String, DType.Int32, shared: "shared_mutable"),
            Const("keys", Strings("x", "y")), Const("values", Tensor.Vector(7, 8)), Const("more", Tensor.Vector(70, 80)),
            Node("insert", "LookupTableInsertV2", ["table", "keys", "values"], types),
            Node("overwrite", "LookupTableInsertV2", ["table", "keys", "more"], types),
            Const("gone", Strings("x")),
            Node("remove", "LookupTableRemoveV2", ["table", "gone"], ("Tin", Type(DType.String))),
            Const("imported_keys", Strings("p")), Const("imported_values", Tensor.Vector(1)),
            Node("import", "LookupTableImportV2", ["table", "imported_keys", "imported_values"], types),
            Const("query", Strings("x", "y", "p")), Const("missing", Tensor.Scalar(0)),
            Node("find", "LookupTableFindV2", ["table", "query", "missing"], types),
            Node("size", "LookupTableSizeV2", ["table"])]);
        Assert.Equal([0, 0, 0], session.Run(null, ["find"])[0].ToArray<int>());  // a mutable table needs no initializer
        session.Run(null, [], ["insert"]);
        Assert.Equal([7, 8, 0], session.Run(null, ["find"])[0].ToArray<int>());
        session.Run(null, [], ["overwrite"]);
        session.Run(null, [], ["remove"]);
        Assert.Equal([0, 80, 0], session.Run(null, ["find"])[0].ToArray<int>());
        session.Run(null, [], ["import"]);
        var after = session.Run(null, ["find", "size"]);
        Assert.Equal([0, 0, 1], after[0].ToArray<int>());
        Assert.Equal(1L, after[1].ToArray<long>()[0]);
    }

    private GraphSession TextFileSession(string vocabulary, long vocabSize = -1, SessionOptions? options = null)
    {
        string path = Path.Combine(_folder, "vocab.txt");
        File.WriteAllText(path, vocabulary);
        return Session([
            Table("table", "HashTableV2", DType.String, DType.Int64, shared: "hash_table_vocab.txt_-2_-1"),
            Const("filename", Tensor.Scalar(path)),
            Node("init", "InitializeTableFromTextFileV2", ["table", "filename"], ("key_index", Int(-2)), ("value_index", Int(-1)), ("vocab_size", Int(vocabSize))),
            Node("words", "Placeholder", null, ("dtype", Type(DType.String))), Const("oov", Tensor.Scalar(-1L)),
            Node("lookup", "LookupTableFindV2", ["table", "words", "oov"], Types("Tin", DType.String, "Tout", DType.Int64))], options);
    }

    [Fact]
    public void AVocabularyFileMapsEachLineToItsNumber()
    {
        var session = TextFileSession("the\nquick\nbrown\nfox\n");
        session.Run(null, [], ["init"]);
        var ids = session.Run(new Dictionary<string, Tensor> { ["words"] = Strings("fox", "the", "dog") }, ["lookup"])[0];
        Assert.Equal([3L, 0, -1], ids.ToArray<long>());

        // vocab_size cuts the file short; a size past its end is an error naming the file.
        var truncated = TextFileSession("the\nquick\nbrown\nfox\n", vocabSize: 2);
        truncated.Run(null, [], ["init"]);
        Assert.Equal([-1L, 1], truncated.Run(new Dictionary<string, Tensor> { ["words"] = Strings("brown", "quick") }, ["lookup"])[0].ToArray<long>());
        var tooLong = Assert.Throws<GraphException>(() => TextFileSession("a\nb\n", vocabSize: 3).Run(null, [], ["init"]));
        Assert.Contains("expected 3 but got 2", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("empty line", Assert.Throws<GraphException>(() => TextFileSession("a\n\nb\n").Run(null, [], ["init"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AConfinedModelCannotReadAVocabularyOutsideItsFolders()
    {
        var session = TextFileSession("a\n", options: new SessionOptions { FileAccess = FileAccessPolicy.Confined() });
        var error = Assert.Throws<ModelAccessException>(() => session.Run(null, [], ["init"]));
        Assert.Equal("init", error.NodeName);
    }
}
