using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.LazyPages;
using Crik.Cli.Records;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Makes the images of a dump that holds only what the app wrote since the previous checkpoint whole: each page the
/// dump leaves in its parent is taken from the previous checkpoint (<see cref="UnwrittenLayout"/>), by that one's chunks,
/// sliced where a run of such pages begins or ends inside one (<see cref="SlicedPages"/>): nothing is read or named anew.
/// </summary>
internal static class UnwrittenImages
{
    /// <summary>The images made whole, and how many bytes came from the previous checkpoint.</summary>
    /// <param name="previous">The previous checkpoint, committed by this crik when it write-protected the app's memory.</param>
    /// <param name="previousPagemaps">Its pagemaps by PID, when they were read already; else they are read when a dump needs them.</param>
    public static (CaptureResult Images, long FromPrevious) Complete(CaptureResult captured, Manifest previous,
        Dictionary<int, PagemapImage>? previousPagemaps, PackReader packs, PackWriter pack)
    {
        IReadOnlyDictionary<string, byte[]> pagemaps = captured.Pagemaps ?? throw new InvalidDataException("the dump's pagemaps were not kept");
        var files = captured.Images.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var previousFiles = previous.Files.Where(f => f.IsStreamed && !f.Path.Contains('/')).ToList();
        long fromPrevious = 0;
        var failure = new FirstFailure();
        using var chunker = new ImageChunker(pack, failure);
        foreach ((string name, byte[] bytes) in pagemaps.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            PagemapImage dumped = PagemapImage.Parse(bytes);
            if (!dumped.Entries.Any(e => e.IsInParent))
            {
                continue;
            }
            int pid = DumpedMemory.TaskPagemapPid(name) ?? throw new InvalidDataException($"{name} is not a process's pagemap");
            previousPagemaps ??= DumpedMemory.Pagemaps(previousFiles, previous, packs);
            if (!previousPagemaps.TryGetValue(pid, out PagemapImage? before))
            {
                throw new InvalidDataException($"process {pid} has pages not written since the previous checkpoint, which does not hold the process");
            }
            ManifestFile previousPages = previousFiles.FirstOrDefault(f => f.Path == before.PagesName)
                ?? throw new InvalidDataException($"the previous checkpoint lacks {before.PagesName}");
            fromPrevious += Complete(pid, name, dumped, before, previousPages, files, pack, chunker);
        }
        if (failure.Failure is { } notStored)
        {
            throw new IOException($"the images were not stored whole: {notStored}");
        }
        List<ManifestFile> images = [.. files.Values.OrderBy(f => f.Path, StringComparer.Ordinal)];
        return (captured with { Images = images }, fromPrevious);
    }

    private static long Complete(int pid, string pagemapName, PagemapImage dumped, PagemapImage before,
        ManifestFile previousPages, Dictionary<string, ManifestFile> files, PackWriter pack, ImageChunker chunker)
    {
        List<LaidOutRun> runs = UnwrittenLayout.Of(dumped, before, pid);
        IReadOnlyList<ChunkRef> dumpedPages = files.TryGetValue(dumped.PagesName, out ManifestFile? pages) ? pages.Chunks ?? [] : [];
        (List<ChunkRef> chunks, long size) = SlicedPages.Of(runs, dumpedPages, previousPages.Chunks ?? [], pack);
        files[dumped.PagesName] = new ManifestFile(dumped.PagesName, size, [], chunks);
        var whole = new PagemapImage(dumped.PagesId, [.. runs.Select(r => new PagemapEntry(r.Address, (ulong)r.Pages, r.Flags))]).Merged();
        using (var encoded = new MemoryStream(whole.Encode(), writable: false))
        {
            files[pagemapName] = chunker.Take(pagemapName, encoded);
        }
        return runs.Where(r => !r.FromDump).Sum(r => r.Bytes);
    }
}
