using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Makes the images of a checkpoint taken while a lazily restored app's memory arrives whole: each
/// process crik still fills gets the pages it never filled from the checkpoint it was restored from,
/// by that one's chunks (see <see cref="MidFillLayout"/>, and <see cref="PageSplice"/> over
/// <see cref="PagesComposer"/>). Runs with the app stopped by the dump, before anything of it may change.
/// </summary>
internal static class MidFillImages
{
    /// <summary>The images made whole, and how many bytes came from the checkpoint restored, and of those how many crik read from the store to cut chunks.</summary>
    public static (CaptureResult Images, long FromRestored, long Read) Complete(CaptureResult captured, IArrivingMemory arriving, PackWriter pack)
    {
        using var images = new SplicedImages(captured, pack);
        long fromRestored = 0, read = 0;
        foreach (UnfilledProcess process in arriving.Unfilled())
        {
            UnfilledVerdict verdict = MemoryArriving.Judge(missesPages: process.Areas.Count > 0, process.Forked, startKnown: process.StartTime.Length > 0, process.Alive);
            if (verdict == UnfilledVerdict.NothingToTake)
            {
                continue;
            }
            if (MemoryArriving.WhyNotTaken(verdict, process.Pid) is { } why)
            {
                throw new InvalidDataException(why);
            }
            if (ProcessStart.Of(process.Pid) != process.StartTime || !images.Pagemaps.TryGetValue($"pagemap-{process.Pid}.img", out byte[]? pagemap))
            {
                continue; // gone (its PID may be another process's now), or not in the app's tree any more
            }
            (long taken, long cut) = Complete(process, PagemapImage.Parse(pagemap), images, arriving, pack);
            fromRestored += taken;
            read += cut;
        }
        return (images.Whole(), fromRestored, read);
    }

    private static (long FromRestored, long Read) Complete(UnfilledProcess process, PagemapImage dumped, SplicedImages images, IArrivingMemory arriving, PackWriter pack)
    {
        using var sources = new UnfilledProcessPages(process, arriving);
        using SafeFileHandle pagemap = File.OpenHandle($"/proc/{process.Pid}/pagemap");
        List<LaidOutRun> runs = MidFillLayout.Of(dumped, process, address => There(pagemap, address));
        if (!runs.Any(r => !r.FromDump))
        {
            return (0, 0);
        }
        using var composer = new PagesComposer(pack, images.Chunker, images.DumpedPages(dumped), arriving.Chunks(process.PagesId), sources);
        long fromRestored = images.Put($"pagemap-{process.Pid}.img", dumped, runs, MidFillLayout.AsBytes(runs), composer);
        return (fromRestored, composer.StoreReadBytes);
    }

    /// <summary>
    /// Whether the page at <paramref name="address"/> is in memory or swapped out (/proc/PID/pagemap, <see cref="ProcPagemap.Holds"/>),
    /// and not a marker the kernel shows as a swap entry: a guard page (CRIU keeps a guard as an entry of its own, and its page
    /// cannot be read), or a userfaultfd's write-protect marker on a page never filled.
    /// </summary>
    private static bool There(SafeFileHandle pagemap, ulong address) => ProcPagemap.Holds(ProcPagemap.EntryAt(pagemap, address));
}
