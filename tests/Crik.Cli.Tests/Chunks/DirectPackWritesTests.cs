using System.Runtime.InteropServices;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Interop;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace Crik.Cli.Tests.Chunks;

/// <summary>
/// A pack's chunks of whole pages, in crik's page-aligned buffers, are written past the page cache at page-aligned
/// offsets; the small images' chunks, in ordinary arrays, through it. Every chunk reads back whole either way.
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
        using (PackWriter writer = asVolumeUpload
            ? new PackWriter(1, new VolumeFileUpload(file, () => { }), new Dictionary<string, ChunkRef>(), ChunkCodec.Plain)
            : new PackWriter(1, file, new Dictionary<string, ChunkRef>()))
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
        using var packs = new PackReader(_ => File.OpenHandle(path));
        foreach ((ChunkRef chunk, byte[] bytes) in written)
        {
            byte[] back = new byte[chunk.Size];
            packs.Read(chunk, keyId: null, back);
            Assert.Equal(bytes, back);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

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
