using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>
/// TensorFlow's <c>TensorList</c>: the value a <see cref="DType.Variant"/> handle carries through a graph. TF2 builds
/// <c>tf.TensorArray</c> on it, so Keras' recurrent layers step through their inputs and collect their outputs
/// with it, and while-loop gradients keep each iteration's values on it. A list is immutable: an op that changes
/// one returns a new list, so a handle that two ops read stays what it was for both.
/// </summary>
public sealed class TensorList
{
    // Lists made by pushing share one backing store: a push onto a list that ends where the store ends appends
    // in place, so a loop of n pushes (a gradient accumulator) costs O(n), not O(n²). Every other change copies.
    private readonly List<Tensor?> _store;

    private TensorList(DType elementDType, TensorShape elementShape, int maxCount, List<Tensor?> store, int count)
    {
        ElementDType = elementDType;
        ElementShape = elementShape;
        MaxCount = maxCount;
        _store = store;
        Count = count;
    }

    /// <summary>The dtype every element has.</summary>
    public DType ElementDType { get; }

    /// <summary>What is known of the elements' shape: possibly of unknown rank, or with unknown (-1) dimensions.</summary>
    public TensorShape ElementShape { get; }

    /// <summary>The most elements the list may hold (<c>EmptyTensorList</c>'s <c>max_num_elements</c>), or -1 for no limit.</summary>
    public int MaxCount { get; }

    /// <summary>The number of elements, set or not.</summary>
    public int Count { get; }

    /// <summary>Element <paramref name="index"/>, or null where the list was reserved but nothing was set there.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the list.</exception>
    public Tensor? this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            lock (_store) return _store[index];
        }
    }

    /// <summary>A list of <paramref name="items"/> (null items are unset).</summary>
    public static TensorList Create(DType elementDType, TensorShape elementShape, IEnumerable<Tensor?> items, int maxCount = -1)
    {
        ArgumentNullException.ThrowIfNull(elementShape);
        List<Tensor?> store = [.. items];
        return new TensorList(elementDType, elementShape, maxCount, store, store.Count);
    }

    /// <summary>A list of <paramref name="count"/> unset elements (<c>TensorListReserve</c>).</summary>
    /// <exception cref="Graphs.ResourceLimitException">The run's memory limit does not admit that many slots.</exception>
    public static TensorList Reserve(DType elementDType, TensorShape elementShape, int count)
    {
        CheckSlots(count);
        return Create(elementDType, elementShape, Enumerable.Repeat<Tensor?>(null, count));
    }

    // A list holds one reference per element: a hostile count must meet the run's memory limit before any allocation.
    private static void CheckSlots(long count) => MemoryBudget.Check(count * IntPtr.Size, $"a tensor list of {count} elements");

    /// <summary>The elements in order (null where unset).</summary>
    public Tensor?[] ToArray()
    {
        lock (_store) return [.. _store.Take(Count)];
    }

    /// <summary>This list with <paramref name="item"/> appended.</summary>
    public TensorList PushBack(Tensor item)
    {
        lock (_store)
        {
            if (_store.Count == Count)
            {
                _store.Add(item);
                return new TensorList(ElementDType, ElementShape, MaxCount, _store, Count + 1);
            }
        }
        return With([.. ToArray(), item]);
    }

    /// <summary>This list without its last element, which is returned in <paramref name="last"/> (null when unset).</summary>
    /// <exception cref="InvalidOperationException">The list is empty.</exception>
    public TensorList PopBack(out Tensor? last)
    {
        if (Count == 0) throw new InvalidOperationException("Trying to pop from an empty list.");
        last = this[Count - 1];
        return new TensorList(ElementDType, ElementShape, MaxCount, _store, Count - 1);
    }

    /// <summary>This list with element <paramref name="index"/> replaced, growing with unset elements when the index is past the end.</summary>
    public TensorList SetItem(int index, Tensor item)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (index >= Count) CheckSlots(index + 1L);
        Tensor?[] items = ToArray();
        if (index >= items.Length) Array.Resize(ref items, index + 1);
        items[index] = item;
        return With(items);
    }

    /// <summary>This list cut or grown (with unset elements) to <paramref name="count"/> elements.</summary>
    public TensorList Resize(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= Count) return new TensorList(ElementDType, ElementShape, MaxCount, _store, count);
        CheckSlots(count);
        Tensor?[] items = ToArray();
        Array.Resize(ref items, count);
        return With(items);
    }

    private TensorList With(Tensor?[] items) => new(ElementDType, ElementShape, MaxCount, [.. items], items.Length);

    /// <summary>Like <c>TensorList&lt;float32&gt;[3 of [?,4]]</c>.</summary>
    public override string ToString() => $"TensorList<{ElementDType.Name()}>[{Count} of {ElementShape}]";
}
