using System.Text;
using Crik.NodeStateServer.Kubernetes;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

[Trait("Category", "Unit")]
public sealed class WatchLineReaderTests
{
    private static async Task<List<string>> ReadAllAsync(Stream stream)
    {
        var reader = new WatchLineReader(stream);
        var lines = new List<string>();
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            lines.Add(Encoding.UTF8.GetString(line.Span));
        return lines;
    }

    [Fact]
    public async Task LinesAcrossBufferBoundariesComeBackWhole()
    {
        var big = new string('a', 200_000);
        var text = $"one\n{big}\n\nthree\n";
        Assert.Equal(["one", big, "", "three"], await ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(text))));
    }

    [Fact]
    public async Task LineOfExactlyTheCapIsAccepted()
    {
        var bytes = new byte[WatchLineReader.MaxLineBytes + 1];
        Array.Fill(bytes, (byte)'x');
        bytes[^1] = (byte)'\n';
        var lines = await ReadAllAsync(new MemoryStream(bytes));
        Assert.Equal(WatchLineReader.MaxLineBytes, Assert.Single(lines).Length);
    }

    [Fact]
    public async Task LinePastTheCapAbandonsTheWatch()
    {
        var bytes = new byte[WatchLineReader.MaxLineBytes + 2];
        Array.Fill(bytes, (byte)'x');
        var e = await Assert.ThrowsAsync<WatchAbandonedException>(() => ReadAllAsync(new MemoryStream(bytes)));
        Assert.True(e.BadData);
    }

    [Fact]
    public async Task StreamEndingMidLineIsAnIOError() =>
        await Assert.ThrowsAsync<IOException>(() => ReadAllAsync(new MemoryStream("{\"type\":"u8.ToArray())));
}
