using Crik.Cli.Criu;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Where each page of a process comes from in a checkpoint whose dump holds only the pages the app wrote since the
/// previous checkpoint (<see cref="CriuArguments.WrittenOnlyOption"/>): a page the dump holds comes from the dump; a
/// page the dump marks as in its parent comes from the previous checkpoint, at the same address, since it was not
/// written after that checkpoint write-protected it. A page the previous checkpoint does not hold at that address
/// cannot be placed, and the layout is refused.
/// </summary>
internal static class UnwrittenLayout
{
    /// <param name="dumped">The dump's pagemap of the process: present entries and entries in the parent.</param>
    /// <param name="previous">The previous checkpoint's pagemap of the same process, made whole when it was committed.</param>
    public static List<LaidOutRun> Of(PagemapImage dumped, PagemapImage previous, int pid) =>
        Of(dumped, LaidOutRun.AllOf(previous, fromDump: true, $"the previous checkpoint's pagemap of process {pid}"), pid);

    /// <param name="dumped">The dump's pagemap of the process: present entries and entries in the parent.</param>
    /// <param name="before">Where the pages not written since the previous checkpoint are (<see cref="PagesLayer"/>), in address order.</param>
    public static List<LaidOutRun> Of(PagemapImage dumped, List<LaidOutRun> before, int pid)
    {
        var runs = new List<LaidOutRun>(dumped.Entries.Count);
        long offset = 0;
        foreach (PagemapEntry entry in dumped.Entries)
        {
            ulong end = entry.Address + (entry.Pages * (ulong)ImagePage.Bytes);
            if (entry.IsInParent)
            {
                AddFromPrevious(runs, before, entry.Address, end, pid);
                continue;
            }
            if (!entry.IsPresent)
            {
                throw new InvalidDataException($"process {pid}'s pagemap has an entry at 0x{entry.Address:x} with flags {entry.Flags}, which crik does not combine");
            }
            runs.Add(new LaidOutRun(entry.Address, checked((long)entry.Pages), offset, FromDump: true, entry.Flags));
            offset += checked((long)entry.Pages) * ImagePage.Bytes;
        }
        for (int i = 1; i < runs.Count; i++)
        {
            if (runs[i].Address < runs[i - 1].End)
            {
                throw new InvalidDataException($"process {pid}'s pagemap is not in address order at 0x{runs[i].Address:x}");
            }
        }
        return runs;
    }

    /// <summary>The pages from <paramref name="start"/> to <paramref name="end"/>, as the previous checkpoint holds them; throws when it lacks one.</summary>
    private static void AddFromPrevious(List<LaidOutRun> runs, List<LaidOutRun> before, ulong start, ulong end, int pid)
    {
        ulong at = start;
        for (int i = FirstEndingAfter(before, at); at < end; i++)
        {
            if (i >= before.Count || before[i].Address > at)
            {
                throw new InvalidDataException($"process {pid}'s page at 0x{at:x} was not written since the previous checkpoint, which does not hold it");
            }
            LaidOutRun held = before[i];
            ulong upTo = Math.Min(end, held.End);
            long skipped = (long)(at - held.Address);
            long pages = (long)(upTo - at) / ImagePage.Bytes;
            runs.Add(new LaidOutRun(at, pages, held.Offset + skipped, FromDump: false, PagemapEntry.Present | (held.Flags & PagemapEntry.Lazy)));
            at = upTo;
        }
    }

    /// <summary>The index of the first run of <paramref name="runs"/> (in address order) that ends after <paramref name="address"/>.</summary>
    private static int FirstEndingAfter(List<LaidOutRun> runs, ulong address)
    {
        int low = 0, high = runs.Count;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (runs[middle].End <= address)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }
        return low;
    }
}
