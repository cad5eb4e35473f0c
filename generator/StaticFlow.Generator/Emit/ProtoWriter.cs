using System;
using System.Collections.Generic;
using System.Text;

namespace StaticFlow.Generator.Emit;

/// <summary>
/// A minimal protocol-buffers encoder for the few TensorFlow messages the generator writes at compile time
/// (the generator runs inside the compiler on netstandard2.0 and carries no protobuf library).
/// </summary>
internal sealed class ProtoWriter
{
    private readonly List<byte> _bytes = new();

    public byte[] ToArray() => _bytes.ToArray();

    public void Varint(int field, ulong value)
    {
        Tag(field, 0);
        RawVarint(value);
    }

    public void Int64(int field, long value) => Varint(field, unchecked((ulong)value));

    public void Bool(int field, bool value) => Varint(field, value ? 1UL : 0UL);

    public void Float(int field, float value)
    {
        Tag(field, 5);
        byte[] bytes = BitConverter.GetBytes(value);
        if (!BitConverter.IsLittleEndian) Array.Reverse(bytes);
        _bytes.AddRange(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, byte[] value)
    {
        Tag(field, 2);
        RawVarint((ulong)value.Length);
        _bytes.AddRange(value);
    }

    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner.ToArray());
    }

    public void PackedVarints(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (long value in values) inner.RawVarint(unchecked((ulong)value));
        Bytes(field, inner.ToArray());
    }

    private void Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.Add((byte)value);
    }
}
