// Shared source: compiled into the runtime and linked into the generator and analyzers, so a shape the IDE
// rejects is exactly a shape graph import rejects.
using System.Collections.Generic;
using System.Text;

namespace StaticFlow.Operations;

/// <summary>
/// Static shape rules of TensorFlow's shape functions on partially known shapes: a null shape has unknown rank,
/// a dimension of -1 is unknown. Each rule returns false when the shapes can never agree.
/// </summary>
internal static class ShapeRules
{
    /// <summary>NumPy/TensorFlow broadcasting of two shapes.</summary>
    public static bool TryBroadcast(long[]? a, long[]? b, out long[]? result)
    {
        result = null;
        if (a is null || b is null) return true;
        int rank = a.Length > b.Length ? a.Length : b.Length;
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (x == 1) dims[i] = y;
            else if (y == 1) dims[i] = x;
            else if (x == -1) dims[i] = y == -1 ? -1 : y;
            else if (y == -1 || x == y) dims[i] = x;
            else return false;
        }
        result = dims;
        return true;
    }

    /// <summary>The product shape of MatMul: both operands of rank 2 and inner dimensions equal where known.</summary>
    public static bool TryMatMul(long[]? a, long[]? b, bool transposeA, bool transposeB, out long[]? result, out string? problem)
    {
        result = null;
        problem = null;
        if (a is not null && a.Length != 2) { problem = $"MatMul needs a matrix, got a of shape {Format(a)}"; return false; }
        if (b is not null && b.Length != 2) { problem = $"MatMul needs a matrix, got b of shape {Format(b)}"; return false; }
        if (a is null || b is null)
        {
            result = [a is null ? -1 : a[transposeA ? 1 : 0], b is null ? -1 : b[transposeB ? 0 : 1]];
            return true;
        }
        long inner = a[transposeA ? 0 : 1], other = b[transposeB ? 1 : 0];
        if (inner >= 0 && other >= 0 && inner != other)
        {
            problem = $"inner dimensions differ: a {Format(a)}{(transposeA ? " (transposed)" : "")} and b {Format(b)}{(transposeB ? " (transposed)" : "")}";
            return false;
        }
        result = [a[transposeA ? 1 : 0], b[transposeB ? 0 : 1]];
        return true;
    }

    /// <summary>A shape as TensorFlow prints it: <c>(-1, 5)</c> becomes <c>[?,5]</c>, unknown rank <c>&lt;unknown&gt;</c>.</summary>
    public static string Format(IReadOnlyList<long>? dims)
    {
        if (dims is null) return "<unknown>";
        var text = new StringBuilder("[");
        for (int i = 0; i < dims.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(dims[i] < 0 ? "?" : dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.Append(']').ToString();
    }
}
