using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

// The lease is enforced whatever crik is doing: a commit that hangs does not hold up the freeze and the
// kill, and a commit another crik beat is never followed by the app running on.
public sealed partial class FencingTests
{
    private static bool IsManifestPut(string request) =>
        request.StartsWith("PUT ", StringComparison.Ordinal) && request.Contains("/manifest.json", StringComparison.Ordinal);

    [S3CriuFact]
    public void AHolderWhoseCommitHangsIsFrozenAndKilledOnTheLeasesDeadlinesNotWhenTheCommitEnds()
    {
        using var released = new ManualResetEventSlim();
        using var firstProxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using var secondProxy = new FaultyProxy(_server.Endpoint, sharingConditionsWith: firstProxy) { ConditionalWrites = true };
        // Cut off from the store, the lease is in doubt, and lost once that lasts leaseDoubtLimit (kept short here).
        string config = Config("hung-commit", "leaseDuration: 4s\nleaseDoubtLimit: 5s\nlockWait: 90s\ncheckpointInterval: 2s\ncheckpointBudget: 60s\ncheckpointTimeout: 30s\n");
        long cutAt = 0;
        // The periodic checkpoint's manifest PUT gets no answer, and from then on nothing of the first pod's reaches the store.
        firstProxy.BeforeForwarding = r =>
        {
            if (IsManifestPut(r))
            {
                Interlocked.CompareExchange(ref cutAt, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 0);
                firstProxy.Delay = TimeSpan.FromMinutes(10);
                released.Wait(TimeSpan.FromMinutes(2));
            }
        };
        try
        {
            using CrikRun first = Start(config, firstProxy.Endpoint);
            Poll.Until(() => Interlocked.Read(ref cutAt) != 0, $"the first pod's periodic checkpoint to reach its manifest\n{first.Transcript}", TimeSpan.FromSeconds(60));
            using CrikRun second = Start(config, secondProxy.Endpoint);

            Assert.Equal(125, first.WaitForExit(TimeSpan.FromSeconds(30)));
            long lastTick = Ticks(first).Last();
            // Frozen three fifths of leaseDuration (2.4 s) after the last renewal answered, at most a quarter (1 s) before the cut.
            Assert.True(lastTick <= cutAt + 3000, $"the app ran {lastTick - cutAt} ms after the store was cut off\n{first.Transcript}");
            Assert.Contains(first.Stderr, l => l.Contains("is frozen until a renewal succeeds", StringComparison.Ordinal));
            Assert.Contains(first.Stderr, l => l.Contains("lost its lease", StringComparison.Ordinal) && l.Contains(" ERR ", StringComparison.Ordinal));
            Assert.Contains(first.Stderr, l => l.Contains("the store did not answer its renewals for ", StringComparison.Ordinal) && l.Contains("leaseDoubtLimit", StringComparison.Ordinal));

            second.WaitForLine(_ => Ticks(second).Count >= 2, TimeSpan.FromSeconds(60));
            Assert.True(Ticks(second)[0] > lastTick, $"both pods' apps ran at once\n{first.Transcript}\n{second.Transcript}");
            second.Signal(Native.SIGKILL);
        }
        finally
        {
            released.Set();
        }
    }

    [S3CriuFact]
    public void ACommitAnotherCrikBeatKillsTheAppAndNeverResumesIt()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using var http = new HttpClient();
        string config = Config("beaten", "leaseDuration: 30s\n");
        // Just before this pod's manifest reaches the store, another crik's lands there.
        proxy.BeforeForwarding = r =>
        {
            if (IsManifestPut(r))
            {
                TestS3.Client(_server, http, "fencing/beaten/").Put("checkpoint-000001/manifest.json", "{\"generation\": 1}"u8.ToArray());
            }
        };
        using CrikRun pod = Start(config, proxy.Endpoint, "trap 'echo app-got-term; exit 9' TERM; while :; do sleep 0.1; done");
        pod.WaitForLine("Started", TimeSpan.FromSeconds(60), stderr: true);

        pod.Signal(Native.SIGTERM);
        Assert.Equal(125, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(pod.Stderr, l => l.Contains("another crik committed generation 1", StringComparison.Ordinal)
            && l.Contains("so this copy is killed", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stdout, l => l.Contains("app-got-term", StringComparison.Ordinal));
    }
}
