using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

[Trait("Category", "Unit")]
public sealed class ReusableChunksTests
{
    private static readonly ChunkRef InPack1 = new("aa", Pack: 1, Offset: 0, Length: 4096);
    private static readonly ChunkRef OtherInPack1 = new("bb", Pack: 1, Offset: 4096, Length: 4096);
    private static readonly ChunkRef SameBytesInPack3 = new("aa", Pack: 3, Offset: 0, Length: 4096);

    [Fact]
    public void ACopyASetAsideGenerationRefersToIsNotReusedButTheSameChunkStoredAgainElsewhereIs()
    {
        // Generation 2 was set aside; 1 shares its copy of "aa", and 3 stored "aa" anew in its own pack.
        Dictionary<string, ChunkRef> known = ReusableChunks.Find(
            [(With(InPack1, OtherInPack1), ""), (With(InPack1), StoreLayout.SetAsideDir), (With(SameBytesInPack3), "")], new HashSet<long> { 1, 3 }, keyId: null);
        Assert.Equal(SameBytesInPack3, known["aa"]);
        Assert.Equal(OtherInPack1, known["bb"]);
    }

    [Fact]
    public void AChunkOnlyASetAsideGenerationsCopyHoldsIsWrittenAnew()
    {
        Dictionary<string, ChunkRef> known = ReusableChunks.Find([(With(InPack1), ""), (With(InPack1), StoreLayout.SetAsideDir)], new HashSet<long> { 1 }, keyId: null);
        Assert.Empty(known);
    }

    [Fact]
    public void ChunksOfAMissingPackOrAnotherKeyAreNotReused()
    {
        Assert.Empty(ReusableChunks.Find([(With(InPack1), "")], new HashSet<long> { 3 }, keyId: null));
        Assert.Empty(ReusableChunks.Find([(With(InPack1), "")], new HashSet<long> { 1 }, keyId: "key-1"));
    }

    private static Manifest With(params ChunkRef[] chunks) => new() { Files = [new ManifestFile("pages-1.img", chunks.Sum(c => (long)c.Length), [], chunks)] };
}
