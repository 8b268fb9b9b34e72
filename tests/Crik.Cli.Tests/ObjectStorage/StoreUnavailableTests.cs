using System.Diagnostics;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>
/// Unknown is not empty: a pod that cannot tell whether object storage holds a checkpoint (s3rver
/// stopped, or answering 503) starts nothing, says what it waits for, and exits 125 after lockWait;
/// the next pod, once the store answers, resumes the checkpoint. A store that comes back within
/// lockWait is waited for. onStoreUnavailable: start is the opt-in to a fresh start.
/// </summary>
[Collection(PodsKilledMidDump.Name)]
public sealed class StoreUnavailableTests : IDisposable
{
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly TempDirectory _dir = new();

    [S3CriuFact]
    public void AStoppedStoreHoldsThePodBackUntilLockWaitThenItExits125AndTheNextPodResumes()
    {
        string config = Config("apps/stopped", "lockWait: 3s\n");
        int checkpointed = CheckpointFirstPod(config, _server!.Endpoint);
        _server.Stop();
        var clock = Stopwatch.StartNew();
        using (CrikRun pod = Start(config, _server.Endpoint))
        {
            Assert.Equal(125, pod.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"crik gave up after {clock.Elapsed.TotalSeconds:0.0} s, before lockWait\n{pod.Transcript}");
            NothingStarted(pod);
            string waiting = Assert.Single(pod.Stderr, l => l.Contains("Waiting for s3://crik-test/apps/stopped", StringComparison.Ordinal));
            Assert.Contains("crik cannot tell whether it holds a checkpoint (S3 PUT s3://crik-test/apps/stopped/.lock failed", waiting, StringComparison.Ordinal);
            Assert.Contains("Connection refused", waiting, StringComparison.Ordinal);
            Assert.DoesNotContain("another crik", waiting, StringComparison.Ordinal);
            Assert.Contains(pod.Stderr, l => l.Contains("could not tell within lockWait (3 s) whether s3://crik-test/apps/stopped holds a checkpoint", StringComparison.Ordinal));
        }
        _server.Start();
        ResumesFrom(config, checkpointed);
    }

    [S3CriuFact]
    public void AStoreAnswering503HoldsThePodBackUntilLockWaitThenItExits125AndTheNextPodResumes()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("apps/throttled", "lockWait: 3s\n");
        int checkpointed = CheckpointFirstPod(config, proxy.Endpoint);
        proxy.Fail(int.MaxValue, 503);
        using (CrikRun pod = Start(config, proxy.Endpoint))
        {
            Assert.Equal(125, pod.WaitForExit(TimeSpan.FromSeconds(60)));
            NothingStarted(pod);
            string waiting = Assert.Single(pod.Stderr, l => l.Contains("Waiting for s3://crik-test/apps/throttled", StringComparison.Ordinal));
            Assert.Contains("503 SlowDown", waiting, StringComparison.Ordinal);
            Assert.Contains(pod.Stderr, l => l.Contains("It started nothing", StringComparison.Ordinal));
        }
        proxy.Fail(0, 503);
        ResumesFrom(config, checkpointed, proxy.Endpoint);
    }

    [S3CriuFact]
    public void AStoreThatComesBackWithinLockWaitIsWaitedForAndTheCheckpointRestored()
    {
        string config = Config("apps/back-soon", "lockWait: 2m\n");
        int checkpointed = CheckpointFirstPod(config, _server!.Endpoint);
        _server.Stop();
        using CrikRun pod = Start(config, _server.Endpoint);
        pod.WaitForLine("crik cannot tell whether it holds a checkpoint", TimeSpan.FromSeconds(30), stderr: true);
        Thread.Sleep(TimeSpan.FromSeconds(3)); // a few tries fail
        _server.Start();
        pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        pod.WaitForLine(_ => Pods.Counts(pod).Count >= 2);
        Assert.True(Pods.Counts(pod)[0] == checkpointed + 1, $"the restored app should go on from {checkpointed}\n{pod.Transcript}");
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Started ", StringComparison.Ordinal));
        pod.Signal(Native.SIGKILL);
    }

    public void Dispose()
    {
        _dir.Dispose();
        _server?.Dispose();
    }

    private string Config(string prefix, string extra) =>
        _dir.Write($"{prefix.Replace('/', '-')}.yaml", $"imageDir: s3://{S3Server.Bucket}/{prefix}\n{extra}");

    /// <summary>crik never started the app: no count was printed and crik did not say it started one.</summary>
    private static void NothingStarted(CrikRun pod)
    {
        Assert.True(Pods.Counts(pod).Count == 0, $"the app ran\n{pod.Transcript}");
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Started ", StringComparison.Ordinal) || l.Contains("starting the app fresh", StringComparison.Ordinal));
    }

    /// <summary>A pod, once the store answers again, restores checkpoint 1 and counts on from <paramref name="checkpointed"/>.</summary>
    private void ResumesFrom(string config, int checkpointed, string? endpoint = null)
    {
        using CrikRun next = Start(config, endpoint ?? _server!.Endpoint);
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        next.WaitForLine(_ => Pods.Counts(next).Count >= 2);
        Assert.True(Pods.Counts(next)[0] == checkpointed + 1, $"the restored app should go on from {checkpointed}\n{next.Transcript}");
        next.Signal(Native.SIGKILL);
    }

    /// <summary>A first pod counts a little and is checkpointed on SIGTERM; returns its last count.</summary>
    private int CheckpointFirstPod(string config, string endpoint)
    {
        using CrikRun first = Start(config, endpoint);
        first.WaitForLine(_ => Pods.Counts(first).Count >= 3);
        Pods.CheckpointAndStop(first);
        return Pods.Counts(first).Last();
    }

    private CrikRun Start(string config, string endpoint) =>
        CrikRun.Start(["run", "--config", config, "--", "sh", "-c", Pods.Counter()], environment: _server!.Environment(endpoint));
}
