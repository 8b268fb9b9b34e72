using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>One live copy of the app: the crik whose app runs holds the image directory until the app is gone; a second pod waits.</summary>
public sealed class OneLiveCopyTests : IDisposable
{
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly TempDirectory _dir = new();

    [CriuFact]
    public void ASecondPodOnAVolumeInUseWaitsRunsNothingAndFailsAfterLockWait()
    {
        using var pods = new Pods("lockWait: 12s\n");
        using CrikRun first = pods.Start("sh", "-c", Pods.Counter());
        first.WaitForLine("count 2");
        SecondWaitsAndFails(pods.Start("sh", "-c", Pods.Counter()), pods.ImageDir);

        // Once the first pod's app is gone (checkpointed), a waiting pod restores it.
        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        Thread.Sleep(TimeSpan.FromSeconds(1));
        Assert.Empty(third.Stdout);
        Pods.CheckpointAndStop(first);
        third.WaitForLine("Restored checkpoint 1 ", stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1);
        Assert.True(Pods.Counts(third)[0] > Pods.Counts(first).Last() - 1, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A pod waiting for the lock is deleted (SIGTERM): it ends at once, having run nothing, not after lockWait (10 minutes by
    /// default) or the kubelet's SIGKILL; the first pod's app runs on and checkpoints as ever.
    /// </summary>
    [CriuFact]
    public void ASecondPodWaitingForTheLockEndsAtOnceOnSigtermAndRunsNothing()
    {
        using var pods = new Pods("lockWait: 10m\n");
        using CrikRun first = pods.Start("sh", "-c", Pods.Counter());
        first.WaitForLine("count 2");
        using (CrikRun second = pods.Start("sh", "-c", Pods.Counter()))
        {
            second.WaitForLine($"Waiting for {pods.ImageDir}", TimeSpan.FromSeconds(30), stderr: true);
            second.Signal(Native.SIGTERM);
            Assert.Equal(128 + Native.SIGTERM, second.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Empty(second.Stdout);
            Assert.Contains(second.Stderr, l => l.Contains("crik got SIGTERM while it waited to start the app", StringComparison.Ordinal));
        }
        Pods.CheckpointAndStop(first);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    [S3CriuFact]
    public void ASecondPodOnAPrefixInUseWaitsAndRunsNothing()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/one-copy\nlockWait: 12s\nleaseDuration: 3s\n");
        using CrikRun first = Start(config, proxy.Endpoint);
        first.WaitForLine("count 2", TimeSpan.FromSeconds(60));
        // Renewals keep the lease: a second pod waits through several lease lifetimes.
        SecondWaitsAndFails(Start(config, proxy.Endpoint), $"s3://{S3Server.Bucket}/apps/one-copy");
        Assert.True(Pods.Counts(first).Count > 10, "the first pod's app ran on meanwhile");
        first.Signal(Native.SIGKILL);
    }

    public void Dispose()
    {
        _dir.Dispose();
        _server?.Dispose();
    }

    private static void SecondWaitsAndFails(CrikRun second, string imageDir)
    {
        using (second)
        {
            second.WaitForLine($"Waiting for {imageDir}", TimeSpan.FromSeconds(30), stderr: true);
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Empty(second.Stdout);
            Assert.Contains(second.Stderr, l => l.Contains("is still held by another crik after lockWait", StringComparison.Ordinal));
        }
    }

    private CrikRun Start(string config, string endpoint) =>
        CrikRun.Start(["run", "--config", config, "--", "sh", "-c", Pods.Counter()], environment: _server!.Environment(endpoint));
}
