using System.Collections.Concurrent;
using Crik.Cli.Streaming;
using Xunit;

namespace Crik.Cli.Tests.Streaming;

/// <summary>Chunks come out in order, never more than the depth at once, and every buffer goes back, however the writer stops.</summary>
[Trait("Category", "Unit")]
public sealed class ChunkReadAheadTests
{
    private readonly ConcurrentDictionary<byte[], int> _out = new(ReferenceEqualityComparer.Instance);
    private int _mostOut;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ChunksComeInOrderAndAtMostDepthAreOutAtOnce(int readers)
    {
        using var ahead = new ChunkReadAhead(50, Read, GiveBack, depth: 4, readers, "test reader");
        for (int i = 0; i < 50; i++)
        {
            byte[] buffer = ahead.Take(i);
            Assert.Equal(i, buffer[0]);
            ahead.GiveBack(buffer);
        }
        Assert.Empty(_out);
        Assert.InRange(Volatile.Read(ref _mostOut), 1, 4);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void AChunkThatFailsIsThrownInItsTurnAfterTheChunksBeforeIt(int readers)
    {
        using (var ahead = new ChunkReadAhead(20, i => i == 7 ? throw new IOException("chunk 7 is bad") : Read(i), GiveBack, depth: 4, readers, "test reader"))
        {
            for (int i = 0; i < 7; i++)
            {
                ahead.GiveBack(ahead.Take(i));
            }
            Assert.Equal("chunk 7 is bad", Assert.Throws<IOException>(() => ahead.Take(7)).Message);
        }
        AllBuffersComeBack();
    }

    [Fact]
    public void TryTakeLeavesAFailedChunkForTakeToThrow()
    {
        using var ahead = new ChunkReadAhead(5, i => i == 2 ? throw new IOException("chunk 2 is bad") : Read(i), GiveBack, depth: 4, readers: 1, "test reader");
        for (int i = 0; i < 2; i++)
        {
            byte[]? buffer;
            while (!ahead.TryTake(i, out buffer))
            {
                Thread.Sleep(1);
            }
            ahead.GiveBack(buffer);
        }
        Thread.Sleep(50);
        Assert.False(ahead.TryTake(2, out _));
        Assert.Equal("chunk 2 is bad", Assert.Throws<IOException>(() => ahead.Take(2)).Message);
    }

    [Fact]
    public void AWriterThatStopsEarlyGetsEveryBufferBackEvenFromAReaderStillReading()
    {
        using var reading = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        byte[] SlowAfterTwo(int i)
        {
            if (i == 3)
            {
                reading.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }
            return Read(i);
        }
        using (var ahead = new ChunkReadAhead(100, SlowAfterTwo, GiveBack, depth: 4, readers: 1, "test reader"))
        {
            ahead.GiveBack(ahead.Take(0));
            Assert.True(reading.Wait(TimeSpan.FromSeconds(10)));
        }
        release.Set();
        AllBuffersComeBack();
    }

    [Fact]
    public void ATakeWithATimeLimitGivesUpWhileTheChunkIsStillBeingRead()
    {
        using var release = new ManualResetEventSlim();
        byte[] Slow(int i)
        {
            release.Wait(TimeSpan.FromSeconds(10));
            return Read(i);
        }
        using (var ahead = new ChunkReadAhead(2, Slow, GiveBack, depth: 2, readers: 1, "test reader"))
        {
            Assert.Null(ahead.Take(0, milliseconds: 20));
            release.Set();
            byte[]? first = ahead.Take(0, milliseconds: 10_000);
            Assert.NotNull(first);
            Assert.Equal(0, first[0]);
            ahead.GiveBack(first);
            ahead.GiveBack(ahead.Take(1));
        }
        AllBuffersComeBack();
    }

    private byte[] Read(int index)
    {
        var buffer = new byte[] { (byte)index };
        _out[buffer] = index;
        int count = _out.Count;
        int most;
        while (count > (most = Volatile.Read(ref _mostOut)) && Interlocked.CompareExchange(ref _mostOut, count, most) != most)
        {
        }
        return buffer;
    }

    private void GiveBack(byte[] buffer) => Assert.True(_out.TryRemove(buffer, out _), "a buffer given back twice, or never lent");

    private void AllBuffersComeBack()
    {
        // A reader busy when the writer stopped gives its buffer back once its read ends.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!_out.IsEmpty && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.Empty(_out);
    }
}
