using System.Text;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// VerifyContents and OpenPackReader.
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void APublishedGenerationVerifiesWithEveryChunkRead()
    {
        Manifest manifest = Parse(Publish(1));
        using PackReader packs = PackReading.Open(Backend, ChunkCodec.Plain);
        Assert.Null(GenerationVerifier.VerifyContents(Backend, Node, "checkpoint-000001", manifest, packs, readChunks: true));
    }

    [SkippableStorageFact]
    public void AGenerationWhosePackIsGoneDoesNotVerify()
    {
        Manifest manifest = Parse(Publish(1));
        Backend.Delete("packs/000001.pack");
        using PackReader packs = PackReading.Open(Backend, ChunkCodec.Plain);
        Assert.Equal("pages-1.img needs packs/000001.pack, which is missing", GenerationVerifier.VerifyContents(Backend, Node, "checkpoint-000001", manifest, packs));
    }

    [SkippableStorageFact]
    public void AChunkThatDoesNotReadBackWholeIsFoundOnlyWhenChunksAreRead()
    {
        Manifest manifest = Parse(Publish(1));
        long length;
        using (PackReader packs = PackReading.Open(Backend, ChunkCodec.Plain))
        {
            length = packs.PackLength(1)!.Value;
        }
        Backend.Delete("packs/000001.pack");
        Assert.True(Backend.WriteIfAbsent("packs/000001.pack", Enumerable.Repeat((byte)'x', (int)length).ToArray()));
        using PackReader damaged = PackReading.Open(Backend, ChunkCodec.Plain);
        Assert.Null(GenerationVerifier.VerifyContents(Backend, Node, "checkpoint-000001", manifest, damaged, readChunks: false));
        Assert.StartsWith("pages-1.img: ", GenerationVerifier.VerifyContents(Backend, Node, "checkpoint-000001", manifest, damaged, readChunks: true), StringComparison.Ordinal);
    }

    [SkippableStorageFact]
    public void APackReaderReadsBackTheChunksAStagedPackWasGiven()
    {
        Manifest manifest = Parse(Publish(1, "the app's pages"));
        ChunkRef chunk = manifest.Files.Single(f => f.Path == "pages-1.img").Chunks!.Single();
        using PackReader packs = PackReading.Open(Backend, ChunkCodec.Plain);
        var plain = new byte[chunk.Size];
        packs.Read(chunk, keyId: null, plain);
        Assert.Equal("the app's pages", Encoding.UTF8.GetString(plain));
        Assert.Null(packs.PackLength(2));
    }
}
