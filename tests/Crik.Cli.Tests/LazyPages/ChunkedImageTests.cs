using System.Security.Cryptography;
using Crik.Cli.Chunks;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// How the lazy page source reads an image's chunks: CRIU's background copy and the app's faults walk
/// the image at two places at once, and each walk's reads ahead must survive the other's requests
/// (from object storage a dropped read ahead is a request paid for twice, and the fault then waits
/// for it in a row).
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChunkedImageTests
{
    private const int ChunkBytes = 4096;
    private const int Chunks = 64;

    [Fact]
    public void TwoWalksInterleavedReadEveryChunkOnce()
    {
        var source = new CountingSource(Chunks * ChunkBytes);
        using var packs = new PackReader(_ => source, ChunkCodec.Plain);
        using var image = new ChunkedImage(ChunkRefs(source.Bytes), packs, keyId: null);
        var page = new byte[512];

        // The background copy walks from chunk 0, the app's faults from chunk 32, request by request in turn.
        for (int step = 0; step < 24; step++)
        {
            image.Read((long)step * ChunkBytes, page);
            Assert.True(source.Bytes.AsSpan(step * ChunkBytes, page.Length).SequenceEqual(page));
            image.Read((long)(32 + step) * ChunkBytes + 1000, page);
            Assert.True(source.Bytes.AsSpan(((32 + step) * ChunkBytes) + 1000, page.Length).SequenceEqual(page));
        }

        // 48 chunks wanted; reads ahead may run past the last one of each walk, but none is read twice.
        Assert.All(source.ReadsPerChunk(ChunkBytes), reads => Assert.InRange(reads, 0, 1));
        Assert.InRange(source.ReadsPerChunk(ChunkBytes).Count(r => r == 1), 48, 48 + (ChunkedImage.Cursors * ChunkedImage.ReadAhead));
    }

    [Fact]
    public void AThirdPlaceLetsGoOfTheLeastRecentWalkOnly()
    {
        var source = new CountingSource(Chunks * ChunkBytes);
        using var packs = new PackReader(_ => source, ChunkCodec.Plain);
        using var image = new ChunkedImage(ChunkRefs(source.Bytes), packs, keyId: null);
        var page = new byte[16];

        image.Read(0, page);                       // walk A at chunk 0
        image.Read(20L * ChunkBytes, page);        // walk B at chunk 20
        image.Read(40L * ChunkBytes, page);        // a third place: A, the least recent, is let go
        image.Read(21L * ChunkBytes, page);        // B goes on, from its read ahead

        Assert.Equal(1, source.ReadsPerChunk(ChunkBytes)[21]);
    }

    [Fact]
    public void AChunkReadFirstIsTakenFromThereCountsOnceTheAppFaultsOnItAndOneThatFailedFailsOnlyTheRequestThatNeedsIt()
    {
        var source = new CountingSource(Chunks * ChunkBytes);
        using var packs = new PackReader(_ => source, ChunkCodec.Plain);
        using var image = new ChunkedImage(ChunkRefs(source.Bytes), packs, keyId: null);
        image.ReadingFirst(10, Task.FromResult(source.Bytes.AsSpan(10 * ChunkBytes, ChunkBytes).ToArray()));
        image.ReadingFirst(20, Task.FromException<byte[]>(new ChunkException("chunk 20 does not verify")));
        var page = new byte[64];

        image.Read((10L * ChunkBytes) + 100, page);
        Assert.True(source.Bytes.AsSpan((10 * ChunkBytes) + 100, page.Length).SequenceEqual(page));
        Assert.Equal(0, image.FirstUsed); // the background copy took it: that says nothing of the guess
        image.Read((10L * ChunkBytes) + 200, page, fault: true);
        image.Read((10L * ChunkBytes) + 300, page, fault: true);
        image.Read(40L * ChunkBytes, page, fault: true);

        Assert.Equal(1, image.FirstUsed); // chunk 10 once; chunk 40 was not read first
        Assert.Equal(0, source.ReadsPerChunk(ChunkBytes)[10]); // taken from the read first, not read again
        Assert.Throws<ChunkException>(() => image.Read(20L * ChunkBytes, page));
    }

    private static List<ChunkRef> ChunkRefs(byte[] bytes) =>
        Enumerable.Range(0, Chunks)
            .Select(i => new ChunkRef(Convert.ToHexStringLower(SHA256.HashData(bytes.AsSpan(i * ChunkBytes, ChunkBytes))), 1, (long)i * ChunkBytes, ChunkBytes))
            .ToList();

    private sealed class CountingSource : IPackSource
    {
        private readonly int[] _reads;

        public CountingSource(int length)
        {
            Bytes = new byte[length];
            new Random(11).NextBytes(Bytes);
            _reads = new int[length / ChunkBytes];
        }

        public byte[] Bytes { get; }

        public long Length => Bytes.Length;

        public int Read(Span<byte> into, long offset)
        {
            Interlocked.Increment(ref _reads[offset / ChunkBytes]);
            int count = (int)Math.Min(into.Length, Bytes.Length - offset);
            Bytes.AsSpan((int)offset, count).CopyTo(into);
            return count;
        }

        public int[] ReadsPerChunk(int chunkBytes)
        {
            Thread.Sleep(200); // reads ahead still under way land first
            return _reads.ToArray();
        }

        public void Dispose()
        {
        }
    }
}
