using System.CommandLine;
using System.Text;
using StaticFlow.Graphs;
using StaticFlow.IO;

namespace StaticFlow.Cli;

/// <summary>The exit codes of the <c>staticflow</c> command, one per kind of failure (see docs/cli.md).</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command line is wrong: an unknown option, a missing argument, a signature, input or tensor the file does not have.</summary>
    public const int Usage = 2;

    /// <summary>A file is missing, unreadable or malformed (checkpoint, SavedModel, GraphDef, event file, <c>.npy</c>, JSON input).</summary>
    public const int BadInput = 3;

    /// <summary>The model is well formed but cannot do what was asked: a node failed, a kernel is missing, a file access was refused.</summary>
    public const int ModelError = 4;

    /// <summary>A limit was reached: <c>--memory_limit</c>, function-call depth, out of memory.</summary>
    public const int LimitExceeded = 5;

    /// <summary>The run did not finish within <c>--timeout</c>.</summary>
    public const int Timeout = 6;

    /// <summary>A bug in StaticFlow: the message asks for a report.</summary>
    public const int InternalError = 70;
}

/// <summary>The <c>staticflow</c> command line: the project's window onto checkpoints and SavedModels.</summary>
public static class CommandLineApp
{
    /// <summary>Runs the tool with <paramref name="args"/>, writing to the given writers; returns one of <see cref="ExitCodes"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("StaticFlow: inspect and run TensorFlow checkpoints and SavedModels.");
        root.Subcommands.Add(InspectCommand.Create(output, error));
        root.Subcommands.Add(ShowCommand.Create(output, error));
        root.Subcommands.Add(RunCommand.Create(output, error));
        root.Subcommands.Add(TensorBoardCommand.Create(output, error));
        root.Subcommands.Add(GraphCommand.Create(output, error));
        root.Subcommands.Add(ViewCommand.Create(output, error));
        root.Subcommands.Add(OpsCommand.Create(output, error));
        var parsed = root.Parse(args);
        int code = parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        // System.CommandLine reports its own parse errors with exit code 1; ours is Usage.
        return parsed.Errors.Count > 0 && code == 1 ? ExitCodes.Usage : code;
    }

    /// <summary>
    /// Writes one indented JSON document built by <paramref name="write"/> to <paramref name="output"/> as it goes:
    /// whatever the writer flushes (tensor values flush every 64 KiB) reaches the output at once, so a large answer
    /// is never held whole.
    /// </summary>
    internal static void WriteJson(TextWriter output, Action<System.Text.Json.Utf8JsonWriter> write)
    {
        using var stream = new TextWriterStream(output);
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
            write(writer);
        output.WriteLine();
    }

    /// <summary>
    /// Runs a verb and turns every exception into one line on stderr and the exit code of its kind: the runtime's
    /// typed errors by their type, anything else as an internal error with a request to report it.
    /// </summary>
    internal static int Guarded(TextWriter error, Func<int> action, CancellationToken timeout = default, double timeoutSeconds = 0)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            var (code, line) = Describe(e, timeout, timeoutSeconds);
            error.WriteLine(line);
            return code;
        }
    }

    /// <summary>The exit code (<see cref="ExitCodes"/>) and the one line to print for <paramref name="e"/>; <paramref name="timeout"/> tells a timeout from other cancellations.</summary>
    public static (int Code, string Line) Describe(Exception e, CancellationToken timeout = default, double timeoutSeconds = 0)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        return e switch
        {
            OperationCanceledException when timeout.IsCancellationRequested =>
                (ExitCodes.Timeout, $"error: timed out: the run did not finish within {timeoutSeconds:0.###} s (--timeout)"),
            ResourceLimitException or OutOfMemoryException or InsufficientExecutionStackException =>
                (ExitCodes.LimitExceeded, $"error: out of limits: {e.Message}"),
            FeedException or KeyNotFoundException or UsageException => (ExitCodes.Usage, $"error: {e.Message}"),
            ModelAccessException or GraphException or NotSupportedException => (ExitCodes.ModelError, $"error: {e.Message}"),
            IOException or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException =>
                (ExitCodes.BadInput, $"error: {e.Message}"),
            _ => (ExitCodes.InternalError,
                $"internal error: {e.GetType().Name}: {e.Message} (this is a bug in StaticFlow; please report it with the command line and the file it read)"),
        };
    }

    /// <summary>Parses a byte count such as <c>1073741824</c>, <c>512M</c>, <c>2G</c> or <c>1.5GiB</c>.</summary>
    internal static long ParseBytes(string text, string option)
    {
        string t = text.Trim();
        string number = t.TrimEnd('B', 'b', 'i').TrimEnd();
        long unit = 1;
        int power = number.Length > 0 ? "KMGT".IndexOf(char.ToUpperInvariant(number[^1])) : -1;
        if (power >= 0)
        {
            unit = 1L << (10 * (power + 1));
            number = number[..^1];
        }
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            || value <= 0 || value * unit > long.MaxValue)
            throw new UsageException($"{option} '{text}' is not a positive size (bytes, or with K, M, G, T)");
        return (long)(value * unit);
    }

    /// <summary>Hands the UTF-8 bytes of a <see cref="System.Text.Json.Utf8JsonWriter"/> on to a <see cref="TextWriter"/>.</summary>
    private sealed class TextWriterStream(TextWriter target) : Stream
    {
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private char[] _chars = new char[4096];

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => target.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int needed = _decoder.GetCharCount(buffer, flush: false);
            if (needed > _chars.Length) _chars = new char[needed];
            int written = _decoder.GetChars(buffer, _chars, flush: false);
            target.Write(_chars, 0, written);
        }
    }
}

/// <summary>The command line asks for something that does not fit (exit code <see cref="ExitCodes.Usage"/>).</summary>
public sealed class UsageException(string message) : Exception(message);
