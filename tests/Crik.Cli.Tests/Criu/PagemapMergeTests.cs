using Crik.Cli.Criu;
using Crik.Cli.LazyPages;
using Xunit;

namespace Crik.Cli.Tests.Criu;

/// <summary>
/// A checkpoint of what the app wrote lists a run for every stretch of pages written and not written. Merged, the
/// neighbours with the same flags are one entry, and every page keeps its place in the pages image.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PagemapMergeTests
{
    private const ulong Page = 4096;
    private const uint LazyPresent = PagemapEntry.Present | PagemapEntry.Lazy;

    [Fact]
    public void NeighboursWithTheSameFlagsBecomeOneEntryAndOthersStayApart()
    {
        var image = new PagemapImage(3, [
            new(0x10000, 2, LazyPresent), new(0x12000, 1, LazyPresent), new(0x13000, 4, LazyPresent), // one
            new(0x17000, 1, PagemapEntry.Present), // not lazy: apart
            new(0x18000, 1, LazyPresent), // lazy again: apart from the one before, the start of the next
            new(0x1a000, 2, LazyPresent), // a hole before it: apart
            new(0x1c000, 3, PagemapEntry.InParent), new(0x1f000, 1, PagemapEntry.InParent), // in the parent: one, with no pages here
        ]);
        PagemapImage merged = image.Merged();
        Assert.Equal(3u, merged.PagesId);
        Assert.Equal([new(0x10000, 7, LazyPresent), new(0x17000, 1, PagemapEntry.Present), new(0x18000, 1, LazyPresent),
            new(0x1a000, 2, LazyPresent), new(0x1c000, 4, PagemapEntry.InParent)], merged.Entries);
        Assert.Same(merged, merged.Merged()); // nothing left to merge
    }

    [Fact]
    public void EveryPageKeepsItsPlaceInThePagesImage()
    {
        var random = new Random(62);
        var entries = new List<PagemapEntry>();
        ulong address = 0x400000;
        for (int i = 0; i < 5000; i++)
        {
            ulong pages = (ulong)random.Next(1, 6);
            entries.Add(new PagemapEntry(address, pages, random.Next(4) == 0 ? PagemapEntry.Present : LazyPresent));
            address += (pages + (random.Next(3) == 0 ? (ulong)random.Next(1, 4) : 0)) * Page;
        }
        var image = new PagemapImage(1, entries);
        PagemapImage merged = image.Merged();
        Assert.InRange(merged.Entries.Count, 1, entries.Count - 1000);
        for (int i = 1; i < merged.Entries.Count; i++)
        {
            PagemapEntry before = merged.Entries[i - 1], entry = merged.Entries[i];
            Assert.False(before.Flags == entry.Flags && before.Address + (before.Pages * Page) == entry.Address, $"entries {i - 1} and {i} could be one");
        }
        Assert.Equal(Places(image), Places(merged));
        Assert.Equal(Pagemap.Parse(image.Encode()).Bytes, Pagemap.Parse(merged.Encode()).Bytes);
    }

    /// <summary>Each page: its address, its place in the pages image, and whether it is lazy.</summary>
    private static List<(ulong Address, long Offset, bool Lazy)> Places(PagemapImage image) =>
        [.. Pagemap.From(image).Runs.SelectMany(r => Enumerable.Range(0, (int)r.Pages).Select(p => (r.Address + ((ulong)p * Page), r.Offset + (p * (long)Page), r.Lazy)))];
}
