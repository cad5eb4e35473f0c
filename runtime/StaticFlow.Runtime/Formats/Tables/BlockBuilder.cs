namespace StaticFlow.Formats.Tables;

/// <summary>
/// Builds one table block: entries whose keys share a prefix with the previous key, with a full key
/// (a restart point) every <c>restartInterval</c> entries, then the restart offsets and their count.
/// </summary>
internal sealed class BlockBuilder(int restartInterval)
{
    private readonly List<byte> _buffer = [];
    private readonly List<uint> _restarts = [0];
    private byte[] _lastKey = [];
    private int _sinceRestart;

    public bool IsEmpty => _buffer.Count == 0;

    /// <summary>The block's size once finished.</summary>
    public int EstimatedSize => _buffer.Count + (_restarts.Count + 1) * sizeof(uint);

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int shared = 0;
        if (_sinceRestart < restartInterval)
        {
            int max = Math.Min(_lastKey.Length, key.Length);
            while (shared < max && _lastKey[shared] == key[shared]) shared++;
        }
        else
        {
            _restarts.Add((uint)_buffer.Count);
            _sinceRestart = 0;
        }
        Varint.Write(_buffer, (ulong)shared);
        Varint.Write(_buffer, (ulong)(key.Length - shared));
        Varint.Write(_buffer, (ulong)value.Length);
        _buffer.AddRange(key[shared..]);
        _buffer.AddRange(value);
        _lastKey = key.ToArray();
        _sinceRestart++;
    }

    /// <summary>Returns the finished block contents and resets the builder.</summary>
    public byte[] Finish()
    {
        foreach (uint restart in _restarts) AddFixed32(restart);
        AddFixed32((uint)_restarts.Count);
        byte[] contents = [.. _buffer];
        _buffer.Clear();
        _restarts.Clear();
        _restarts.Add(0);
        _lastKey = [];
        _sinceRestart = 0;
        return contents;
    }

    private void AddFixed32(uint value)
    {
        _buffer.Add((byte)value);
        _buffer.Add((byte)(value >> 8));
        _buffer.Add((byte)(value >> 16));
        _buffer.Add((byte)(value >> 24));
    }
}
