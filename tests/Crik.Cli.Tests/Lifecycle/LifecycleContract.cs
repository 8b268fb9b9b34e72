using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.Lifecycle;

/// <summary>
/// The rules of a generation's life, tested once and run against each backend (a volume, object
/// storage): resume as often as needed, never after the app ended on its own, give up on a
/// generation whose restored pods keep dying, set aside what fails.
/// </summary>
public abstract partial class LifecycleContract
{
    /// <summary>A store over this test's image directory, as a new crik (a new pod) opens it.</summary>
    internal abstract GenerationStore NewStore(int restoreAttempts = 3);

    [SkippableLifecycleFact]
    public void ARestoredGenerationStaysCommittedAndIsResumedAgainAfterItsPodDied()
    {
        Commit("one");
        Commit("two");
        for (int pod = 1; pod <= 2; pod++)
        {
            using GenerationStore store = NewStore();
            CommittedCheckpoint found = store.FindRestorable()!;
            Assert.Equal(2, found.Manifest.Generation);
            Assert.Equal(pod - 1, found.Restores.Count);
            store.RestoreSucceeded(store.BeginRestore(found));
            // The pod dies here: no newer checkpoint, no exit of the app.
        }
        using GenerationStore next = NewStore();
        Assert.Equal(2, next.FindRestorable()!.Restores.Count);
        Assert.Equal([("committed", 2, 2), ("committed", 1, 0)], Listed(next));
    }

    [SkippableLifecycleFact]
    public void AGenerationWhoseRestoredPodsKeepDyingIsSetAsideAfterRestoreAttemptsAndTheOlderOneIsNext()
    {
        Commit("one");
        Commit("two");
        for (int pod = 1; pod <= 2; pod++)
        {
            using GenerationStore store = NewStore(restoreAttempts: 2);
            store.RestoreSucceeded(store.BeginRestore(store.FindRestorable()!));
        }
        using GenerationStore next = NewStore(restoreAttempts: 2);
        Assert.Equal(1, next.FindRestorable()!.Manifest.Generation);
        ListedGeneration setAside = Assert.Single(next.ListGenerations(verify: false), g => g.State == "set aside");
        Assert.Equal(2, setAside.Generation);
        Assert.Contains("restoreAttempts: 2", ReasonOf(setAside), StringComparison.Ordinal);
    }

    [SkippableLifecycleFact]
    public void ARestoreWhoseAppLivedOnDoesNotCountAgainstItsGeneration()
    {
        Commit("one");
        for (int pod = 1; pod <= 3; pod++)
        {
            using GenerationStore store = NewStore(restoreAttempts: 1);
            CommittedCheckpoint found = store.FindRestorable()!;
            Assert.Equal(1, found.Manifest.Generation);
            store.RestoreSucceeded(store.BeginRestore(found));
            store.MarkRestoreSurvived();
        }
        using GenerationStore next = NewStore(restoreAttempts: 1);
        Assert.Equal(3, next.FindRestorable()!.Restores.Count);
    }

    [SkippableLifecycleFact]
    public void ANewerCommitEndsTheRestoresRecordsOfGenerationsNoLongerKept()
    {
        Commit("one");
        using (GenerationStore store = NewStore())
        {
            store.RestoreSucceeded(store.BeginRestore(store.FindRestorable()!));
            Commit("two", store, keep: 1);
        }
        using GenerationStore next = NewStore(restoreAttempts: 1);
        CommittedCheckpoint found = next.FindRestorable()!;
        Assert.Equal(2, found.Manifest.Generation);
        Assert.Empty(found.Restores);
        Assert.Equal([("committed", 2, 0)], Listed(next));
    }

    [SkippableLifecycleFact]
    public void AnAppThatEndedOnItsOwnIsNeverBroughtBackAndANewerCommitDeletesWhatWasRetired()
    {
        Commit("one");
        Commit("two");
        using (GenerationStore store = NewStore())
        {
            store.RestoreSucceeded(store.BeginRestore(store.FindRestorable()!));
            Assert.Equal(2, store.RetireCommitted());
        }
        using (GenerationStore store = NewStore())
        {
            Assert.Null(store.FindRestorable());
            Assert.Equal([("retired", 2, 0), ("retired", 1, 0)], Listed(store));
        }
        Commit("three");
        using GenerationStore next = NewStore();
        Assert.Equal([("committed", 3, 0)], Listed(next));
    }

    /// <summary>crik killed after the finished mark, before any move: nothing the mark covers is restored, and a newer commit tidies up.</summary>
    [SkippableLifecycleFact]
    public void AFinishedMarkAloneRetiresEveryGenerationItCoversAndNewGenerationsComeAfterIt()
    {
        Commit("one");
        Commit("two");
        PlantMark(StoreLayout.FinishedMarkName(2));
        using (GenerationStore store = NewStore())
        {
            Assert.Equal([("retired", 2, 0), ("retired", 1, 0)], Listed(store));
            Assert.Null(store.FindRestorable());
            Assert.Equal([("retired", 2, 0), ("retired", 1, 0)], Listed(store));
        }
        Commit("three");
        using GenerationStore next = NewStore();
        Assert.Equal([("committed", 3, 0)], Listed(next));
        Assert.Equal(3, next.FindRestorable()!.Manifest.Generation);
    }

    /// <summary>A finished mark whose generations are gone (deleted by hand) still keeps new numbers above it.</summary>
    [SkippableLifecycleFact]
    public void ANewGenerationIsNeverNumberedUnderAFinishedMark()
    {
        PlantMark(StoreLayout.FinishedMarkName(5));
        Commit("one");
        using GenerationStore store = NewStore();
        Assert.Equal(6, store.FindRestorable()!.Manifest.Generation);
    }

    /// <summary>Retiring after a crash in an earlier retire finishes the job and retires what is committed since.</summary>
    [SkippableLifecycleFact]
    public void RetiringAgainAfterACutShortRetireRetiresEverything()
    {
        Commit("one");
        Commit("two");
        PlantMark(StoreLayout.FinishedMarkName(1));
        using (GenerationStore store = NewStore())
        {
            Assert.Equal(2, store.FindRestorable()!.Manifest.Generation);
            Assert.Equal(1, store.RetireCommitted());
        }
        using GenerationStore next = NewStore();
        Assert.Null(next.FindRestorable());
        Assert.Equal([("retired", 2, 0), ("retired", 1, 0)], Listed(next));
    }

    [SkippableLifecycleFact]
    public void ARestoreCriuNeverRanIsNotCounted()
    {
        Commit("one");
        using (GenerationStore store = NewStore(restoreAttempts: 1))
        {
            store.CancelRestore(store.BeginRestore(store.FindRestorable()!));
        }
        using GenerationStore next = NewStore(restoreAttempts: 1);
        Assert.Empty(next.FindRestorable()!.Restores);
    }

    [SkippableLifecycleFact]
    public void AFailedRestoreIsSetAsideWithItsReasonAndItsLogIsKept()
    {
        Commit("one");
        Commit("two");
        using (GenerationStore store = NewStore())
        {
            RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!);
            File.WriteAllText(attempt.Criu.LogFile, "Error (criu/cr-restore.c:1): no\n");
            store.RestoreFailed(attempt, "restore failed: test");
            Assert.True(LogKept(attempt.Criu.LogName), "CRIU's restore log is in logs/");
        }
        using GenerationStore next = NewStore();
        Assert.Equal(1, next.FindRestorable()!.Manifest.Generation);
        ListedGeneration setAside = Assert.Single(next.ListGenerations(verify: false), g => g.State == "set aside");
        Assert.Equal("restore failed: test\n", ReasonOf(setAside));
    }

    [SkippableLifecycleFact]
    public void CriuWorksInAFreshPrivateDirectoryNeverInTheGeneration()
    {
        Commit("one");
        using GenerationStore store = NewStore();
        using RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!);
        string work = new DirectoryInfo(attempt.Criu.Path).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        Assert.Empty(Directory.GetFileSystemEntries(work));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(work));
        Assert.False(IsInsideTheStore(work), $"{work} is in the store");
    }

    /// <summary>Commits a generation holding <paramref name="content"/>, as a crik's checkpoint would.</summary>
    internal void Commit(string content, GenerationStore? store = null, int keep = 2, Manifest? manifest = null)
    {
        GenerationStore owned = store ?? NewStore();
        try
        {
            using StagingCheckpoint staging = owned.BeginCheckpoint();
            File.WriteAllText(Path.Combine(staging.ImagesDir, "stats-dump"), content);
            owned.Commit(staging, manifest ?? new Manifest { RootPid = 9001, Command = ["app"] }, keep);
        }
        finally
        {
            if (store is null)
            {
                owned.Dispose();
            }
        }
    }

    internal abstract string ReasonOf(ListedGeneration setAside);

    /// <summary>Writes restores/<paramref name="name"/> as a crik that died right after writing it would have left it.</summary>
    protected abstract void PlantMark(string name);

    /// <summary>Copies a committed generation's manifest into retired/ and leaves the committed one: a move cut short between its halves.</summary>
    protected abstract void PlantRetiredCopy(long generation);

    protected abstract bool LogKept(string name);

    protected abstract bool IsInsideTheStore(string path);

    /// <summary>The names directly below <paramref name="directory"/> of the store (packs, logs, set-aside), in ordinal order.</summary>
    protected abstract List<string> NamesIn(string directory);

    /// <summary>Writes a file of the store, replacing what is there, as a writer of the store could.</summary>
    protected abstract void Plant(string path, string content);

    /// <summary>Removes a file of the store, as a writer of the store could.</summary>
    protected abstract void Remove(string path);

    /// <summary>Writes logs/ files, batch after batch: each batch at one time, later than the batch before it.</summary>
    protected abstract void PlantLogs(IReadOnlyList<IReadOnlyList<string>> batchesOldestFirst);

    private protected static List<(string State, long Generation, int Restores)> Listed(GenerationStore store) =>
        store.ListGenerations(verify: true).Select(g =>
        {
            Assert.True(g.Problem is null, $"{g.Name}: {g.Problem}");
            return (g.State, g.Generation, g.Restores);
        }).ToList();
}
