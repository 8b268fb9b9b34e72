using Crik.Cli.Chunks;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// Choosing what to restore when this node's own disk fails reads of some generations (<see cref="DiskFailureException"/>):
/// a generation is set aside for it only once an older one reads whole and the disk fails it again; a disk that fails every
/// generation sets none aside. The failures are injected under the store's wrappers, where the disk's would come from.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DiskFailureChoiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-disk-choice-").FullName;

    public DiskFailureChoiceTests()
    {
        using var store = new VolumeGenerationStore(_dir, Serilog.Core.Logger.None);
        for (int generation = 1; generation <= 3; generation++)
        {
            using StagingCheckpoint staging = store.BeginCheckpoint();
            File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), $"generation {generation}");
            store.Commit(staging, new Manifest { RootPid = 1, Command = ["app"] }, keep: 5);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ADiskThatFailedTheNewestOnceAndThenReadsAnOlderOneRestoresTheNewest()
    {
        using DiskFailingStore store = new(_dir, new() { ["checkpoint-000003/"] = 1 });
        Assert.Equal(3, store.FindRestorable()!.Manifest.Generation);
        Assert.False(Directory.Exists(Path.Combine(_dir, StoreLayout.SetAsideDir)) && Directory.EnumerateFileSystemEntries(Path.Combine(_dir, StoreLayout.SetAsideDir)).Any());
    }

    [Fact]
    public void GenerationsTheDiskFailsAgainOnceAnOlderOneReadsAreSetAsideAndTheOlderOneRestored()
    {
        using DiskFailingStore store = new(_dir, new() { ["checkpoint-000003/"] = int.MaxValue, ["checkpoint-000002/"] = int.MaxValue });
        Assert.Equal(1, store.FindRestorable()!.Manifest.Generation);
        Assert.Equal(["checkpoint-000001"], store.CommittedNames());
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(_dir, StoreLayout.SetAsideDir)).Length);
    }

    [Fact]
    public void ADiskThatFailsEveryGenerationSetsNoneAsideAndSaysSo()
    {
        using DiskFailingStore store = new(_dir, new() { ["checkpoint-"] = int.MaxValue });
        var failure = Assert.Throws<IOException>(() => store.FindRestorable());
        Assert.StartsWith("this node's disk failed to read checkpoint-000003, checkpoint-000002, checkpoint-000001 and no older checkpoint read whole",
            failure.Message, StringComparison.Ordinal);
        Assert.Contains("Input/output error", failure.Message, StringComparison.Ordinal);
        Assert.True(ReadFailures.FailedOnDisk(failure), "the wait that follows says to check the disk");
        Assert.Equal(["checkpoint-000003", "checkpoint-000002", "checkpoint-000001"], store.CommittedNames());
    }

    /// <summary>A volume's generations, where opening a file whose key starts with a given prefix fails as this node's disk fails, so many times.</summary>
    private sealed class DiskFailingStore(string imageDir, Dictionary<string, int> failures)
        : GenerationStore(Stack(new VolumeBackend(imageDir, Serilog.Core.Logger.None), failures), Serilog.Core.Logger.None, codec: null), IDisposable
    {
        public override TimeSpan DeadHolderLockTime => TimeSpan.Zero;

        public List<string> CommittedNames() =>
            Directory.GetDirectories(imageDir, "checkpoint-*").Select(Path.GetFileName).OfType<string>().OrderDescending(StringComparer.Ordinal).ToList();

        public new void Dispose() => base.Dispose();

        private static StoreStack Stack(VolumeBackend volume, Dictionary<string, int> failures)
        {
            var faults = new DiskFaults(volume, failures);
            return StoreStack.Over(faults, faults.Wrap(volume.NodeSide), BackendRetry.None("test"), Timeout.InfiniteTimeSpan, boundsSteps: false);
        }
    }

    private sealed class DiskFaults(IStoreBackend inner, Dictionary<string, int> failures) : BackendWrapper(inner)
    {
        protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
        {
            if (operation == StoreOperation.OpenBlob && typeof(TState) == typeof(string)
                && System.Runtime.CompilerServices.Unsafe.As<TState, string>(ref state) is var key
                && failures.FirstOrDefault(f => key.StartsWith(f.Key, StringComparison.Ordinal) && f.Value > 0).Key is { } prefix)
            {
                failures[prefix]--;
                throw new DiskFailureException(new IOException("Input/output error", 5));
            }
            return work(state);
        }
    }
}
