using Crik.Cli.Criu;
using Crik.Cli.Processes;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Where each page of a process comes from in a checkpoint taken while its memory arrives. A page the
/// dump holds comes from the dump. Of the pages still in the areas crik fills (never dropped nor
/// unmapped since the restore), one the dump lacks comes from the checkpoint restored when crik never
/// filled it (the app cannot change a page without asking crik for it first), or when crik filled it
/// after the dump looked (it is there now: what crik copies is that checkpoint's bytes, and the app
/// was stopped); one crik filled that is no longer there (the app freed it with MADV_FREE) reads zeros.
/// </summary>
internal static class MidFillLayout
{
    /// <param name="dumped">The dump's pagemap of the process.</param>
    /// <param name="there">Whether a page is in the process's memory now (or swapped out).</param>
    public static List<LaidOutRun> Of(PagemapImage dumped, UnfilledProcess process, Func<ulong, bool> there)
    {
        List<LaidOutRun> fromDump = LaidOutRun.AllOf(dumped, fromDump: true, "the dump's pagemap");
        var runs = new List<LaidOutRun>(fromDump);
        ulong page = (ulong)ImagePage.Bytes;
        foreach (UnfilledArea area in process.Areas)
        {
            LaidOutRun? open = null;
            for (long index = 0; index < area.Pages; index++)
            {
                ulong address = area.Address + ((ulong)index * page);
                bool fromImage = !Covers(fromDump, address) && (!area.IsFilled(index) || there(address));
                if (fromImage && open is { } run && run.End == address)
                {
                    open = run with { Pages = run.Pages + 1 };
                    continue;
                }
                if (open is { } done)
                {
                    runs.Add(done);
                }
                open = fromImage ? new LaidOutRun(address, 1, area.Offset + (index * ImagePage.Bytes), FromDump: false, PagemapEntry.Present | PagemapEntry.Lazy) : null;
            }
            if (open is { } last)
            {
                runs.Add(last);
            }
        }
        runs.Sort((a, b) => a.Address.CompareTo(b.Address));
        for (int i = 1; i < runs.Count; i++)
        {
            if (runs[i].Address < runs[i - 1].End)
            {
                throw new InvalidDataException($"process {process.Pid}'s pages at 0x{runs[i].Address:x} would come from two places");
            }
        }
        return runs;
    }

    /// <summary>
    /// The runs as the pages image lists their bytes: runs from the checkpoint restored that follow one another
    /// there too are one (whatever lies between them in memory), so that a chunk across them is taken whole.
    /// </summary>
    public static List<LaidOutRun> AsBytes(List<LaidOutRun> runs)
    {
        var merged = new List<LaidOutRun>(runs.Count);
        foreach (LaidOutRun run in runs)
        {
            if (!run.FromDump && merged.Count > 0 && merged[^1] is { FromDump: false } last && last.Offset + last.Bytes == run.Offset)
            {
                merged[^1] = last with { Pages = last.Pages + run.Pages };
            }
            else
            {
                merged.Add(run);
            }
        }
        return merged;
    }

    /// <summary>Whether a run of <paramref name="runs"/> (in address order, not overlapping) holds <paramref name="address"/>.</summary>
    private static bool Covers(List<LaidOutRun> runs, ulong address)
    {
        int low = 0, high = runs.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) / 2;
            if (address < runs[middle].Address)
            {
                high = middle - 1;
            }
            else if (address >= runs[middle].End)
            {
                low = middle + 1;
            }
            else
            {
                return true;
            }
        }
        return false;
    }
}
