using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;
using Crik.Cli.Streaming;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// A dump's images as they are made whole, one process at a time: its pages image spliced by <see cref="PageSplice"/> and its
/// pagemap listing the runs, in place of the dump's. What <see cref="MidFillImages"/> and <see cref="UnwrittenImages"/> share.
/// </summary>
internal sealed class SplicedImages : IDisposable
{
    private readonly CaptureResult _captured;
    private readonly Dictionary<string, ManifestFile> _files;
    private readonly FirstFailure _failure = new();

    public SplicedImages(CaptureResult captured, PackWriter pack)
    {
        Pagemaps = captured.Pagemaps ?? throw new InvalidDataException("the dump's pagemaps were not kept");
        _captured = captured;
        _files = captured.Images.ToDictionary(f => f.Path, StringComparer.Ordinal);
        Chunker = new ImageChunker(pack, _failure);
    }

    /// <summary>The dump's pagemaps, by name.</summary>
    public IReadOnlyDictionary<string, byte[]> Pagemaps { get; }

    /// <summary>Cuts and stores what is written anew (the pagemaps, and pieces read), as the dump's images are.</summary>
    public ImageChunker Chunker { get; }

    /// <summary>The dump's chunks of its pages image of a process (none when it holds no page of it).</summary>
    public IReadOnlyList<ChunkRef> DumpedPages(PagemapImage dumped) =>
        _files.TryGetValue(dumped.PagesName, out ManifestFile? pages) ? pages.Chunks ?? [] : [];

    /// <summary>Puts a process's pages image, spliced by <paramref name="sources"/>, and its pagemap in place of the dump's.</summary>
    /// <param name="runs">Where each page comes from, in address order: the pagemap lists them.</param>
    /// <param name="inImage">The same runs in the pages image's order, as the splice takes them.</param>
    /// <returns>The bytes that do not come from the dump.</returns>
    public long Put(string pagemapName, PagemapImage dumped, List<LaidOutRun> runs, IEnumerable<LaidOutRun> inImage, ISpliceSources sources)
    {
        (List<ChunkRef> chunks, long size) = PageSplice.Of(inImage, sources);
        _files[dumped.PagesName] = new ManifestFile(dumped.PagesName, size, [], chunks);
        var whole = new PagemapImage(dumped.PagesId, [.. runs.Select(r => new PagemapEntry(r.Address, (ulong)r.Pages, r.Flags))]).Merged();
        using (var encoded = new MemoryStream(whole.Encode(), writable: false))
        {
            _files[pagemapName] = Chunker.Take(pagemapName, encoded);
        }
        return runs.Where(r => !r.FromDump).Sum(r => r.Bytes);
    }

    /// <summary>The images made whole; throws when one of them was not stored.</summary>
    public CaptureResult Whole()
    {
        if (_failure.Failure is { } notStored)
        {
            throw new IOException($"the images were not stored whole: {notStored}");
        }
        return _captured with { Images = [.. _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal)] };
    }

    public void Dispose() => Chunker.Dispose();
}
