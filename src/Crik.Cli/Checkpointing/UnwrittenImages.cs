using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.LazyPages;
using Crik.Cli.Records;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Makes the images of a dump that holds only what the app wrote since the previous checkpoint whole: each page the
/// dump leaves in its parent is taken from the previous checkpoint (<see cref="UnwrittenLayout"/>), by that one's chunks
/// (or from crik's copy of what the app wrote, taken while it ran: <see cref="CopiedLayer"/>),
/// sliced where a run of such pages begins or ends inside one (<see cref="PageSplice"/> over <see cref="SlicedPages"/>):
/// nothing is read or named anew.
/// </summary>
internal static class UnwrittenImages
{
    /// <summary>The images made whole, and how many bytes came from the previous checkpoint.</summary>
    /// <param name="previous">The previous checkpoint, committed by this crik when it write-protected the app's memory; null when there
    /// is none, and every page the dump leaves in its parent comes from crik's copy of all of its process's memory.</param>
    /// <param name="previousPagemaps">Its pagemaps by PID, when they were read already; else they are read when a dump needs them.</param>
    /// <param name="copied">By PID, where crik copied what a process wrote while it ran: its pages come from there first.</param>
    public static (CaptureResult Images, long FromPrevious) Complete(CaptureResult captured, Manifest? previous,
        Dictionary<int, PagemapImage>? previousPagemaps, IReadOnlyDictionary<int, PagesLayer>? copied, PackReader packs, PackWriter pack)
    {
        using var images = new SplicedImages(captured, pack);
        long fromPrevious = 0;
        foreach ((string name, byte[] bytes) in images.Pagemaps.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            PagemapImage dumped = PagemapImage.Parse(bytes);
            if (!dumped.Entries.Any(e => e.IsInParent))
            {
                continue;
            }
            int pid = DumpedMemory.TaskPagemapPid(name) ?? throw new InvalidDataException($"{name} is not a process's pagemap");
            PagesLayer layer = copied?.GetValueOrDefault(pid) ?? PreviousLayer(previous, ref previousPagemaps, packs, pid);
            List<LaidOutRun> runs = UnwrittenLayout.Of(dumped, layer.Runs, pid);
            fromPrevious += images.Put(name, dumped, runs, runs, new SlicedPages(images.DumpedPages(dumped), layer.Chunks, pack, layer.ResolvedBy(pack)));
        }
        return (images.Whole(), fromPrevious);
    }

    /// <summary>Process <paramref name="pid"/>'s pages as <paramref name="previous"/> holds them; throws when it holds none of them.</summary>
    private static PagesLayer PreviousLayer(Manifest? previous, ref Dictionary<int, PagemapImage>? pagemaps, PackReader packs, int pid)
    {
        if (previous is null)
        {
            throw new InvalidDataException($"process {pid} has pages not written since crik's copy of the app's memory, which does not hold the process");
        }
        pagemaps ??= DumpedMemory.Pagemaps([.. previous.Files.Where(f => f.IsStreamed && !f.Path.Contains('/'))], previous, packs);
        return pagemaps.TryGetValue(pid, out PagemapImage? before) ? PagesLayer.Of(previous, before, pid)
            : throw new InvalidDataException($"process {pid} has pages not written since the previous checkpoint, which does not hold the process");
    }
}
