using Crik.Cli.Chunks;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// The chunks slices are read from: the slices of one chunk read it once, a read that failed is read again, and with
/// many threads and few chunks kept, every slice still gets exactly its own bytes (buffers go back to the pool only once
/// nobody copies from them).
/// </summary>
[Trait("Category", "Unit")]
public sealed class WholeChunksOfSlicesTests
{
    [Fact]
    public void TheSlicesOfOneChunkReadItOnce()
    {
        var kept = new WholeChunksOfSlices();
        ChunkRef chunk = Chunk(1, 4096);
        int reads = 0;
        var first = new byte[100];
        var second = new byte[200];

        kept.CopySlice(chunk.Slice(0, 100), first, (whole, into) => { reads++; Fill(whole, into); });
        kept.CopySlice(chunk.Slice(1000, 200), second, (whole, into) => { reads++; Fill(whole, into); });

        Assert.Equal(1, reads);
        Assert.Equal(Bytes(chunk)[..100], first);
        Assert.Equal(Bytes(chunk)[1000..1200], second);
    }

    [Fact]
    public void AReadThatFailedIsReadAgain()
    {
        var kept = new WholeChunksOfSlices();
        ChunkRef slice = Chunk(2, 4096).Slice(10, 10);
        var into = new byte[10];

        Assert.Throws<ChunkException>(() => kept.CopySlice(slice, into, (_, _) => throw new ChunkException("damaged")));
        kept.CopySlice(slice, into, Fill);

        Assert.Equal(Bytes(slice.Whole())[10..20], into);
    }

    [Fact]
    public void ManyThreadsOverFewKeptChunksEachGetTheirOwnBytes()
    {
        var kept = new WholeChunksOfSlices(capacity: 2);
        ChunkRef[] chunks = [.. Enumerable.Range(1, 12).Select(n => Chunk(n, 8192 + (n * 4096)))];
        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            ChunkRef chunk = chunks[(i * 7) % chunks.Length];
            int from = (i * 131) % 4096, take = 1 + (i % 2048);
            var into = new byte[take];
            kept.CopySlice(chunk.Slice(from, take), into, Fill);
            Assert.Equal(Bytes(chunk)[from..(from + take)], into);
        });
    }

    private static ChunkRef Chunk(int n, int size) => new(new string((char)('a' + (n % 26)), 63) + n % 10, n, 0, size);

    /// <summary>A chunk's bytes: its number, then a count, so that any two chunks and any two places differ.</summary>
    private static byte[] Bytes(ChunkRef whole)
    {
        var bytes = new byte[whole.WholeSize];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((whole.Pack * 31) + (i * 7) + (i >> 8));
        }
        return bytes;
    }

    private static void Fill(ChunkRef whole, Span<byte> into) => Bytes(whole).CopyTo(into);
}
