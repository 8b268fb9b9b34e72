using Crik.Cli.Chunks;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A checkpoint of what the app wrote lists its memory as slices of a few chunks, a few pages each, taking turns. A
/// fault on one reads the other slices of its chunk that the process still misses: one read of the chunk fills them
/// all, where otherwise each would be a fault of its own.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FaultReadsTests
{
    private const int Page = 4096;
    private const ulong Start = 0x100000;

    [Fact]
    public void AFaultOnASliceReadsTheOtherSlicesOfItsChunkAndOfTheNextPiecesChunks()
    {
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => null), ChunkCodec.Plain);
        var image = new ChunkedImage(Pieces(), packs, keyId: null);
        using LazyTask task = LazyTaskTests.Task([new(Start, Start + (8 * Page))], (Start, 8, Lazy: true));
        LazyArea area = task.Areas[0];

        // Piece 4 is A's; the next two are B's slice and C, a whole chunk: each of A's and B's slices comes with them.
        List<int> pieces = FaultReads.For(task, image, area, page: 4);
        Assert.Equal(4, pieces[0]);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], pieces.Order());

        // What the process has already is not read again for it; C is the second chunk after A's.
        task.MarkDone(area, 0, 2);
        pieces = FaultReads.For(task, image, area, page: 2);
        Assert.Equal(2, pieces[0]);
        Assert.Equal([2, 3, 4, 5, 6, 7], pieces.Order());
    }

    [Fact]
    public void AFaultOnAWholeChunkReadsItAndTheNextPiecesOfItsAreaOnly()
    {
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => null), ChunkCodec.Plain);
        var image = new ChunkedImage(Pieces(), packs, keyId: null);
        // Two areas: pages 0-5 and 6-7 (a hole between them in memory); the fault is in the second, on C.
        using LazyTask task = LazyTaskTests.Task([new(Start, Start + (6 * Page)), new(Start + (7 * Page), Start + (9 * Page))],
            (Start, 6, Lazy: true), (Start + (7 * Page), 2, Lazy: true));
        List<int> pieces = FaultReads.For(task, image, task.Areas[1], page: 0);
        Assert.Equal([6, 7, 0, 2, 4], pieces); // C, then A's slice after it in the same area, with A's other slices
    }

    [Fact]
    public void AFaultAmongScatteredWritesReadsAheadTwoChunksNotTwoPieces()
    {
        // Old chunks A, B and C, each a slice of three pages at a time between single pages the app wrote (chunk W).
        ChunkRef a = new(new string('a', 64), 1, 0, 6 * Page), b = new(new string('b', 64), 1, 6 * Page, 6 * Page),
            c = new(new string('c', 64), 1, 12 * Page, 6 * Page), w = new(new string('d', 64), 2, 0, 6 * Page);
        List<ChunkRef> chunks = [a.Slice(0, 3 * Page), w.Slice(0, Page), a.Slice(3 * Page, 3 * Page), w.Slice(Page, Page),
            b.Slice(0, 3 * Page), w.Slice(2 * Page, Page), b.Slice(3 * Page, 3 * Page), w.Slice(3 * Page, Page), c.Slice(0, 3 * Page), w.Slice(4 * Page, Page)];
        using var packs = new PackReader(new Crik.Cli.Tests.Chunks.PacksOf(_ => null), ChunkCodec.Plain);
        var image = new ChunkedImage(chunks, packs, keyId: null);
        using LazyTask task = LazyTaskTests.Task([new(Start, Start + (23 * Page))], (Start, 23, Lazy: true));

        // A fault on A's first slice: A's, W's and B's pieces (the second chunk after A's), not C's, the third.
        List<int> pieces = FaultReads.For(task, image, task.Areas[0], page: 0);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 9], pieces.Order());
    }

    /// <summary>Eight pieces of a page each: slices of chunk A and of chunk B taking turns, C whole, and A's last slice.</summary>
    private static List<ChunkRef> Pieces()
    {
        ChunkRef a = new(new string('a', 64), 1, 0, 4 * Page), b = new(new string('b', 64), 2, 0, 3 * Page), c = new(new string('c', 64), 1, 4 * Page, Page);
        return [a.Slice(0, Page), b.Slice(0, Page), a.Slice(Page, Page), b.Slice(Page, Page), a.Slice(2 * Page, Page), b.Slice(2 * Page, Page), c, a.Slice(3 * Page, Page)];
    }
}
