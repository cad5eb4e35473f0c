using System.Globalization;
using System.Text;

namespace StaticFlow.Generator.Lowering;

/// <summary>
/// TensorFlow device strings at compile time, by the runtime's own rules (<c>StaticFlow.Devices.DeviceSpec</c>,
/// which the generator cannot reference; <c>SharedRulesTests</c> checks the two agree): <c>/GPU:0</c>,
/// <c>/device:CPU:0</c>, <c>/job:localhost/replica:0/task:0/device:GPU:1</c>, <c>/cpu:*</c>. Valid strings are
/// written in DeviceSpec's canonical form (<c>/device:GPU:0</c>) into NodeDef.device.
/// </summary>
internal static class DeviceNames
{
    /// <summary>The canonical form of <paramref name="text"/>, or null with <paramref name="problem"/> set.</summary>
    public static string? Canonicalize(string text, out string? problem)
    {
        problem = null;
        if (text.Length == 0) return "";
        if (text[0] != '/') { problem = "it must start with '/'"; return null; }
        string? job = null, replica = null, task = null, type = null, id = null;
        foreach (string part in text.Substring(1).Split('/'))
        {
            string[] fields = part.Split(':');
            switch (fields[0].ToLowerInvariant())
            {
                case "job" when fields.Length == 2 && fields[1].Length > 0:
                    job = fields[1];
                    break;
                case "replica" when fields.Length == 2 && IsNumber(fields[1]):
                    replica = fields[1];
                    break;
                case "task" when fields.Length == 2 && IsNumber(fields[1]):
                    task = fields[1];
                    break;
                case "device" when fields.Length is 2 or 3:
                    type = fields[1].ToUpperInvariant();
                    if (type.Length == 0) { problem = "the device type is empty"; return null; }
                    id = null;
                    if (fields.Length == 3 && !TryId(fields[2], out id)) { problem = $"device index '{fields[2]}' is neither a number nor '*'"; return null; }
                    break;
                case "cpu" or "gpu" or "tpu" when fields.Length == 2:
                    type = fields[0].ToUpperInvariant();
                    if (!TryId(fields[1], out id)) { problem = $"device index '{fields[1]}' is neither a number nor '*'"; return null; }
                    break;
                default:
                    problem = $"'{part}' is not job:NAME, replica:N, task:N, device:TYPE:N or CPU/GPU/TPU:N";
                    return null;
            }
        }
        var canonical = new StringBuilder();
        if (job is not null) canonical.Append("/job:").Append(job);
        if (replica is not null) canonical.Append("/replica:").Append(int.Parse(replica, CultureInfo.InvariantCulture));
        if (task is not null) canonical.Append("/task:").Append(int.Parse(task, CultureInfo.InvariantCulture));
        if (type is not null) canonical.Append("/device:").Append(type).Append(':').Append(id ?? "*");
        return canonical.ToString();
    }

    private static bool IsNumber(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    /// <summary>A device index: a number (written without leading zeros) or '*' (any, written as no index).</summary>
    private static bool TryId(string text, out string? id)
    {
        id = null;
        if (text == "*") return true;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)) return false;
        id = value.ToString(CultureInfo.InvariantCulture);
        return true;
    }
}
