using System.Runtime;
using Crik.Cli.Timing;
using Xunit;

namespace Crik.Cli.Tests.Timing;

/// <summary>Test classes that hold the runtime's one collection-free window run on their own: a collection another test forces would end it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideGarbageCollector
{
    public const string Name = "process-wide garbage collector";
}

/// <summary>
/// While crik holds the app stopped, its garbage collector does not pause it: the window opens, allocations within its room
/// make no collection, and it closes once, leaving collections as usual; more than its room ends it with a collection, and
/// closing it then does not throw.
/// </summary>
[Trait("Category", "Unit")]
[Collection(ProcessWideGarbageCollector.Name)]
public sealed class CollectionFreeWindowTests
{
    [Fact]
    public void AllocationsWithinItsRoomMakeNoCollection()
    {
        int collections = GC.CollectionCount(0);
        var kept = new List<byte[]>();
        using (var window = new CollectionFreeWindow())
        {
            Assert.True(window.Open);
            collections = GC.CollectionCount(0);
            for (int i = 0; i < 64; i++)
            {
                kept.Add(new byte[64 << 10]); // 4 MiB in all, an eighth of the room
            }
            Assert.True(window.Open);
            Assert.Equal(collections, GC.CollectionCount(0));
            window.Dispose();
            Assert.False(window.Open);
        }
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void MoreThanItsRoomEndsItWithACollectionAndClosingItThenDoesNotThrow()
    {
        var kept = new List<byte[]>();
        var window = new CollectionFreeWindow();
        Assert.True(window.Open);
        int collections = GC.CollectionCount(0);
        for (long allocated = 0; allocated < 2 * CollectionFreeWindow.Bytes; allocated += 64 << 10)
        {
            kept.Add(new byte[64 << 10]);
        }
        Assert.False(window.Open);
        Assert.True(GC.CollectionCount(0) > collections);
        window.Dispose();
        window.Dispose();
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        GC.KeepAlive(kept);
    }

    [Fact]
    public void ASecondWindowWhileOneIsOpenStaysClosedAndLeavesTheFirstOpen()
    {
        using var first = new CollectionFreeWindow();
        using (var second = new CollectionFreeWindow())
        {
            Assert.False(second.Open);
        }
        Assert.True(first.Open);
    }
}
