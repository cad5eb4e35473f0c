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
    public static IReadOnlyList<string> Names { get; } = ["bundle", "savedmodel", "pbtxt", "events", "npy", "graphdef"];

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
                    case "savedmodel": SavedModel(folder, input); break;
                    case "pbtxt": Pbtxt(input); break;
                    case "events": Events(folder, input); break;
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
