using System.Buffers.Binary;
using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Formats.Text;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;
using StaticFlow.Tensors;

namespace StaticFlow.Fuzz;

/// <summary>The seed inputs of each target, made from the real TensorFlow models in <c>shared/testdata</c> and our own writers.</summary>
public static class SeedCorpus
{
    /// <summary>The seeds of every target, by target name, each as (file name, bytes).</summary>
    public static Dictionary<string, List<(string Name, byte[] Bytes)>> Make(string testdata)
    {
        var seeds = FuzzTargets.Names.ToDictionary(n => n, _ => new List<(string, byte[])>());
        string scratch = Path.Combine(Path.GetTempPath(), "staticflow-fuzz-seeds", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            foreach (string model in Directory.GetDirectories(Path.Combine(testdata, "tf-serving")).Order(StringComparer.Ordinal))
            {
                string version = Directory.GetDirectories(model).Order(StringComparer.Ordinal).First();
                string name = Path.GetFileName(model);
                var directory = SavedModelDirectory.Open(version, verifyFingerprint: false);
                seeds["savedmodel"].Add((name, File.ReadAllBytes(Path.Combine(version, SavedModelDirectory.ProtoFileName))));
                var graph = directory.Model.MetaGraphs[0].GraphDef;
                seeds["graphdef"].Add((name, graph.ToByteArray()));
                seeds["pbtxt"].Add((name, System.Text.Encoding.UTF8.GetBytes(TextFormat.Print(graph))));
                seeds["bundle"].Add((name, BundleInput(directory.VariablesPrefix)));
                seeds["bundle-entries"].Add((name, FuzzTargets.EncodeBundleEntries(directory.VariablesPrefix)));
            }

            // A TF2 object-based checkpoint and a name-based one with more dtypes, from our writer.
            string objectBased = Path.Combine(scratch, "object");
            Checkpoint.Save(objectBased, new Dictionary<string, Tensor> { ["dense/kernel"] = Tensor.FromArray<float>([1, 2, 3, 4], 2, 2), ["step"] = Tensor.Scalar(7L) }, CheckpointKeyStyle.ObjectBased);
            seeds["bundle"].Add(("object-based", BundleInput(objectBased)));
            seeds["bundle-entries"].Add(("object-based", FuzzTargets.EncodeBundleEntries(objectBased)));
            string mixed = Path.Combine(scratch, "mixed");
            Checkpoint.Save(mixed, new Dictionary<string, Tensor> { ["s"] = Tensor.Scalar("text"), ["b"] = Tensor.FromArray<bool>([true, false], 2), ["h"] = Tensor.FromArray<double>([1.5], 1) }, CheckpointKeyStyle.NameBased);
            seeds["bundle"].Add(("name-based", BundleInput(mixed)));
            seeds["bundle-entries"].Add(("name-based", FuzzTargets.EncodeBundleEntries(mixed)));

            string logdir = Path.Combine(scratch, "logs");
            using (var writer = new SummaryWriter(logdir))
            {
                writer.AddGraph(seeds["graphdef"].Count > 0 ? GraphDef.Parser.ParseFrom(seeds["graphdef"][0].Item2) : new GraphDef());
                writer.AddScalar("loss", 0.5f, 1);
                writer.AddHistogram("w", [1, 2, 3], 1);
            }
            seeds["events"].Add(("graph-and-scalars", File.ReadAllBytes(EventFileReader.Files(logdir).Single())));
            seeds["event-records"].Add(("graph-and-scalars", FuzzTargets.UnframeRecords(EventFileReader.Files(logdir).Single())));

            seeds["graphdef"].Add(("tensor-lists", ListsAndTables().ToByteArray()));

            seeds["npy"].Add(("f4-3x1", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1), }", 12, 1)));
            seeds["npy"].Add(("i8-2-v2", Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16, 2)));
            seeds["npy"].Add(("b1-scalar-v3", Npy("{'descr': '|b1', 'fortran_order': False, 'shape': (), }", 1, 3)));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
        return seeds;
    }

    /// <summary>A graph of the TensorList and lookup-table ops (TF2's TensorArray, Keras' StringLookup), so mutations reach their kernels.</summary>
    private static GraphDef ListsAndTables()
    {
        static AttrValue Type(DataType t) => new() { Type = t };
        static NodeDef Node(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
        {
            var node = new NodeDef { Name = name, Op = op, Input = { inputs } };
            foreach (var (key, value) in attrs) node.Attr[key] = value;
            return node;
        }
        static NodeDef Const(string name, Tensor value) => Node(name, "Const", [], ("dtype", Type(value.DType.ToProto())), ("value", new AttrValue { Tensor = value.ToProto() }));
        var f32 = ("element_dtype", Type(DataType.DtFloat));
        var i32 = ("shape_type", Type(DataType.DtInt32));
        return new GraphDef
        {
            Versions = new VersionDef { Producer = 1205 },
            Node =
            {
                Const("rows", Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 3, 2)), Const("shape", Tensor.Vector(-1, 2)), Const("unknown", Tensor.Scalar(-1)),
                Const("index", Tensor.Scalar(1)), Const("count", Tensor.Scalar(3)), Const("row", Tensor.FromArray<float>([7, 8], 2)),
                Node("list", "TensorListFromTensor", ["rows", "shape"], f32, i32),
                Node("reserved", "TensorListReserve", ["shape", "count"], f32, i32),
                Node("set", "TensorListSetItem", ["reserved", "index", "row"], f32),
                Node("pushed", "TensorListPushBack", ["list", "row"], f32),
                Node("popped", "TensorListPopBack", ["pushed", "shape"], f32),
                Node("item", "TensorListGetItem", ["set", "index", "shape"], f32),
                Node("stacked", "TensorListStack", ["set", "shape"], f32, ("num_elements", new AttrValue { I = 3 })),
                Node("gathered", "TensorListGather", ["list", "shape", "unknown"], f32),
                Node("length", "TensorListLength", ["pushed"]),
                Node("table", "HashTableV2", [], ("key_dtype", Type(DataType.DtString)), ("value_dtype", Type(DataType.DtInt64)), ("shared_name", new AttrValue { S = ByteString.CopyFromUtf8("vocab") })),
                Const("words", Tensor.FromStrings([[0x61], [0x62], [0x63]], 3)), Const("ids", Tensor.Vector(1L, 2, 3)), Const("oov", Tensor.Scalar(0L)),
                Node("init", "InitializeTableV2", ["table", "words", "ids"], ("Tkey", Type(DataType.DtString)), ("Tval", Type(DataType.DtInt64))),
                Node("find", "LookupTableFindV2", ["table", "words", "oov", "^init"], ("Tin", Type(DataType.DtString)), ("Tout", Type(DataType.DtInt64))),
                Node("size", "LookupTableSizeV2", ["table", "^init"]),
            },
        };
    }

    private static byte[] BundleInput(string prefix)
    {
        byte[] index = File.ReadAllBytes(prefix + ".index");
        byte[] data = File.ReadAllBytes(prefix + ".data-00000-of-00001");
        byte[] input = new byte[4 + index.Length + data.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(input, (uint)index.Length);
        index.CopyTo(input, 4);
        data.CopyTo(input, 4 + index.Length);
        return input;
    }

    private static byte[] Npy(string header, int dataBytes, int major)
    {
        byte[] text = System.Text.Encoding.Latin1.GetBytes(header + "\n");
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)text.Length) : BitConverter.GetBytes((uint)text.Length));
        bytes.AddRange(text);
        bytes.AddRange(Enumerable.Range(0, dataBytes).Select(i => (byte)(i * 37)));
        return [.. bytes];
    }
}
