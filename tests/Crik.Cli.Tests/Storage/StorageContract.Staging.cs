using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// StagingCheckpoint.Begin over each backend, and the staging area's Publish, Abandon and KeepLog. Whether a staging area is
// visible before it is published differs (a volume's .staging-* directory; nothing in object
// storage): each backend's tests say which.
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void APublishedGenerationIsCommittedWithItsManifestByteForByte()
    {
        byte[] json = Publish(1);
        StoreListing listing = Listing();
        Assert.Equal([1], listing.Committed);
        Assert.Empty(listing.Unfinished);
        Assert.Equal(json, ManifestAt("checkpoint-000001"));
        Assert.Equal(json, ManifestAt("checkpoint-000001", NewBackend()));
    }

    [SkippableStorageFact]
    public void APublishToldWhyNotThrowsItsReasonAndCommitsNothing()
    {
        StagingCheckpoint staging = Stage(1);
        byte[] json = Seal(staging, "pages");
        IOException refused = Assert.ThrowsAny<IOException>(() => staging.Publish("checkpoint-000001", json, mac: null, whyNot: () => "the budget ran out"));
        Assert.Equal("the budget ran out", refused.Message);
        staging.Abandon();
        Assert.Empty(Listing().Committed);
        Assert.Null(ManifestAt("checkpoint-000001"));
    }

    [SkippableStorageFact]
    public void AnAbandonedDumpLeavesNoGenerationNoStagingAndNoPack()
    {
        StagingCheckpoint staging = Stage(1);
        staging.Pack.Add(Bytes("pages"));
        File.WriteAllText(Path.Combine(staging.ImagesDir, "pages-1.img"), "half a dump");
        staging.Abandon();
        StoreListing listing = Listing();
        Assert.Empty(listing.Committed);
        Assert.Empty(listing.Unfinished);
        Assert.Empty(listing.Packs);
        Assert.Empty(listing.SetAsideTaken);
    }

    [SkippableStorageFact]
    public void AnAbandonedDumpKeepsCriusLogInLogs()
    {
        StagingCheckpoint staging = Stage(1);
        File.WriteAllText(staging.Criu.LogFile, "Error (criu/cr-dump.c:1): no\n");
        staging.Abandon();
        Assert.Equal("Error (criu/cr-dump.c:1): no\n", Text(Backend.Read($"logs/{StoreLayout.DumpLogName(1)}", 1 << 20)));
        Assert.Equal([StoreLayout.DumpLogName(1)], Listing().Logs.Select(l => l.Name));
    }

    [SkippableStorageFact]
    public void ACommittedDumpKeepsCriusLogInLogsAndNotInTheGeneration()
    {
        using (StagingCheckpoint staging = Stage(1))
        {
            File.WriteAllText(staging.Criu.LogFile, "dump finished\n");
            staging.KeepLog();
            staging.Publish("checkpoint-000001", Seal(staging, "pages"), mac: null, whyNot: () => null);
        }
        Assert.Equal("dump finished\n", Text(Backend.Read($"logs/{StoreLayout.DumpLogName(1)}", 1 << 20)));
        Assert.DoesNotContain(Parse(ManifestAt("checkpoint-000001")!).Files, f => f.Path.EndsWith(".log", StringComparison.Ordinal));
    }
}
