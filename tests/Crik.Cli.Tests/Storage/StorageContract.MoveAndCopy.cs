using Crik.Cli.ImageStore;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// Move and Copy on their own, one key to another, with no generation in sight (GenerationMove is above them).
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void AMovedFileIsAtItsNewKeyOnly()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("a")));
        Backend.Move("restores/000001-001", "retired/moved/000001-001");
        Assert.Equal("a", Text(Backend.Read("retired/moved/000001-001", 4095)));
        Assert.Null(Backend.Read("restores/000001-001", 4095));
        Assert.Empty(Backend.List("restores/"));
    }

    [SkippableStorageFact]
    public void AMoveReplacesWhatIsAtItsTarget()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("new")));
        Assert.True(Backend.WriteIfAbsent("restores/000001-002", Bytes("old")));
        Backend.Move("restores/000001-001", "restores/000001-002");
        Assert.Equal("new", Text(Backend.Read("restores/000001-002", 4095)));
        Assert.Equal(["restores/000001-002"], Backend.List("restores/").Select(e => e.Key));
    }

    [SkippableStorageFact]
    public void MovingWhatIsAbsentFails()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-002", Bytes("b")));
        Assert.ThrowsAny<IOException>(() => Backend.Move("restores/000001-001", "restores/000001-002"));
        Assert.Equal("b", Text(Backend.Read("restores/000001-002", 4095)));
    }

    [SkippableStorageFact]
    public void ACopyIsAtBothKeysAndNothingElseIsLeft()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("abc")));
        Assert.True(Backend.Copy("restores/000001-001", "retired/copied/000001-001"));
        Assert.True(Backend.Copy("restores/000001-001", "restores/000001-002"));
        Assert.Equal("abc", Text(Backend.Read("restores/000001-001", 4095)));
        Assert.Equal("abc", Text(Backend.Read("retired/copied/000001-001", 4095)));
        Assert.Equal(["restores/000001-001", "restores/000001-002"], Backend.List("restores/").Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [SkippableStorageFact]
    public void ACopyReplacesWhatIsAtItsTarget()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("new")));
        Assert.True(Backend.WriteIfAbsent("restores/000001-002", Bytes("older and longer")));
        Assert.True(Backend.Copy("restores/000001-001", "restores/000001-002"));
        Assert.Equal("new", Text(Backend.Read("restores/000001-002", 4095)));
    }

    [SkippableStorageFact]
    public void CopyingWhatIsAbsentIsFalseAndWritesNothing()
    {
        Assert.False(Backend.Copy("restores/000001-001", "restores/000001-002"));
        Assert.Empty(Backend.List("restores/"));
    }
}
