using System.Collections.Concurrent;
using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// The streamed restore's use of the read-ahead engine: chunks come out in order, never more than the depth at once,
/// no chunk after one that failed is read, and every buffer goes back, however the writer stops.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChunksInOrderTests
{
    private readonly ConcurrentDictionary<byte[], int> _out = new(ReferenceEqualityComparer.Instance);
    private int _mostOut;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void ChunksComeInOrderAndAtMostDepthAreOutAtOnce(int readers)
    {
        using var ahead = InOrder(50, Read, depth: 4, readers);
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
        using (var ahead = InOrder(20, i => i == 7 ? throw new IOException("chunk 7 is bad") : Read(i), depth: 4, readers))
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
        using var ahead = InOrder(5, i => i == 2 ? throw new IOException("chunk 2 is bad") : Read(i), depth: 4, readers: 1);
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
        using (var ahead = InOrder(100, SlowAfterTwo, depth: 4, readers: 1))
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
        using (var ahead = InOrder(2, Slow, depth: 2, readers: 1))
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

    /// <summary>An image's chunks as the streamed restore takes them: an engine of their own, with <paramref name="readers"/> threads.</summary>
    private Image InOrder(int count, Func<int, byte[]> read, int depth, int readers)
    {
        var reads = new ChunkReadAhead(new ChunkReaderThreads(readers, "test reader"), new ChunkSourceOf((_, i) => read(i), GiveBack), patience: null, failed: null);
        return new Image(reads, new ChunksInOrder(reads, image: 0, count, depth));
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

    private sealed class Image(ChunkReadAhead reads, ChunksInOrder chunks) : IDisposable
    {
        public byte[] Take(int index) => chunks.Take(index);

        public byte[]? Take(int index, int milliseconds) => chunks.Take(index, milliseconds);

        public bool TryTake(int index, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? buffer) => chunks.TryTake(index, out buffer);

        public void GiveBack(byte[] buffer) => chunks.GiveBack(buffer);

        public void Dispose()
        {
            chunks.Dispose();
            reads.Dispose();
        }
    }
}
