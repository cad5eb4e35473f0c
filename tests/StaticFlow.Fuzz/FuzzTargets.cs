using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using StaticFlow.Checkpoints;
using StaticFlow.Execution;
using StaticFlow.Formats.Text;
using StaticFlow.Graphs;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.SavedModels;
using StaticFlow.Summaries;
using StaticFlow.Visualization;

namespace StaticFlow.Fuzz;

/// <summary>
/// One entry point per reader. Each feeds the input to the public API a user would call and lets only the typed
/// errors the API documents pass: anything else escaping (a NullReferenceException, an IndexOutOfRangeException,
/// a stack overflow, a hang or an out-of-memory) is a finding.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The targets, by name.</summary>
    public static IReadOnlyList<string> Names { get; } = ["bundle", "bundle-entries", "savedmodel", "pbtxt", "events", "event-records", "npy", "graphdef"];

    // What a fuzzed graph may use: small enough that a hostile input cannot exhaust the machine running the fuzzer.
    // Made on first use: under SharpFuzz, instrumented (runtime) code must not run before the fuzzer has started.
    private static SessionOptions Limited => s_limited ??= new()
    {
        MemoryLimitBytes = 256L << 20,
        MaxCallDepth = 20,
        FileAccess = FileAccessPolicy.Confined(),
    };

    private static SessionOptions? s_limited;

    /// <summary>Feeds <paramref name="input"/> to <paramref name="target"/>; returns normally unless something untyped escapes.</summary>
    public static void Run(string target, byte[] input)
    {
        string folder = Path.Combine(Path.GetTempPath(), "staticflow-fuzz", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        try
        {
            Guarded(() =>
            {
                switch (target)
                {
                    case "bundle": Bundle(folder, input); break;
                    case "bundle-entries": BundleEntries(folder, input); break;
                    case "savedmodel": SavedModel(folder, input); break;
                    case "pbtxt": Pbtxt(input); break;
                    case "events": Events(folder, input); break;
                    case "event-records": Events(folder, FrameRecords(input)); break;
                    case "npy": Npy(folder, input); break;
                    case "graphdef": GraphDefTarget(input); break;
                    default: throw new ArgumentException($"no fuzz target '{target}'", nameof(target));
                }
            });
        }
        finally
        {
            foreach (string file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories)) File.Delete(file);
        }
    }

    // The typed errors of the readers' contracts.
    private static void Guarded(Action action)
    {
        try { action(); }
        catch (Exception e) when (e is IOException or FormatException or GraphException or KeyNotFoundException
                                   or NotSupportedException or OperationCanceledException or System.Text.Json.JsonException) { }
    }

    // [u32 index length][.index bytes][.data-00000-of-00001 bytes]: both files of a one-shard bundle.
    private static void Bundle(string folder, byte[] input)
    {
        if (input.Length < 4) return;
        int indexLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(input), (uint)(input.Length - 4));
        string prefix = Path.Combine(folder, "ckpt");
        File.WriteAllBytes(prefix + ".index", input[4..(4 + indexLength)]);
        File.WriteAllBytes(prefix + ".data-00000-of-00001", input[(4 + indexLength)..]);
        using var reader = CheckpointReader.Open(prefix);
        foreach (var variable in reader.ListVariables()) Guarded(() => reader.Read(variable.Name));
        foreach (var value in reader.ObjectValues) Guarded(() => reader.Read(value.ObjectPath));
    }

    /// <summary>
    /// Index entries rather than index bytes, so mutations get past the table's block checksums to the bundle's own
    /// rules: <c>[u16 n]</c>, n times <c>[u8 key length][key][u16 value length][value]</c>, then the data file.
    /// The harness writes the entries as a valid table and, where an entry parses and lies inside the data, gives it
    /// the data's CRC32C, so the reader gets on to decoding the tensor.
    /// </summary>
    public static void BundleEntries(string folder, byte[] input)
    {
        var entries = new SortedDictionary<byte[], byte[]>(ByteOrder.Instance);
        int at = 2, count = input.Length >= 2 ? BinaryPrimitives.ReadUInt16LittleEndian(input) : 0;
        for (int i = 0; i < count && at < input.Length; i++)
        {
            int keyLength = input[at++];
            if (at + keyLength + 2 > input.Length) break;
            byte[] key = input[at..(at + keyLength)];
            at += keyLength;
            int valueLength = BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(at));
            at += 2;
            if (at + valueLength > input.Length) break;
            entries[key] = input[at..(at + valueLength)];
            at += valueLength;
        }
        byte[] data = input[Math.Min(at, input.Length)..];
        string prefix = Path.Combine(folder, "ckpt");
        using (var index = File.Create(prefix + ".index"))
        {
            var table = new Formats.Tables.TableWriter(index);
            foreach (var (key, value) in entries) table.Add(key, key.Length == 0 ? value : WithDataCrc(value, data));
            table.Finish();
        }
        File.WriteAllBytes(prefix + ".data-00000-of-00001", data);
        using var reader = CheckpointReader.Open(prefix);
        foreach (var variable in reader.ListVariables()) Guarded(() => reader.Read(variable.Name));
    }

    /// <summary>The bundle at <paramref name="prefix"/> in <see cref="BundleEntries"/>'s input form.</summary>
    public static byte[] EncodeBundleEntries(string prefix)
    {
        var table = Formats.Tables.TableReader.Open(prefix + ".index");
        var output = new MemoryStream();
        var entries = table.Entries.ToList();
        output.Write(BitConverter.GetBytes((ushort)entries.Count));
        foreach (var (key, value) in entries)
        {
            output.WriteByte((byte)key.Length);
            output.Write(key);
            output.Write(BitConverter.GetBytes((ushort)value.Length));
            output.Write(value);
        }
        output.Write(File.ReadAllBytes(prefix + ".data-00000-of-00001"));
        return output.ToArray();
    }

    private static byte[] WithDataCrc(byte[] value, byte[] data)
    {
        BundleEntryProto entry;
        try { entry = BundleEntryProto.Parser.ParseFrom(value); }
        catch (InvalidProtocolBufferException) { return value; }
        if (entry.Offset < 0 || entry.Size < 0 || entry.Offset + entry.Size > data.Length) return value;
        entry.Crc32C = Formats.Hashing.Crc32C.Mask(Formats.Hashing.Crc32C.Compute(data.AsSpan((int)entry.Offset, (int)entry.Size)));
        return entry.ToByteArray();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    private static void SavedModel(string folder, byte[] input)
    {
        string dir = Path.Combine(folder, "model");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, SavedModelDirectory.ProtoFileName), input);
        var directory = SavedModelDirectory.Open(dir);
        foreach (var tags in directory.TagSets)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            Guarded(() =>
            {
                var bundle = SavedModelBundle.Load(directory, [.. tags], Limited, deadline.Token);
                foreach (var signature in bundle.Signatures.Values) Guarded(() => signature.Run(new Dictionary<string, Tensors.Tensor>(), deadline.Token));
            });
        }
        Guarded(() => ViewerDocument.ToJson("fuzz", [ViewerSource.Load(dir)]));
    }

    private static void Pbtxt(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        Guarded(() => TextFormat.Parse<SavedModel>(text));
        Guarded(() => GraphImporter.Import(TextFormat.Parse<GraphDef>(text)));
    }

    private static void Events(string folder, byte[] input)
    {
        string logdir = Path.Combine(folder, "logs");
        Directory.CreateDirectory(logdir);
        string file = Path.Combine(logdir, "events.out.tfevents.1.fuzz");
        File.WriteAllBytes(file, input);
        foreach (var _ in EventFileReader.Read(file, _ => { })) { }
        Guarded(() => ViewerDocument.ToJson("fuzz", [ViewerSource.Load(logdir)]));
    }

    /// <summary>
    /// Records rather than framed bytes, so mutations get past the framing's CRCs to the events themselves:
    /// <c>[u16 length][payload]</c> repeated, each framed with valid CRCs by the harness; a last partial record
    /// is kept cut short, as a killed writer leaves it.
    /// </summary>
    public static byte[] FrameRecords(byte[] input)
    {
        var output = new MemoryStream();
        var writer = new Formats.Records.RecordWriter(output);
        int at = 0;
        while (at + 2 <= input.Length)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(at));
            at += 2;
            if (at + length > input.Length)
            {
                var whole = new MemoryStream();
                new Formats.Records.RecordWriter(whole).Write(input.AsSpan(at));
                output.Write(whole.GetBuffer().AsSpan(0, (int)Math.Min(whole.Length, Formats.Records.RecordWriter.HeaderSize + length / 2)));
                break;
            }
            writer.Write(input.AsSpan(at, length));
            at += length;
        }
        return output.ToArray();
    }

    /// <summary>An event file in <see cref="FrameRecords"/>'s input form.</summary>
    public static byte[] UnframeRecords(string eventFile)
    {
        var output = new MemoryStream();
        foreach (byte[] record in Formats.Records.RecordReader.ReadAll(eventFile))
        {
            output.Write(BitConverter.GetBytes((ushort)record.Length));
            output.Write(record);
        }
        return output.ToArray();
    }

    private static void Npy(string folder, byte[] input)
    {
        string file = Path.Combine(folder, "x.npy");
        File.WriteAllBytes(file, input);
        Cli.Npy.Read(file);
    }

    // A binary GraphDef: import, then build (and so constant-fold) the plan fetching every output.
    private static void GraphDefTarget(byte[] input)
    {
        var graph = GraphImporter.Import(GraphDef.Parser.ParseFrom(input));
        var session = new GraphSession(graph, Limited);
        var fetches = graph.Nodes.Where(n => n.OutputTypes.Count > 0).Take(64).Select(n => n.Name + ":0").ToList();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        Guarded(() => session.Explain(null, fetches));
        Guarded(() => session.Run(null, fetches, cancellation: deadline.Token));
        Guarded(() => GraphExport.Export(graph.Source, GraphFormat.Dot));
    }
}
