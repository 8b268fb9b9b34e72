using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Guarding;

/// <summary>
/// A thread that serves a restore and fails in a way nobody expected is a bug of crik's, which proves nothing of
/// the checkpoint: crik starts nothing and exits 125, the checkpoint stays where it is (not set aside), and the
/// next pod restores it whole.
/// </summary>
public sealed class RestoreReaderFailureTests
{
    [CriuTheory]
    [InlineData("crik image reader", true)] // from CRIU's stream, which crik's image reader serves
    [InlineData("crik memory filler", false)] // on crik's fill, whose filler starts once CRIU has restored the app stopped
    public void ABugInARestoresReaderKeepsTheCheckpointExits125AndTheNextPodCarriesOn(string thread, bool fromStream)
    {
        // 64 MiB of the parent's own: more than the fill's first 32 MiB, so that the filler runs once CRIU has restored the app.
        string[] app = ["python3", Paths.App("shared-after-fork.py"), "1", "64"];
        Dictionary<string, string> path = fromStream ? Restoring.FilledRestoreTests.WithoutUserfault : [];
        using var pods = new Pods();
        int last;
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("count 3", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
            last = Pods.Counts(first).Last();
        }

        using (CrikRun faulty = pods.StartWith(Faults.At(thread, path), app))
        {
            Assert.Equal(125, faulty.WaitForExit(TimeSpan.FromSeconds(90)));
            string failed = Assert.Single(faulty.Stderr, l => l.Contains("restoring checkpoint 1 stopped", StringComparison.Ordinal));
            Assert.Contains("on a bug in crik, not in the checkpoint. The checkpoint stays in ", failed, StringComparison.Ordinal);
            Assert.Contains("crik starts nothing and exits 125", failed, StringComparison.Ordinal);
            Assert.Contains($"{thread} failed unexpectedly: Crik.Cli.Processes.FaultSeamException: a fault the tests asked for", failed, StringComparison.Ordinal);
            Assert.DoesNotContain(faulty.Stdout, l => l.StartsWith("count ", StringComparison.Ordinal)); // nothing started fresh
            Assert.DoesNotContain(faulty.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.Contains(" FTL ", StringComparison.Ordinal));
        }
        Assert.Empty(pods.SetAside());
        Assert.Equal(["checkpoint-000001"], pods.Committed());

        using CrikRun next = pods.StartWith(path, app);
        next.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.DoesNotContain(next.Stderr, l => l.Contains("Resuming checkpoint 1 again", StringComparison.Ordinal)); // the faulty attempt did not count
        next.WaitForLine(_ => Pods.Counts(next).Count >= 3);
        Assert.True(Pods.Counts(next)[0] > last, $"the app should carry on from count {last}\n{next.Transcript}");
        next.Signal(Native.SIGKILL);
    }
}
