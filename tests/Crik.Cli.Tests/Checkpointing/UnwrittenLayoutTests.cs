using Crik.Cli.Checkpointing;
using Crik.Cli.Criu;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A dump of only what the app wrote: each page the dump leaves in its parent comes from the previous checkpoint at the
/// same address, wherever that one's pages image holds it; a page it does not hold is refused, never guessed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class UnwrittenLayoutTests
{
    private static readonly ulong Page = (ulong)ImagePage.Bytes;
    private const ulong At = 0x7f0000000000;
    private const uint Present = PagemapEntry.Present;
    private const uint Lazy = PagemapEntry.Present | PagemapEntry.Lazy;

    [Fact]
    public void APageInTheParentComesFromThePreviousCheckpointAtItsOffsetThereAcrossItsEntries()
    {
        // Before: pages 0-3 (image offsets 0-3), a gap, pages 10-13 (offsets 4-7).
        var previous = new PagemapImage(1, [new PagemapEntry(At, 4, Lazy), new PagemapEntry(At + (10 * Page), 4, Lazy)]);
        // Now: page 0 unwritten, 1 written, 2-3 and 10-11 unwritten, 12 written.
        var dumped = new PagemapImage(2, [
            new PagemapEntry(At, 1, PagemapEntry.InParent), new PagemapEntry(At + Page, 1, Lazy), new PagemapEntry(At + (2 * Page), 2, PagemapEntry.InParent),
            new PagemapEntry(At + (10 * Page), 2, PagemapEntry.InParent), new PagemapEntry(At + (12 * Page), 1, Lazy)]);

        List<LaidOutRun> runs = UnwrittenLayout.Of(dumped, previous, 7);

        Assert.Equal(
            [(At, 1L, 0L, false), (At + Page, 1L, 0L, true), (At + (2 * Page), 2L, 2L * (long)Page, false),
                (At + (10 * Page), 2L, 4L * (long)Page, false), (At + (12 * Page), 1L, (long)Page, true)],
            runs.Select(r => (r.Address, r.Pages, r.Offset, r.FromDump)));
        Assert.All(runs.Where(r => !r.FromDump), r => Assert.Equal(Lazy, r.Flags));
    }

    [Fact]
    public void OneHoleOverTwoEntriesOfThePreviousCheckpointIsTakenFromBoth()
    {
        var previous = new PagemapImage(1, [new PagemapEntry(At, 2, Present), new PagemapEntry(At + (2 * Page), 2, Lazy)]);
        var dumped = new PagemapImage(2, [new PagemapEntry(At + Page, 2, PagemapEntry.InParent)]);

        List<LaidOutRun> runs = UnwrittenLayout.Of(dumped, previous, 7);

        Assert.Equal([(At + Page, 1L, (long)Page, Present), (At + (2 * Page), 1L, 2L * (long)Page, Lazy)],
            runs.Select(r => (r.Address, r.Pages, r.Offset, r.Flags)));
    }

    [Theory]
    [InlineData(4)] // past the previous checkpoint's pages
    [InlineData(5)] // in a gap between them
    public void APageThePreviousCheckpointDoesNotHoldIsRefused(int page)
    {
        var previous = new PagemapImage(1, [new PagemapEntry(At, 4, Present), new PagemapEntry(At + (6 * Page), 1, Present)]);
        var dumped = new PagemapImage(2, [new PagemapEntry(At + (3 * Page), (ulong)page - 2, PagemapEntry.InParent)]);

        var refused = Assert.Throws<InvalidDataException>(() => UnwrittenLayout.Of(dumped, previous, 7));
        Assert.Contains($"0x{At + (4 * Page):x} was not written since the previous checkpoint, which does not hold it", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APreviousCheckpointThatIsNotWholeIsRefused()
    {
        var previous = new PagemapImage(1, [new PagemapEntry(At, 4, PagemapEntry.InParent)]);
        var dumped = new PagemapImage(2, [new PagemapEntry(At, 1, PagemapEntry.InParent)]);

        Assert.Throws<InvalidDataException>(() => UnwrittenLayout.Of(dumped, previous, 7));
    }
}
