using Crik.Cli.Decisions;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Decisions;

/// <summary>What a commit deletes, the same for both backends.</summary>
[Trait("Category", "Unit")]
public sealed class RetentionTests
{
    private static StoreListing Listing(List<long>? committed = null, List<long>? retired = null, List<string>? setAside = null,
        List<long>? packs = null, List<string>? marks = null) =>
        new(committed ?? [], retired ?? [], setAside ?? [], [], packs ?? [], marks ?? [], 0);

    [Fact]
    public void GenerationsBeyondKeepAndEveryRetiredOneGo()
    {
        StoreListing listing = Listing(committed: [9, 8, 7, 3], retired: [2], marks: ["finished-000003"]).Settled();
        Assert.Equal(["checkpoint-000007", "checkpoint-000003", "retired/checkpoint-000002"], Retention.Generations(listing, keep: 2).Select(g => g.Location));
        Assert.Equal("old checkpoint checkpoint-000007 (keepCheckpoints: 2)", Retention.Generations(listing, keep: 2)[0].Why);
    }

    [Fact]
    public void TheCommittedCopyACutShortSetAsideLeftGoesAndIsNeverRestorable()
    {
        StoreListing listing = Listing(committed: [6, 5], setAside: ["checkpoint-000005-20261123T100000Z"]).Settled();
        Assert.Equal([6L], listing.Committed);
        Assert.Equal([5L], listing.HalfSetAside);
        Assert.Equal(["checkpoint-000005"], Retention.Generations(listing, keep: 2).Select(g => g.Location));
    }

    [Fact]
    public void SetAsideGenerationsNeverGo() =>
        Assert.Empty(Retention.Generations(Listing(committed: [5], setAside: ["checkpoint-000004-20261123T100000Z"]), keep: 1));

    [Fact]
    public void RecordsOfRestoresOfGenerationsNotKeptGoButFinishedMarksStay() =>
        Assert.Equal(["000007-001", "000007-001-ran", "junk"],
            Retention.RestoreRecords(Listing(committed: [9, 8, 7], marks: ["000009-001", "000008-002", "000007-001", "000007-001-ran", "junk", "finished-000006"]), keep: 2));

    [Fact]
    public void AFinishedMarkGoesOnceNothingItCoversIsLeft()
    {
        Assert.Empty(Retention.FinishedMarks(Listing(retired: [4], marks: ["finished-000005"])));
        Assert.Equal(["finished-000005"], Retention.FinishedMarks(Listing(committed: [6], retired: [7], marks: ["finished-000005"])));
    }

    [Fact]
    public void PacksNoGenerationLeftUsesGoUpToTheNewCommit()
    {
        StoreListing listing = Listing(committed: [5, 4], packs: [1, 2, 3, 4, 5, 6]);
        var used = new Dictionary<string, IReadOnlySet<long>?>
        {
            ["checkpoint-000005"] = new HashSet<long> { 5, 2 },
            ["checkpoint-000004"] = new HashSet<long> { 4 },
        };
        Assert.Equal([1L, 3L], Retention.Packs(listing, newest: 5, used, out string? unreadable));
        Assert.Null(unreadable);
    }

    [Fact]
    public void NoPackGoesWhileAKeptManifestCannotBeRead()
    {
        var used = new Dictionary<string, IReadOnlySet<long>?> { ["checkpoint-000005"] = null };
        Assert.Empty(Retention.Packs(Listing(committed: [5], packs: [1]), newest: 5, used, out string? unreadable));
        Assert.Equal("checkpoint-000005", unreadable);
    }

    [Fact]
    public void AnUnreadableSetAsideManifestDoesNotKeepPacks()
    {
        var used = new Dictionary<string, IReadOnlySet<long>?> { ["checkpoint-000005"] = new HashSet<long> { 5 } };
        Assert.Equal([1L], Retention.Packs(Listing(committed: [5], setAside: ["checkpoint-000001-x"], packs: [1, 5]), newest: 5, used, out _));
    }

    [Fact]
    public void TheNewestLogsByTimeWrittenStayWhateverTheirNames()
    {
        DateTimeOffset t = DateTimeOffset.UnixEpoch;
        List<StoredLog> logs =
        [
            new("dump-000009.log", t.AddMinutes(1)),
            new("restore-000001-20261123T100000Z.log", t.AddMinutes(3)),
            new("dump-000002.log", t.AddMinutes(2)),
            new("b.log", t), new("a.log", t),
        ];
        Assert.Equal(["dump-000009.log", "b.log", "a.log"], Retention.Logs(logs, keep: 2));
    }

    [Fact]
    public void AmongLogsWrittenAtOnceCriksOwnStay()
    {
        DateTimeOffset t = DateTimeOffset.UnixEpoch;
        List<StoredLog> logs = [new("zz-planted.log", t), new("dump-000003.log", t), new("restore-000002-20261123T100000Z.log", t), new("dump-000003.log.out", t)];
        Assert.Equal(["restore-000002-20261123T100000Z.log", "zz-planted.log"], Retention.Logs(logs, keep: 2));
    }
}
