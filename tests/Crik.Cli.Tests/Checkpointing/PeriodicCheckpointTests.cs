using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>checkpointInterval: checkpoints the app runs on from, for a node that vanishes without SIGTERM.</summary>
public class PeriodicCheckpointTests
{
    [CriuFact]
    public void AfterTheNodeVanishesTheNextPodRestoresTheNewestPeriodicCheckpoint()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        int lastSeen;
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("Checkpoint 2 committed", stderr: true);
            // The app runs on after each periodic checkpoint.
            int atCheckpoint = Pods.Counts(first).Last();
            first.WaitForLine(_ => Pods.Counts(first).Last() >= atCheckpoint + 5);
            first.Signal(Native.SIGKILL); // no SIGTERM, no final checkpoint: the node is gone
            first.WaitForExit();
            lastSeen = Pods.Counts(first).Last();
        }
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        string restored = second.WaitForLine("Restored checkpoint", stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 3);
        // It goes on from an earlier moment than the last line the first pod printed, not from 0.
        int resumedAt = Pods.Counts(second)[0];
        Assert.True(resumedAt > 0 && resumedAt <= lastSeen + 1, $"resumed at {resumedAt}, last seen {lastSeen}\n{restored}\n{second.Transcript}");

        // A SIGTERM checkpoint after periodic ones is an ordinary one.
        Pods.CheckpointAndStop(second);
        using CrikRun third = pods.Start("sh", "-c", Pods.Counter());
        third.WaitForLine("Restored checkpoint", stderr: true);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 2);
        Assert.True(Pods.Counts(third)[0] > Pods.Counts(second).Last() - 1, third.Transcript);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void TheAppRunsAgainOnceItsImagesAreReadNotOnceTheyAreStored()
    {
        // Each chunk of the pages waits 4 s before it is stored, as one waits for a part's upload to object storage; writes are
        // not tracked: each checkpoint dumps all of the app's memory with it stopped, and nothing is copied while it runs.
        using var pods = new Pods("checkpointInterval: 1s\ntrackWrites: off\n");
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_PAGES_STORE_PAUSE_MS"] = "4000" }, "sh", "-c", Pods.Counter());
        string second = pod.WaitForLine(l => l.Contains("as generation 2 ", StringComparison.Ordinal), TimeSpan.FromSeconds(60), stderr: true);
        pod.WaitForLine(_ => pod.Stderr.SkipWhile(l => l != second).Any(l => l.Contains("at CRIK_TEST_PAGES_STORE_PAUSE_MS", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60));

        // A chunk of checkpoint 2's pages waits to be stored, so it is not committed for 4 s; the app counts on meanwhile. Before,
        // it stayed stopped until the last chunk was stored.
        int counted = Pods.Counts(pod).Last();
        pod.WaitForLine(_ => Pods.Counts(pod).Last() >= counted + 3, TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Checkpoint 2 committed", StringComparison.Ordinal));
        pod.WaitForLine("Checkpoint 2 committed", TimeSpan.FromSeconds(60), stderr: true);
        pod.Signal(Native.SIGKILL);
        pod.WaitForExit();
    }

    [CriuFact]
    public void TheAppRunsAgainOnceCriuSaysItsDumpIsDoneNotOnceCriuHasExited()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        string criuDumped = Path.Combine(pods.Root, "criu-dumped"), goOn = Path.Combine(pods.Root, "criu-may-exit");
        // A criu held from its exit, once it has dumped, until the test has seen the app count again (or 30 s): as CRIU's own
        // teardown holds it, only longer.
        var path = pods.PathWithStandInCriu($"if [ \"$1\" = dump ]; then {Prerequisites.FindOnPath("criu")} \"$@\"; rc=$?; touch {criuDumped}; "
            + $"i=0; while [ ! -e {goOn} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit $rc; fi");
        using CrikRun pod = pods.StartWith(path, "sh", "-c", Pods.Counter());
        Poll.Until(() => File.Exists(criuDumped), $"the first dump to end\n{pod.Transcript}", TimeSpan.FromSeconds(60));
        int atDump = Pods.Counts(pod).Last();

        // The app runs on while criu has not exited: CRIU said it was done with it (criu-patches/0014). Before, it stayed
        // stopped until criu's exit.
        pod.WaitForLine(_ => Pods.Counts(pod).Last() >= atDump + 3, TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("committed", StringComparison.Ordinal));
        File.WriteAllText(goOn, "");
        string committed = pod.WaitForLine("Checkpoint 1 committed", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Matches(@"the app held [\d.]+ ms\)", committed);
        pod.Signal(Native.SIGKILL);
        pod.WaitForExit();
    }

    /// <summary>
    /// A periodic checkpoint lets the app go before its commit (the upload may take minutes): a signal that comes meanwhile
    /// reaches the app then, not once the commit is done. Here the commit is held for a minute.
    /// </summary>
    [CriuFact]
    public void ASignalWhileAPeriodicCheckpointCommitsReachesTheAppAtOnce()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COMMIT_PAUSE_MS"] = "60000" }, "sh", "-c",
            "trap 'echo got-usr1' USR1; " + Pods.Counter());
        pod.WaitForLine("pausing 60000 ms at CRIK_TEST_COMMIT_PAUSE_MS", TimeSpan.FromSeconds(60), stderr: true);
        pod.Signal(Native.SIGUSR1);
        pod.WaitForLine("got-usr1", TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("committed", StringComparison.Ordinal));
        pod.Signal(Native.SIGKILL);
        pod.WaitForExit();
    }

    [CriuFact]
    public async Task ACheckpointLongerThanTheIntervalStretchesItOnceSaidAndEachCounted()
    {
        int port = FreePort.Get();
        using var pods = new Pods($"checkpointInterval: 1s\nmetricsAddress: 127.0.0.1:{port}\n");
        // Each checkpoint waits 1.5 s before its commit: longer than the interval.
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COMMIT_PAUSE_MS"] = "1500" }, "sh", "-c", Pods.Counter());
        pod.WaitForLine("Checkpoint 3 committed", stderr: true);
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        pod.Signal(Native.SIGKILL);
        pod.WaitForExit();

        // Checkpoints 1 and 2 stretched it before checkpoint 3 began; 3's may be counted by now too.
        string counted = Assert.Single(metrics.Split('\n'), l => l.StartsWith("crik_checkpoints_periodic_stretched_total ", StringComparison.Ordinal));
        Assert.InRange(double.Parse(counted.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), 2, 3);
        string said = Assert.Single(pod.Stderr, l => l.Contains("as long as checkpointInterval", StringComparison.Ordinal));
        Assert.Contains("the next starts 1 s after it ended", said, StringComparison.Ordinal);
        // Never two at once: each checkpoint is committed before the next begins.
        string order = string.Concat(pod.Stderr.Select(l => l.Contains("Checkpointing the app", StringComparison.Ordinal) ? "b"
            : l.Contains("committed in", StringComparison.Ordinal) ? "c" : ""));
        Assert.StartsWith("bcbcbc", order, StringComparison.Ordinal);
        Assert.DoesNotContain("bb", order, StringComparison.Ordinal);
    }

    [CriuFact]
    public void AnAppThatEndsOnItsOwnAfterPeriodicCheckpointsIsNotBroughtBack()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        const string job = "i=0; while [ $i -lt 35 ]; do echo \"count $i\"; i=$((i+1)); sleep 0.1; done; echo job-done; exit 0";
        using (CrikRun first = pods.Start("sh", "-c", job))
        {
            Assert.Equal(0, first.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Contains(first.Stderr, l => l.Contains("committed", StringComparison.Ordinal));
            Assert.Contains(first.Stderr, l => l.Contains("The app ended on its own: retired its", StringComparison.Ordinal));
        }
        Assert.Empty(pods.Committed());
        using CrikRun second = pods.Start("sh", "-c", job);
        second.WaitForLine("No checkpoint to restore", stderr: true);
        second.Signal(Native.SIGKILL);
    }
}
