using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Tensors;
using static StaticFlow.Tests.G;

namespace StaticFlow.Tests;

/// <summary>
/// A SavedModel laid out as TensorFlow 2.x writes a Keras <c>StringLookup(vocabulary=[...])</c> model: the table is a
/// <c>HashTableV2</c> resource captured by the serving function, filled by the initializer function that the
/// <c>__saved_model_init_op</c> signature runs (<c>InitializeTableV2</c> from the vocabulary and indices as
/// constants), and queried with <c>LookupTableFindV2</c>, out-of-vocabulary words getting the OOV index 0. Written
/// with the project's exporter, node for node as Keras names them (no Python TensorFlow is at hand).
/// </summary>
public sealed class KerasStringLookupSavedModelTests
{
    // The test run's own temporary folder (TempDirectory), removed when the process exits.
    private readonly string _root = TempDirectory.Create();

    [Fact]
    public void TheInitOpFillsTheTableAndTheSignatureLooksWordsUp()
    {
        string[] vocabulary = ["cat", "dog", "fish", "élan"];
        string directory = Path.Combine(_root, "lookup");
        SavedModelExporter.Export(directory, Model(vocabulary), new Dictionary<string, Tensor>(),
        [
            new SignatureSpec("serving_default",
                [new TensorSpec("input_1", "serving_default_input_1:0", DataType.DtString, new TensorShape(-1))],
                [new TensorSpec("string_lookup", "StatefulPartitionedCall:0", DataType.DtInt64, new TensorShape(-1))]),
            new SignatureSpec(SavedModelBundle.InitOpSignatureKey, [], [new TensorSpec(SavedModelBundle.InitOpSignatureKey, "NoOp", DataType.DtInvalid, TensorShape.UnknownRank)]),
        ]);

        var bundle = SavedModelBundle.Load(directory);
        var ids = bundle.GetSignature().Run(new Dictionary<string, Tensor> { ["input_1"] = Strings("dog", "zebra", "élan", "cat", "Dog") })["string_lookup"];
        // Keras' indices: 0 for out-of-vocabulary words ([UNK]), then the vocabulary from 1.
        Assert.Equal([2L, 0, 4, 1, 0], ids.ToArray<long>());
        Assert.Equal(["serving_default"], bundle.Signatures.Keys);
    }

    private static GraphDef Model(string[] vocabulary)
    {
        var graph = Graph(
            Node("serving_default_input_1", "Placeholder", null, ("dtype", Type(DType.String)), ("shape", Shape(-1))),
            Node("hash_table", "HashTableV2", null, ("key_dtype", Type(DType.String)), ("value_dtype", Type(DType.Int64)),
                ("shared_name", Str("hash_table_0b6ad9f0-4a8c-4f1e-9b3c-8d2e7f6a5c41_load_12")), ("use_node_name_sharing", Bool(false)), ("container", Str(""))),
            Node("StatefulPartitionedCall", "StatefulPartitionedCall", ["serving_default_input_1", "hash_table"],
                ("Tin", TypeList(DataType.DtString, DataType.DtResource)), ("Tout", TypeList(DataType.DtInt64)), ("f", Func("__inference_signature_wrapper_310"))),
            Node("StatefulPartitionedCall_1", "StatefulPartitionedCall", ["hash_table"],
                ("Tin", TypeList(DataType.DtResource)), ("Tout", TypeList(DataType.DtBool)), ("f", Func("__inference__initializer_250"))),
            Node("NoOp", "NoOp", ["^StatefulPartitionedCall_1"]));
        graph.Library = new FunctionDefLibrary
        {
            Function =
            {
                Function("__inference_signature_wrapper_310", [("input_1", DataType.DtString), ("unknown", DataType.DtResource)], [("identity", DataType.DtInt64)],
                    new() { ["identity"] = "Identity:output:0" },
                    Node("StatefulPartitionedCall", "StatefulPartitionedCall", ["input_1", "unknown"],
                        ("Tin", TypeList(DataType.DtString, DataType.DtResource)), ("Tout", TypeList(DataType.DtInt64)), ("f", Func("__inference__wrapped_model_290"))),
                    Node("Identity", "Identity", ["StatefulPartitionedCall:output:0"], ("T", Type(DType.Int64)))),
                Function("__inference__wrapped_model_290", [("input_1", DataType.DtString), ("model_string_lookup_none_lookup_table_find_table_handle", DataType.DtResource)],
                    [("identity", DataType.DtInt64)],
                    new() { ["identity"] = "Identity:output:0" },
                    Const("model/string_lookup/None_Lookup/LookupTableFindV2/default_value", Tensor.Scalar(0L)),
                    Node("model/string_lookup/None_Lookup/LookupTableFindV2", "LookupTableFindV2",
                        ["model_string_lookup_none_lookup_table_find_table_handle", "input_1", "model/string_lookup/None_Lookup/LookupTableFindV2/default_value:output:0"],
                        ("Tin", Type(DType.String)), ("Tout", Type(DType.Int64))),
                    Node("Identity", "Identity", ["model/string_lookup/None_Lookup/LookupTableFindV2:values:0"], ("T", Type(DType.Int64)))),
                Function("__inference__initializer_250", [("table", DataType.DtResource)], [("identity", DataType.DtBool)],
                    new() { ["identity"] = "Identity:output:0" },
                    Const("keys", Strings(vocabulary)),
                    Const("values", Tensor.FromArray<long>([.. Enumerable.Range(1, vocabulary.Length).Select(i => (long)i)], vocabulary.Length)),
                    Node("InitializeTableV2", "InitializeTableV2", ["table", "keys:output:0", "values:output:0"], ("Tkey", Type(DType.String)), ("Tval", Type(DType.Int64))),
                    Const("Const", Tensor.Scalar(true)),
                    Node("Identity", "Identity", ["Const:output:0", "^InitializeTableV2"], ("T", Type(DType.Bool)))),
            },
        };
        return graph;
    }
}
