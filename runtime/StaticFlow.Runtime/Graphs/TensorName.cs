using System.Globalization;

namespace StaticFlow.Graphs;

/// <summary>A tensor named TensorFlow's way: <c>node:output</c> (<c>node</c> alone means output 0).</summary>
public readonly record struct TensorName(string Node, int Output)
{
    /// <summary>Parses <c>x</c>, <c>x:0</c>, <c>scope/x:2</c>.</summary>
    /// <exception cref="FormatException">The output index is not a non-negative integer, or the name is empty.</exception>
    public static TensorName Parse(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0) return text.Length > 0 ? new TensorName(text, 0) : throw new FormatException("An empty tensor name.");
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int output) || colon == 0)
            throw new FormatException($"'{text}' is not a tensor name (node:output).");
        return new TensorName(text[..colon], output);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Node}:{Output}");
}
