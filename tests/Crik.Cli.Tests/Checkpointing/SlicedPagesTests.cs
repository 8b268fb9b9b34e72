using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Criu;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>
/// A pages image put together from the dump's and the previous checkpoint's chunks by slices, without reading a byte,
/// reads back as the bytes it stands for: through a real pack, slices of one chunk read it once.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SlicedPagesTests : IDisposable
{
    private static readonly int Page = ImagePage.Bytes;
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-sliced-").FullName;

    [Fact]
    public void AnImageOfSlicesReadsBackAsTheBytesItsRunsStandFor()
    {
        // Previous: 8 pages in chunks of 3 and 5 pages; dump: 2 pages, one chunk. Pages are filled with their own numbers.
        byte[] previousBytes = Pages(100, 8), dumpedBytes = Pages(200, 2);
        using SafeFileHandle packFile = File.OpenHandle(Path.Combine(_dir, "1.pack"), FileMode.CreateNew, FileAccess.ReadWrite);
        var known = new Dictionary<string, ChunkRef>();
        List<ChunkRef> previous;
        using (var older = new PackWriter(1, packFile, known))
        {
            previous = [older.Add(previousBytes.AsSpan(0, 3 * Page)), older.Add(previousBytes.AsSpan(3 * Page, 5 * Page))];
        }
        foreach (ChunkRef chunk in previous)
        {
            known[chunk.Id] = chunk;
        }
        using SafeFileHandle newPack = File.OpenHandle(Path.Combine(_dir, "2.pack"), FileMode.CreateNew, FileAccess.ReadWrite);
        using var pack = new PackWriter(2, newPack, known);
        List<ChunkRef> dumped = [pack.Add(dumpedBytes)];
        // Memory: previous pages 0-1, dumped page 0, previous pages 3-6 (across both chunks), dumped page 1.
        List<LaidOutRun> runs = [
            new(0x1000, 2, 0, FromDump: false, 0), new(0x3000, 1, 0, FromDump: true, 0),
            new(0x4000, 1, 3L * Page, FromDump: false, 0), new(0x5000, 3, 4L * Page, FromDump: false, 0), new(0x8000, 1, Page, FromDump: true, 0)];

        (List<ChunkRef> chunks, long size) = PageSplice.Of(runs, new SlicedPages(dumped, previous, pack));

        Assert.Equal(8L * Page, size);
        Assert.All(chunks, c => Assert.True(c.IsSlice));
        Assert.Equal(4, chunks.Count); // pages 3-6 of the previous image are one slice: they follow one another in its chunk of 5
        byte[] expected = [.. previousBytes.AsSpan(0, 2 * Page), .. dumpedBytes.AsSpan(0, Page), .. previousBytes.AsSpan(3 * Page, 4 * Page), .. dumpedBytes.AsSpan(Page, Page)];
        using var reader = Crik.Cli.Tests.Chunks.PacksOf.Files(generation => File.OpenHandle(Path.Combine(_dir, $"{generation}.pack")));
        var read = new List<byte>();
        foreach (ChunkRef chunk in chunks)
        {
            var bytes = new byte[chunk.Size];
            reader.Read(chunk, null, bytes);
            read.AddRange(bytes);
        }
        Assert.Equal(expected, read);
    }

    [Fact]
    public void APieceOfThePreviousCheckpointThatMayNotBeReusedIsRefused()
    {
        using SafeFileHandle packFile = File.OpenHandle(Path.Combine(_dir, "1.pack"), FileMode.CreateNew, FileAccess.ReadWrite);
        using var pack = new PackWriter(1, packFile, new Dictionary<string, ChunkRef>());
        List<ChunkRef> previous = [new ChunkRef(new string('a', 64), 7, 0, Page)];

        Assert.Throws<InvalidDataException>(() => PageSplice.Of([new LaidOutRun(0x1000, 1, 0, FromDump: false, 0)], new SlicedPages([], previous, pack)));
    }

    [Fact]
    public void ASliceOutsideItsChunkIsRefused()
    {
        var chunk = new ChunkRef(new string('a', 64), 1, 0, 4 * Page);
        Assert.Throws<ArgumentOutOfRangeException>(() => chunk.Slice(3 * Page, 2 * Page));
        Assert.Equal(chunk, chunk.Slice(0, Page).Whole());
        Assert.Equal(chunk, chunk.Slice(0, 4 * Page)); // all of it is the chunk itself
        Assert.Equal((2 * Page, Page), (chunk.Slice(Page, 2 * Page).Slice(Page, Page).From, chunk.Slice(Page, 2 * Page).Slice(Page, Page).Take));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Pages(int first, int count)
    {
        var bytes = new byte[count * Page];
        for (int i = 0; i < count; i++)
        {
            bytes.AsSpan(i * Page, Page).Fill((byte)(first + i));
        }
        return bytes;
    }
}
