using Crik.Cli.ImageStore;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Records;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// A move in object storage is a copy and then a delete: a crik killed in between leaves the generation
// in both places. The lifecycle must take it as moved, and finish the move.
public partial class ObjectBackendTests
{
    [SkippableStorageFact]
    public void AMoveCutShortAfterItsCopyLeavesTheGenerationInBothPlaces()
    {
        byte[] json = Publish(1);
        MoveCutShort("checkpoint-000001", "retired/checkpoint-000001");
        Assert.Equal(json, ManifestAt("checkpoint-000001"));
        Assert.Equal(json, ManifestAt("retired/checkpoint-000001"));
        StoreListing listing = Listing();
        Assert.Equal([1], listing.Committed);
        Assert.Equal([1], listing.Retired);
    }

    [SkippableStorageFact]
    public void AGenerationACutShortRetireLeftInBothPlacesIsListedOnceAsRetiredAndNeverRestored()
    {
        Publish(1);
        MoveCutShort("checkpoint-000001", "retired/checkpoint-000001");
        using GenerationStore store = NewStore();
        ListedGeneration listed = Assert.Single(store.ListGenerations(verify: true));
        Assert.Equal(("retired", 1L, null), (listed.State, listed.Generation, listed.Problem));
        Assert.Null(store.FindRestorable());
        // Looking for a generation to restore finished the move.
        Assert.Null(ManifestAt("checkpoint-000001"));
        Assert.Equal([1], Listing().Retired);
    }

    [SkippableStorageFact]
    public void TheNextCommitDeletesBothCopiesOfAGenerationACutShortRetireLeft()
    {
        Publish(1);
        MoveCutShort("checkpoint-000001", "retired/checkpoint-000001");
        using (GenerationStore store = NewStore())
        {
            Assert.Equal(2, Commit(store));
        }
        StoreListing listing = Listing();
        Assert.Equal([2], listing.Committed);
        Assert.Empty(listing.Retired);
        Assert.Equal([2], listing.Packs);
        Assert.Null(ManifestAt("checkpoint-000001"));
    }

    private ObjectGenerationStore NewStore() => new ObjectGenerationStore(Client(), Log);

    private static long Commit(GenerationStore store)
    {
        using StagingCheckpoint staging = store.BeginCheckpoint();
        File.WriteAllText(Path.Combine(staging.ImagesDir, "stats-dump"), "two");
        return store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"] }, keep: 2).Checkpoint.Manifest.Generation;
    }

    /// <summary>Moves a generation as crik does, with the store refusing to delete the original: as if crik died after the copy.</summary>
    private void MoveCutShort(string from, string to)
    {
        _proxy!.Canned = request => request.StartsWith($"DELETE /{S3Server.Bucket}/{_prefix}{from}/", StringComparison.Ordinal)
            ? (403, "<Error><Code>AccessDenied</Code><Message>refused by the test</Message></Error>")
            : null;
        Assert.Throws<S3Exception>(() => GenerationMove.Move(Backend, from, to));
        _proxy.Canned = _ => null;
    }
}
