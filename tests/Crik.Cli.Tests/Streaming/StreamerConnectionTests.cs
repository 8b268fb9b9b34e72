using System.Text;
using Crik.Cli.Streaming;
using Xunit;

namespace Crik.Cli.Tests.Streaming;

public class StreamerConnectionTests
{
    [Fact]
    public void AFileNameRequestIsRead() =>
        Assert.Equal("pages-1.img", StreamerConnection.ParseFileName(Request("pages-1.img")));

    [Theory]
    [InlineData("../escape.img")]
    [InlineData("dir/file.img")]
    [InlineData("..")]
    public void ANameThatIsNotAPlainFileNameIsRefused(string name) =>
        Assert.Contains("not a plain file name", Assert.Throws<IOException>(() => StreamerConnection.ParseFileName(Request(name))).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x12, 1, 0x41 })]
    [InlineData(new byte[] { 0x0a, 5, 0x41 })]
    [InlineData(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 })]
    [InlineData(new byte[] { 0x0a, 0 })]
    public void AMalformedRequestIsRefused(byte[] body) =>
        Assert.Throws<IOException>(() => StreamerConnection.ParseFileName(body));

    private static byte[] Request(string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        return [0x0a, (byte)bytes.Length, .. bytes];
    }
}
