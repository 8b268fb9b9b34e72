using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// A volume's commit is one rename. Over NFS a rename whose reply is lost is sent again and fails (its source is gone) though
/// the first one moved the generation into place: crik then reads back what the committed name holds, and a checkpoint that
/// is there whole stays committed, its pack kept. A rename that failed and moved nothing leaves the checkpoint uncommitted.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LostRenameTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-lost-rename-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ACommitWhoseRenameLandedButFailedIsCommittedWithItsPack()
    {
        using (var store = new RenameFailingStore(_dir, moveFirst: true))
        {
            using StagingCheckpoint staging = store.BeginCheckpoint();
            Crik.Cli.Chunks.ChunkRef chunk = staging.Pack.Add(System.Text.Encoding.UTF8.GetBytes("pages streamed through crik"));
            var manifest = new Manifest { RootPid = 1, Command = ["app"], Files = [new ManifestFile("pages-1.img", chunk.Length, [], [chunk])] };
            CommitResult result = store.Commit(staging, manifest, keep: 2);
            Assert.Equal("checkpoint-000001", result.Checkpoint.Name);
        }
        using var reopened = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None);
        Assert.Equal(1, reopened.FindRestorable()!.Manifest.Generation);
        Assert.True(File.Exists(Path.Combine(_dir, StoreLayout.PackKey(1))), "the committed generation's pack is kept");
    }

    [Fact]
    public void ACommitWhoseRenameFailedBeforeMovingIsNotCommittedAndTheOlderOneStays()
    {
        using (var first = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None))
        {
            using StagingCheckpoint staging = first.BeginCheckpoint();
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "generation 1");
            first.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, keep: 2);
        }
        using (var store = new RenameFailingStore(_dir, moveFirst: false))
        {
            StagingCheckpoint staging = store.BeginCheckpoint();
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "generation 2");
            Assert.ThrowsAny<IOException>(() => store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, keep: 2));
            store.Abandon(staging);
        }
        using var reopened = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None);
        Assert.Equal(1, reopened.FindRestorable()!.Manifest.Generation);
        Assert.False(Directory.Exists(Path.Combine(_dir, "checkpoint-000002")));
    }

    /// <summary>A volume whose rename into a committed name fails: after it moved the generation (<paramref name="moveFirst"/>), or instead.</summary>
    private sealed class RenameFailingStore(string imageDir, bool moveFirst)
        : GenerationStore(Stack(new VolumeBackend(imageDir, Serilog.Core.Logger.None), moveFirst), Serilog.Core.Logger.None, codec: null), IDisposable
    {
        public override TimeSpan DeadHolderLockTime => TimeSpan.Zero;

        public new void Dispose() => base.Dispose();

        private static StoreStack Stack(VolumeBackend volume, bool moveFirst)
        {
            var faults = new CommitRenameFails(volume, moveFirst);
            return StoreStack.Over(faults, faults.Wrap(volume.NodeSide), BackendRetry.None("test"), Timeout.InfiniteTimeSpan, boundsSteps: false);
        }
    }

    private sealed class CommitRenameFails(IStoreBackend inner, bool moveFirst) : BackendWrapper(inner)
    {
        protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
        {
            if (operation != StoreOperation.Move || typeof(TState) != typeof((string, string, MoveMode))
                || !System.Runtime.CompilerServices.Unsafe.As<TState, (string From, string To, MoveMode Mode)>(ref state).To.StartsWith("checkpoint-", StringComparison.Ordinal))
            {
                return work(state);
            }
            if (moveFirst)
            {
                work(state);
            }
            throw new IOException("No such file or directory", 2);
        }
    }
}
