using System.Text;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// The element type of string tensors (TensorFlow's <c>tf.string</c>, its C++ <c>tstring</c>): <c>Tensor&lt;TString&gt;</c>
/// in graph functions holds one byte string per element, usually UTF-8 text. The struct itself holds nothing; build
/// and read string tensors with <see cref="StringTensors"/>.
/// </summary>
public readonly struct TString;

/// <summary>Building and reading <c>Tensor&lt;TString&gt;</c>.</summary>
public static class StringTensors
{
    /// <summary>A string tensor of <paramref name="dims"/> (none: a vector of all values) holding the UTF-8 bytes of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The number of values does not fill the shape.</exception>
    public static Tensor<TString> From(string[] values, params long[] dims)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new(Tensor.FromStrings([.. values.Select(Encoding.UTF8.GetBytes)], dims.Length == 0 ? [values.LongLength] : dims));
    }

    /// <summary>A scalar string tensor holding the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static Tensor<TString> Scalar(string value) => new(Tensor.Scalar(value));

    /// <summary>The elements in row-major order, decoded as UTF-8 (invalid bytes become U+FFFD; use <see cref="Tensor.Strings"/> for the bytes).</summary>
    public static string[] ToStrings(this Tensor<TString> tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return [.. tensor.Untyped.Strings.ToArray().Select(Encoding.UTF8.GetString)];
    }
}
