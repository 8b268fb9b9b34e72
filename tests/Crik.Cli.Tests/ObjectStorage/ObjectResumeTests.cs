using Crik.Cli.ObjectStorage;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>Resuming from object storage after restored pods die without a checkpoint, mid-upload of their own included.</summary>
[Collection(PodsKilledMidDump.Name)]
public sealed class ObjectResumeTests : IDisposable
{
    private readonly S3Server? _server = Prerequisites.InCi || (Prerequisites.MissingForCriu() ?? S3Server.Missing()) is null ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly TempDirectory _dir = new();

    [S3CriuFact]
    public void RestoredPodsKilledTwiceAreFollowedByPodsThatResumeFromTheSameCheckpoint()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/resume\nleaseDuration: 3s\n");
        int checkpointed = CheckpointFirstPod(config, proxy.Endpoint);
        for (int restore = 1; restore <= 3; restore++)
        {
            using CrikRun pod = Start(config, proxy.Endpoint);
            pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
            pod.WaitForLine(_ => Pods.Counts(pod).Count >= 2);
            Assert.True(Pods.Counts(pod)[0] == checkpointed + 1, $"restore {restore} should go on from {checkpointed}\n{pod.Transcript}");
            if (restore > 1)
            {
                Assert.Contains(pod.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal));
            }
            pod.Signal(Native.SIGKILL);
            pod.WaitForExit();
        }
        S3Client s3 = TestS3.Client(_server, _http, "apps/resume/");
        Assert.NotNull(s3.TryGet("checkpoint-000001/manifest.json"));
        Assert.Equal(3, s3.List("restores/").Count);
    }

    [S3CriuFact]
    public void ARestoredPodKilledWhileItsOwnCheckpointUploadsIsFollowedByOneThatResumesFromThePreviousGeneration()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = _dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/midupload\nleaseDuration: 10s\n");
        int checkpointed = CheckpointFirstPod(config, proxy.Endpoint);
        using (CrikRun second = Start(config, proxy.Endpoint))
        {
            second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
            proxy.Delay = TimeSpan.FromSeconds(1); // the lease (10 s, renewed within 2.5 s) holds; the upload is slow
            second.Signal(Native.SIGTERM);
            Poll.Until(() => proxy.Seen.Any(r => r.Contains("/packs/000002.pack", StringComparison.Ordinal)), "the upload of checkpoint 2's pack");
            second.Signal(Native.SIGKILL); // the grace period ran out mid-upload
            second.WaitForExit();
        }
        proxy.Delay = TimeSpan.Zero;
        using CrikRun third = Start(config, proxy.Endpoint);
        third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 2);
        Assert.True(Pods.Counts(third)[0] == checkpointed + 1, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
        _server?.Dispose();
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
