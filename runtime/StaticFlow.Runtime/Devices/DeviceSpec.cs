using System.Globalization;
using System.Text;

namespace StaticFlow.Devices;

/// <summary>
/// A full or partial TensorFlow device name: <c>/job:localhost/replica:0/task:0/device:GPU:0</c>, <c>/GPU:0</c>,
/// <c>/device:CPU:*</c>, or the legacy <c>/cpu:0</c>. Unset parts (null) match anything.
/// </summary>
public sealed record DeviceSpec(string? Job, int? Replica, int? Task, string? Type, int? Id)
{
    /// <summary>The spec that matches every device (an empty device string).</summary>
    public static DeviceSpec Any { get; } = new(null, null, null, null, null);

    /// <summary>Parses a device string; the empty string is <see cref="Any"/>.</summary>
    /// <exception cref="FormatException">The string is not a device name.</exception>
    public static DeviceSpec Parse(string text)
    {
        if (text.Length == 0) return Any;
        if (!TryParse(text, out var spec)) throw new FormatException($"'{text}' is not a device name (expected e.g. /device:GPU:0, /CPU:0 or /job:localhost/replica:0/task:0/device:CPU:0)");
        return spec;
    }

    /// <summary>Parses a device string, returning false when it is malformed.</summary>
    public static bool TryParse(string text, out DeviceSpec spec)
    {
        spec = Any;
        if (text.Length == 0) return true;
        if (!text.StartsWith('/')) return false;
        string? job = null, type = null;
        int? replica = null, task = null, id = null;
        string[] parts = text[1..].Split('/');
        foreach (string part in parts)
        {
            string[] fields = part.Split(':');
            switch (fields[0].ToLowerInvariant())
            {
                case "job" when fields.Length == 2 && fields[1].Length > 0: job = fields[1]; break;
                case "replica" when fields.Length == 2 && TryInt(fields[1], out int r): replica = r; break;
                case "task" when fields.Length == 2 && TryInt(fields[1], out int t): task = t; break;
                case "device" when fields.Length is 2 or 3:
                    type = fields[1].ToUpperInvariant();
                    if (type.Length == 0) return false;
                    if (fields.Length == 3 && !TryId(fields[2], out id)) return false;
                    break;
                case "cpu" or "gpu" or "tpu" when fields.Length == 2:
                    type = fields[0].ToUpperInvariant();
                    if (!TryId(fields[1], out id)) return false;
                    break;
                default:
                    return false;
            }
        }
        spec = new DeviceSpec(job, replica, task, type, id);
        return true;
    }

    /// <summary>True when every part this spec sets equals that of <paramref name="device"/>.</summary>
    public bool Matches(DeviceSpec device) =>
        (Job is null || Job == device.Job) && (Replica is null || Replica == device.Replica) && (Task is null || Task == device.Task) &&
        (Type is null || Type == device.Type) && (Id is null || Id == device.Id);

    /// <summary>The canonical form: the parts that are set, e.g. <c>/job:localhost/replica:0/task:0/device:CPU:0</c> or <c>/device:GPU:0</c>.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder();
        if (Job is not null) builder.Append("/job:").Append(Job);
        if (Replica is not null) builder.Append(CultureInfo.InvariantCulture, $"/replica:{Replica}");
        if (Task is not null) builder.Append(CultureInfo.InvariantCulture, $"/task:{Task}");
        if (Type is not null) builder.Append("/device:").Append(Type).Append(':').Append(Id is int i ? i.ToString(CultureInfo.InvariantCulture) : "*");
        return builder.ToString();
    }

    private static bool TryInt(string text, out int value) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private static bool TryId(string text, out int? id)
    {
        id = null;
        if (text == "*") return true;
        if (!TryInt(text, out int value)) return false;
        id = value;
        return true;
    }
}
