using Crik.Cli.ImageStore;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>A generation is restored at most once: it is retired before CRIU runs, and only a newer checkpoint clears retired/.</summary>
[Trait("Category", "Unit")]
public sealed class RetirementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-retire-").FullName;
    private readonly CheckpointStore _store;

    public RetirementTests() => _store = new CheckpointStore(_dir, new LoggerConfiguration().CreateLogger());

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void BeginRestoreRetiresTheGenerationAndEveryOlderOne()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        StoreFixture.Commit(_store, "pages-1.img", "two");
        using RestoreAttempt attempt = _store.BeginRestore(_store.FindRestorable()!);
        Assert.Empty(_store.CommittedNames());
        Assert.Equal(["checkpoint-000001", "checkpoint-000002"], Directory.GetDirectories(_store.RetiredDir).Select(Path.GetFileName).Order());
        Assert.Equal(Path.Combine(_store.RetiredDir, "checkpoint-000002"), attempt.Path);
        Assert.True(File.Exists(Path.Combine(attempt.Path, "pages-1.img")));
        _store.RestoreSucceeded(attempt);
        Assert.Null(_store.FindRestorable());
        Assert.Equal(3, _store.NextGeneration());
    }

    [Fact]
    public void ANewerCommitDeletesRetiredGenerations()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        _store.RestoreSucceeded(_store.BeginRestore(_store.FindRestorable()!));
        CommittedCheckpoint next = StoreFixture.Commit(_store, "pages-1.img", "two");
        Assert.Equal(2, next.Manifest.Generation);
        Assert.Empty(Directory.GetFileSystemEntries(_store.RetiredDir));
    }

    [Fact]
    public void ReinstateCommitsThemAgainWhenCriuNeverRan()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        StoreFixture.Commit(_store, "pages-1.img", "two");
        _store.Reinstate(_store.BeginRestore(_store.FindRestorable()!));
        Assert.Equal(["checkpoint-000002", "checkpoint-000001"], _store.CommittedNames());
        Assert.Equal(2, _store.FindRestorable()!.Manifest.Generation);
    }

    [Fact]
    public void AFailedRestoreSetsTheCheckpointAsideWithItsLog()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        RestoreAttempt attempt = _store.BeginRestore(_store.FindRestorable()!);
        File.WriteAllText(Path.Combine(attempt.Path, attempt.Criu.LogName), "Error (criu/x.c:1): no");
        string movedTo = _store.RestoreFailed(attempt, "restore failed: test");
        Assert.True(File.Exists(Path.Combine(movedTo, attempt.Criu.LogName)));
        Assert.True(File.Exists(attempt.LogPath));
        Assert.Equal("restore failed: test\n", File.ReadAllText(Path.Combine(movedTo, "SET-ASIDE-REASON.txt")));
        Assert.Empty(Directory.GetFileSystemEntries(_store.RetiredDir));
        Assert.Equal(2, _store.NextGeneration());
    }
}
