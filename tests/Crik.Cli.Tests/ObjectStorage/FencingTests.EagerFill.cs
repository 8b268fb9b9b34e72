using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

// An eager restore on crik's fill keeps the app stopped until every page is in, and lets it go only
// through the lease: a lease lost while the memory arrives means the app never runs in that pod.
public sealed partial class FencingTests
{
    [S3CriuFact]
    public void ALeaseLostWhileAnEagerRestoreFillsNeverLetsTheAppRunAndTheNextPodRestoresIt()
    {
        string app = $"exec python3 {Paths.App("chunky-memory.py")} 64";
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        // Only the pod that loses its lease has a short one: a busy machine must not cost the others theirs.
        string config = Config("lost-mid-fill", "lazyRestore: off\n");
        string shortLease = _dir.Write("lost-mid-fill-short-lease.yaml", File.ReadAllText(config) + "leaseDuration: 4s\nleaseDoubtLimit: 4s\n");
        int checkpointed;
        using (CrikRun first = Start(config, proxy.Endpoint, app))
        {
            first.WaitForLine(_ => Pods.Counts(first).Count >= 3, TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
            checkpointed = Pods.Counts(first).Last();
        }

        using var renewals = new ManualResetEventSlim(false);
        proxy.BeforeForwarding = request =>
        {
            while (renewals.IsSet && request.Contains("/.lock", StringComparison.Ordinal))
            {
                Thread.Sleep(100); // the lease's renewals hang; the reads of the app's memory go on
            }
        };
        Dictionary<string, string> paced = _server.Environment(proxy.Endpoint);
        paced["CRIK_TEST_FILL_PACE_MS"] = "300"; // each chunk 300 ms late: the fill outlasts the lease
        using (CrikRun second = CrikRun.Start(["run", "--config", shortLease, "--", "sh", "-c", app], environment: paced))
        {
            Poll.Until(() => ProcessTable.DescendantsOf(second.CrikPid).Any(p => p.State == 'T'), $"the restored app, stopped while it fills\n{second.Transcript}",
                TimeSpan.FromSeconds(60));
            renewals.Set();
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(90)));
            Assert.Contains(second.Stderr, l => l.Contains("lost its lease", StringComparison.Ordinal));
            Assert.True(Pods.Counts(second).Count == 0, $"the app ran in the pod that lost its lease\n{second.Transcript}");
        }
        renewals.Reset();

        using CrikRun third = Start(config, proxy.Endpoint, app);
        third.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(120), stderr: true);
        Pods.AppIsWhole(third);
        Assert.True(Pods.Counts(third)[0] == checkpointed + 1, $"the restored app should go on from {checkpointed}\n{third.Transcript}");
        third.Signal(Native.SIGKILL);
    }
}
