using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// A restore that failed on its checkpoint sets the generation aside, and only then forgets its record: where the move
/// fails, the generation stays committed and restoreAttempts still counts the restore that failed on it.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FailedRestoreRecordTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-failed-restore-").FullName;

    public FailedRestoreRecordTests()
    {
        using var store = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None);
        using StagingCheckpoint staging = store.BeginCheckpoint();
        File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "generation 1");
        store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, keep: 5);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ARestoreWhoseGenerationCouldNotBeSetAsideStillCounts()
    {
        using (MovesFailStore store = new(_dir))
        {
            RestoreAttempt attempt = store.BeginRestore(store.FindRestorable()!);
            Assert.Throws<IOException>(() => store.RestoreFailed(attempt, "restore failed: test"));
        }
        using var next = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None);
        CommittedCheckpoint still = next.FindRestorable()!;
        Assert.Equal(1, still.Manifest.Generation);
        RestoreRecord counted = Assert.Single(still.Restores);
        Assert.False(counted.Survived, "a restore that failed never survives");
    }

    [Fact]
    public void ARestoreWhoseGenerationWasSetAsideLeavesNoRecord()
    {
        using (var store = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None))
        {
            store.RestoreFailed(store.BeginRestore(store.FindRestorable()!), "restore failed: test");
        }
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_dir, StoreLayout.RestoresDir)));
        using var next = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None);
        Assert.Null(next.FindRestorable());
    }

    /// <summary>A volume's generations where every move fails, as a disk that fails the rename would.</summary>
    private sealed class MovesFailStore(string imageDir)
        : GenerationStore(Stack(new VolumeBackend(imageDir, Serilog.Core.Logger.None)), Serilog.Core.Logger.None, codec: null), IDisposable
    {
        public override TimeSpan DeadHolderLockTime => TimeSpan.Zero;

        public new void Dispose() => base.Dispose();

        private static StoreStack Stack(VolumeBackend volume)
        {
            var faults = new MovesFail(volume);
            return StoreStack.Over(faults, faults.Wrap(volume.NodeSide), BackendRetry.None("test"), Timeout.InfiniteTimeSpan, boundsSteps: false);
        }
    }

    private sealed class MovesFail(IStoreBackend inner) : BackendWrapper(inner)
    {
        protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work) =>
            operation == StoreOperation.Move ? throw new IOException("Input/output error", 5) : work(state);
    }
}
