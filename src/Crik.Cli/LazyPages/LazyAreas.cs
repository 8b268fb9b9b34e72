using Crik.Cli.Criu;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The areas a process still has to be filled in (<see cref="LazyTask"/>), indexed: a process may have tens of thousands
/// (memory the app left full of holes), so a fault finds its area, and a chunk the areas it fills, by searching, and the
/// count of missing pages is kept as pages are filled, not summed; an unmap, a dropped range or an mremap cuts the areas
/// where it begins and ends. Used under its task's lock.
/// </summary>
internal sealed class LazyAreas(List<LazyArea> areas)
{
    private List<LazyArea> _byAddress = areas; // none overlapping
    private LazyArea[]? _byOffset; // the same, in the pages image's order; made again after the areas change
    private long _missing = areas.Sum(a => a.Missing);

    /// <summary>The lazy runs of <paramref name="pagemap"/>, process <paramref name="pid"/>'s, split where a mapping ends (a copy must not cross one).</summary>
    public static List<LazyArea> Of(int pid, Pagemap pagemap, IReadOnlyList<MemoryArea> mappings)
    {
        var areas = new List<LazyArea>();
        MemoryArea[] byStart = [.. mappings.OrderBy(m => m.Start)];
        foreach (PageRun run in pagemap.Runs.Where(r => r.Lazy))
        {
            ulong address = run.Address;
            foreach (MemoryArea mapping in Overlapping(byStart, run.Address, run.End))
            {
                if (!mapping.CanBeLazy)
                {
                    // CRIU neither restores such a page nor registers its mapping: nothing would ever fill it.
                    throw new InvalidDataException($"process {pid}'s lazy pages at 0x{run.Address:x} lie in a mapping that is not filled lazily (0x{mapping.Start:x}, flags 0x{mapping.Flags:x})");
                }
                ulong start = Math.Max(address, mapping.Start), end = Math.Min(run.End, mapping.End);
                if (end > start)
                {
                    areas.Add(new LazyArea(start, run.Offset + (long)(start - run.Address), (long)(end - start) / ImagePage.Bytes));
                }
            }
        }
        return areas;
    }

    public IReadOnlyList<LazyArea> InAddressOrder => _byAddress;

    public long Missing => _missing;

    /// <summary>Marks pages of <paramref name="area"/> done (<see cref="LazyArea.MarkDone"/>), and counts them.</summary>
    public void MarkDone(LazyArea area, long first, long count) => _missing -= area.MarkDone(first, count);

    /// <summary>mremap moved [<paramref name="from"/>, +<paramref name="length"/>) to <paramref name="to"/>, over whatever was there.</summary>
    public void Remap(ulong from, ulong to, ulong length)
    {
        ulong end = from + length;
        var moving = new List<LazyArea>();
        var staying = new List<LazyArea>();
        foreach (LazyArea area in SplitAt(from, end))
        {
            (area.Address >= from && area.End <= end ? moving : staying).Add(area);
        }
        Replace(staying);
        Unmap(to, to + length);
        foreach (LazyArea area in moving)
        {
            area.MoveBy((long)to - (long)from);
        }
        Replace([.. _byAddress.Concat(moving).OrderBy(a => a.Address)]);
    }

    /// <summary>Nothing of the image belongs in [<paramref name="start"/>, <paramref name="end"/>) any more.</summary>
    public void Unmap(ulong start, ulong end) =>
        Replace([.. SplitAt(start, end).Where(a => !(a.Address >= start && a.End <= end))]);

    /// <summary>Adds the index in <paramref name="image"/> of every piece that holds a missing page, piece by piece (unsorted, maybe twice).</summary>
    public void AddMissingChunks(ChunkedImage image, List<int> indexes)
    {
        foreach (LazyArea area in _byAddress.Where(a => a.Missing > 0))
        {
            for ((long first, long count) = area.NextMissing(0, area.Pages, long.MaxValue); count > 0; (first, count) = area.NextMissing(first + count, area.Pages, long.MaxValue))
            {
                int last = image.IndexAt(area.Offset + ((first + count) * ImagePage.Bytes) - 1);
                for (int index = image.IndexAt(area.Offset + (first * ImagePage.Bytes)); index <= last; index++)
                {
                    indexes.Add(index);
                }
            }
        }
    }

    /// <summary>The area and page at <paramref name="address"/>; null when none holds it.</summary>
    public (LazyArea Area, long Page)? Find(ulong address)
    {
        int index = LastAtOrBefore(_byAddress, a => a.Address, address);
        return index >= 0 && _byAddress[index].PageAt(address) is var page and >= 0 ? (_byAddress[index], page) : null;
    }

    /// <summary>Whether any area lies in [<paramref name="start"/>, <paramref name="end"/>) of memory.</summary>
    public bool HoldsAny(ulong start, ulong end)
    {
        int index = LastAtOrBefore(_byAddress, a => a.Address, start);
        return (index >= 0 && _byAddress[index].End > start) || (index + 1 < _byAddress.Count && _byAddress[index + 1].Address < end);
    }

    /// <summary>The areas whose bytes lie in [<paramref name="start"/>, <paramref name="end"/>) of the pages image, in its order.</summary>
    public IEnumerable<LazyArea> HoldingBytes(long start, long end)
    {
        LazyArea[] byOffset = _byOffset ??= [.. _byAddress.OrderBy(a => a.Offset)];
        int index = LastAtOrBefore(byOffset, a => a.Offset, start);
        for (index = Math.Max(index, 0); index < byOffset.Length && byOffset[index].Offset < end; index++)
        {
            if (byOffset[index].OffsetEnd > start)
            {
                yield return byOffset[index];
            }
        }
    }

    /// <summary>The app changed its memory: these are the areas now, in address order.</summary>
    private void Replace(List<LazyArea> areas)
    {
        _byAddress = areas;
        _byOffset = null;
        _missing = areas.Sum(a => a.Missing);
    }

    /// <summary>The areas with none crossing <paramref name="start"/> or <paramref name="end"/>.</summary>
    private List<LazyArea> SplitAt(ulong start, ulong end)
    {
        var split = new List<LazyArea>();
        foreach (LazyArea area in _byAddress)
        {
            LazyArea rest = area;
            foreach (ulong cut in new[] { start, end })
            {
                if (cut > rest.Address && cut < rest.End)
                {
                    (LazyArea before, rest) = rest.SplitAt((long)(cut - rest.Address) / ImagePage.Bytes);
                    split.Add(before);
                }
            }
            split.Add(rest);
        }
        return split;
    }

    /// <summary>The mappings (by their start) that overlap [<paramref name="start"/>, <paramref name="end"/>).</summary>
    private static IEnumerable<MemoryArea> Overlapping(MemoryArea[] byStart, ulong start, ulong end)
    {
        for (int index = Math.Max(0, LastAtOrBefore(byStart, m => m.Start, start)); index < byStart.Length && byStart[index].Start < end; index++)
        {
            if (byStart[index].End > start)
            {
                yield return byStart[index];
            }
        }
    }

    /// <summary>The index of the last item whose key is at most <paramref name="key"/> (items in the key's order); -1 when none.</summary>
    internal static int LastAtOrBefore<T, TKey>(IReadOnlyList<T> items, Func<T, TKey> keyOf, TKey key)
        where TKey : IComparable<TKey>
    {
        int low = 0, high = items.Count - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            if (keyOf(items[middle]).CompareTo(key) <= 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return high;
    }
}
