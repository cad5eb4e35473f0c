using System.Collections;
using StaticFlow.Tensors;

namespace StaticFlow.Execution;

/// <summary>
/// The tensors one <see cref="GraphSession.Run"/> fetched, in fetch order. Results may simply be dropped, and then
/// they stay valid for as long as they are referenced. Disposing them is a promise that none of these tensors is
/// used again: the storage of fetched products goes back to the session's plan, and the next run writes into it
/// instead of allocating (for a 256 × 256 product, a fresh large-object-heap array and the collections it causes
/// cost about as much as the product itself). ONNX Runtime's disposable outputs make the same trade.
/// After <see cref="Dispose"/>, reading the elements of a tensor whose storage went back throws
/// <see cref="ObjectDisposedException"/>; shapes and dtypes stay readable.
/// </summary>
public sealed class RunResults : IReadOnlyList<Tensor>, IDisposable
{
    private readonly Tensor[] _tensors;
    private readonly bool[] _returnable;
    private readonly BufferPool _pool;
    private int _disposed;

    internal RunResults(Tensor[] tensors, bool[] returnable, BufferPool pool)
    {
        _tensors = tensors;
        _returnable = returnable;
        _pool = pool;
    }

    /// <summary>The tensor fetched <paramref name="index"/>-th.</summary>
    public Tensor this[int index] => _tensors[index];

    /// <summary>How many tensors were fetched.</summary>
    public int Count => _tensors.Length;

    /// <inheritdoc/>
    public IEnumerator<Tensor> GetEnumerator() => ((IEnumerable<Tensor>)_tensors).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Gives the storage of fetched products back to the session for its next runs; the tensors that used it become unusable.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        for (int i = 0; i < _tensors.Length; i++)
        {
            if (!_returnable[i] || _tensors[i].Storage is not { } storage) continue;
            // The same tensor fetched twice, or views of it among the results: every one of them lets go first.
            foreach (var tensor in _tensors)
                if (ReferenceEquals(tensor.Storage, storage)) tensor.DetachStorage();
            _pool.Return(storage);
        }
    }
}
