using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Observing;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// How many requests crik_store_requests_total counts for the lifecycle's steps on a volume: each primitive once, under a backend name of the test's own.
public partial class VolumeBackendTests
{
    /// <summary>A listing of the image directory is one request, however many of crik's directories it reads.</summary>
    [SkippableStorageFact]
    public void OneListingCountsOneListRequest()
    {
        Publish(1);
        Publish(2);
        Publish(3);
        GenerationMove.Move(Backend, "checkpoint-000001", "retired/checkpoint-000001");
        GenerationMove.Move(Backend, "checkpoint-000002", "set-aside/checkpoint-000002-20261123T100000Z");
        Assert.True(Backend.WriteIfAbsent("restores/000003-001", Bytes("a")));
        Assert.True(Backend.WriteIfAbsent("logs/dump-000003.log", Bytes("b")));
        (IStoreBackend counted, string name) = Counted();

        Records.StoreListing listing = counted.ReadListing(Serilog.Core.Logger.None);

        Assert.Equal([3], listing.Committed);
        Assert.Equal([1], listing.Retired);
        Assert.Equal(["checkpoint-000002-20261123T100000Z"], listing.SetAside);
        Assert.Equal([1, 2, 3], listing.Packs.Order());
        Assert.Equal(["000003-001"], listing.Marks);
        Assert.Equal("dump-000003.log", Assert.Single(listing.Logs).Name);
        Assert.Equal([("list", 1)], Requests(name));
    }

    /// <summary>A generation goes as its manifest and then its directory, with everything in it: nothing is listed first.</summary>
    [SkippableStorageFact]
    public void DeletingAGenerationIsTwoDeletesAndNoListing()
    {
        Publish(1);
        (IStoreBackend counted, string name) = Counted();

        GenerationDeletion.Delete(counted, "checkpoint-000001");

        Assert.Equal([("delete", 2)], Requests(name));
        Assert.False(Directory.Exists(Path.Combine(_dir, "checkpoint-000001")));
    }

    /// <summary>On a volume a generation moves as one rename of its directory, with everything in it.</summary>
    [SkippableStorageFact]
    public void MovingAGenerationIsOneRename()
    {
        Publish(1);
        (IStoreBackend counted, string name) = Counted();

        GenerationMove.Move(counted, "checkpoint-000001", "retired/checkpoint-000001");

        Assert.Equal([("move", 1)], Requests(name));
        Assert.True(Directory.Exists(Path.Combine(_dir, "retired", "checkpoint-000001")));
        Assert.False(Directory.Exists(Path.Combine(_dir, "checkpoint-000001")));
    }

    private (IStoreBackend Backend, string Name) Counted()
    {
        string name = $"test-{Guid.NewGuid():N}";
        return (new CountedBackend(Backend, name), name);
    }

    /// <summary>The requests counted under <paramref name="backend"/>, by operation.</summary>
    internal static List<(string Operation, long Count)> Requests(string backend) =>
        Tallies.StoreRequestCounts.Where(c => c.Key.Backend == backend).Select(c => (c.Key.Operation, c.Count)).ToList();
}
