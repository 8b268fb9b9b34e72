using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Records;
using Crik.Cli.WriteTracking;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A layer spliced ahead, while the app runs, makes the images after the dump exactly as the layer itself does: every page
/// from where it is (the dump, crik's copy, the previous checkpoint), the same pieces, over random layouts; and a piece
/// that may not be reused is refused before the dump.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SplicedLayerTests : IDisposable
{
    private static readonly int Page = ImagePage.Bytes;
    private const ulong At = 0x7f0000000000;
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-spliced-layer-").FullName;

    [Fact]
    public void ASplicedLayerMakesTheSameImagesAsTheLayerOverRandomLayouts()
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            var known = new Dictionary<string, ChunkRef>(StringComparer.Ordinal);
            Memory memory = RandomMemory(random, known);
            using SafeFileHandle packFile = File.OpenHandle(Path.Combine(_dir, $"{seed}.pack"), FileMode.CreateNew, FileAccess.ReadWrite);
            using var pack = new PackWriter(2, packFile, known);
            PagesLayer layer = CopiedLayer.Of(new PagesLayer(LaidOutRun.AllOf(memory.Previous, fromDump: true, "previous"), memory.PreviousChunks), memory.Copied);

            PagesLayer spliced = SplicedLayer.Of(layer, pack);
            (List<ChunkRef> fromLayer, List<LaidOutRun> layerRuns) = Splice(memory, layer, pack);
            (List<ChunkRef> fromSpliced, List<LaidOutRun> splicedRuns) = Splice(memory, spliced, pack);

            Assert.Equal(memory.Expected, PagesOf(fromSpliced));
            Assert.Equal(fromLayer, fromSpliced);
            Assert.Equal(Entries(layerRuns), Entries(splicedRuns));
            Assert.True(spliced.Runs.Count <= memory.Previous.Entries.Count + memory.Copied.Ranges.Count, $"seed {seed}: runs that follow one another are one");
            Assert.Same(spliced, SplicedLayer.Of(spliced, pack));
        }
    }

    [Fact]
    public void APieceThatMayNotBeReusedIsRefusedBeforeTheDump()
    {
        using SafeFileHandle packFile = File.OpenHandle(Path.Combine(_dir, "2.pack"), FileMode.CreateNew, FileAccess.ReadWrite);
        using var pack = new PackWriter(2, packFile, new Dictionary<string, ChunkRef>());
        var previous = new PagemapImage(1, [new PagemapEntry(At, 2, PagemapEntry.Present)]);
        var layer = new PagesLayer(LaidOutRun.AllOf(previous, fromDump: true, "previous"), [new ChunkRef("p0", 1, 0, 2 * Page)]);

        Assert.Throws<InvalidDataException>(() => SplicedLayer.Of(layer, pack));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The previous checkpoint, crik's copy and the dump of one process, and where each of its pages must come from.</summary>
    private sealed record Memory(PagemapImage Previous, List<ChunkRef> PreviousChunks, CopiedWrites Copied, PagemapImage Dumped, List<ChunkRef> DumpedChunks,
        List<(string Chunk, int Page)> Expected);

    private static (List<ChunkRef> Pieces, List<LaidOutRun> Runs) Splice(Memory memory, PagesLayer layer, PackWriter pack)
    {
        List<LaidOutRun> runs = UnwrittenLayout.Of(memory.Dumped, layer.Runs, 7);
        var sources = new SlicedPages(memory.DumpedChunks, layer.Chunks, pack, layer.ResolvedBy(pack));
        return (PageSplice.Of(runs, sources).Chunks, runs);
    }

    private static List<(ulong, ulong, uint)> Entries(List<LaidOutRun> runs) =>
        [.. new PagemapImage(1, [.. runs.Select(r => new PagemapEntry(r.Address, (ulong)r.Pages, r.Flags))]).Merged().Entries.Select(e => (e.Address, e.Pages, e.Flags))];

    /// <summary>
    /// Up to 40 pages in entries with gaps between them (some lazy), cut into chunks of 1-5 pages; some pages copied (some
    /// between the entries); some of the layer's pages written after the copy, which the dump holds.
    /// </summary>
    private static Memory RandomMemory(Random random, Dictionary<string, ChunkRef> known)
    {
        var previousPages = new SortedDictionary<int, bool>(); // page number: lazy
        int page = 0;
        for (int entries = random.Next(1, 5); entries > 0; entries--)
        {
            page += random.Next(0, 3);
            bool lazy = random.Next(2) == 0;
            for (int n = random.Next(1, 10); n > 0; n--)
            {
                previousPages[page++] = lazy;
            }
        }
        var copiedPages = new SortedSet<int>(Enumerable.Range(0, page + 2).Where(_ => random.Next(3) == 0));
        var layerPages = new SortedSet<int>(previousPages.Keys.Concat(copiedPages));
        var dumpedPages = new SortedSet<int>(layerPages.Where(_ => random.Next(5) == 0));
        List<int> previousOrder = [.. previousPages.Keys];
        List<ChunkRef> previousChunks = Chunks("p", 1, previousOrder.Count, random);
        foreach (ChunkRef chunk in previousChunks)
        {
            known[chunk.Id] = chunk;
        }
        List<ChunkRef> copyChunks = Chunks("c", 2, copiedPages.Count, random), dumpChunks = Chunks("d", 2, dumpedPages.Count, random);
        List<(string, int)> previousImage = ImagePages(previousChunks), copyImage = ImagePages(copyChunks), dumpImage = ImagePages(dumpChunks);
        List<int> copiedOrder = [.. copiedPages], dumpedOrder = [.. dumpedPages];
        List<(string, int)> expected = [.. layerPages.Select(p => dumpedPages.Contains(p) ? dumpImage[dumpedOrder.IndexOf(p)]
            : copiedPages.Contains(p) ? copyImage[copiedOrder.IndexOf(p)] : previousImage[previousOrder.IndexOf(p)])];
        var previous = new PagemapImage(1, [.. Runs(previousPages.Keys).Select(r => new PagemapEntry(Address(r.First), (ulong)r.Count,
            previousPages[r.First] ? PagemapEntry.Present | PagemapEntry.Lazy : PagemapEntry.Present))]);
        var copied = new CopiedWrites([.. Runs(copiedPages).Select(r => new AddressRange(Address(r.First), Address(r.First + r.Count)))], copyChunks, Skipped: 0);
        return new Memory(previous, previousChunks, copied, Dumped(layerPages, dumpedPages), dumpChunks, expected);
    }

    /// <summary>The dump's pagemap: each run of the layer's pages, present where written after the copy, else in the parent.</summary>
    private static PagemapImage Dumped(SortedSet<int> layerPages, SortedSet<int> dumpedPages)
    {
        var entries = new List<PagemapEntry>();
        foreach ((int first, int count) in Runs(layerPages))
        {
            for (int p = first; p < first + count;)
            {
                bool dumped = dumpedPages.Contains(p);
                int end = p;
                while (end < first + count && dumpedPages.Contains(end) == dumped)
                {
                    end++;
                }
                entries.Add(new PagemapEntry(Address(p), (ulong)(end - p), dumped ? PagemapEntry.Present : PagemapEntry.InParent));
                p = end;
            }
        }
        return new PagemapImage(2, entries);
    }

    private static List<ChunkRef> Chunks(string name, long pack, int pages, Random random)
    {
        var chunks = new List<ChunkRef>();
        for (int done = 0; done < pages;)
        {
            int size = Math.Min(pages - done, random.Next(1, 6));
            chunks.Add(new ChunkRef($"{name}{chunks.Count}", pack, chunks.Count * 100 * Page, size * Page));
            done += size;
        }
        return chunks;
    }

    private static List<(string, int)> ImagePages(List<ChunkRef> chunks) => [.. chunks.SelectMany(c => Enumerable.Range(0, c.Size / Page).Select(p => (c.Id, p)))];

    private static List<(string, int)> PagesOf(List<ChunkRef> pieces) =>
        [.. pieces.SelectMany(c => Enumerable.Range(0, c.Size / Page).Select(p => (c.Id, ((c.From ?? 0) / Page) + p)))];

    private static IEnumerable<(int First, int Count)> Runs(IEnumerable<int> pages)
    {
        int first = -1, count = 0;
        foreach (int p in pages)
        {
            if (count > 0 && p == first + count)
            {
                count++;
                continue;
            }
            if (count > 0)
            {
                yield return (first, count);
            }
            (first, count) = (p, 1);
        }
        if (count > 0)
        {
            yield return (first, count);
        }
    }

    private static ulong Address(int page) => At + ((ulong)page * (ulong)Page);
}
