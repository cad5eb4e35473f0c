using System.CommandLine;
using StaticFlow.Operations;

namespace StaticFlow.Cli;

/// <summary><c>ops [--json]</c>: every op StaticFlow runs, with its dtypes, devices, differentiability and how graph functions reach it.</summary>
internal static class OpsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print the table as JSON, for tools." };
        var command = new Command("ops", "List every op StaticFlow runs: dtypes, devices, whether StaticFlow has its gradient and whether graph functions can call it.") { json };
        command.SetAction(result => CommandLineApp.Guarded(error, () =>
        {
            if (result.GetValue(json))
            {
                CommandLineApp.WriteJson(output, writer =>
                {
                    writer.WriteStartArray();
                    foreach (var op in OpSupport.All)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("op", op.Name);
                        writer.WriteStartArray("dtypes");
                        foreach (string dtype in op.DTypes) writer.WriteStringValue(dtype);
                        writer.WriteEndArray();
                        writer.WriteBoolean("anyDType", op.DTypes.Count == 0);
                        writer.WriteStartArray("devices");
                        foreach (string device in op.Devices) writer.WriteStringValue(device);
                        writer.WriteEndArray();
                        writer.WriteBoolean("differentiable", op.IsDifferentiable);
                        writer.WriteBoolean("gradient", op.HasGradient);
                        writer.WriteBoolean("stateful", op.IsStateful);
                        writer.WriteBoolean("callableFromGraphFunctions", op.OpsMethod is not null);
                        if (op.OpsMethod is { } method) writer.WriteString("opsMethod", "Ops." + method);
                        if (op.WrittenBy is { } writtenBy) writer.WriteString("writtenBy", writtenBy);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                });
                return 0;
            }
            int width = OpSupport.All.Max(o => o.Name.Length) + 2;
            output.WriteLine($"{"op".PadRight(width)}{"dtypes",-34}{"devices",-9}{"gradient",-10}graph functions");
            foreach (var op in OpSupport.All)
            {
                output.WriteLine($"{op.Name.PadRight(width)}{op.DTypeSummary,-34}{string.Join(",", op.Devices),-9}{(op.HasGradient ? "yes" : op.IsDifferentiable ? "not yet" : "none"),-10}{(op.OpsMethod is { } m ? "Ops." + m : op.WrittenBy)}");
            }
            output.WriteLine($"{OpSupport.All.Count} ops; floating = float16, float32, float64; numeric = those and every integer type");
            return 0;
        }));
        return command;
    }
}
