using System.Text;
using StaticFlow.Formats.Hashing;

namespace StaticFlow.Tests;

public class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
    public void MatchesPublishedCastagnoliValues(string text, uint expected) =>
        Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void ThirtyTwoZeroBytesMatchRfc3720() => Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));

    [Fact]
    public void ExtendEqualsOneShotAtEverySplit()
    {
        byte[] data = new byte[257];
        new Random(7).NextBytes(data);
        uint whole = Crc32C.Compute(data);
        for (int split = 0; split <= data.Length; split++)
            Assert.Equal(whole, Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
    }

    [Fact]
    public void LongInputsMatchABytewiseReference()
    {
        // Long spans take the three-lane path; compare with the textbook bitwise definition.
        var random = new Random(9);
        foreach (int length in new[] { 12287, 12288, 12289, 3 * 12288 + 17, 100_001 })
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            uint reference = 0xFFFFFFFF;
            foreach (byte b in data)
            {
                reference ^= b;
                for (int k = 0; k < 8; k++) reference = (reference & 1) != 0 ? (reference >> 1) ^ 0x82F63B78 : reference >> 1;
            }
            Assert.Equal(~reference, Crc32C.Compute(data));
            Assert.Equal(~reference, Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, 5)), data.AsSpan(5)));
        }
    }

    [Fact]
    public void MaskRoundTripsAndChangesTheValue()
    {
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            uint crc = (uint)random.NextInt64(0, uint.MaxValue + 1L);
            Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
        }
        // TensorFlow's masking of 0: rotate right by 15 then add 0xa282ead8.
        Assert.Equal(0xa282ead8u, Crc32C.Mask(0));
    }
}
