using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using StaticFlow.Kernels;
using StaticFlow.Tensors;

namespace StaticFlow.Operations;

/// <summary>What StaticFlow supports of one op: its kernels' dtypes and devices, and how graph functions reach it.</summary>
/// <param name="Name">The op's TensorFlow name.</param>
/// <param name="DTypes">The dtypes its kernels serve (of the attr that selects the kernel), or empty when one kernel serves any dtype.</param>
/// <param name="Devices">The devices it has kernels for.</param>
/// <param name="IsDifferentiable">False for ops TensorFlow marks not differentiable.</param>
/// <param name="IsStateful">True for ops with side effects or state.</param>
/// <param name="OpsMethod">The <see cref="Ops"/> method graph functions call it by, or null.</param>
/// <param name="WrittenBy">What writes the op when graph functions have no method for it.</param>
/// <param name="HasGradient">True when StaticFlow has the op's gradient rule (compile-time gradients and the eager tape use it).</param>
public sealed record OpSupport(string Name, IReadOnlyList<string> DTypes, IReadOnlyList<string> Devices, bool IsDifferentiable, bool IsStateful, string? OpsMethod, string? WrittenBy,
    bool HasGradient = false)
{
    /// <summary>The ops graph functions can call, by <see cref="Ops"/> method.</summary>
    internal static IReadOnlyDictionary<string, MethodInfo> OpsMethods { get; } = FindOpsMethods();

    // Declared after OpsMethods, which it reads while initializing.
    /// <summary>Every op of the standard catalogue, sorted by name.</summary>
    public static IReadOnlyList<OpSupport> All { get; } = Build();

    /// <summary>The dtypes in a word where they are a standard set: <c>any</c>, <c>floating</c> (float16/32/64), <c>numeric</c> (those and every integer type).</summary>
    public string DTypeSummary =>
        DTypes.Count == 0 ? "any"
        : DTypes.Order().SequenceEqual(KernelDTypes.Float.Select(d => d.Name()).Order()) ? "floating"
        : DTypes.Order().SequenceEqual(KernelDTypes.Numeric.Select(d => d.Name()).Order()) ? "numeric"
        : string.Join(", ", DTypes);

    /// <summary>The catalogue as a Markdown table (what <c>docs/ops.md</c> holds).</summary>
    public static string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| op | dtypes | devices | gradient | in graph functions |");
        text.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var op in All)
        {
            string gradient = op.HasGradient ? "yes" : op.IsDifferentiable ? "not yet" : "none";
            text.AppendLine($"| `{op.Name}` | {op.DTypeSummary} | {string.Join(", ", op.Devices)} | {gradient} | {(op.OpsMethod is { } method ? $"`Ops.{method}`" : op.WrittenBy)} |");
        }
        return text.ToString();
    }

    private static List<OpSupport> Build() =>
        [.. OpCatalog.StandardSchemas.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(schema =>
        {
            var kernels = KernelRegistry.Standard.KernelsOf(schema.Name);
            return new OpSupport(
                schema.Name,
                kernels.Any(k => k.DType is null) ? [] : [.. kernels.Select(k => k.DType!.Value.Name()).Distinct()],
                [.. kernels.Select(k => k.Device).Distinct()],
                schema.IsDifferentiable,
                schema.IsStateful,
                OpsMethods.TryGetValue(schema.Name, out var method) ? method.Name : null,
                schema.WrittenBy,
                schema.Gradient is not null);
        })];

    // Ops is public API; the DynamicDependency keeps its methods when an application is trimmed.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicMethods, typeof(Ops))]
    private static Dictionary<string, MethodInfo> FindOpsMethods()
    {
        var methods = new Dictionary<string, MethodInfo>(StringComparer.Ordinal);
        foreach (var method in typeof(Ops).GetMethods(BindingFlags.Public | BindingFlags.Static))
            if (method.GetCustomAttribute<OpMethodAttribute>() is { } attribute)
                methods.TryAdd(attribute.Op, method);
        return methods;
    }
}
