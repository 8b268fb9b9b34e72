using Crik.Cli.Chunks;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>The fill's buffers hold the app's memory: every byte of them that was lent for is cleared when the fill ends, and none they never lent for is touched.</summary>
[Trait("Category", "Unit")]
public sealed class FillBuffersTests
{
    [Fact]
    public void ABufferIsLentAgainAsItIsAndEveryByteLentForIsClearedWhenTheFillEnds()
    {
        var buffers = new FillBuffers();
        byte[] first = buffers.Rent(3 * 4096);
        Assert.Equal(PageChunker.MaxBytes, first.Length);
        first.AsSpan(0, 3 * 4096).Fill(0xab);
        buffers.Return(first);
        buffers.Return(first); // twice: taken back once
        buffers.Return(new byte[16]); // never lent here: ignored

        byte[] again = buffers.Rent(4096); // a smaller chunk in the same buffer: what it held past 4096 bytes is not its concern
        Assert.Same(first, again);
        byte[] second = buffers.Rent(4096);
        Assert.NotSame(first, second);
        second.AsSpan(0, 4096).Fill(0xcd);
        buffers.Return(again);
        buffers.Return(second);

        buffers.Dispose();
        Assert.All(first, b => Assert.Equal(0, b)); // all three pages it was ever lent for
        Assert.All(second, b => Assert.Equal(0, b));
    }

    [Fact]
    public void ABufferGivenBackAfterTheFillEndedIsClearedAtOnce()
    {
        var buffers = new FillBuffers();
        byte[] late = buffers.Rent(8192);
        late.AsSpan(0, 8192).Fill(1);
        buffers.Dispose();
        Assert.Contains(late, b => b != 0); // still lent: a read under way when the fill ended
        buffers.Return(late);
        Assert.All(late, b => Assert.Equal(0, b));
    }

    [Fact]
    public void NoBufferIsLentForMoreThanTheLargestChunk() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FillBuffers().Rent(PageChunker.MaxBytes + 1));
}
