using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>How much of the previous checkpoint's chunks the app's writes cut into, by where each written page lies in its pages image.</summary>
[Trait("Category", "Unit")]
public sealed class TouchedChunksTests
{
    private static readonly ulong Page = (ulong)ImagePage.Bytes;
    private const ulong At = 0x7f0000000000;

    [Fact]
    public void EachChunkHoldingAWrittenPageCountsOnceAndAnUntrackedProcessCountsWhole()
    {
        // Process 1: pages 0-3 and 10-13 of memory are image pages 0-7, in chunks of 2, 2 and 4 pages.
        var one = new PagemapImage(1, [new PagemapEntry(At, 4, PagemapEntry.Present), new PagemapEntry(At + (10 * Page), 4, PagemapEntry.Present)]);
        // Process 2: 2 pages, one chunk; nothing known of what it wrote.
        var two = new PagemapImage(2, [new PagemapEntry(At, 2, PagemapEntry.Present)]);
        var pages = new Dictionary<string, IReadOnlyList<ChunkRef>>
        {
            ["pages-1.img"] = [Chunk(2), Chunk(2), Chunk(4)],
            ["pages-2.img"] = [Chunk(2)],
        };
        // Pages 1 and 0 (chunk 0, twice), 11 (image page 5: chunk 2), and page 7, which the checkpoint does not hold.
        var written = new Dictionary<int, List<AddressRange>>
        {
            [1] = [new(At, At + (2 * Page)), new(At + (7 * Page), At + (8 * Page)), new(At + (11 * Page), At + (12 * Page))],
        };

        (long touched, long total) = TouchedChunks.Of(new Dictionary<int, PagemapImage> { [1] = one, [2] = two }, pages, written);

        Assert.Equal((long)(2 + 4 + 2) * (long)Page, touched);
        Assert.Equal((long)(8 + 2) * (long)Page, total);
    }

    private static ChunkRef Chunk(int pages) => new(Guid.NewGuid().ToString("N"), 1, 0, pages * (int)Page);
}
