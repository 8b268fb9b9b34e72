using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ImageStore;

/// <summary>
/// Unknown is not empty, on a volume: an image directory crik cannot list or lock at start (these
/// fail for root too) keeps the app from starting; crik says why, waits for lockWait and exits 125.
/// An image directory that does not exist yet is no such case: it is created and the app starts fresh.
/// </summary>
public sealed class UnusableVolumeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData("", "is a regular file where crik expects a directory")]
    [InlineData(".lock", "is a directory, not crik's lock file")]
    [InlineData("retired", "is a regular file where crik expects a directory")]
    public void AVolumeThatCannotBeListedOrLockedStartsNothingAndExits125AfterLockWait(string planted, string problem)
    {
        string imageDir = Path.Combine(_dir.Path, "images");
        string path = Path.Combine(imageDir, planted).TrimEnd('/');
        if (planted.Length > 0)
        {
            Directory.CreateDirectory(imageDir);
        }
        if (planted == ".lock")
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            File.WriteAllText(path, "not a directory");
        }
        string config = _dir.Write("config.yaml", $"imageDir: {imageDir}\nlockWait: 2s\n");
        using CrikRun run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran"], asPid1: false);

        Assert.Equal(125, run.WaitForExit());
        Assert.DoesNotContain("app-ran", run.Stdout);
        string waiting = Assert.Single(run.Stderr, l => l.Contains($"Waiting for {imageDir}: crik cannot tell whether it holds a checkpoint", StringComparison.Ordinal));
        Assert.Contains($"{path} {problem}", waiting, StringComparison.Ordinal);
        Assert.Contains("check that the volume is mounted there", waiting, StringComparison.Ordinal);
        string error = Assert.Single(run.Stderr, l => l.Contains(" ERR ", StringComparison.Ordinal));
        Assert.Contains($"could not tell within lockWait (2 s) whether {imageDir} holds a checkpoint", error, StringComparison.Ordinal);
        Assert.Contains("onStoreUnavailable: start", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnImageDirThatDoesNotExistYetIsCreatedAndTheAppStartsFresh()
    {
        string imageDir = Path.Combine(_dir.Path, "volume", "images");
        Directory.CreateDirectory(Path.GetDirectoryName(imageDir)!);
        string config = _dir.Write("config.yaml", $"imageDir: {imageDir}\nlockWait: 2s\n");
        using CrikRun run = CrikRun.Start(["run", "--config", config, "--", "sh", "-c", "echo app-ran"], asPid1: false);

        Assert.Equal(0, run.WaitForExit());
        Assert.Contains("app-ran", run.Stdout);
        Assert.Contains(run.Stderr, l => l.Contains($"No checkpoint to restore in {imageDir}; starting the app fresh", StringComparison.Ordinal));
        Assert.True(Directory.Exists(imageDir), "crik creates the image directory on first use");
    }

    [CriuFact]
    public void AVolumeWhoseLockCannotBeTakenKeepsItsCheckpointForTheNextPod()
    {
        using var pods = new Pods("lockWait: 2s\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 3");
            Pods.CheckpointAndStop(first);
        }
        string lockFile = Path.Combine(pods.ImageDir, ".lock");
        File.Delete(lockFile);
        Directory.CreateDirectory(lockFile);
        using (CrikRun held = pods.Start("sh", "-c", Pods.Counter()))
        {
            Assert.Equal(125, held.WaitForExit());
            Assert.Empty(Pods.Counts(held));
            Assert.Contains(held.Stderr, l => l.Contains($"{lockFile} is a directory, not crik's lock file", StringComparison.Ordinal));
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Directory.Delete(lockFile);
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] > 3, $"the restored app should go on counting\n{next.Transcript}");
        next.Signal(Native.SIGKILL);
    }

    public void Dispose() => _dir.Dispose();
}
