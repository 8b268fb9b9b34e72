using System.Text;
using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Lifecycle;

// What a commit deletes: generations beyond keepCheckpoints, packs no generation left uses (a set-aside
// one's are kept), and all but the newest CRIU logs by when they were written.
public abstract partial class LifecycleContract
{
    [SkippableLifecycleFact]
    public void ACommitDeletesGenerationsBeyondKeepCheckpoints()
    {
        for (int generation = 1; generation <= 5; generation++)
        {
            using GenerationStore store = NewStore();
            Commit($"g{generation}", store, keep: 3);
        }
        using GenerationStore next = NewStore();
        Assert.Equal([("committed", 5, 0), ("committed", 4, 0), ("committed", 3, 0)], Listed(next));
    }

    [SkippableLifecycleFact]
    public void ACommitKeepsEveryPackAKeptGenerationUsesAndDeletesTheRest()
    {
        CommitStreamed("shared", "one");
        CommittedCheckpoint two = CommitStreamed("shared", "two");
        Assert.Equal(1, two.Manifest.Files.Single(f => f.IsStreamed).Chunks![0].Pack); // "shared" is reused from pack 1
        CommitStreamed("new", "three"); // generation 1 goes, but generation 2 still needs pack 1
        Assert.Equal(["000001.pack", "000002.pack", "000003.pack"], NamesIn(StoreLayout.PacksDir));
        CommitStreamed("newer", "four"); // generation 2 goes: nothing needs packs 1 and 2
        Assert.Equal(["000003.pack", "000004.pack"], NamesIn(StoreLayout.PacksDir));
        using GenerationStore store = NewStore();
        Assert.Equal([("committed", 4, 0), ("committed", 3, 0)], Listed(store));
    }

    /// <summary>crik killed after the pack was sealed (an upload completed, a pack file flushed) and before the manifest.</summary>
    [SkippableLifecycleFact]
    public void APackOfADumpKilledBeforeItsCommitIsDeletedByTheNextCommit()
    {
        CommitStreamed("one");
        using (GenerationStore store = NewStore())
        {
            StagingCheckpoint staging = store.BeginCheckpoint();
            staging.Pack.Add(Encoding.UTF8.GetBytes("two"));
            staging.Seal(ChunkCodec.Plain);
            staging.Dispose();
        }
        Assert.Equal(["000001.pack", "000002.pack"], NamesIn(StoreLayout.PacksDir));
        CommitStreamed("three");
        Assert.Equal(["000001.pack", "000003.pack"], NamesIn(StoreLayout.PacksDir));
    }

    /// <summary>
    /// A volume deletes an abandoned dump's pack at once (so its number is free again), object storage
    /// keeps a completed one for the next commit's clean-up: after that commit, neither has it.
    /// </summary>
    [SkippableLifecycleFact]
    public void APackOfAnAbandonedDumpIsGoneOnceTheNextCommitIsDone()
    {
        CommitStreamed("one");
        using (GenerationStore store = NewStore())
        {
            StagingCheckpoint staging = store.BeginCheckpoint();
            staging.Pack.Add(Encoding.UTF8.GetBytes("two"));
            staging.Seal(ChunkCodec.Plain);
            store.Abandon(staging);
        }
        long next = CommitStreamed("three").Manifest.Generation;
        Assert.Equal(["000001.pack", StoreLayout.PackName(next)], NamesIn(StoreLayout.PacksDir));
    }

    [SkippableLifecycleFact]
    public void ASetAsideGenerationAndItsPacksOutliveLaterCommits()
    {
        CommittedCheckpoint one = CommitStreamed("pages a", "pages b");
        using (GenerationStore store = NewStore())
        {
            store.SetAside(one, "of another app");
        }
        CommitStreamed("pages c");
        CommitStreamed("pages d");
        CommitStreamed("pages e");
        Assert.Equal(["000001.pack", "000003.pack", "000004.pack"], NamesIn(StoreLayout.PacksDir));
        using GenerationStore next = NewStore();
        Assert.Equal([("committed", 4, 0), ("committed", 3, 0), ("set aside", 1, 0)], Listed(next));
    }

    /// <summary>The log written last has the lowest number: ordered by name, it would be the one to go.</summary>
    [SkippableLifecycleFact]
    public void ACommitKeepsTheNewestCriuLogsByWhenTheyWereWrittenNotByTheirNames()
    {
        List<string> older = Enumerable.Range(101, StoreLayout.KeepLogFiles).Select(g => StoreLayout.DumpLogName(g)).ToList();
        const string newest = "restore-000001-20261125T000000Z.log";
        PlantLogs([older, [newest]]);
        Commit("one");
        // Written at one time, crik's own names rank by generation: dump-000101.log is the oldest.
        Assert.Equal([.. older.Skip(1), newest], NamesIn(StoreLayout.LogDir));
    }

    /// <summary>Commits a generation whose one image is streamed as <paramref name="chunks"/>, as a crik's checkpoint would.</summary>
    internal CommittedCheckpoint CommitStreamed(params string[] chunks)
    {
        using GenerationStore store = NewStore();
        using StagingCheckpoint staging = store.BeginCheckpoint();
        List<ChunkRef> refs = chunks.Select(c => staging.Pack.Add(Encoding.UTF8.GetBytes(c))).ToList();
        var image = new ManifestFile("pages-1.img", refs.Sum(r => (long)r.Length), [], refs);
        return store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"], Files = [image] }, keep: 2).Checkpoint;
    }
}
