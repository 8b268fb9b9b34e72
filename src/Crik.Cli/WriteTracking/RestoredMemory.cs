using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// An app restored stopped on crik's fill, every page in and not one instruction run: its memory is the checkpoint's, but for
/// the pages that were in when CRIU's restore ended. Those CRIU's restorer put in itself, or crik put in while the restorer
/// still ran, which it (or the kernel for it, as rseq does) may have written since. After CRIU's end the processes are
/// stopped, and only crik's fill puts checkpoint pages into memory that holds none. crik tracks its writes from before it
/// first runs, with those pages counted as written, so that its next checkpoint takes the rest from <see cref="Checkpoint"/>.
/// </summary>
/// <param name="InAtCriusEnd">By PID, the pages of its own each process held when CRIU's restore ended; a process left out
/// (gone, or its pagemap unreadable) is not tracked from the restore.</param>
internal sealed record RestoredMemory(Manifest Checkpoint, IReadOnlyDictionary<int, List<AddressRange>> InAtCriusEnd)
{
    /// <summary>Read once CRIU's restore has ended, with the processes stopped: what each of <paramref name="pids"/> holds.</summary>
    public static RestoredMemory Read(Manifest checkpoint, IEnumerable<int> pids)
    {
        var held = new Dictionary<int, List<AddressRange>>();
        foreach (int pid in pids)
        {
            if (HeldBy(pid) is { } pages)
            {
                held[pid] = pages;
            }
        }
        return new RestoredMemory(checkpoint, held);
    }

    public long InAtCriusEndBytes => InAtCriusEnd.Values.Sum(ranges => ranges.Sum(r => (long)r.Bytes));

    /// <summary>The pages of its own (in memory or swapped out, not a file's) that process <paramref name="pid"/> holds; null when they cannot be read.</summary>
    private static List<AddressRange>? HeldBy(int pid)
    {
        try
        {
            List<MapsArea> areas = [.. MemoryMaps.Read(pid).Where(a => a.End <= long.MaxValue)];
            if (areas.Count == 0)
            {
                return null;
            }
            using SafeFileHandle pagemap = File.OpenHandle($"/proc/{pid}/pagemap");
            return [.. PageWrites.OwnPages(pagemap, areas.Min(a => a.Start), areas.Max(a => a.End), registeredOnly: false)
                .Select(r => new AddressRange(r.Start, r.End))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
