using System;
using System.Globalization;
using System.Text;

namespace StaticFlow.Generator.Lowering;

/// <summary>
/// TensorFlow device strings at compile time: <c>/GPU:0</c>, <c>/device:CPU:0</c>,
/// <c>/job:localhost/replica:0/task:0/device:GPU:1</c>, <c>/cpu:*</c>. Valid ones are written canonically
/// (<c>/device:GPU:0</c>), as TensorFlow stores them in NodeDef.device; the runtime's DeviceSpec reads them.
/// </summary>
internal static class DeviceNames
{
    /// <summary>The canonical form of <paramref name="text"/>, or null with <paramref name="problem"/> set.</summary>
    public static string? Canonicalize(string text, out string? problem)
    {
        problem = null;
        if (text.Length == 0) return "";
        if (text[0] != '/') { problem = "it must start with '/'"; return null; }
        var result = new StringBuilder();
        bool hasDevice = false;
        foreach (string part in text.Substring(1).Split('/'))
        {
            int colon = part.IndexOf(':');
            if (colon <= 0 || colon == part.Length - 1) { problem = $"'{part}' is not 'name:value'"; return null; }
            string key = part.Substring(0, colon);
            string value = part.Substring(colon + 1);
            switch (key.ToLowerInvariant())
            {
                case "job":
                    result.Append("/job:").Append(value);
                    break;
                case "replica":
                case "task":
                    if (!IsIndex(value)) { problem = $"{key} '{value}' is not a number"; return null; }
                    result.Append('/').Append(key.ToLowerInvariant()).Append(':').Append(value);
                    break;
                case "device":
                    int second = value.IndexOf(':');
                    if (second <= 0) { problem = $"device '{value}' is not 'TYPE:index'"; return null; }
                    if (!AppendDevice(result, value.Substring(0, second), value.Substring(second + 1), out problem)) return null;
                    hasDevice = true;
                    break;
                default:
                    if (hasDevice || !AppendDevice(result, key, value, out problem))
                    {
                        problem ??= $"'{key}' is not job, replica, task, device or a device type";
                        return null;
                    }
                    hasDevice = true;
                    break;
            }
        }
        return result.ToString();
    }

    private static bool AppendDevice(StringBuilder result, string type, string index, out string? problem)
    {
        problem = null;
        foreach (char c in type)
        {
            if (!char.IsLetterOrDigit(c) && c != '_') { problem = $"device type '{type}' has the character '{c}'"; return false; }
        }
        if (index != "*" && !IsIndex(index)) { problem = $"device index '{index}' is neither a number nor '*'"; return false; }
        result.Append("/device:").Append(type.ToUpperInvariant()).Append(':').Append(index);
        return true;
    }

    private static bool IsIndex(string text) =>
        text.Length > 0 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);
}
