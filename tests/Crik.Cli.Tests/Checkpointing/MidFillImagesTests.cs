using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A checkpoint taken while memory arrives: where each page comes from (the dump, the checkpoint
/// restored, or nowhere: zeros), and the pages image put together from both, listing whole chunks as
/// they are and reading only the pieces a run's ends cut.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MidFillImagesTests
{
    private static readonly int Page = ImagePage.Bytes;
    private const uint Dumped = PagemapEntry.Present | PagemapEntry.Lazy;

    [Fact]
    public void APageTheDumpLacksComesFromTheCheckpointRestoredUnlessCrikFilledItAndItIsGoneSince()
    {
        ulong at = 0x7f0000000000;
        // Eight pages crik fills, moved by an mremap since (their bytes are at page 10 of the image restored).
        // Filled: 0, 1 (then written: dumped), 5 (dumped), 6 (freed since: not there), 7 (filled after the dump looked: there).
        var area = new UnfilledArea(at, 10L * Page, 8, [0b1110_0011UL]);
        var process = new UnfilledProcess(42, "123", 1, Forked: false, [area]);
        var dump = new PagemapImage(3, [new PagemapEntry(at, 2, Dumped), new PagemapEntry(at + (5UL * (ulong)Page), 1, Dumped)]);

        List<LaidOutRun> runs = MidFillLayout.Of(dump, process, address => address == at + (7UL * (ulong)Page));

        Assert.Equal(
            [(at, 2L, 0L, true), (at + (2UL * (ulong)Page), 3L, 12L * Page, false), (at + (5UL * (ulong)Page), 1L, 2L * Page, true), (at + (7UL * (ulong)Page), 1L, 17L * Page, false)],
            runs.Select(r => (r.Address, r.Pages, r.Offset, r.FromDump)));
        Assert.All(runs.Where(r => !r.FromDump), r => Assert.Equal(Dumped, r.Flags));
    }

    [Fact]
    public void RunsFromTheCheckpointRestoredThatFollowOneAnotherInItsImageAreOneForItsChunks()
    {
        List<LaidOutRun> runs =
        [
            new(0x10000, 2, 0, FromDump: false, Dumped),
            new(0x30000, 3, 2L * Page, FromDump: false, Dumped), // another mapping, its bytes right after
            new(0x40000, 1, 0, FromDump: true, Dumped),
            new(0x50000, 1, 5L * Page, FromDump: false, Dumped),
            new(0x60000, 1, 9L * Page, FromDump: false, Dumped), // not right after
        ];

        Assert.Equal([(0x10000UL, 5L, false), (0x40000UL, 1L, true), (0x50000UL, 1L, false), (0x60000UL, 1L, false)],
            MidFillLayout.AsBytes(runs).Select(r => (r.Address, r.Pages, r.FromDump)));
    }

    [Fact]
    public void ADumpCrikCannotCombineIsRefused()
    {
        var dump = new PagemapImage(3, [new PagemapEntry(0x10000, 2, PagemapEntry.InParent)]);
        Assert.Throws<InvalidDataException>(() => MidFillLayout.Of(dump, new UnfilledProcess(42, "1", 1, false, []), _ => false));
    }

    [Fact]
    public void WholeChunksAreListedAsTheyAreAndOnlyThePiecesARunCutsAreRead()
    {
        using var dir = new TempDirectory();
        byte[] restoredImage = Bytes(8, seed: 1), dumpedImage = Bytes(4, seed: 2);
        List<(ChunkRef Ref, byte[] Bytes)> restored = Chunks(restoredImage, 2, 2, 2, 2), dumped = Chunks(dumpedImage, 3, 1);
        using var pack = new PackWriter(2, File.OpenHandle(Path.Combine(dir.Path, "2.pack"), FileMode.CreateNew, FileAccess.Write),
            restored.ToDictionary(c => c.Ref.Id, c => c.Ref with { Pack = 1 }));
        List<ChunkRef> dumpedRefs = [.. dumped.Select(c => pack.Add(c.Bytes))];
        var sources = new PagesInMemory(dumpedImage, restored);
        using var chunker = new ImageChunker(pack, new FailsTheTest());
        using var composer = new PagesComposer(pack, chunker, dumpedRefs, [.. restored.Select(c => c.Ref)], sources);

        (List<ChunkRef> chunks, long size) = PageSplice.Of([
            new LaidOutRun(0, 2, 0, FromDump: true, Dumped), new LaidOutRun((ulong)(2 * Page), 4, 2L * Page, FromDump: false, Dumped),
            new LaidOutRun((ulong)(2 * Page), 2, 2L * Page, FromDump: true, Dumped), new LaidOutRun((ulong)(7 * Page), 1, 7L * Page, FromDump: false, Dumped)],
            composer);

        byte[] expected = [.. dumpedImage.AsSpan(0, 2 * Page), .. restoredImage.AsSpan(2 * Page, 4 * Page), .. dumpedImage.AsSpan(2 * Page, 2 * Page),
            .. restoredImage.AsSpan(7 * Page, Page)];
        Assert.Equal(expected.Length, size);
        // Restored chunks 1 and 2 whole, from generation 1's pack; the dumped image's second chunk whole; the pieces joined.
        Assert.Equal([restored[1].Ref.Id, restored[2].Ref.Id, dumpedRefs[1].Id], chunks.Where(c => (c.Size == 2 * Page && c.Pack == 1) || c == dumpedRefs[1]).Select(c => c.Id));
        Assert.Equal(2 * Page, sources.Reads.Sum(index => restored[index].Bytes.Length)); // only restored chunk 3, for a piece of its last page
        Assert.Equal(expected, Concatenated(chunks, restored, dumped, expected));
    }

    [Fact]
    public void AChunkTwoRunsCutIsReadFromTheStoreOnce()
    {
        using var dir = new TempDirectory();
        byte[] restoredImage = Bytes(4, seed: 3), dumpedImage = Bytes(1, seed: 4);
        List<(ChunkRef Ref, byte[] Bytes)> restored = Chunks(restoredImage, 4), dumped = Chunks(dumpedImage, 1);
        using var pack = new PackWriter(2, File.OpenHandle(Path.Combine(dir.Path, "2.pack"), FileMode.CreateNew, FileAccess.Write),
            restored.ToDictionary(c => c.Ref.Id, c => c.Ref with { Pack = 1 }));
        List<ChunkRef> dumpedRefs = [.. dumped.Select(c => pack.Add(c.Bytes))];
        var sources = new PagesInMemory(dumpedImage, restored);
        using var chunker = new ImageChunker(pack, new FailsTheTest());
        using var composer = new PagesComposer(pack, chunker, dumpedRefs, [.. restored.Select(c => c.Ref)], sources);

        // The first and third pages of the one restored chunk, with a page of the dump between them.
        (List<ChunkRef> chunks, long size) = PageSplice.Of([
            new LaidOutRun(0, 1, 0, FromDump: false, Dumped), new LaidOutRun((ulong)Page, 1, 0, FromDump: true, Dumped),
            new LaidOutRun((ulong)(2 * Page), 1, 2L * Page, FromDump: false, Dumped)], composer);

        byte[] expected = [.. restoredImage.AsSpan(0, Page), .. dumpedImage, .. restoredImage.AsSpan(2 * Page, Page)];
        Assert.Equal(expected.Length, size);
        Assert.Equal([0], sources.Reads);
        Assert.Equal(4 * Page, composer.StoreReadBytes);
        Assert.Equal(expected, Concatenated(chunks, restored, dumped, expected));
    }

    [Fact]
    public void ARestoredChunkTheStoreMayNotReuseIsReadAndStoredAnewNotRefused()
    {
        // Unlike the previous checkpoint's (SlicedPages refuses one), the checkpoint restored may hold chunks the store may not
        // reuse (another key since, a generation set aside): the checkpoint taken while its memory arrives still holds every page.
        using var dir = new TempDirectory();
        byte[] restoredImage = Bytes(2, seed: 5);
        List<(ChunkRef Ref, byte[] Bytes)> restored = Chunks(restoredImage, 2);
        using var pack = new PackWriter(2, File.OpenHandle(Path.Combine(dir.Path, "2.pack"), FileMode.CreateNew, FileAccess.Write), new Dictionary<string, ChunkRef>());
        var sources = new PagesInMemory([], restored);
        using var chunker = new ImageChunker(pack, new FailsTheTest());
        using var composer = new PagesComposer(pack, chunker, [], [.. restored.Select(c => c.Ref)], sources);

        (List<ChunkRef> chunks, long size) = PageSplice.Of([new LaidOutRun(0, 2, 0, FromDump: false, Dumped)], composer);

        Assert.Equal(restoredImage.Length, size);
        Assert.Equal([0], sources.Reads);
        Assert.All(chunks, c => Assert.Equal(2, c.Pack)); // stored anew in this generation's pack
    }

    /// <summary>The "memory" is the dumped image, by offset; the restored chunks are read from a list, each read noted.</summary>
    private sealed class PagesInMemory(byte[] dumpedImage, List<(ChunkRef Ref, byte[] Bytes)> restored) : IPageSources
    {
        public List<int> Reads { get; } = [];

        public void ReadMemory(ulong address, Span<byte> into) => dumpedImage.AsSpan((int)address, into.Length).CopyTo(into);

        public byte[] ReadRestoredChunk(int index)
        {
            Reads.Add(index);
            return [.. restored[index].Bytes];
        }
    }

    private sealed class FailsTheTest : IRunFailure
    {
        public string? Failure => null;

        public void Fail(string why) => Assert.Fail(why);
    }

    private static byte[] Bytes(int pages, int seed)
    {
        var bytes = new byte[pages * Page];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static List<(ChunkRef Ref, byte[] Bytes)> Chunks(byte[] image, params int[] pages)
    {
        var chunks = new List<(ChunkRef, byte[])>();
        int at = 0;
        foreach (int count in pages)
        {
            byte[] bytes = image.AsSpan(at, count * Page).ToArray();
            chunks.Add((new ChunkRef(PackWriter.Hash(bytes), 0, at, bytes.Length), bytes));
            at += bytes.Length;
        }
        return chunks;
    }

    /// <summary>The image the chunks make, each found by its name among the chunks known or the pieces expected.</summary>
    private static byte[] Concatenated(List<ChunkRef> chunks, List<(ChunkRef Ref, byte[] Bytes)> restored, List<(ChunkRef Ref, byte[] Bytes)> dumped,
        byte[] expected)
    {
        var known = restored.Concat(dumped).ToDictionary(c => c.Ref.Id, c => c.Bytes);
        var image = new List<byte>();
        foreach (ChunkRef chunk in chunks)
        {
            if (!known.TryGetValue(chunk.Id, out byte[]? bytes))
            {
                // A piece: the expected bytes where it lies, which must hash to its name.
                bytes = expected.AsSpan(image.Count, chunk.Size).ToArray();
                Assert.Equal(PackWriter.Hash(bytes), chunk.Id);
            }
            image.AddRange(bytes);
        }
        return [.. image];
    }
}
