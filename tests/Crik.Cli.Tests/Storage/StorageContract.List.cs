using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// List: what it reports of each kind of entry below the image directory.
public abstract partial class StorageContract
{
    internal const string SetAsideName = "checkpoint-000001-20261123T100000Z";

    [SkippableStorageFact]
    public void AnEmptyStoreListsNothing()
    {
        StoreListing listing = Listing();
        Assert.Empty(listing.Committed);
        Assert.Empty(listing.Retired);
        Assert.Empty(listing.SetAside);
        Assert.Empty(listing.SetAsideTaken);
        Assert.Empty(listing.Unfinished);
        Assert.Empty(listing.Packs);
        Assert.Empty(listing.Marks);
        Assert.Empty(listing.Logs);
        Assert.Equal(0, listing.Newest);
    }

    [SkippableStorageFact]
    public void ListReportsCommittedGenerationsNewestFirstWithTheirPacks()
    {
        Publish(1);
        Publish(3);
        Publish(2);
        StoreListing listing = Listing();
        Assert.Equal([3, 2, 1], listing.Committed);
        Assert.Equal([1, 2, 3], listing.Packs.Order());
        Assert.Equal(3, listing.Newest);
    }

    [SkippableStorageFact]
    public void ListReportsARetiredGenerationAsRetiredAndNotAsCommitted()
    {
        Publish(1);
        Publish(2);
        GenerationMove.Move(Backend, "checkpoint-000001", "retired/checkpoint-000001");
        StoreListing listing = Listing();
        Assert.Equal([2], listing.Committed);
        Assert.Equal([1], listing.Retired);
        Assert.Equal(2, listing.Newest);
    }

    [SkippableStorageFact]
    public void ListReportsASetAsideGenerationByItsNameAndCountsItForTheNextGeneration()
    {
        Publish(1);
        GenerationMove.Move(Backend, "checkpoint-000001", $"set-aside/{SetAsideName}");
        Assert.True(Backend.WriteIfAbsent($"set-aside/{SetAsideName}/{StoreLayout.SetAsideReasonFile}", Bytes("test\n")));
        StoreListing listing = Listing();
        Assert.Empty(listing.Committed);
        Assert.Equal([SetAsideName], listing.SetAside);
        Assert.Contains(SetAsideName, listing.SetAsideTaken);
        Assert.Equal(1, listing.Newest);
    }

    [SkippableStorageFact]
    public void ListReportsPacksByGenerationAndNothingElseInPacks()
    {
        Publish(1);
        Assert.True(Backend.WriteIfAbsent("packs/notes.txt", Bytes("x")));
        Assert.True(Backend.WriteIfAbsent("packs/0000002.pack", Bytes("x")));
        Assert.True(Backend.WriteIfAbsent("packs/000009.pack", Bytes("x")));
        StoreListing listing = Listing();
        Assert.Equal([1, 9], listing.Packs.Order());
        Assert.Equal(9, listing.Newest);
    }

    [SkippableStorageFact]
    public void ListReportsRestoreMarksByName()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("2026-11-25T00:00:00Z\n")));
        Assert.True(Backend.WriteIfAbsent($"restores/{StoreLayout.FinishedMarkName(4)}", Bytes("2026-11-25T00:00:00Z\n")));
        StoreListing listing = Listing();
        Assert.Equal(["000001-001", "finished-000004"], listing.Marks.Order(StringComparer.Ordinal));
        Assert.Equal(4, listing.FinishedThrough);
    }

    [SkippableStorageFact]
    public void ListReportsLogsWithWhenTheyWereWritten()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow;
        Assert.True(Backend.WriteIfAbsent("logs/dump-000002.log", Bytes("first")));
        Thread.Sleep(TimeSpan.FromSeconds(1.1)); // past any store's clock resolution
        Assert.True(Backend.WriteIfAbsent("logs/dump-000001.log", Bytes("second")));
        DateTimeOffset after = DateTimeOffset.UtcNow;

        List<StoredLog> logs = Listing().Logs;
        Assert.Equal(["dump-000001.log", "dump-000002.log"], logs.Select(l => l.Name).Order(StringComparer.Ordinal));
        DateTimeOffset first = logs.Single(l => l.Name == "dump-000002.log").Written, second = logs.Single(l => l.Name == "dump-000001.log").Written;
        Assert.True(first < second, $"written {first:O}, then {second:O}");
        Assert.All([first, second], written => Assert.InRange(written, before.AddSeconds(-2), after.AddSeconds(2)));
    }
}
