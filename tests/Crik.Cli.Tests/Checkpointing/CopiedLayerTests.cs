using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;
using Crik.Cli.WriteTracking;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// What crik copied of the app's writes while it ran is laid over the previous checkpoint: a copied page comes from the
/// copy (after the previous checkpoint's image), every other page from the previous checkpoint at its offset there; a copied
/// page keeps the lazy mark the previous checkpoint had at its address, and one it did not hold is restored eagerly.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CopiedLayerTests
{
    private static readonly ulong Page = (ulong)ImagePage.Bytes;
    private static readonly long PageBytes = ImagePage.Bytes;
    private const ulong At = 0x7f0000000000;
    private const uint Present = PagemapEntry.Present;
    private const uint Lazy = PagemapEntry.Present | PagemapEntry.Lazy;

    [Fact]
    public void ACopiedPageComesFromTheCopyAndTheRestFromThePreviousCheckpoint()
    {
        // Before: pages 0-3 lazy (offsets 0-3), pages 10-11 eager (offsets 4-5): six pages in two chunks.
        var previous = new PagemapImage(1, [new PagemapEntry(At, 4, Lazy), new PagemapEntry(At + (10 * Page), 2, Present)]);
        ChunkRef[] before = [Chunk("a", 4), Chunk("b", 2)];
        // Copied: page 1, pages 3-4 (4 is new: between the entries), page 11. Four pages in one chunk.
        var copied = new CopiedWrites([Range(1, 2), Range(3, 5), Range(11, 12)], [Chunk("c", 4)], Skipped: 0);

        PagesLayer layer = CopiedLayer.Of(Layer(previous, before), copied);

        long copy = 6 * PageBytes;
        Assert.Equal(
            [(At, 1L, 0L, Lazy), (At + Page, 1L, copy, Lazy), (At + (2 * Page), 1L, 2 * PageBytes, Lazy), (At + (3 * Page), 1L, copy + PageBytes, Lazy),
                (At + (4 * Page), 1L, copy + (2 * PageBytes), Present), (At + (10 * Page), 1L, 4 * PageBytes, Present), (At + (11 * Page), 1L, copy + (3 * PageBytes), Present)],
            layer.Runs.Select(r => (r.Address, r.Pages, r.Offset, r.Flags)));
        Assert.Equal(["a", "b", "c"], layer.Chunks.Select(c => c.Id));
    }

    [Fact]
    public void APageWrittenAfterTheCopyIsTheDumpsAndOneNotWrittenSinceComesFromTheCopy()
    {
        var previous = new PagemapImage(1, [new PagemapEntry(At, 4, Lazy)]);
        var copied = new CopiedWrites([Range(0, 4)], [Chunk("c", 4)], Skipped: 0);
        PagesLayer layer = CopiedLayer.Of(Layer(previous, [Chunk("a", 4)]), copied);
        // The dump: page 0 written after the copy's scan, pages 1-3 not.
        var dumped = new PagemapImage(2, [new PagemapEntry(At, 1, Lazy), new PagemapEntry(At + Page, 3, PagemapEntry.InParent)]);

        List<LaidOutRun> runs = UnwrittenLayout.Of(dumped, layer.Runs, 7);

        Assert.Equal([(At, 1L, 0L, true), (At + Page, 3L, 5 * PageBytes, false)], runs.Select(r => (r.Address, r.Pages, r.Offset, r.FromDump)));
    }

    [Fact]
    public void RangesLoseWhatTheHolesCover()
    {
        List<AddressRange> kept = AddressRange.Without([Range(0, 4), Range(6, 10), Range(12, 13)], [Range(1, 2), Range(3, 7), Range(9, 20)]);

        Assert.Equal([Range(0, 1), Range(2, 3), Range(7, 9)], kept);
    }

    /// <summary>The previous checkpoint's pages, as its pagemap and chunks give them.</summary>
    private static PagesLayer Layer(PagemapImage pagemap, ChunkRef[] chunks) => new(LaidOutRun.AllOf(pagemap, fromDump: true, "the previous pagemap"), chunks);

    private static AddressRange Range(ulong first, ulong end) => new(At + (first * Page), At + (end * Page));

    private static ChunkRef Chunk(string id, int pages) => new(id, 1, 0, pages * ImagePage.Bytes);
}
