using Crik.Cli.Criu;
namespace Crik.Cli.LazyPages;

/// <summary>
/// A run of one process's pages that CRIU left for crik to fill, inside one mapping: where the pages
/// are now (<see cref="Address"/>, which an mremap moves), where their bytes are in the pages image
/// (<see cref="Offset"/>), and which of them are still missing. A page is done once it is in, or once
/// the app dropped or unmapped it (then it must never be filled from the image). Used under its task's lock.
/// </summary>
internal sealed class LazyArea
{
    private readonly ulong[] _done;

    public LazyArea(ulong address, long offset, long pages)
        : this(address, address, offset, pages, new ulong[(pages + 63) / 64], pages)
    {
    }

    private LazyArea(ulong address, ulong dumpedAt, long offset, long pages, ulong[] done, long missing)
    {
        Address = address;
        DumpedAt = dumpedAt;
        Offset = offset;
        Pages = pages;
        _done = done;
        Missing = missing;
    }

    public ulong Address { get; private set; }

    /// <summary>Where the pages were at dump time (and after the restore, until an mremap).</summary>
    public ulong DumpedAt { get; }

    public long Offset { get; }

    public long Pages { get; }

    public long Missing { get; private set; }

    public ulong End => Address + (ulong)(Pages * ImagePage.Bytes);

    public long OffsetEnd => Offset + (Pages * ImagePage.Bytes);

    public bool IsDone(long page) => (_done[page >> 6] & (1UL << (int)(page & 63))) != 0;

    /// <summary>
    /// Marks <paramref name="count"/> pages from <paramref name="first"/> done; how many of them were missing. Through
    /// <see cref="LazyTask.MarkDone"/>, which keeps the count of what the process misses.
    /// </summary>
    public long MarkDone(long first, long count)
    {
        long before = Missing;
        for (long page = first; page < first + count; page++)
        {
            ref ulong word = ref _done[page >> 6];
            ulong bit = 1UL << (int)(page & 63);
            if ((word & bit) == 0)
            {
                word |= bit;
                Missing--;
            }
        }
        return before - Missing;
    }

    /// <summary>The first run of missing pages in [<paramref name="from"/>, <paramref name="to"/>), at most <paramref name="most"/> long; count 0 when none.</summary>
    public (long First, long Count) NextMissing(long from, long to, long most)
    {
        long page = from;
        while (page < to && IsDone(page))
        {
            page = (_done[page >> 6] == ulong.MaxValue) ? (page | 63) + 1 : page + 1;
        }
        long end = page;
        while (end < to && end - page < most && !IsDone(end))
        {
            end++;
        }
        return (page, Math.Max(0, Math.Min(end, to) - page));
    }

    /// <summary>The page at <paramref name="address"/>, or -1 when it is not in this area.</summary>
    public long PageAt(ulong address) => address >= Address && address < End ? (long)((address - Address) / (ulong)ImagePage.Bytes) : -1;

    /// <summary>Which pages are done (a bit each), as they are now.</summary>
    public ulong[] DoneNow() => (ulong[])_done.Clone();

    /// <summary>A copy with its own record of what is done (the same pages in a forked child).</summary>
    public LazyArea Clone() => new(Address, DumpedAt, Offset, Pages, (ulong[])_done.Clone(), Missing);

    /// <summary>Splits this area at <paramref name="page"/>: this keeps the pages before it, the area returned the rest.</summary>
    public (LazyArea Before, LazyArea After) SplitAt(long page)
    {
        ulong bytes = (ulong)(page * ImagePage.Bytes);
        ulong[] before = new ulong[(page + 63) / 64], after = new ulong[(Pages - page + 63) / 64];
        long missingBefore = page, missingAfter = Pages - page;
        for (long p = 0; p < Pages; p++)
        {
            if (!IsDone(p))
            {
                continue;
            }
            if (p < page)
            {
                before[p >> 6] |= 1UL << (int)(p & 63);
                missingBefore--;
            }
            else
            {
                after[(p - page) >> 6] |= 1UL << (int)((p - page) & 63);
                missingAfter--;
            }
        }
        return (new LazyArea(Address, DumpedAt, Offset, page, before, missingBefore),
            new LazyArea(Address + bytes, DumpedAt + bytes, Offset + (long)bytes, Pages - page, after, missingAfter));
    }

    /// <summary>The area now lives <paramref name="delta"/> bytes away (an mremap moved it).</summary>
    public void MoveBy(long delta) => Address = (ulong)((long)Address + delta);
}
