using Crik.Cli.ImageStore;
using Crik.Cli.Records;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>Once the rename that commits a generation has happened, the commit does not fail: clean-up failures are warnings.</summary>
public sealed class CommitContractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crik-commit-").FullName;
    private readonly VolumeGenerationStore _store;

    public CommitContractTests() => _store = new VolumeGenerationStore(_dir, new LoggerConfiguration().CreateLogger());

    public void Dispose()
    {
        _store.Dispose();
        Chattr("-i", Path.Combine(_dir, "checkpoint-000001", "pages-1.img"));
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Needs root: chattr +i makes a file that even root cannot delete (CAP_LINUX_IMMUTABLE).</summary>
    [NamespaceFact]
    public void APruneFailureIsAWarningAndTheNewGenerationIsCommitted()
    {
        StoreFixture.Commit(_store, "pages-1.img", "one");
        Chattr("+i", Path.Combine(_dir, "checkpoint-000001", "pages-1.img"));

        using StagingCheckpoint staging = _store.BeginCheckpoint();
        File.WriteAllText(Path.Combine(staging.Path, "pages-1.img"), "two");
        CommitResult result = _store.Commit(staging, new Manifest { RootPid = 9001, Command = ["app"] }, keep: 1);

        Assert.Equal(2, result.Checkpoint.Manifest.Generation);
        Assert.Equal(2, result.Warnings.Count);
        Assert.StartsWith("the checkpoint is committed, but crik could not delete old checkpoint checkpoint-000001", result.Warnings[0], StringComparison.Ordinal);
        // Its manifest went first, so the half-deleted generation is not mistaken for whole, nor its packs for unused.
        Assert.EndsWith("cannot be read, so no unused pack was deleted", result.Warnings[1], StringComparison.Ordinal);
        Assert.Equal(2, _store.FindRestorable()!.Manifest.Generation);
    }

    private static void Chattr(string flag, string path)
    {
        if (!File.Exists(path))
        {
            return;
        }
        HostCommand.MustRun("chattr", flag, path);
    }
}
