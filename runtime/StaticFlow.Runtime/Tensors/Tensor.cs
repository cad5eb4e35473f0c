using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace StaticFlow.Tensors;

/// <summary>
/// A dense, immutable-shape tensor: a <see cref="Tensors.DType"/>, a fully defined <see cref="TensorShape"/>
/// and contiguous row-major little-endian storage (or one byte string per element for
/// <see cref="DType.String"/>, one object per element for <see cref="DType.Variant"/>). Views over the storage (<see cref="AsSpan{T}"/>,
/// <see cref="AsTensorSpan{T}"/>) copy nothing.
/// </summary>
public sealed class Tensor
{
    /// <summary>The largest tensor storage this runtime allocates (a single .NET array).</summary>
    public const long MaxStorageBytes = 0x7FFFFFC7;

    private byte[]? _bytes;
    // Where the elements start in _bytes and how many bytes they take: all of it, except for a tensor in a run's
    // arena (see Execution.MemoryPlanner), which is a slice of one array shared by a plan's intermediates.
    private readonly int _offset;
    private readonly int _length;
    private readonly byte[][]? _strings;
    private readonly object?[]? _variants;
    private bool _detached;

    /// <summary>
    /// The variable whose storage this tensor is, while nothing else may hold it: an optimizer step made it, and no
    /// one has read it since except reads that end within a run (see <see cref="Execution.Variable"/>). Null once
    /// it is shared; it never becomes owned again.
    /// </summary>
    internal Execution.Variable? ExclusiveOwner;

    /// <summary>Counts the in-place updates of this tensor's elements (optimizer steps on the variable that owns it), so work kept from its contents (a packed weight matrix) can tell it is stale.</summary>
    internal int Version;

    private Tensor(DType dtype, TensorShape shape, byte[]? bytes, byte[][]? strings, object?[]? variants = null)
        : this(dtype, shape, bytes, 0, bytes?.Length ?? 0, strings, variants)
    {
    }

    private Tensor(DType dtype, TensorShape shape, byte[]? bytes, int offset, int length, byte[][]? strings, object?[]? variants)
    {
        DType = dtype;
        Shape = shape;
        ElementCount = shape.ElementCount;
        _bytes = bytes;
        _offset = offset;
        _length = length;
        _strings = strings;
        _variants = variants;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The dimensions, all known.</summary>
    public TensorShape Shape { get; }

    /// <summary>The number of elements (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Size of the numeric storage in bytes (0 for string tensors).</summary>
    public long ByteCount => _bytes is null ? 0 : _length;

    /// <summary>A zero-filled tensor (empty strings for <see cref="DType.String"/>, empty elements for <see cref="DType.Variant"/>).</summary>
    /// <exception cref="ArgumentException">The shape is not fully defined, or is larger than <see cref="MaxStorageBytes"/>.</exception>
    public static Tensor Zeros(DType dtype, TensorShape shape)
    {
        if (dtype == DType.Variant) return new Tensor(dtype, shape, null, null, new object?[CheckedCount(shape, 8)]);
        if (dtype == DType.String)
        {
            var strings = new byte[CheckedCount(shape, 8)][];
            Array.Fill(strings, []);
            return new Tensor(dtype, shape, null, strings);
        }
        return new Tensor(dtype, shape, new byte[CheckedCount(shape, dtype.SizeOf()) * dtype.SizeOf()], null);
    }

    /// <summary>
    /// The array holding the numeric storage (null for strings, or once detached), for the executor's buffer reuse:
    /// all of it, except for a tensor in a run's arena, whose elements are a slice of it.
    /// </summary>
    internal byte[]? Storage => _bytes;

    /// <summary>
    /// Gives up the storage (it is going back to a buffer pool): from now on every access to the elements throws
    /// <see cref="ObjectDisposedException"/> instead of showing another run's values.
    /// </summary>
    internal void DetachStorage()
    {
        _detached = true;
        _bytes = null;
    }

    private ObjectDisposedException Detached() =>
        new(nameof(Tensor), $"This {DType.Name()}{Shape} tensor was fetched by a run whose results were disposed; its storage went back to the session.");

    /// <summary>Allocates storage for <paramref name="shape"/> without clearing it, reusing a buffer of <paramref name="pool"/> when one fits.</summary>
    internal static Tensor Uninitialized(DType dtype, TensorShape shape, Execution.BufferPool? pool)
    {
        if (pool is null || dtype is DType.String or DType.Variant) return Uninitialized(dtype, shape);
        long bytes = CheckedCount(shape, dtype.SizeOf()) * dtype.SizeOf();
        return pool.Rent((int)bytes) is { } buffer ? new Tensor(dtype, shape, buffer, null) : Uninitialized(dtype, shape);
    }

    /// <summary>
    /// A tensor whose elements are <paramref name="arena"/>'s bytes from <paramref name="offset"/> on (contents
    /// undefined): a run's intermediate in the region the plan's memory planner gave it.
    /// </summary>
    internal static Tensor InArena(DType dtype, TensorShape shape, byte[] arena, int offset, int length) =>
        new(dtype, shape, arena, offset, length, null, null);

    /// <summary>Allocates storage for <paramref name="shape"/> without clearing it; the caller fills it.</summary>
    internal static Tensor Uninitialized(DType dtype, TensorShape shape)
    {
        if (dtype is DType.String or DType.Variant) return Zeros(dtype, shape);
        long bytes = CheckedCount(shape, dtype.SizeOf()) * dtype.SizeOf();
        return new Tensor(dtype, shape, GC.AllocateUninitializedArray<byte>((int)bytes), null);
    }

    /// <summary>A tensor holding a copy of <paramref name="values"/> with the given dimensions (none: a scalar).</summary>
    /// <exception cref="ArgumentException">The number of values does not match the shape.</exception>
    public static Tensor FromArray<T>(ReadOnlySpan<T> values, params long[] dims) where T : unmanaged
    {
        var shape = new TensorShape(dims);
        if (!shape.TryGetElementCount(out long count) || count != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape {shape}.", nameof(values));
        var tensor = Uninitialized(DTypes.Of<T>(), shape);
        values.CopyTo(tensor.AsSpan<T>());
        return tensor;
    }

    /// <summary>A 1-D tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor Vector<T>(params T[] values) where T : unmanaged => FromArray<T>(values, values.LongLength);

    /// <summary>A scalar.</summary>
    public static Tensor Scalar<T>(T value) where T : unmanaged => FromArray<T>([value]);

    /// <summary>A string tensor whose elements are the given byte strings (not copied).</summary>
    public static Tensor FromStrings(byte[][] values, params long[] dims)
    {
        var shape = new TensorShape(dims);
        if (!shape.TryGetElementCount(out long count) || count != values.Length)
            throw new ArgumentException($"{values.Length} strings do not fill shape {shape}.", nameof(values));
        foreach (byte[] value in values) ArgumentNullException.ThrowIfNull(value, nameof(values));
        return new Tensor(DType.String, shape, null, values);
    }

    /// <summary>A scalar string tensor holding the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static Tensor Scalar(string value) => FromStrings([Encoding.UTF8.GetBytes(value)]);

    /// <summary>A scalar <see cref="DType.Variant"/> tensor holding <paramref name="value"/> (a <see cref="Execution.TensorList"/>).</summary>
    public static Tensor Variant(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new Tensor(DType.Variant, TensorShape.Scalar, null, null, [value]);
    }

    /// <summary>The elements of a <see cref="DType.Variant"/> tensor (null where nothing was stored).</summary>
    public ReadOnlySpan<object?> Variants =>
        _variants ?? throw new InvalidOperationException($"A {DType.Name()} tensor has no variant elements.");

    /// <summary>The elements as a writable span of <typeparamref name="T"/>, without copying.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match the dtype.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (_bytes is null || DTypes.Of<T>() != DType)
            throw _detached ? Detached() : new InvalidOperationException($"A {DType.Name()} tensor cannot be viewed as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(_bytes.AsSpan(_offset, _length));
    }

    /// <summary>The raw little-endian bytes of a numeric tensor, without copying.</summary>
    public Span<byte> AsBytes() =>
        _bytes is { } bytes ? bytes.AsSpan(_offset, _length)
            : throw (_detached ? Detached() : new InvalidOperationException($"A {DType.Name()} tensor has no contiguous byte storage."));

    /// <summary>The elements of a string tensor.</summary>
    public ReadOnlySpan<byte[]> Strings =>
        _strings ?? throw new InvalidOperationException($"A {DType.Name()} tensor has no strings.");

    /// <summary>A <see cref="TensorSpan{T}"/> over this tensor's storage (zero-copy) for System.Numerics.Tensors.</summary>
    public TensorSpan<T> AsTensorSpan<T>() where T : unmanaged
    {
        Span<T> span = AsSpan<T>();
        return new TensorSpan<T>(span, Lengths());
    }

    /// <summary>Copies a System.Numerics.Tensors span into a new tensor of the same shape.</summary>
    public static Tensor FromTensorSpan<T>(ReadOnlyTensorSpan<T> source) where T : unmanaged
    {
        var dims = new long[source.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = source.Lengths[i];
        var tensor = Uninitialized(DTypes.Of<T>(), new TensorShape(dims));
        source.FlattenTo(tensor.AsSpan<T>());
        return tensor;
    }

    /// <summary>The elements copied into a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged => AsSpan<T>().ToArray();

    /// <summary>Element <paramref name="index"/> in row-major order, widened to double (for printing and comparisons).</summary>
    public double GetDouble(long index) => DType switch
    {
        DType.Float32 => AsSpan<float>()[(int)index],
        DType.Float64 => AsSpan<double>()[(int)index],
        DType.Float16 => (double)AsSpan<Half>()[(int)index],
        DType.BFloat16 => AsSpan<BFloat16>()[(int)index],
        DType.Int8 => AsSpan<sbyte>()[(int)index],
        DType.Int16 => AsSpan<short>()[(int)index],
        DType.Int32 => AsSpan<int>()[(int)index],
        DType.Int64 => AsSpan<long>()[(int)index],
        DType.UInt8 => AsSpan<byte>()[(int)index],
        DType.UInt16 => AsSpan<ushort>()[(int)index],
        DType.UInt32 => AsSpan<uint>()[(int)index],
        DType.UInt64 => AsSpan<ulong>()[(int)index],
        DType.Bool => AsSpan<bool>()[(int)index] ? 1 : 0,
        _ => throw new InvalidOperationException($"A {DType.Name()} tensor has no numeric elements."),
    };

    /// <summary>True when dtype, shape and every element's bytes are equal.</summary>
    public bool ContentEquals(Tensor other)
    {
        if (_detached || other._detached) throw Detached();
        if (DType != other.DType || !Shape.Equals(other.Shape)) return false;
        if (_strings is not null)
        {
            for (int i = 0; i < _strings.Length; i++)
                if (!_strings[i].AsSpan().SequenceEqual(other._strings![i])) return false;
            return true;
        }
        if (_variants is not null)
        {
            for (int i = 0; i < _variants.Length; i++)
                if (!Equals(_variants[i], other._variants![i])) return false;
            return true;
        }
        return AsBytes().SequenceEqual(other.AsBytes());
    }

    /// <summary>A short description, like <c>float32[2,3]</c>.</summary>
    public override string ToString() => $"{DType.Name()}{Shape}";

    private nint[] Lengths()
    {
        var lengths = new nint[Shape.Rank];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = (nint)Shape[i];
        return lengths;
    }

    private static long CheckedCount(TensorShape shape, int elementSize)
    {
        if (!shape.TryGetElementCount(out long count))
            throw new ArgumentException($"Shape {shape} is not fully defined or its element count overflows.", nameof(shape));
        Execution.MemoryBudget.Check(count > long.MaxValue / Math.Max(elementSize, 1) ? long.MaxValue : count * elementSize, shape);
        if (count > MaxStorageBytes / Math.Max(elementSize, 1))
            throw new ArgumentException($"A tensor of shape {shape} needs more than {MaxStorageBytes} bytes, the largest single allocation.", nameof(shape));
        return count;
    }

    internal static bool FitsInStorage(long count, DType dtype) =>
        count <= MaxStorageBytes / Math.Max(dtype is DType.String or DType.Variant ? 8 : dtype.SizeOf(), 1);

    /// <summary>The same elements under another shape of equal element count, sharing storage (Reshape, Squeeze, ExpandDims).</summary>
    internal Tensor WithShape(TensorShape shape) => _detached ? throw Detached() : new(DType, shape, _bytes, _offset, _length, _strings, _variants);

    internal byte[][]? RawStrings => _strings;

    internal object?[]? RawVariants => _variants;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tensor WrapBytes(DType dtype, TensorShape shape, byte[] bytes) => new(dtype, shape, bytes, null);
}
