using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// A SIGTERM while a lazily restored app's memory arrives, and the app forks between the checkpoint's glance at
/// the memory (no process forked since the restore: it takes the memory as it is) and CRIU's freeze. The dump
/// cannot take the child's missing pages as they are, so the checkpoint drops it, lets the fill bring the memory
/// all in, and dumps the app again: the checkpoint commits, and the next pod goes on from it, whole. When the memory
/// does not arrive within half the budget left, the checkpoint fails and says so, and the previous one stays. The
/// moment between the glance and the dump is widened by a Debug-only pause (CRIK_TEST_AFTER_GLANCE_MS), in which
/// the test has the app fork; the fill is paced (CRIK_TEST_FILL_PACE_MS), so most of the memory is still to come.
/// </summary>
public sealed class CheckpointWhileArrivingForkTests
{
    private const string AppMib = "64";

    [CriuFact]
    public void AForkBetweenTheGlanceAndTheDumpMakesTheCheckpointWaitForTheMemoryAndDumpAgain()
    {
        using var pods = new Pods("lazyRestore: on\ncheckpointBudget: 60s\n");
        string[] app = App(pods);
        CheckpointFresh(pods, app);
        int countAtSigterm;
        using (CrikRun second = ForkAtTheSigterm(pods, app, pacePerChunk: "40", pause: "3000"))
        {
            countAtSigterm = Pods.Counts(second)[^1];
            int code = second.WaitForExit(TimeSpan.FromSeconds(90));
            Assert.True(code == 0, $"crik should exit 0 after a checkpoint, got {code}\n{second.Transcript}");
            string again = second.WaitForLine("the app is dumped again", stderr: true);
            Assert.Contains("forked from process", again, StringComparison.Ordinal);
            Assert.DoesNotContain(second.Stderr, l => l.Contains("not waited for", StringComparison.Ordinal));
            Assert.Matches(@"Checkpoint 2 committed .*Stages: .*dump dropped \d+ ms, memory in \d+ ms, ", second.WaitForLine(" committed in ", stderr: true));
        }
        Thread.Sleep(TimeSpan.FromSeconds(1.5)); // the app's wall clock jumps: it notices its restore

        using CrikRun third = pods.Start(app);
        third.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(60), stderr: true);
        // It goes on from after its restore in the second pod, not from the first pod's checkpoint (which says "restored 1"
        // again). It was stopped for a while in the second pod, between the dumps, and may have counted that as a restore too.
        third.WaitForLine(_ => Pods.Counts(third, "restored").Count > 0, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third, "restored")[0] >= 2, third.Transcript);
        Assert.True(Pods.Counts(third)[0] > countAtSigterm, third.Transcript);
        Assert.True(ProcessTable.DescendantsOf(third.CrikPid).Count(e => e.State != 'Z') >= 2, $"the child forked in the second pod is restored too\n{third.Transcript}");
        third.Signal(Native.SIGUSR1);
        third.WaitForLine(l => l.StartsWith("intact ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Contains("intact yes", third.Stdout);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhenTheMemoryIsNotInWithinHalfTheBudgetLeftTheCheckpointFailsAndSaysSo()
    {
        using var pods = new Pods("lazyRestore: on\ncheckpointBudget: 10s\n");
        string[] app = App(pods);
        CheckpointFresh(pods, app);
        // A chunk a second: the fill needs far more than the 4 s or so that half the budget left gives it.
        using CrikRun second = ForkAtTheSigterm(pods, app, pacePerChunk: "1000", pause: "1000");
        int code = second.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(code == 143, $"the app should get its SIGTERM once the checkpoint fails, got {code}\n{second.Transcript}");
        string failed = second.WaitForLine("Checkpoint 2 failed", stderr: true);
        Assert.Contains("forked from process", failed, StringComparison.Ordinal);
        Assert.Contains("but it was not all in within", failed, StringComparison.Ordinal);
        Assert.Contains("half the time left of checkpointBudget (10 s)", failed, StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(File.Exists(pods.Pack(2)), "the dropped dump's pack is abandoned");
    }

    private static string[] App(Pods pods) => ["python3", Paths.App("forking-while-arriving.py"), AppMib, Path.Combine(pods.Root, "fork-now")];

    private static void CheckpointFresh(Pods pods, string[] app)
    {
        using CrikRun first = pods.Start(app);
        first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(60));
        first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
        Pods.CheckpointAndStopForAClockJump(first);
    }

    /// <summary>Restores the app lazily, its fill paced, and sends SIGTERM; the app forks in the pause between the checkpoint's glance and its dump.</summary>
    private static CrikRun ForkAtTheSigterm(Pods pods, string[] app, string pacePerChunk, string pause)
    {
        CrikRun pod = pods.StartWith(new Dictionary<string, string>
        {
            ["CRIK_TEST_FILL_PACE_MS"] = pacePerChunk,
            ["CRIK_TEST_AFTER_GLANCE_MS"] = pause,
        }, app);
        try
        {
            Assert.Contains(", lazily (", pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true), StringComparison.Ordinal);
            pod.WaitForLine("restored 1", TimeSpan.FromSeconds(60));
            pod.Signal(Native.SIGTERM);
            // The checkpoint took the memory as it is, at a glance; the app forks before CRIU freezes it.
            pod.WaitForLine("between the glance at the arriving memory and the dump", stderr: true);
            File.WriteAllText(app[^1], "");
            pod.WaitForLine("forked", TimeSpan.FromSeconds(10));
            return pod;
        }
        catch
        {
            pod.Dispose();
            throw;
        }
    }
}
