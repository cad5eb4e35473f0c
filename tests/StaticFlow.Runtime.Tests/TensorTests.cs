using Google.Protobuf;
using StaticFlow.Protos;
using StaticFlow.Tensors;

namespace StaticFlow.Tests;

public class TensorTests
{
    [Fact]
    public void TensorContentRoundTrips()
    {
        var tensor = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 2, 3);
        var proto = tensor.ToProto();
        Assert.Equal(24, proto.TensorContent.Length);
        Assert.True(tensor.ContentEquals(TensorProtos.FromProto(proto)));
    }

    [Fact]
    public void TypedFieldsRoundTripForEveryDType()
    {
        Tensor[] tensors =
        [
            Tensor.FromArray<float>([1.5f, -2], 2), Tensor.FromArray<double>([1e300, -0.5], 2),
            Tensor.FromArray<int>([-7, 8], 2), Tensor.FromArray<short>([-300, 300], 2), Tensor.FromArray<sbyte>([-5, 5], 2),
            Tensor.FromArray<byte>([0, 255], 2), Tensor.FromArray<ushort>([1, 65535], 2), Tensor.FromArray<long>([long.MinValue, 3], 2),
            Tensor.FromArray<uint>([uint.MaxValue, 0], 2), Tensor.FromArray<ulong>([ulong.MaxValue, 1], 2), Tensor.FromArray<bool>([true, false], 2),
            Tensor.FromArray<Half>([(Half)0.5, (Half)(-2)], 2), Tensor.FromArray<BFloat16>([(BFloat16)0.5f, (BFloat16)(-2f)], 2),
            Tensor.FromStrings([[1, 2], []], 2),
        ];
        foreach (Tensor tensor in tensors)
            Assert.True(tensor.ContentEquals(TensorProtos.FromProto(tensor.ToProto(TensorProtoLayout.TypedFields))), tensor.ToString());
    }

    [Fact]
    public void ASingleValueSplatsAndFewerValuesPadWithTheLast()
    {
        // What TensorFlow writes for tf.constant(0.5, shape=[2, 3]) and reads for a short list.
        var splat = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShape(2, 3).ToProto(), FloatVal = { 0.5f } };
        Assert.Equal(Enumerable.Repeat(0.5f, 6), TensorProtos.FromProto(splat).ToArray<float>());
        var padded = new TensorProto { Dtype = DataType.DtInt32, TensorShape = new TensorShape(4).ToProto(), IntVal = { 1, 2 } };
        Assert.Equal([1, 2, 2, 2], TensorProtos.FromProto(padded).ToArray<int>());
        var empty = new TensorProto { Dtype = DataType.DtInt64, TensorShape = new TensorShape(3).ToProto() };
        Assert.Equal([0L, 0, 0], TensorProtos.FromProto(empty).ToArray<long>());
        var strings = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShape(2).ToProto(), StringVal = { ByteString.CopyFromUtf8("x") } };
        Assert.Equal(["x"u8.ToArray(), "x"u8.ToArray()], TensorProtos.FromProto(strings).Strings.ToArray());
    }

    [Fact]
    public void BadProtosGiveTypedErrorsBeforeAllocating()
    {
        var tooMany = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShape(1).ToProto(), FloatVal = { 1, 2 } };
        Assert.Contains("more than shape [1]", Assert.Throws<FormatException>(() => TensorProtos.FromProto(tooMany, "node 'c'")).Message);
        var wrongContent = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShape(3).ToProto(), TensorContent = ByteString.CopyFrom(new byte[8]) };
        Assert.Contains("needs 12", Assert.Throws<FormatException>(() => TensorProtos.FromProto(wrongContent)).Message);
        var huge = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShape(1L << 40, 1L << 30).ToProto(), FloatVal = { 0 } };
        Assert.Contains("overflows", Assert.Throws<FormatException>(() => TensorProtos.FromProto(huge)).Message);
        var large = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShape(1L << 40).ToProto(), FloatVal = { 0 } };
        Assert.Contains("larger than", Assert.Throws<FormatException>(() => TensorProtos.FromProto(large)).Message);
        var resource = new TensorProto { Dtype = DataType.DtResource, TensorShape = new TensorShape().ToProto() };
        Assert.Contains("DtResource", Assert.Throws<NotSupportedException>(() => TensorProtos.FromProto(resource, "node 'h'")).Message);
    }

    [Fact]
    public void TensorSpanViewsShareStorage()
    {
        var tensor = Tensor.FromArray<float>([1, 2, 3, 4, 5, 6], 2, 3);
        var span = tensor.AsTensorSpan<float>();
        Assert.Equal(2, span.Rank);
        Assert.Equal(3, span.Lengths[1]);
        span[1, 2] = 60;
        Assert.Equal(60, tensor.AsSpan<float>()[5]);
        var copy = Tensor.FromTensorSpan<float>(span);
        Assert.True(copy.ContentEquals(tensor));
        Assert.Throws<InvalidOperationException>(() => tensor.AsSpan<int>());
    }

    [Fact]
    public void ShapesFormatAndValidateLikeTensorFlow()
    {
        Assert.Equal("[]", TensorShape.Scalar.ToString());
        Assert.Equal("[?,5]", new TensorShape(-1, 5).ToString());
        Assert.Equal("<unknown>", TensorShape.UnknownRank.ToString());
        Assert.False(new TensorShape(long.MaxValue, 2).TryGetElementCount(out _));
        Assert.Equal(0, new TensorShape(0, long.MaxValue).ElementCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorShape(-2));
    }

    [Fact]
    public void BFloat16RoundsToNearestEven()
    {
        Assert.Equal(0x3F80, ((BFloat16)1.0f).Bits);
        Assert.Equal(0x3F80, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F808000)).Bits); // tie, even stays
        Assert.Equal(0x3F82, ((BFloat16)BitConverter.UInt32BitsToSingle(0x3F818000)).Bits); // tie, odd rounds up
        Assert.True(float.IsNaN((BFloat16)float.NaN));
    }

    [Fact]
    public void FormatterPrintsNestedValuesInFull()
    {
        Assert.Equal("[[1.0, 2.5], [-3.0, nan]]", TensorFormatter.ToText(Tensor.FromArray<float>([1, 2.5f, -3, float.NaN], 2, 2)));
        Assert.Equal("[b'a\\x00', b'']", TensorFormatter.ToText(Tensor.FromStrings([[(byte)'a', 0], []], 2)));
        Assert.Equal("True", TensorFormatter.ToText(Tensor.Scalar(true)));
    }

    [Fact]
    public void ATensorReadFromAParsedProtoSharesItsBytesAndOneThatCannotIsCopied()
    {
        var values = Tensor.FromArray<float>([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var parsed = Protos.TensorProto.Parser.ParseFrom(values.ToProto().ToByteArray());
        var tensor = TensorProtos.FromProto(parsed);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(parsed.TensorContent.Memory, out ArraySegment<byte> content));
        Assert.Same(content.Array, tensor.Storage);
        Assert.True(values.ContentEquals(tensor));

        // tensor_content that is a slice of a larger array is copied (a tensor's storage is a whole array).
        byte[] padded = [9, .. values.AsBytes().ToArray(), 9];
        var sliced = new Protos.TensorProto { Dtype = Protos.DataType.DtFloat, TensorShape = values.Shape.ToProto(),
            TensorContent = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(padded.AsMemory(1, 24)) };
        var copied = TensorProtos.FromProto(sliced);
        Assert.NotSame(padded, copied.Storage);
        Assert.True(values.ContentEquals(copied));
    }
}
