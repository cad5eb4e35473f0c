using StaticFlow.Operations;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow;

/// <summary>
/// Records the ops run eagerly on this thread while it is open (<c>tf.GradientTape</c>), so that
/// <see cref="Gradient"/> (and <see cref="Gradients.Of{T}(Tensor{T}, Tensor{T})"/> in eagerly called graph functions)
/// can differentiate them with the same per-op rules the generator uses for compiled graphs.
/// </summary>
/// <example><code>
/// using (var tape = GradientTape.Start())
/// {
///     var loss = model.Loss(x, y);              // a graph function, called eagerly
///     var grads = tape.Gradient(loss, model.GetVariables()["w"]);
/// }
/// </code></example>
public sealed class GradientTape : IDisposable
{
    [ThreadStatic] private static GradientTape? s_current;

    private readonly GradientTape? _outer;
    private readonly List<ForwardNode> _nodes = [];
    private bool _disposed;

    private GradientTape(GradientTape? outer) => _outer = outer;

    /// <summary>Opens a tape on this thread; dispose it to stop recording.</summary>
    public static GradientTape Start() => s_current = new GradientTape(s_current);

    /// <summary>The number of ops recorded.</summary>
    public int RecordedOps => _nodes.Count;

    /// <summary>Stops recording (tapes close innermost first).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (ReferenceEquals(s_current, this)) s_current = _outer;
    }

    /// <summary>
    /// The gradients of <paramref name="target"/> (summed over its elements) with respect to each source, computed
    /// eagerly; a source the target does not depend on gets zeros (TensorFlow returns None).
    /// </summary>
    /// <exception cref="InvalidOperationException">An op on the path has no gradient rule, named with the op.</exception>
    public Tensor[] Gradient(Tensor target, IReadOnlyList<Tensor> sources)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(sources);
        var builder = new EagerOpBuilder();
        GradientTape? saved = s_current;
        s_current = null; // the backward ops are not recorded (no second-order gradients)
        try
        {
            var gradients = Backpropagation.Gradients(_nodes, EagerOpBuilder.Built(target), [.. sources.Select(EagerOpBuilder.Built)], builder);
            return [.. gradients.Select((g, i) => g is null ? Tensor.Zeros(sources[i].DType, sources[i].Shape) : EagerOpBuilder.Unbuilt(g))];
        }
        catch (OpBuildException e)
        {
            throw new InvalidOperationException($"Cannot differentiate: {e.Message}.", e);
        }
        finally
        {
            s_current = saved;
        }
    }

    /// <summary>The tape recording on this thread, or an error naming <paramref name="caller"/>.</summary>
    internal static GradientTape Active(string caller) => s_current ?? throw new InvalidOperationException(
        $"{caller} called eagerly needs the ops that computed its target recorded: open a GradientTape (using var tape = GradientTape.Start()) before computing it, or call the graph function's compiled form (<Name>Graph), whose gradients are built at compile time.");

    /// <summary>Records one eagerly run op on the open tape, if any.</summary>
    internal static void Record(OpSchema schema, NodeDef node, Tensor[][] inputs, Tensor[] outputs)
    {
        if (s_current is not { } tape) return;
        tape._nodes.Add(new EagerNode(schema, node, [.. inputs.SelectMany(a => a).Select(EagerOpBuilder.Built)], [.. outputs.Select(EagerOpBuilder.Built)]));
    }

    private sealed class EagerNode(OpSchema schema, NodeDef node, IReadOnlyList<BuiltTensor> inputs, IReadOnlyList<BuiltTensor> outputs) : ForwardNode
    {
        public override OpSchema Schema { get; } = schema;
        public override IReadOnlyList<BuiltTensor> Inputs { get; } = inputs;
        public override IReadOnlyList<BuiltTensor> Outputs { get; } = outputs;
        public override string Name => Schema.Name;

        public override object? Attr(string name)
        {
            if (!node.Attr.TryGetValue(name, out var value)) return null;
            return value.ValueCase switch
            {
                AttrValue.ValueOneofCase.B => value.B,
                AttrValue.ValueOneofCase.I => value.I,
                AttrValue.ValueOneofCase.F => (double)value.F,
                AttrValue.ValueOneofCase.S => value.S.ToStringUtf8(),
                AttrValue.ValueOneofCase.Type => new TypeName(DTypeNames.Name((int)value.Type) ?? ""),
                AttrValue.ValueOneofCase.List => value.List.I.ToArray(),
                _ => null,
            };
        }
    }
}

/// <summary>Runs gradient rules' ops eagerly: each <see cref="OpBuilder.Emit"/> is one <see cref="EagerExecutor"/> call.</summary>
internal sealed class EagerOpBuilder : OpBuilder
{
    // Handles are tensors compared by reference: one tensor object is one value of the computation.
    private sealed class Handle(Tensor tensor)
    {
        public Tensor Tensor { get; } = tensor;
        public override bool Equals(object? obj) => obj is Handle other && ReferenceEquals(other.Tensor, Tensor);
        public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Tensor);
    }

    public static BuiltTensor Built(Tensor tensor) =>
        new(new Handle(tensor), DTypeNames.Name((int)tensor.DType) ?? "", tensor.Shape.Dims.ToArray());

    public static Tensor Unbuilt(BuiltTensor tensor) => ((Handle)tensor.Handle).Tensor;

    public override IReadOnlyList<BuiltTensor> Emit(string op, IReadOnlyList<BuiltTensor[]> inputs, IReadOnlyList<BuiltAttr> attrs, IReadOnlyList<string?>? outputTypes = null)
    {
        Tensor[][] tensors = [.. inputs.Select(a => a.Select(Unbuilt).ToArray())];
        (string, AttrValue)[] values = [.. attrs.Select(a => (a.Name, ToAttrValue(a.Value)))];
        DType?[]? types = outputTypes?.Select(t => t is null ? (DType?)null : (DType)DTypeNames.EnumValue(t)).ToArray();
        return [.. EagerExecutor.Execute(op, tensors, values, types).Select(Built)];
    }

    public override BuiltTensor Constant(string dtype, long[] dims, double[] values) =>
        Built(Tensor.FromArray<double>(values, dims).Cast((DType)DTypeNames.EnumValue(dtype)));

    public override long[]? IntValues(BuiltTensor tensor)
    {
        Tensor value = Unbuilt(tensor);
        return value.DType switch
        {
            DType.Int32 => [.. value.AsSpan<int>().ToArray().Select(v => (long)v)],
            DType.Int64 => value.AsSpan<long>().ToArray(),
            _ => null,
        };
    }

    private static AttrValue ToAttrValue(object value) => value switch
    {
        AttrValue ready => ready,
        bool flag => AttrValues.Of(flag),
        long number => AttrValues.Of(number),
        int number => AttrValues.Of((long)number),
        double number => AttrValues.Of((float)number),
        string text => AttrValues.Of(text),
        long[] numbers => new AttrValue { List = new AttrValue.Types.ListValue { I = { numbers } } },
        TypeName type => new AttrValue { Type = (DataType)DTypeNames.EnumValue(type.Name) },
        _ => throw new ArgumentException($"unsupported attr value {value}"),
    };
}
