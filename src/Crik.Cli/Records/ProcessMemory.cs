namespace Crik.Cli.Records;

/// <summary>Addresses [Start, End) in a process's memory.</summary>
internal readonly record struct AddressRange(ulong Start, ulong End)
{
    public ulong Bytes => End - Start;

    /// <summary>Ranges sorted, and merged where they meet or overlap.</summary>
    public static List<AddressRange> Merge(IEnumerable<AddressRange> ranges)
    {
        AddressRange[] sorted = [.. ranges];
        if (!IsSortedByStart(sorted))
        {
            Array.Sort(sorted, (a, b) => a.Start.CompareTo(b.Start)); // unstable, as it may be: ranges that start together merge
        }
        var merged = new List<AddressRange>(sorted.Length);
        foreach (AddressRange range in sorted)
        {
            if (merged.Count > 0 && range.Start <= merged[^1].End)
            {
                merged[^1] = merged[^1] with { End = Math.Max(merged[^1].End, range.End) };
            }
            else
            {
                merged.Add(range);
            }
        }
        return merged;
    }

    /// <summary>Whether the ranges are in the order of their starts already, as a scan of the app's memory gives them.</summary>
    private static bool IsSortedByStart(AddressRange[] ranges)
    {
        for (int i = 1; i < ranges.Length; i++)
        {
            if (ranges[i].Start < ranges[i - 1].Start)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>What of <paramref name="ranges"/> (sorted, apart) lies outside every range of <paramref name="holes"/>, sorted.</summary>
    public static List<AddressRange> Without(List<AddressRange> ranges, IEnumerable<AddressRange> holes)
    {
        List<AddressRange> cut = Merge(holes);
        if (cut.Count == 0)
        {
            return ranges;
        }
        var kept = new List<AddressRange>(ranges.Count);
        int h = 0;
        foreach (AddressRange range in ranges)
        {
            ulong at = range.Start;
            while (h < cut.Count && cut[h].End <= at)
            {
                h++;
            }
            for (int i = h; i < cut.Count && cut[i].Start < range.End && at < range.End; i++)
            {
                if (cut[i].Start > at)
                {
                    kept.Add(new AddressRange(at, cut[i].Start));
                }
                at = Math.Max(at, cut[i].End);
            }
            if (at < range.End)
            {
                kept.Add(new AddressRange(at, range.End));
            }
        }
        return kept;
    }
}

/// <summary>
/// One mapping of a dumped process: where it is, whether it grows down (a stack), and whether it is
/// plain private anonymous memory, which may be restored as two mappings side by side.
/// </summary>
internal readonly record struct MappedArea(ulong Start, ulong End, bool GrowsDown, bool Plain);

/// <summary>
/// What a checkpoint says about one process's memory: its place in the tree, the executable it ran
/// (CRIU's file id), its mappings, and the pages it had (those a lazy restore may leave for later) in
/// address order.
/// </summary>
internal sealed record ProcessMemory(int Pid, int ParentPid, uint ExeFileId, IReadOnlyList<MappedArea> Areas, IReadOnlyList<AddressRange> LazyPages);

/// <summary>How a restore keeps what the app's processes shared copy-on-write.</summary>
/// <param name="Cuts">Where each process's mappings are split so that each matches its parent's and children's (addresses inside plain areas, sorted); processes with none are left out.</param>
/// <param name="Eager">Each process's lazy pages for CRIU to restore before it forks the processes (sorted, not overlapping); processes with none are left out.</param>
/// <param name="SharedBytes">The bytes of those pages in the children: what the tree may share.</param>
internal sealed record SharingPlan(IReadOnlyDictionary<int, List<ulong>> Cuts, IReadOnlyDictionary<int, List<AddressRange>> Eager, ulong SharedBytes);
