using System.Text;
using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>
/// A TensorFlow lookup table resource (<c>HashTableV2</c>, <c>MutableHashTableV2</c>): what Keras' <c>StringLookup</c>
/// and <c>IntegerLookup</c> layers, <c>tf.lookup.StaticHashTable</c> and TF1's <c>index_table_from_file</c> export.
/// Keys are strings or integers, values scalars of one dtype. A session keeps it in its <see cref="ResourceStore"/>
/// (under the table's shared name) as a <see cref="DType.Variant"/> value. Safe for concurrent use.
/// </summary>
public sealed class LookupTable
{
    private readonly Dictionary<object, object> _entries = new();

    /// <summary>A table mapping <paramref name="keyDType"/> keys to <paramref name="valueDType"/> values.</summary>
    /// <param name="keyDType">String or an integer dtype.</param>
    /// <param name="valueDType">A numeric dtype or string.</param>
    /// <param name="mutable">True for <c>MutableHashTableV2</c> (insert, remove, import); false for an initializable <c>HashTableV2</c>.</param>
    public LookupTable(DType keyDType, DType valueDType, bool mutable)
    {
        KeyDType = keyDType;
        ValueDType = valueDType;
        IsMutable = mutable;
    }

    /// <summary>The keys' dtype.</summary>
    public DType KeyDType { get; }

    /// <summary>The values' dtype.</summary>
    public DType ValueDType { get; }

    /// <summary>True for a mutable table; an initializable one is filled once.</summary>
    public bool IsMutable { get; }

    /// <summary>True once an initializable table was filled (always true for a mutable one).</summary>
    public bool IsInitialized { get; private set; }

    /// <summary>The number of entries.</summary>
    public int Count
    {
        get { lock (_entries) return _entries.Count; }
    }

    /// <summary>Fills an initializable table, or checks that it already holds exactly these entries (TensorFlow's rule).</summary>
    /// <exception cref="InvalidOperationException">A key repeats with another value, or the table holds other data.</exception>
    public void Initialize(Tensor keys, Tensor values)
    {
        // A graph that initializes its table on every call (a lookup with its initializer as a control input) passes
        // the same folded constants each time: nothing to compare.
        lock (_entries)
            if (IsInitialized && ReferenceEquals(keys, _initializedFrom.Keys) && ReferenceEquals(values, _initializedFrom.Values)) return;
        var entries = new Dictionary<object, object>();
        foreach (var (key, value) in Pairs(keys, values))
            if (entries.TryGetValue(key, out var existing) && !existing.Equals(value))
                throw new InvalidOperationException($"HashTable has different value for same key: key {Show(key)} has {Show(existing)} and trying to add value {Show(value)}");
            else entries[key] = value;
        lock (_entries)
        {
            if (IsInitialized)
            {
                if (entries.Count != _entries.Count || entries.Any(e => !_entries.TryGetValue(e.Key, out var v) || !v.Equals(e.Value)))
                    throw new InvalidOperationException("Table was already initialized with different data.");
                return;
            }
            foreach (var (key, value) in entries) _entries[key] = value;
            IsInitialized = true;
            _initializedFrom = (keys, values);
        }
    }

    private (Tensor? Keys, Tensor? Values) _initializedFrom;

    /// <summary>Adds or replaces entries (mutable tables).</summary>
    public void Insert(Tensor keys, Tensor values)
    {
        var pairs = Pairs(keys, values).ToList();
        lock (_entries) foreach (var (key, value) in pairs) _entries[key] = value;
    }

    /// <summary>Replaces every entry (mutable tables; how a checkpoint restores one).</summary>
    public void Import(Tensor keys, Tensor values)
    {
        var pairs = Pairs(keys, values).ToList();
        lock (_entries)
        {
            _entries.Clear();
            foreach (var (key, value) in pairs) _entries[key] = value;
        }
    }

    /// <summary>Removes the entries of <paramref name="keys"/> that exist (mutable tables).</summary>
    public void Remove(Tensor keys)
    {
        var removed = Keys(keys).ToList();
        lock (_entries) foreach (var key in removed) _entries.Remove(key);
    }

    /// <summary>Each key's value, or the default's (a scalar, or one per key) where the key is absent.</summary>
    /// <exception cref="ArgumentException">The keys' or default's dtype is not the table's, or the default's shape fits neither.</exception>
    public Tensor Find(Tensor keys, Tensor defaultValue)
    {
        if (defaultValue.DType != ValueDType) throw new ArgumentException($"the default value is {defaultValue.DType.Name()} but the table's values are {ValueDType.Name()}");
        bool perKey = defaultValue.Shape.Rank != 0;
        if (perKey && !defaultValue.Shape.Equals(keys.Shape))
            throw new ArgumentException($"the default value must be a scalar or have the keys' shape {keys.Shape}, not {defaultValue.Shape}");
        var defaults = Values(defaultValue).ToArray();
        var found = new object[keys.ElementCount];
        int i = 0;
        lock (_entries)
            foreach (var key in Keys(keys))
            {
                found[i] = _entries.TryGetValue(key, out var value) ? value : defaults[perKey ? i : 0];
                i++;
            }
        return Build(ValueDType, keys.Shape, found);
    }

    /// <summary>Every entry, as a vector of keys and a vector of values in the same order.</summary>
    public (Tensor Keys, Tensor Values) Export()
    {
        KeyValuePair<object, object>[] entries;
        lock (_entries) entries = [.. _entries];
        var shape = new TensorShape(entries.Length);
        return (Build(KeyDType, shape, [.. entries.Select(e => e.Key)]), Build(ValueDType, shape, [.. entries.Select(e => e.Value)]));
    }

    /// <summary>Like <c>LookupTable&lt;string, int64&gt;[3 entries]</c>.</summary>
    public override string ToString() => $"LookupTable<{KeyDType.Name()}, {ValueDType.Name()}>[{Count} entries]";

    private IEnumerable<(object Key, object Value)> Pairs(Tensor keys, Tensor values)
    {
        if (values.DType != ValueDType) throw new ArgumentException($"the values are {values.DType.Name()} but the table's are {ValueDType.Name()}");
        if (keys.ElementCount != values.ElementCount)
            throw new ArgumentException($"{keys.ElementCount} keys ({keys.Shape}) for {values.ElementCount} values ({values.Shape})");
        return Keys(keys).Zip(Values(values), (k, v) => (k, v));
    }

    private IEnumerable<object> Keys(Tensor keys)
    {
        if (keys.DType != KeyDType) throw new ArgumentException($"the keys are {keys.DType.Name()} but the table's are {KeyDType.Name()}");
        return Elements(keys);
    }

    private static IEnumerable<object> Values(Tensor values) => Elements(values);

    // Strings become Latin-1 text (one char per byte, so any bytes round-trip), integers long, reals double.
    private static IEnumerable<object> Elements(Tensor t) => t.DType switch
    {
        DType.String => t.Strings.ToArray().Select(b => (object)Encoding.Latin1.GetString(b)),
        DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16 => Enumerable.Range(0, (int)t.ElementCount).Select(i => (object)t.GetDouble(i)),
        DType.Bool => t.ToArray<bool>().Select(b => (object)b),
        DType.Int64 => t.ToArray<long>().Select(v => (object)v),
        DType.UInt64 => t.ToArray<ulong>().Select(v => (object)(long)v),
        // The narrower integers are exact in a double.
        _ => Enumerable.Range(0, (int)t.ElementCount).Select(i => (object)(long)t.GetDouble(i)),
    };

    internal static Tensor Build(DType dtype, TensorShape shape, object[] elements)
    {
        if (dtype == DType.String) return Tensor.FromStrings([.. elements.Select(e => Encoding.Latin1.GetBytes((string)e))], [.. shape.Dims]);
        if (dtype == DType.Bool) return Tensor.FromArray<bool>([.. elements.Select(e => (bool)e)], [.. shape.Dims]);
        if (dtype is DType.Float32 or DType.Float64 or DType.Float16 or DType.BFloat16)
            return Tensor.FromArray<double>([.. elements.Select(e => e is double d ? d : (long)e)], [.. shape.Dims]).Cast(dtype);
        return Tensor.FromArray<long>([.. elements.Select(e => e is long l ? l : (long)(double)e)], [.. shape.Dims]).Cast(dtype);
    }

    private static string Show(object value) => value is string s ? $"'{s}'" : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
}
