using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>The lines that report a checkpoint and a restore say where the time went, stage by stage (the benchmark reads them).</summary>
public class StageTimesTests
{
    [CriuFact]
    public void TheCommitAndRestoreLinesNameEveryStageAndTheStreamOfThePagesImage()
    {
        using var pods = new Pods("trackWrites: auto\n"); // a SIGTERM's checkpoint: what the app wrote is read beside the commit, no writes stage
        string committed;
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
            committed = first.WaitForLine("Checkpoint 1 committed", stderr: true);
        }
        Assert.Matches(@"Stages: lock \d+ ms, staging \d+ ms, preparing \d+ ms, dump \d+ ms, files \d+ ms, seal and flush \d+ ms, commit \d+ ms, clean-up \d+ ms; "
            + @"streamed pages-\d+\.img [\d.]+ [KM]iB: waited \d+ ms for CRIU, \d+ ms for crik; crik's CPU \d+ ms$", committed);

        // From CRIU's stream, whose stage the line names (Restoring/FilledRestoreTests checks the line of a restore on crik's fill).
        using CrikRun second = pods.StartWith(Restoring.FilledRestoreTests.WithoutUserfault, "sh", "-c", Pods.Counter());
        string restored = second.WaitForLine("Restored checkpoint 1", stderr: true);
        Assert.Matches(@"Stages: lock \d+ ms, choosing \d+ ms, record \d+ ms, files \d+ ms, "
            + @"(kernel probes \d+ ms, )?criu \(streamed pages-\d+\.img [\d.]+ [KM]iB: waited \d+ ms for CRIU, \d+ ms for crik\) \d+ ms, log \d+ ms; crik's CPU \d+ ms$", restored);
    }

    [CriuFact]
    public async Task EachHoldIsTimedFromCriusSeizeToTheAppsReleaseAndTheMetricCountsThoseHolds()
    {
        int port = FreePort.Get();
        using var pods = new Pods($"checkpointInterval: 1s\nmetricsAddress: 127.0.0.1:{port}\n");
        string metrics;
        using (CrikRun pod = pods.Start("sh", "-c", Pods.Counter()))
        {
            pod.WaitForLine("Checkpoint 2 committed", stderr: true);
            using var http = new HttpClient();
            metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            pod.Signal(Native.SIGKILL);
            pod.WaitForExit();
            List<(int Generation, double Held, double Took)> commits = Commits(pod);
            Assert.True(commits.Count >= 2, pod.Transcript);
            foreach ((int generation, double held, double took) in commits)
            {
                // crik lets the app go after CRIU has let it go and exited: the hold is no shorter than CRIU's own, and no longer
                // than the checkpoint. Timed from CRIU's start, as before, it took in CRIU's probes too.
                double criuHeld = CriuHeldMilliseconds(pods.DumpLog(generation));
                Assert.InRange(held, criuHeld - 0.1, took);
            }
            // The metric counts the same holds, each committed checkpoint's once, in the order of the lines.
            int counted = (int)Sample(metrics, "crik_checkpoint_frozen_seconds_count");
            Assert.InRange(counted, 2, commits.Count);
            Assert.Equal(commits.Take(counted).Sum(c => c.Held), Sample(metrics, "crik_checkpoint_frozen_seconds_sum") * 1000, tolerance: 0.06 * counted);
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("the app held at most", StringComparison.Ordinal));
        }

        // A CRIU whose log does not say where its timestamps start (one without criu-patches/0013): the hold is counted from
        // CRIU's spawn plus the seize's timestamp, and said to be at most that.
        string forgetsItsStart = "if [ \"$1\" = dump ]; then prev=; for a in \"$@\"; do case \"$prev\" in --work-dir) w=$a;; --log-file) l=$a;; esac; prev=$a; done; "
            + $"{Prerequisites.FindOnPath("criu")} \"$@\"; rc=$?; sed -i '/Log timestamps count from CLOCK_MONOTONIC/d' \"$w/$l\"; exit $rc; fi";
        using CrikRun stock = pods.StartWith(pods.PathWithStandInCriu(forgetsItsStart), "sh", "-c", Pods.Counter());
        string committed = stock.WaitForLine(l => Regex.IsMatch(l, @"Checkpoint \d+ committed"), TimeSpan.FromSeconds(60), stderr: true);
        Match atMost = Regex.Match(committed, @"Checkpoint (\d+) committed .*the app held at most ([\d.]+) ms\)");
        Assert.True(atMost.Success, committed);
        string log = pods.DumpLog(int.Parse(atMost.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.DoesNotContain("CLOCK_MONOTONIC", log, StringComparison.Ordinal);
        Assert.True(double.Parse(atMost.Groups[2].Value, CultureInfo.InvariantCulture) >= CriuHeldMilliseconds(log) - 0.1, committed);
        stock.Signal(Native.SIGKILL);
    }

    /// <summary>Each committed checkpoint's generation, hold and time in all, in milliseconds, from its line.</summary>
    private static List<(int Generation, double Held, double Took)> Commits(CrikRun pod) =>
        [.. pod.Stderr.Select(l => Regex.Match(l, @"Checkpoint (\d+) committed in ([\d.]+) s \(CRIU dump [\d.]+ s, the app held ([\d.]+) ms\)"))
            .Where(m => m.Success)
            .Select(m => (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
                double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * 1000))];

    /// <summary>How long CRIU held the app by its own log: from its first seize to its unfreeze, in milliseconds.</summary>
    private static double CriuHeldMilliseconds(string log)
    {
        static double At(string log, string says) =>
            double.Parse(Regex.Match(log, $@"\((\d+\.\d+)\) {says}").Groups[1].Value, CultureInfo.InvariantCulture) * 1000;
        return At(log, "Unfreezing tasks") - At(log, "Seized task");
    }

    private static double Sample(string metrics, string name) =>
        double.Parse(Assert.Single(metrics.Split('\n'), l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], CultureInfo.InvariantCulture);
}
