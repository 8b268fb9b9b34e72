using System.Text;
using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

public class Crc32CTests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    [InlineData("abc", 0x364B3FB7u)]
    [InlineData("123456789", 0xE3069283u)]
    public void KnownVectors(string text, uint expected) =>
        Assert.Equal(expected, Crc32C.Append(0, Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void HardwarePathMatchesTheBitwiseDefinitionAcrossBlockBoundaries()
    {
        var data = new byte[10_007];
        new Random(42).NextBytes(data);
        uint whole = Crc32C.Append(0, data);
        Assert.Equal(Bitwise(data), whole);
        // Fed in uneven pieces, as FileDigest reads a file, the result is the same.
        uint pieces = 0;
        for (int offset = 0; offset < data.Length; offset += 333)
        {
            pieces = Crc32C.Append(pieces, data.AsSpan(offset, Math.Min(333, data.Length - offset)));
        }
        Assert.Equal(whole, pieces);
    }

    private static uint Bitwise(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }
        return ~crc;
    }
}
