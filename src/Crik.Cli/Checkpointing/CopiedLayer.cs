using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;
using Crik.Cli.WriteTracking;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// Where a dump of only what the app wrote takes a process's pages from when they are not the dump's own: <see cref="Runs"/>
/// in address order, each at its offset in the image <see cref="Chunks"/> make.
/// </summary>
internal sealed record PagesLayer(List<LaidOutRun> Runs, IReadOnlyList<ChunkRef> Chunks)
{
    /// <summary>No pages: what a copy of all of a process's memory is laid over.</summary>
    public static PagesLayer Empty => new([], []);

    /// <summary>The generation whose pack already refers to <see cref="Chunks"/> as they are (<see cref="SplicedLayer"/>); null when they are an older checkpoint's.</summary>
    public long? ResolvedFor { get; init; }

    /// <summary>Whether <see cref="Chunks"/> are already as <paramref name="pack"/> refers to them: taken as they are, none looked up again.</summary>
    public bool ResolvedBy(PackWriter pack) => ResolvedFor == pack.Generation;

    /// <summary>The pages of process <paramref name="pid"/>, whose pagemap is <paramref name="pagemap"/>, as checkpoint <paramref name="previous"/> holds them; throws when it lacks their image.</summary>
    public static PagesLayer Of(Manifest previous, PagemapImage pagemap, int pid)
    {
        ManifestFile pages = previous.Files.FirstOrDefault(f => f.IsStreamed && f.Path == pagemap.PagesName)
            ?? throw new InvalidDataException($"the previous checkpoint lacks {pagemap.PagesName}");
        return new(LaidOutRun.AllOf(pagemap, fromDump: true, $"the previous checkpoint's pagemap of process {pid}"), pages.Chunks!);
    }
}

/// <summary>
/// The layer (<see cref="PagesLayer"/>) of a process whose writes since the previous checkpoint crik copied while it ran
/// (<see cref="CopiedWrites"/>): a page crik copied comes from the copy, since it was written after the previous checkpoint
/// and not since the copy's scan (a page written after that scan is the dump's own); every other page from the previous
/// checkpoint. The image is the previous checkpoint's chunks followed by the copy's. A copied page keeps the previous
/// checkpoint's lazy mark at its address; one the previous checkpoint did not hold is restored before the app runs.
/// </summary>
internal static class CopiedLayer
{
    public static PagesLayer Of(PagesLayer previous, CopiedWrites copied)
    {
        long copyStart = previous.Chunks.Sum(c => (long)c.Size);
        List<LaidOutRun> runs = [.. Kept(previous.Runs, copied.Ranges), .. Copied(previous.Runs, copied.Ranges, copyStart)];
        runs.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new PagesLayer(runs, [.. previous.Chunks, .. copied.Chunks]);
    }

    /// <summary>The previous checkpoint's runs without the copied ranges, each piece at its offset in that checkpoint's image.</summary>
    private static IEnumerable<LaidOutRun> Kept(List<LaidOutRun> before, List<AddressRange> copied)
    {
        List<AddressRange> kept = AddressRange.Without([.. before.Select(r => new AddressRange(r.Address, r.End))], copied);
        int i = 0;
        foreach (AddressRange range in kept)
        {
            while (before[i].End <= range.Start)
            {
                i++;
            }
            LaidOutRun run = before[i];
            yield return run with { Address = range.Start, Pages = (long)range.Bytes / ImagePage.Bytes, Offset = run.Offset + (long)(range.Start - run.Address) };
        }
    }

    /// <summary>The copied ranges, at their offsets in the copy (after <paramref name="copyStart"/>), cut where the previous checkpoint's lazy marks change.</summary>
    private static IEnumerable<LaidOutRun> Copied(List<LaidOutRun> before, List<AddressRange> copied, long copyStart)
    {
        long offset = copyStart;
        int i = 0;
        foreach (AddressRange range in copied)
        {
            for (ulong at = range.Start; at < range.End;)
            {
                while (i < before.Count && before[i].End <= at)
                {
                    i++;
                }
                (ulong upTo, uint flags) = i < before.Count && before[i].Address <= at
                    ? (Math.Min(range.End, before[i].End), PagemapEntry.Present | (before[i].Flags & PagemapEntry.Lazy))
                    : (i < before.Count ? Math.Min(range.End, before[i].Address) : range.End, PagemapEntry.Present);
                long pages = (long)(upTo - at) / ImagePage.Bytes;
                yield return new LaidOutRun(at, pages, offset, FromDump: true, flags);
                offset += pages * ImagePage.Bytes;
                at = upTo;
            }
        }
    }
}
