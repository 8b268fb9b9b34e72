using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Observing;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

// In doubt, freeze; lost, kill: a store that stops answering keeps the app frozen for as long as it is
// away (no other pod can take the lease without it), and the app counts on once the store answers that
// the lease is still crik's. A node cut off from a store that works for everyone else is the case the
// freeze is for: its app never runs after another pod took over, and is killed when the cut heals.
public sealed partial class FencingTests
{
    private const string FrozenLine = "is frozen until a renewal succeeds";
    private const string KeptLine = "crik renewed its lease after ";

    /// <summary>Four second leases, so that 20 s of 503s are five leaseDurations, and 10 s of hanging requests two and a half.</summary>
    [S3CriuFact]
    public async Task AStoreThatAnswers503sThenHangsForManyLeaseDurationsFreezesTheAppWhichThenCountsOnAndCheckpoints()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        int port = FreePort.Get();
        string config = Config("in-doubt", $"leaseDuration: 4s\ncheckpointInterval: 3s\nmetricsAddress: 127.0.0.1:{port}\n");
        using CrikRun pod = Start(config, proxy.Endpoint);
        pod.WaitForLine("committed in", TimeSpan.FromSeconds(60), stderr: true);

        await WaitOutAsync(pod, TimeSpan.FromSeconds(20), () => proxy.Fail(int.MaxValue, 503), async () =>
        {
            Dictionary<string, double> frozen = MetricsTests.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")));
            Assert.True(frozen["crik_lease_in_doubt_seconds"] > 10, $"{frozen["crik_lease_in_doubt_seconds"]} s in doubt\n{pod.Transcript}");
            Assert.Equal(1, frozen["crik_lease_state{state=\"frozen\"}"]);
            proxy.Fail(0, 503);
        });
        Dictionary<string, double> kept = MetricsTests.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")));
        Assert.True(kept["crik_lease_kept_after_seconds"] > 15, pod.Transcript);
        Assert.Equal(0, kept["crik_lease_in_doubt_seconds"]);
        Assert.True(kept["crik_lease_doubts_kept_total"] >= 1, pod.Transcript);

        // Requests that hang: crik cuts each at its deadline.
        await WaitOutAsync(pod, TimeSpan.FromSeconds(10), () => proxy.Delay = TimeSpan.FromMinutes(10), () =>
        {
            proxy.Delay = TimeSpan.Zero;
            return Task.CompletedTask;
        });
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("lost its lease", StringComparison.Ordinal));
        pod.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void AHolderCutOffFromTheStoreStaysFrozenWhileAnotherPodTakesOverAndIsKilledWhenTheCutHeals()
    {
        using var firstProxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        using var secondProxy = new FaultyProxy(_server.Endpoint, sharingConditionsWith: firstProxy) { ConditionalWrites = true };
        string config = Config("cut-off", "leaseDuration: 4s\nlockWait: 90s\ncheckpointInterval: 2s\n");
        using CrikRun first = Start(config, firstProxy.Endpoint);
        first.WaitForLine("committed in", TimeSpan.FromSeconds(60), stderr: true);
        using CrikRun second = Start(config, secondProxy.Endpoint);
        Poll.Until(() => secondProxy.Seen.Any(r => r.StartsWith("GET ", StringComparison.Ordinal) && r.Contains("/.lock", StringComparison.Ordinal)),
            "the second pod to find the lease held");

        long cutAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        firstProxy.Delay = TimeSpan.FromMinutes(10); // from now on the store answers the first pod nothing; the second it answers
        string restored = second.WaitForLine("Restored checkpoint ", TimeSpan.FromSeconds(60), stderr: true);
        second.WaitForLine(_ => Ticks(second).Count >= 5, TimeSpan.FromSeconds(30));
        Thread.Sleep(TimeSpan.FromSeconds(2)); // the first pod's app, were it running, would count on now

        List<long> firstTicks = Ticks(first);
        string frozen = first.Stderr.Last(l => l.Contains(FrozenLine, StringComparison.Ordinal));
        Assert.True(firstTicks.Last() <= At(frozen) + 100, $"the app ran {firstTicks.Last() - At(frozen)} ms after crik froze it\n{first.Transcript}");
        // Frozen once renewals have failed for three fifths of leaseDuration (2.4 s since the last answered one, which came up to a
        // second before the cut); what keeps the two apps apart is the next assert, so this one leaves a busy machine 2.6 s more.
        Assert.True(firstTicks.Last() <= cutAt + 6000, $"the app ran {firstTicks.Last() - cutAt} ms after the store was cut off\n{first.Transcript}");
        Assert.True(firstTicks.Last() < At(restored), $"the first pod's app ran after the second restored it\n{first.Transcript}\n{second.Transcript}");
        Assert.DoesNotContain(first.Stderr, l => l.Contains("lost its lease", StringComparison.Ordinal));

        firstProxy.Delay = TimeSpan.Zero; // the cut heals: the store answers that the lease is the second pod's
        Assert.Equal(125, first.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(firstTicks.Count, Ticks(first).Count);
        Assert.Contains(first.Stderr, l => l.Contains("the store answers that another crik replaced or deleted it", StringComparison.Ordinal));
        Assert.Contains(first.Stderr, l => l.Contains(" ERR ", StringComparison.Ordinal)
            && l.Contains("lost its lease on the image directory after ", StringComparison.Ordinal) && l.Contains("ran nothing", StringComparison.Ordinal));
        Assert.DoesNotContain(first.Stderr, l => l.Contains(KeptLine, StringComparison.Ordinal));
        int runningAgain = Ticks(second).Count;
        second.WaitForLine(_ => Ticks(second).Count > runningAgain + 3, TimeSpan.FromSeconds(10));
        second.Signal(Native.SIGKILL);
    }

    [S3CriuFact]
    public void ASigtermWhileTheLeaseIsInDoubtCheckpointsOnceTheStoreAnswers()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("term-in-doubt", "leaseDuration: 4s\ncheckpointTimeout: 20s\ncheckpointBudget: 40s\n");
        using CrikRun pod = Start(config, proxy.Endpoint);
        string frozen = FrozenByAnOutage(pod, proxy);

        pod.Signal(Native.SIGTERM);
        pod.WaitForLine("SIGTERM while crik's lease is in doubt", TimeSpan.FromSeconds(10), stderr: true);
        Thread.Sleep(TimeSpan.FromSeconds(5));
        proxy.Fail(0, 503);

        Assert.Equal(0, pod.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Contains(pod.Stderr, l => l.Contains("Checkpoint 1 committed", StringComparison.Ordinal));
        List<long> ticks = Ticks(pod);
        string kept = pod.Stderr.Last(l => l.Contains(KeptLine, StringComparison.Ordinal));
        // Frozen until the lease was kept; then thawed only until the dump took it.
        Assert.True(!ticks.Any(t => t > At(frozen) + 100 && t < At(kept)), $"the app ran while the lease was in doubt\n{pod.Transcript}");
        Assert.True(ticks.Count(t => t > At(frozen) + 100) < 20, $"the app ran on after the SIGTERM\n{pod.Transcript}");
        Assert.True(At(kept) - At(frozen) >= 5000, pod.Transcript);
    }

    /// <summary>
    /// Frozen means frozen: a SIGCONT that reaches crik while the lease is in doubt is not forwarded, and one that another
    /// process of the pod sends the app's processes straight wakes them only until the watchdog's next look. Also with
    /// crik's threads started late and every /proc read late (Timing/TestDelay): the same outcome in any order.
    /// </summary>
    [S3CriuTheory]
    [InlineData("", "")]
    [InlineData("CRIK_TEST_THREAD_START_DELAY_MS", "300")]
    [InlineData("CRIK_TEST_PROC_READ_DELAY_MS", "5")]
    public void ASigcontToCrikOrToTheAppWhileTheLeaseIsInDoubtLeavesTheAppFrozen(string seam, string milliseconds)
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        string config = Config("cont-in-doubt" + (seam.Length > 0 ? "-" + seam.ToLowerInvariant() : ""), "leaseDuration: 4s\n");
        using CrikRun pod = Start(config, proxy.Endpoint, seam: seam.Length > 0 ? (seam, milliseconds) : null);
        FrozenByAnOutage(pod, proxy);
        Thread.Sleep(300); // the app's processes have taken their SIGSTOP
        int frozenAt = Ticks(pod).Count;

        pod.Signal(Native.SIGCONT);
        pod.WaitForLine("Did not forward SIGCONT to the app", TimeSpan.FromSeconds(10), stderr: true);
        Thread.Sleep(1500);
        Assert.True(Ticks(pod).Count == frozenAt, $"the app ran after crik was sent SIGCONT\n{pod.Transcript}");

        foreach (int pid in PodProcesses(pod).Skip(1))
        {
            _ = Native.TrySignal(pid, Native.SIGCONT); // one that ended since it was listed (a `date` of the loop) needs none
        }
        pod.WaitForLine("ran while it was frozen for the lease", TimeSpan.FromSeconds(10), stderr: true);
        Thread.Sleep(1500);
        // Woken, the app runs until the watchdog's next look, however long that takes (each /proc read late with the seam);
        // from the line that says the watchdog stopped it again, nothing of it runs: no `date` of the loop tells a later time.
        string stoppedAgain = pod.Stderr.First(l => l.Contains("ran while it was frozen for the lease", StringComparison.Ordinal));
        Assert.True(!Ticks(pod).Any(t => t > At(stoppedAgain)), $"the app ran on after the watchdog stopped it again\n{pod.Transcript}");
        // Each stopped, or exited (a `date` the loop had started ends, and waits as a zombie for its stopped shell), or bound
        // to stop (the shell waits in vfork for a child stopped before its exec: 'D', its SIGSTOP pending).
        Assert.All(ProcessTable.All().Where(e => PodProcesses(pod).Skip(1).Contains(e.Pid)),
            e => Assert.True(e.State is 'T' or 'Z' || (e.State == 'D' && ProcessTable.StopPending(e.Pid)), $"{e.Name} {e.Pid}: {e.State}\n{pod.Transcript}"));

        proxy.Fail(0, 503);
        pod.WaitForLine(KeptLine, TimeSpan.FromSeconds(15), stderr: true);
        pod.WaitForLine(_ => Ticks(pod).Count > frozenAt + 3, TimeSpan.FromSeconds(15));
        pod.Signal(Native.SIGKILL);
    }

    /// <summary>Once the app counts, the store answers 503 to everything until the app is frozen; the line that says so.</summary>
    private static string FrozenByAnOutage(CrikRun pod, FaultyProxy proxy)
    {
        pod.WaitForLine(_ => Ticks(pod).Count >= 3, TimeSpan.FromSeconds(60));
        int frozenBefore = pod.Stderr.Count(l => l.Contains(FrozenLine, StringComparison.Ordinal));
        proxy.Fail(int.MaxValue, 503);
        pod.WaitForLine(_ => pod.Stderr.Count(l => l.Contains(FrozenLine, StringComparison.Ordinal)) > frozenBefore, TimeSpan.FromSeconds(15), stderr: true);
        return pod.Stderr.Where(l => l.Contains(FrozenLine, StringComparison.Ordinal)).ElementAt(frozenBefore);
    }

    /// <summary>
    /// <paramref name="begin"/> sends the store away for <paramref name="lasting"/>: the app is frozen all that
    /// while; once <paramref name="end"/> brings the store back it is thawed and counts on from the next number,
    /// and a periodic checkpoint commits after.
    /// </summary>
    private static async Task WaitOutAsync(CrikRun pod, TimeSpan lasting, Action begin, Func<Task> end)
    {
        // A busy machine may have frozen the app for a moment before: this outage's lines are the ones after.
        int frozenBefore = pod.Stderr.Count(l => l.Contains(FrozenLine, StringComparison.Ordinal));
        begin();
        pod.WaitForLine(_ => pod.Stderr.Count(l => l.Contains(FrozenLine, StringComparison.Ordinal)) > frozenBefore, TimeSpan.FromSeconds(15), stderr: true);
        string frozen = pod.Stderr.Where(l => l.Contains(FrozenLine, StringComparison.Ordinal)).ElementAt(frozenBefore);
        await Task.Delay(lasting - TimeSpan.FromSeconds(3));
        int countedWhileFrozen = Ticks(pod).Count;
        int keptBefore = pod.Stderr.Count(l => l.Contains(KeptLine, StringComparison.Ordinal));
        await end();

        pod.WaitForLine(_ => pod.Stderr.Count(l => l.Contains(KeptLine, StringComparison.Ordinal)) > keptBefore, TimeSpan.FromSeconds(15), stderr: true);
        string kept = pod.Stderr.Where(l => l.Contains(KeptLine, StringComparison.Ordinal)).ElementAt(keptBefore);
        int committed = pod.Stderr.Count(l => l.Contains("committed in", StringComparison.Ordinal));
        pod.WaitForLine(_ => pod.Stderr.Count(l => l.Contains("committed in", StringComparison.Ordinal)) > committed, TimeSpan.FromSeconds(30), stderr: true);

        List<(int Number, long At)> counted = Counted(pod);
        (int Number, long At) last = counted.Last(c => c.At <= At(frozen) + 100);
        int next = counted.IndexOf(last) + 1;
        Assert.True(!counted.Any(c => c.At > At(frozen) + 100 && c.At < At(kept)), $"the app ran while the lease was in doubt\n{pod.Transcript}");
        Assert.True(countedWhileFrozen <= next + 1, $"the app counted on while frozen\n{pod.Transcript}");
        Assert.True(counted.Count > next && counted[next].Number == last.Number + 1,
            $"the app should count on from {last.Number} after the outage\n{pod.Transcript}");
        Assert.True(counted[next].At - last.At >= (lasting - TimeSpan.FromSeconds(5)).TotalMilliseconds, $"the app did not wait out the outage\n{pod.Transcript}");
    }

    /// <summary>When a log line was written, by its timestamp (the wall clock, as the app's ticks).</summary>
    private static long At(string logLine) =>
        CrikRun.LoggedAt(logLine).ToUnixTimeMilliseconds();

    /// <summary>Each "count N MILLISECONDS" line: its number and when it was printed.</summary>
    private static List<(int Number, long At)> Counted(CrikRun pod) =>
        pod.Stdout.Select(l => CountedLine().Match(l)).Where(m => m.Success)
            .Select(m => (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();

    [GeneratedRegex(@"^count (\d+) (\d+)$")]
    private static partial Regex CountedLine();
}
