using System.Globalization;
using Google.Protobuf;
using StaticFlow.Formats.Records;
using StaticFlow.IO;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Summaries;

/// <summary>
/// Writes a TensorBoard event file into a log directory, as TensorFlow's <c>EventsWriter</c> and
/// <c>tf.summary.create_file_writer</c> do: <c>events.out.tfevents.&lt;seconds&gt;.&lt;host&gt;</c>, TFRecord framing,
/// a first event holding <c>file_version: "brain.Event:2"</c> (flushed at once), then graphs, scalars and
/// histograms with step and wall time. Buffered events are flushed on a timer and on dispose. Thread-safe.
/// </summary>
public sealed class SummaryWriter : IDisposable
{
    /// <summary>TensorFlow's <c>kVersionPrefix</c> + <c>kCurrentVersion</c>.</summary>
    public const string FileVersion = "brain.Event:2";

    private readonly object _gate = new();
    private readonly FileStream _stream;
    private readonly RecordWriter _records;
    private readonly Timer _flushTimer;
    private bool _disposed;

    /// <summary>Creates <paramref name="logdir"/> if needed and starts a new event file in it.</summary>
    /// <param name="logdir">The run directory TensorBoard is pointed at (each subdirectory is a run).</param>
    /// <param name="filenameSuffix">Appended to the file name, as TensorFlow's <c>filename_suffix</c>.</param>
    /// <param name="flushInterval">How often buffered events reach the disk; two minutes by default, as in TensorFlow.</param>
    public SummaryWriter(string logdir, string filenameSuffix = "", TimeSpan? flushInterval = null)
    {
        Directory.CreateDirectory(logdir);
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string name = string.Create(CultureInfo.InvariantCulture, $"events.out.tfevents.{seconds:D10}.{Environment.MachineName}{filenameSuffix}");
        FilePath = Path.Combine(Path.GetFullPath(logdir), name);
        _stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _records = new RecordWriter(_stream);
        WriteEvent(new Event { FileVersion = FileVersion });
        Flush();
        var interval = flushInterval ?? TimeSpan.FromMinutes(2);
        _flushTimer = new Timer(_ => Flush(), null, interval, interval);
    }

    /// <summary>The event file being written.</summary>
    public string FilePath { get; }

    /// <summary>Writes the run's graph (TensorBoard's GRAPHS tab shows the last one written).</summary>
    public void AddGraph(GraphDef graph, long step = 0) => WriteEvent(new Event { Step = step, GraphDef = graph.ToByteString() });

    /// <summary>Writes a meta graph (TensorBoard reads its graph when no bare graph was written).</summary>
    public void AddMetaGraph(MetaGraphDef metaGraph, long step = 0) => WriteEvent(new Event { Step = step, MetaGraphDef = metaGraph.ToByteString() });

    /// <summary>Writes a scalar the way TF2's <c>tf.summary.scalar</c> does: a float32 scalar tensor with the scalars plugin's metadata.</summary>
    public void AddScalar(string tag, float value, long step)
    {
        var summaryValue = new Summary.Types.Value
        {
            Tag = tag,
            Metadata = Metadata("scalars", DataClass.Scalar),
            Tensor = Tensor.Scalar(value).ToProto(TensorProtoLayout.TypedFields),
        };
        WriteEvent(new Event { Step = step, Summary = new Summary { Value = { summaryValue } } });
    }

    /// <summary>
    /// Writes a histogram the way TF2's <c>tf.summary.histogram</c> does: a [buckets, 3] float64 tensor of
    /// (left edge, right edge, count) with the histograms plugin's metadata. Buckets split [min, max] evenly;
    /// when every value is the same there is one bucket [v - 0.5, v + 0.5].
    /// </summary>
    public void AddHistogram(string tag, ReadOnlySpan<double> values, long step, int buckets = 30)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        double[] table = HistogramTable(values, buckets);
        var summaryValue = new Summary.Types.Value
        {
            Tag = tag,
            Metadata = Metadata("histograms", DataClass.Tensor),
            Tensor = Tensor.FromArray<double>(table, table.Length / 3, 3).ToProto(),
        };
        WriteEvent(new Event { Step = step, Summary = new Summary { Value = { summaryValue } } });
    }

    /// <summary>Pushes buffered events to the disk.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _records.Flush();
            _stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        _flushTimer.Dispose();
        lock (_gate)
        {
            if (_disposed) return;
            _records.Flush();
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            _disposed = true;
        }
    }

    internal static double[] HistogramTable(ReadOnlySpan<double> values, int buckets)
    {
        if (values.IsEmpty) return [];
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (min > max) return [];
        if (min == max) return [min - 0.5, max + 0.5, values.Length];
        var counts = new double[buckets];
        double width = (max - min) / buckets;
        foreach (double v in values)
            if (double.IsFinite(v)) counts[Math.Min((int)((v - min) / width), buckets - 1)]++;
        var table = new double[buckets * 3];
        for (int i = 0; i < buckets; i++)
        {
            table[3 * i] = min + i * width;
            table[3 * i + 1] = i == buckets - 1 ? max : min + (i + 1) * width;
            table[3 * i + 2] = counts[i];
        }
        return table;
    }

    private static SummaryMetadata Metadata(string plugin, DataClass dataClass) => new()
    {
        PluginData = new SummaryMetadata.Types.PluginData { PluginName = plugin },
        DataClass = dataClass,
    };

    private void WriteEvent(Event e)
    {
        e.WallTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        byte[] bytes = e.ToByteArray();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _records.Write(bytes);
        }
    }
}

/// <summary>Reads event files, verifying every record's CRCs.</summary>
public static class EventFileReader
{
    /// <summary>The events of <paramref name="path"/>, in order.</summary>
    /// <exception cref="StaticFlowFormatException">A record is damaged or is not an Event.</exception>
    /// <param name="path">The event file.</param>
    /// <param name="truncated">Hears of a record cut short at the end (a writer killed or still writing).</param>
    public static IEnumerable<Event> Read(string path, Action<RecordTruncation>? truncated = null)
    {
        long index = 0;
        foreach (byte[] record in RecordReader.ReadAll(path, truncated))
        {
            Event e;
            try { e = Event.Parser.ParseFrom(record); }
            catch (InvalidProtocolBufferException ex) { throw new StaticFlowFormatException(path, $"record {index} is not an Event: {ex.Message}", ex); }
            index++;
            yield return e;
        }
    }

    /// <summary>The event files of a log directory (any file whose name contains "tfevents", as TensorBoard takes them), oldest first.</summary>
    public static IReadOnlyList<string> Files(string logdir) =>
        Directory.Exists(logdir) ? [.. Directory.GetFiles(logdir).Where(f => Path.GetFileName(f).Contains("tfevents", StringComparison.Ordinal)).Order(StringComparer.Ordinal)] : [];
}
