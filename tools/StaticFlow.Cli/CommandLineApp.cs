using System.CommandLine;
using StaticFlow.IO;

namespace StaticFlow.Cli;

/// <summary>The <c>staticflow</c> command line: the project's window onto checkpoints and SavedModels.</summary>
public static class CommandLineApp
{
    /// <summary>Runs the tool with <paramref name="args"/>, writing to the given writers; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("StaticFlow: inspect and run TensorFlow checkpoints and SavedModels.");
        root.Subcommands.Add(InspectCommand.Create(output, error));
        root.Subcommands.Add(ShowCommand.Create(output, error));
        root.Subcommands.Add(RunCommand.Create(output, error));
        root.Subcommands.Add(TensorBoardCommand.Create(output, error));
        root.Subcommands.Add(GraphCommand.Create(output, error));
        root.Subcommands.Add(ViewCommand.Create(output, error));
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    /// <summary>Writes one indented JSON document built by <paramref name="write"/> to <paramref name="output"/>.</summary>
    internal static void WriteJson(TextWriter output, Action<System.Text.Json.Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
            write(writer);
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Runs a verb, turning the runtime's typed errors into one line on stderr and exit code 1.</summary>
    internal static int Guarded(TextWriter error, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is StaticFlowFormatException or KeyNotFoundException or NotSupportedException or IOException
                                   or UnauthorizedAccessException or Graphs.GraphException or FormatException)
        {
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
