using Crik.Cli.Criu;
using Crik.Cli.Records;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Has CRIU restore some lazy pages itself: their pagemap entries lose the lazy flag. An entry a range
/// starts or ends inside is split there; the entries' pages stay in the same order, so the pages image
/// is unchanged.
/// </summary>
internal static class EagerPages
{
    /// <param name="eager">Sorted, not overlapping (<see cref="AddressRange.Merge"/>).</param>
    public static PagemapImage Apply(PagemapImage image, IReadOnlyList<AddressRange> eager)
    {
        var entries = new List<PagemapEntry>(image.Entries.Count);
        foreach (PagemapEntry entry in image.Entries)
        {
            if (!entry.IsLazy || !entry.IsPresent || entry.Pages == 0)
            {
                entries.Add(entry);
                continue;
            }
            ulong end = entry.Address + (entry.Pages * (ulong)ImagePage.Bytes);
            ulong at = entry.Address;
            foreach (AddressRange range in eager.Where(r => r.Start < end && r.End > entry.Address))
            {
                ulong from = Math.Max(range.Start, entry.Address), to = Math.Min(range.End, end);
                Add(entries, entry, at, from, lazy: true);
                Add(entries, entry, from, to, lazy: false);
                at = to;
            }
            Add(entries, entry, at, end, lazy: true);
        }
        return image with { Entries = entries };
    }

    /// <summary>
    /// Every page the image holds marked lazy, as CRIU's dump marks a page of an area a restore may take lazily: for
    /// <see cref="Apply"/> to take the mark off again where CRIU would not have set it (areas it cannot take lazily, the pages
    /// of the threads' stack pointers). Pages crik copied while the app ran, and whole pages images of old, carry no mark.
    /// </summary>
    public static PagemapImage LazyWherePresent(PagemapImage image) =>
        image with { Entries = [.. image.Entries.Select(e => e.IsPresent && e.Pages > 0 ? new PagemapEntry(e.Address, e.Pages, e.Flags | PagemapEntry.Lazy) : e)] };

    private static void Add(List<PagemapEntry> entries, PagemapEntry entry, ulong from, ulong to, bool lazy)
    {
        if (to > from)
        {
            uint flags = lazy ? entry.Flags : entry.Flags & ~PagemapEntry.Lazy;
            entries.Add(new PagemapEntry(from, (to - from) / (ulong)ImagePage.Bytes, flags));
        }
    }
}
