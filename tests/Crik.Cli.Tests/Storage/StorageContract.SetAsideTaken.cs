using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// List's SetAsideTaken, which MoveToSetAside reads to pick a set-aside name no entry has.
public abstract partial class StorageContract
{
    /// <summary>A new set-aside name must be none of these: a generation moved there before its reason was written is one.</summary>
    [SkippableStorageFact]
    public void SetAsideTakenNamesEveryNameBelowSetAsideWhetherAGenerationOrNot()
    {
        Publish(1);
        GenerationMove.Move(Backend, "checkpoint-000001", $"set-aside/{SetAsideName}");
        Assert.True(Backend.WriteIfAbsent("set-aside/notes/README.txt", Bytes("an operator's\n")));
        StoreListing listing = Listing();
        Assert.Equal([SetAsideName], listing.SetAside);
        Assert.Equal([SetAsideName, "notes"], listing.SetAsideTaken.Order(StringComparer.Ordinal));
    }
}
