using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// The primitives on their own, keys in and keys out, with no generation in sight: List by prefix and Read's limit.
public abstract partial class StorageContract
{
    [SkippableStorageFact]
    public void AnEmptyStoreHasNoEntries() => Assert.Empty(Backend.List(""));

    [SkippableStorageFact]
    public void ListByPrefixGivesTheKeysBelowItAndNoOthers()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("a")));
        Assert.True(Backend.WriteIfAbsent("restores/000001-002", Bytes("b")));
        Assert.True(Backend.WriteIfAbsent("logs/dump-000001.log", Bytes("c")));
        Assert.Equal(["restores/000001-001", "restores/000001-002"], Backend.List("restores/").Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["logs/dump-000001.log"], Backend.List("logs/").Select(e => e.Key));
        Assert.Empty(Backend.List("retired/"));
    }

    [SkippableStorageFact]
    public void ListOfSeveralPrefixesGivesTheKeysBelowEachOnce()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("a")));
        Assert.True(Backend.WriteIfAbsent("logs/dump-000001.log", Bytes("c")));
        Assert.True(Backend.WriteIfAbsent("packs/000001.pack", Bytes("d")));
        Assert.Equal(["logs/dump-000001.log", "restores/000001-001"],
            Backend.List(["restores/", "logs/", "restores/", "retired/"]).Select(e => e.Key).Order(StringComparer.Ordinal));
        List<string> everything = Backend.List(["", "restores/"]).Select(e => e.Key).ToList();
        Assert.Equal(everything.Distinct().Count(), everything.Count);
        Assert.Contains("restores/000001-001", everything);
    }

    [SkippableStorageFact]
    public void ListSaysWhenEachEntryWasWritten()
    {
        DateTimeOffset before = DateTimeOffset.UtcNow;
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("a")));
        StoredEntry entry = Assert.Single(Backend.List("restores/"));
        Assert.InRange(entry.Modified, before.AddSeconds(-2), DateTimeOffset.UtcNow.AddSeconds(2));
    }

    [SkippableStorageFact]
    public void ReadGivesAtMostOneByteMoreThanItsLimitSoThatTheCallerTellsAFileTooLarge()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes(new string('x', 100))));
        Assert.Equal(11, Backend.Read("restores/000001-001", 10)!.Length);
        Assert.Equal(100, Backend.Read("restores/000001-001", 100)!.Length);
        Assert.Equal(100, Backend.Read("restores/000001-001", 99)!.Length);
    }

    [SkippableStorageFact]
    public void DeletingWhatIsAbsentIsNotAnError()
    {
        Backend.Delete("restores/000001-001");
        Backend.Delete("checkpoint-000009");
        Assert.Null(Backend.Read("restores/000001-001", 4095));
    }
}
