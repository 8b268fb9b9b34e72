using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// GenerationMove over each backend: a generation ends at its target, whole, and no longer at its source.
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void AMovedGenerationIsAtItsTargetAndNoLongerAtItsSource()
    {
        byte[] json = Publish(1);
        GenerationMove.Move(Backend, "checkpoint-000001", "retired/checkpoint-000001");
        Assert.Equal(json, ManifestAt("retired/checkpoint-000001"));
        Assert.Null(ManifestAt("checkpoint-000001"));
        StoreListing listing = Listing();
        Assert.Empty(listing.Committed);
        Assert.Equal([1], listing.Retired);
    }

    [SkippableStorageFact]
    public void AMoveTakesTheManifestsHmacAlong()
    {
        using (var staging = Stage(1))
        {
            staging.Publish("checkpoint-000001", Seal(staging, "pages"), mac: "0123abcd", whyNot: () => null);
        }
        GenerationMove.Move(Backend, "checkpoint-000001", "set-aside/checkpoint-000001-20261123T100000Z");
        Assert.Equal("0123abcd\n", Text(Backend.Read($"set-aside/checkpoint-000001-20261123T100000Z/{Manifest.MacFileName}", 4095)));
        Assert.Null(Backend.Read($"checkpoint-000001/{Manifest.MacFileName}", 4095));
    }

    /// <summary>What a move cut short left at the target (object storage copies first) is replaced by the generation.</summary>
    [SkippableStorageFact]
    public void AMoveReplacesWhatAnEarlierCutShortMoveLeftAtItsTarget()
    {
        byte[] json = Publish(1);
        Assert.True(Backend.WriteIfAbsent($"retired/checkpoint-000001/{Manifest.FileName}", Bytes("{ a stale copy")));
        GenerationMove.Move(Backend, "checkpoint-000001", "retired/checkpoint-000001");
        Assert.Equal(json, ManifestAt("retired/checkpoint-000001"));
        Assert.Null(ManifestAt("checkpoint-000001"));
    }

    [SkippableStorageFact]
    public void AMovedGenerationVerifiesAtItsTarget()
    {
        byte[] json = Publish(1);
        GenerationMove.Move(Backend, "checkpoint-000001", "set-aside/checkpoint-000001-20261123T100000Z");
        Assert.True(Backend.WriteIfAbsent($"set-aside/checkpoint-000001-20261123T100000Z/{StoreLayout.SetAsideReasonFile}", Bytes("test\n")));
        using PackReader packs = PackReading.Open(Backend, ChunkCodec.Plain);
        Assert.Null(GenerationVerifier.VerifyContents(Backend, Node, "set-aside/checkpoint-000001-20261123T100000Z", Parse(json), packs, readChunks: true));
    }
}
