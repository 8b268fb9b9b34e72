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
    public void FromAVolumeAForkBetweenTheGlanceAndTheDumpMakesTheCheckpointWaitForTheMemoryAndDumpAgain()
    {
        using var pods = new Pods("lazyRestore: on\ncheckpointBudget: 60s\n");
        DumpsAgainAndTheNextPodGoesOnWhole(environment => pods.StartWith(environment, App(pods.Root)), pods.Root);
    }

    [S3CriuFact]
    public void FromObjectStorageAForkBetweenTheGlanceAndTheDumpMakesTheCheckpointWaitForTheMemoryAndDumpAgain()
    {
        using var dir = new TempDirectory();
        using var server = new S3Server();
        string config = dir.Write("config.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/forking\nlazyRestore: on\ncheckpointBudget: 60s\n");
        string tmp = Directory.CreateDirectory(Path.Combine(dir.Path, "tmp")).FullName;
        DumpsAgainAndTheNextPodGoesOnWhole(extra =>
        {
            Dictionary<string, string> environment = server.Environment();
            environment["TMPDIR"] = tmp;
            foreach ((string key, string value) in extra)
            {
                environment[key] = value;
            }
            return CrikRun.Start(["run", "--config", config, "--", .. App(dir.Path)], environment: environment);
        }, dir.Path);
    }

    [CriuFact]
    public void WhenTheMemoryIsNotInWithinHalfTheBudgetLeftTheCheckpointFailsAndSaysSo()
    {
        using var pods = new Pods("lazyRestore: on\ncheckpointBudget: 10s\n");
        CheckpointFresh(() => pods.Start(App(pods.Root)));
        // A chunk a second: the fill needs far more than the 4 s or so that half the budget left gives it.
        using CrikRun second = ForkAtTheSigterm(environment => pods.StartWith(environment, App(pods.Root)), pods.Root, pacePerChunk: "1000", pause: "1000");
        int code = second.WaitForExit(TimeSpan.FromSeconds(60));
        Assert.True(code == 143, $"the app should get its SIGTERM once the checkpoint fails, got {code}\n{second.Transcript}");
        string failed = second.WaitForLine("Checkpoint 2 failed", stderr: true);
        Assert.Contains("forked from process", failed, StringComparison.Ordinal);
        Assert.Contains("but it was not all in within", failed, StringComparison.Ordinal);
        Assert.Contains("half the time left of checkpointBudget (10 s)", failed, StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.False(File.Exists(pods.Pack(2)), "the dropped dump's pack is abandoned");
    }

    /// <param name="start">Starts a pod with these environment variables added.</param>
    /// <param name="root">Where the app looks for the file that has it fork.</param>
    private static void DumpsAgainAndTheNextPodGoesOnWhole(Func<Dictionary<string, string>, CrikRun> start, string root)
    {
        CheckpointFresh(() => start([]));
        int countAtSigterm;
        using (CrikRun second = ForkAtTheSigterm(start, root, pacePerChunk: "40", pause: "3000"))
        {
            countAtSigterm = Pods.Counts(second)[^1];
            int code = second.WaitForExit(TimeSpan.FromSeconds(90));
            Assert.True(code == 0, $"crik should exit 0 after a checkpoint, got {code}\n{second.Transcript}");
            string again = second.WaitForLine("the app is dumped again", stderr: true);
            Assert.Contains("forked from process", again, StringComparison.Ordinal);
            Assert.DoesNotContain(second.Stderr, l => l.Contains("not waited for", StringComparison.Ordinal));
            Assert.Matches(@"Checkpoint 2 committed .*Stages: .*dump dropped \d+ ms, memory in \d+ ms, ", second.WaitForLine(" committed in ", stderr: true));
        }

        using CrikRun third = start([]);
        third.WaitForLine("Restored checkpoint 2 ", TimeSpan.FromSeconds(60), stderr: true);
        // It goes on from after its restore in the second pod, not from the first pod's checkpoint (which says "restored 1"
        // again); being stopped between the dumps in the second pod is no restore.
        third.WaitForLine(_ => Pods.Counts(third, "restored").Count > 0, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third, "restored")[0] == 2, third.Transcript);
        // The app says "restored" before the count of the same iteration.
        third.WaitForLine(_ => Pods.Counts(third).Count > 0, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third)[0] > countAtSigterm, third.Transcript);
        Assert.True(ProcessTable.DescendantsOf(third.CrikPid).Count(e => e.State != 'Z') >= 2, $"the child forked in the second pod is restored too\n{third.Transcript}");
        third.Signal(Native.SIGUSR1);
        third.WaitForLine(l => l.StartsWith("intact ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.Contains("intact yes", third.Stdout);
        third.Signal(Native.SIGKILL);
    }

    private static string[] App(string root) => ["python3", Paths.App("forking-while-arriving.py"), AppMib, ForkNow(root)];

    private static string ForkNow(string root) => Path.Combine(root, "fork-now");

    private static void CheckpointFresh(Func<CrikRun> start)
    {
        using CrikRun first = start();
        first.WaitForLine("allocated " + AppMib, TimeSpan.FromSeconds(60));
        first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
        Pods.CheckpointAndStop(first);
    }

    /// <summary>Restores the app lazily, its fill paced, and sends SIGTERM; the app forks in the pause between the checkpoint's glance and its dump.</summary>
    private static CrikRun ForkAtTheSigterm(Func<Dictionary<string, string>, CrikRun> start, string root, string pacePerChunk, string pause)
    {
        CrikRun pod = start(new Dictionary<string, string>
        {
            ["CRIK_TEST_FILL_PACE_MS"] = pacePerChunk,
            ["CRIK_TEST_AFTER_GLANCE_MS"] = pause,
        });
        try
        {
            Assert.Contains(", lazily (", pod.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true), StringComparison.Ordinal);
            pod.WaitForLine("restored 1", TimeSpan.FromSeconds(60));
            // Its first count in this pod, before the SIGTERM: an iteration slowed by the arriving memory could otherwise see
            // the file that has it fork before it counts, and the pod would have no count to compare the next one's with.
            pod.WaitForLine(_ => Pods.Counts(pod).Count > 0, TimeSpan.FromSeconds(60));
            pod.Signal(Native.SIGTERM);
            // The checkpoint took the memory as it is, at a glance; the app forks before CRIU freezes it.
            pod.WaitForLine("between the glance at the arriving memory and the dump", stderr: true);
            File.WriteAllText(ForkNow(root), "");
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
