using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>A restore's criu killed at restoreTimeout leaves nothing of its own running beside the fresh start.</summary>
public class KilledRestoreTests
{
    /// <summary>
    /// The restore's criu forks a child and hangs (one of CRIU's kernel probes forks a child that sleeps until criu kills
    /// it, and runs whenever crik's own run of the probes is not ready in time). criu is killed at its timeout; its child,
    /// now crik's, is killed with what the restore left, before the app starts afresh. Before, it slept on for good.
    /// </summary>
    [CriuFact]
    public void ARestoreKilledAtItsTimeoutTakesWhatCriuForkedWithIt()
    {
        using var pods = new Pods("restoreTimeout: 2s\n");
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        string held = Path.Combine(pods.Root, "probe-child.lock");
        // The subshell is a fork of the stand-in criu, named criu as the probe's child is; "; true" keeps it from exec'ing flock.
        var path = pods.PathWithStandInCriu($"[ \"$1\" = restore ] && {{ (flock {held} sleep 1000; true) & exec sleep 1000; }}");
        using CrikRun fresh = pods.StartWith(path, "sh", "-c", Pods.Counter());
        fresh.WaitForLine("count 1");
        fresh.WaitForLine("did not finish within 2 s", stderr: true); // stderr is read apart from stdout: it may lag behind
        Assert.True(File.Exists(held), "the stand-in for criu never forked");
        Assert.True(SpinWait.SpinUntil(() => FileLocks.CanLock(held), TimeSpan.FromSeconds(10)), "criu's child outlived it");
        fresh.WaitForLine("left by the failed restore of checkpoint 1", stderr: true);
        fresh.Signal(Native.SIGKILL);
    }
}
