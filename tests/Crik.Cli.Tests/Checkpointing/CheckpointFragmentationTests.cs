using Crik.Cli.Checkpointing;
using Crik.Cli.Chunks;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

[Trait("Category", "Unit")]
public sealed class CheckpointFragmentationTests
{
    [Fact]
    public void AManifestsPiecesAreCountedInItsStreamedPagesImagesOnlyAndEachWholeChunkReadOnce()
    {
        // 2000 slices of 4 KiB in two pages images: cut 16 from each 64 KiB chunk, a restore reads 8 MiB for 8 MiB of pages;
        // cut 8 from each (every other 4 KiB), 16 MiB, more than half as much again. Another image's 9000 slices do not count.
        Assert.Equal((2000, false), CheckpointFragmentation.Of(SlicedManifest(slicesPerChunk: 16)));
        Assert.Equal((2000, true), CheckpointFragmentation.Of(SlicedManifest(slicesPerChunk: 8)));
        Assert.Equal((0, false), CheckpointFragmentation.Of(new Manifest()));
    }

    private static Manifest SlicedManifest(int slicesPerChunk)
    {
        const int Chunk = 64 << 10, Piece = 4 << 10;
        ChunkRef Slice(int i) => new($"c{i / slicesPerChunk}", Pack: 1, Offset: (long)(i / slicesPerChunk) * Chunk, Chunk,
            From: i % slicesPerChunk * (Chunk / slicesPerChunk), Take: Piece);
        ManifestFile Pages(string name, int first) => new(name, 1000L * Piece, [], [.. Enumerable.Range(first, 1000).Select(Slice)]);
        return new Manifest
        {
            Files = [Pages("pages-1.img", 0), Pages("pages-2.img", 1000), new ManifestFile("core-1.img", Piece, [], [.. Enumerable.Range(0, 9000).Select(Slice)]),
                new ManifestFile("pages-3.img", Piece, ["0"])],
        };
    }
}
