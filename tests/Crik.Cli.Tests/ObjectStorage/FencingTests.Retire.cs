using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

// Retiring is atomic: a crik killed between the finished mark and the end of a move (object storage
// copies, then deletes) leaves nothing the next pod restores.
public sealed partial class FencingTests
{
    [S3CriuFact]
    public void ACrikKilledMidRetireLeavesAGenerationCommittedAndRetiredThatIsNeverRestored()
    {
        using var released = new ManualResetEventSlim();
        using var reached = new ManualResetEventSlim();
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("retire-crash", "");
        string stop = _dir.Write("retire-crash-stop", "");
        File.Delete(stop);
        string app = $"i=0; while [ ! -e {stop} ]; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done; exit 3";
        using (CrikRun first = Start(config, proxy.Endpoint, app))
        {
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3, TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        // The move to retired/ has copied the manifest and is about to delete the committed one.
        proxy.BeforeForwarding = r =>
        {
            if (r.StartsWith("DELETE ", StringComparison.Ordinal) && r.Contains("/checkpoint-000001/manifest.json", StringComparison.Ordinal))
            {
                reached.Set();
                released.Wait(TimeSpan.FromMinutes(2));
                throw new IOException("the pod was killed before this request reached the store"); // never forwarded
            }
        };
        try
        {
            using CrikRun second = Start(config, proxy.Endpoint, app);
            second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
            File.WriteAllText(stop, "");
            Assert.True(reached.Wait(TimeSpan.FromSeconds(30)), $"the retire never reached its delete\n{second.Transcript}");
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
        }
        finally
        {
            released.Set();
        }
        proxy.BeforeForwarding = _ => { };
        File.Delete(stop);
        using var http = new HttpClient();
        var s3 = TestS3.Client(_server, http, "fencing/retire-crash/");
        Assert.NotNull(s3.TryGet("checkpoint-000001/manifest.json"));
        Assert.NotNull(s3.TryGet("retired/checkpoint-000001/manifest.json"));

        using CrikRun third = Start(config, proxy.Endpoint, app);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third)[0] == 0, $"the finished app was brought back\n{third.Transcript}");
        Assert.Contains(third.Stderr, l => l.Contains("No checkpoint to restore", StringComparison.Ordinal));
        Assert.Null(s3.TryGet("checkpoint-000001/manifest.json")); // the next pod finished the move
        third.Signal(Native.SIGKILL);
    }
}
