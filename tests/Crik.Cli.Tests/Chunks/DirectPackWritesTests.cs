using System.Runtime.InteropServices;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// A pack's chunks of whole pages, in crik's page-aligned buffers, are written at page-aligned offsets, and past the page
/// cache once filling it has proved slow; the small images' chunks, in ordinary arrays, always through it. Every chunk
/// reads back whole either way.
/// </summary>
[Trait("Category", "Unit")]
public sealed unsafe partial class DirectPackWritesTests : IDisposable
{
    private const int Page = 4096;
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-direct-").FullName;

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // as an image directory on a volume writes its packs
    public void ChunksOfWholePagesGoPastThePageCacheAtAlignedOffsetsAndEveryChunkReadsBackWhole(bool asVolumeUpload)
    {
        string path = Path.Combine(_dir, "000001.pack");
        var random = new Random(62);
        byte[] small = new byte[1000], smaller = new byte[77];
        random.NextBytes(small);
        random.NextBytes(smaller);
        using HugePageMemory block = HugePageMemory.Map(PageChunker.MaxBytes);
        random.NextBytes(block.Bytes[..(40 * Page)]);

        var written = new List<(ChunkRef Chunk, byte[] Bytes)>();
        SafeFileHandle file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
        using var volume = new VolumeBackend(_dir, Serilog.Core.Logger.None); // where an abort would delete it (never here)
        using (PackWriter writer = asVolumeUpload
            ? new PackWriter(1, new VolumeFileUpload(file, volume, "000001.pack", CacheFillCost.KnownSlow()), new Dictionary<string, ChunkRef>(), ChunkCodec.Plain)
            : new PackWriter(1, new PackFileTarget(file, CacheFillCost.KnownSlow()), new Dictionary<string, ChunkRef>(), ChunkCodec.Plain))
        {
            Assert.True(FileSystemType.Of(path) is FileSystemType.Ext4 or FileSystemType.Xfs, "this test needs a temporary directory on ext4 or XFS, where crik writes packs past the cache");
            written.Add((writer.Add(small), small));
            written.Add((writer.Add(block.Bytes[..(16 * Page)]), block.Bytes[..(16 * Page)].ToArray()));
            written.Add((writer.Add(smaller), smaller));
            written.Add((writer.Add(block.Bytes[(16 * Page)..(40 * Page)]), block.Bytes[(16 * Page)..(40 * Page)].ToArray()));
            Assert.Equal(1000 + 77 + (40 * Page), writer.WrittenBytes); // the holes before aligned chunks are not counted
        }

        Assert.All(written.Where(w => w.Bytes.Length % Page == 0), w => Assert.Equal(0, w.Chunk.Offset % Page));
        bool[] cached = Resident(path);
        foreach ((ChunkRef chunk, byte[] bytes) in written)
        {
            bool aligned = bytes.Length % Page == 0;
            for (long page = chunk.Offset / Page; page <= (chunk.Offset + chunk.Length - 1) / Page; page++)
            {
                Assert.True(aligned ? !cached[page] : cached[page], $"page {page} of the pack: cached {cached[page]}, a chunk of {bytes.Length} bytes");
            }
        }
        using var packs = PacksOf.Files(_ => File.OpenHandle(path));
        foreach ((ChunkRef chunk, byte[] bytes) in written)
        {
            byte[] back = new byte[chunk.Size];
            packs.Read(chunk, keyId: null, back);
            Assert.Equal(bytes, back);
        }
    }

    [Fact]
    public void WhereFillingTheCacheIsCheapChunksOfWholePagesGoThroughItStillAligned()
    {
        (List<ChunkRef> chunks, bool[] cached) = WritePageChunks(CacheFillCost.ToMeasure(slowMicrosecondsPerPage: 1e9), count: 24);

        Assert.All(chunks, c => Assert.Equal(0, c.Offset % Page));
        Assert.All(chunks, c => Assert.True(cached[c.Offset / Page], $"the chunk at {c.Offset} is not in the page cache"));
    }

    [Fact]
    public void FromTheFirstStretchThatFillsTheCacheSlowlyChunksOfWholePagesGoPastIt()
    {
        // Every write is slow against a threshold of 0: the first 16 are timed through the cache, the rest go past it.
        (List<ChunkRef> chunks, bool[] cached) = WritePageChunks(CacheFillCost.ToMeasure(slowMicrosecondsPerPage: 0), count: 24);

        Assert.All(chunks[..16], c => Assert.True(cached[c.Offset / Page], $"the chunk at {c.Offset} went past the cache before any stretch was timed"));
        Assert.All(chunks[16..], c => Assert.False(cached[c.Offset / Page], $"the chunk at {c.Offset} went through the cache after a slow stretch"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes <paramref name="count"/> chunks of 8 pages, one after another, and says which pages of the pack are cached.</summary>
    private (List<ChunkRef> Chunks, bool[] Cached) WritePageChunks(CacheFillCost fill, int count)
    {
        string path = Path.Combine(_dir, "000002.pack");
        using HugePageMemory block = HugePageMemory.Map(PageChunker.MaxBytes);
        var random = new Random(5);
        var chunks = new List<ChunkRef>();
        using (var writer = new PackWriter(2, new PackFileTarget(File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write), fill), new Dictionary<string, ChunkRef>(), ChunkCodec.Plain))
        {
            Assert.True(FileSystemType.Of(path) is FileSystemType.Ext4 or FileSystemType.Xfs, "this test needs a temporary directory on ext4 or XFS, where crik can write packs past the cache");
            for (int i = 0; i < count; i++)
            {
                random.NextBytes(block.Bytes[..(8 * Page)]); // each chunk new, so none is reused
                chunks.Add(writer.Add(block.Bytes[..(8 * Page)]));
            }
        }
        return (chunks, Resident(path));
    }

    /// <summary>For each page of the file, whether the page cache holds it (mincore over a mapping of it).</summary>
    private static bool[] Resident(string path)
    {
        using FileStream file = File.OpenRead(path);
        long length = file.Length;
        nint address = Mmap(0, (nint)length, 1 /* PROT_READ */, 1 /* MAP_SHARED */, (int)file.SafeFileHandle.DangerousGetHandle(), 0);
        Assert.NotEqual(-1, address);
        try
        {
            byte[] vector = new byte[(length + Page - 1) / Page];
            fixed (byte* into = vector)
            {
                Assert.Equal(0, Mincore(address, (nint)length, into));
            }
            return [.. vector.Select(v => (v & 1) != 0)];
        }
        finally
        {
            _ = Munmap(address, (nint)length);
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial nint Mmap(nint address, nint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(nint address, nint length);

    [LibraryImport("libc", EntryPoint = "mincore")]
    private static partial int Mincore(nint address, nint length, byte* vector);
}
