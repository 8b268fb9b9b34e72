using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.LazyPages;

/// <summary>
/// lazyRestore: the restored app runs before its memory has all arrived, and it is the same app:
/// every page it reads is the page it had, in the parent and in children it forks while pages still
/// arrive, across several pods, and no checkpoint loses a page that had not arrived yet. What the app
/// touched first after one lazy restore is filled first by the next.
/// </summary>
public class LazyRestoreTests
{
    private static string[] Forking(int mib) => ["python3", Paths.App("forking-memory.py"), mib.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    [CriuFact]
    public void AnAppRestoredLazilyAcrossThreePodsKeepsEveryPageAndItsForksSeeThemToo()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun first = Counting(pods, 64))
        {
            Pods.CheckpointAndStopBetweenForks(first);
        }
        for (int pod = 2; pod <= 3; pod++)
        {
            using CrikRun next = pods.Start(Forking(64));
            string restored = next.WaitForLine($"Restored checkpoint {pod - 1} ", stderr: true);
            Assert.Contains(", lazily (", restored, StringComparison.Ordinal);
            string allIn = next.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
            Assert.Matches(@"copied in; the app waited for a page \d+ times; \d+ threads read and checked chunks for \d+\.\d\d s, and copied them in for \d+\.\d\d s", allIn);
            if (pod == 3)
            {
                // The pages pod 2's app touched first were kept with checkpoint 2, and this restore filled them before the rest,
                // then its smaller areas within the budget left (pages copied before the app asks never make the list).
                Assert.NotEmpty(pods.Manifest("checkpoint-000002")["firstTouched"]!.AsArray());
                Assert.Matches(@"; the [\d.]+ [KM]iB it touched first after its last restore and the [\d.]+ [KM]iB of its smaller memory areas filled first", restored);
            }
            else
            {
                Assert.Equal(Environment.SystemPageSize, (int)pods.Manifest()["host"]!["pageSize"]!); // a lazy restore elsewhere checks it
                Assert.Null(pods.Manifest()["firstTouched"]); // a fresh app's first touches are not known
                // Nor, for a first checkpoint, what it wrote last: its smaller areas come first (the interpreter's heap and stacks, not its 64 MiB).
                System.Text.RegularExpressions.Match small = System.Text.RegularExpressions.Regex.Match(restored, @"; the ([\d.]+) ([KM])iB of its smaller memory areas filled first");
                Assert.True(small.Success, restored);
                Assert.True(small.Groups[2].Value == "K" || double.Parse(small.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 32, restored);
            }
            int from = next.Stdout.Count;
            next.WaitForLine(_ => next.Stdout.Skip(from).Count(l => l == "child intact yes") >= 2, TimeSpan.FromSeconds(60));
            Assert.DoesNotContain(next.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Assert.True(Pods.Counts(next)[0] > 0, next.Transcript);
            Pods.CheckpointAndStopBetweenForks(next);
        }
    }

    [CriuFact]
    public void WithNoFirstTouchesKnownTheSmallerAreasAndTheMemoryWrittenSinceThePreviousCheckpointAreFilledFirst()
    {
        using var pods = new Pods("lazyRestore: on\n");
        using (CrikRun first = Counting(pods, 64))
        {
            Pods.WaitBetweenForks(first);
            (int code, string output, string error) = CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = first.ControlSocket });
            Assert.True(code == 0, $"{output}{error}\n{first.Transcript}");
            int atCheckpoint = Pods.Counts(first).Count;
            first.WaitForLine(_ => Pods.Counts(first).Count >= atCheckpoint + 2); // the app writes on after checkpoint 1
            Pods.CheckpointAndStopBetweenForks(first);
        }
        Assert.Null(pods.Manifest("checkpoint-000002")["firstTouched"]);
        using CrikRun second = pods.Start(Forking(64));
        string restored = second.WaitForLine("Restored checkpoint 2 ", stderr: true);
        // The smaller areas come first, then, within the budget left, what the app wrote that they did not hold (here the
        // interpreter's heap held all of it, some rounds).
        System.Text.RegularExpressions.Match readFirst = System.Text.RegularExpressions.Regex.Match(restored,
            @"; the ([\d.]+) ([KM])iB (it wrote since the previous checkpoint( and the [\d.]+ [KM]iB of its smaller memory areas)?|of its smaller memory areas) filled first");
        Assert.True(readFirst.Success, second.Transcript);
        // Most of the app's memory (its 64 MiB of random bytes) did not change, was reused, and is not filled first.
        Assert.True(readFirst.Groups[2].Value == "K" || double.Parse(readFirst.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < 32, restored);
        second.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(60), stderr: true);
        int from = second.Stdout.Count;
        second.WaitForLine(_ => second.Stdout.Skip(from).Count(l => l == "child intact yes") >= 2, TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(second.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ASigtermWhileMemoryStillArrivesDoesNotWaitForItAndTheCheckpointHasEveryPage()
    {
        using Pods pods = Checkpointed(384, "checkpointBudget: 150s\ncheckpointTimeout: 60s\n");
        using (CrikRun second = pods.Start(Forking(384)))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            // At once: the memory is still on its way in (hundreds of MiB take seconds here).
            second.Signal(Native.SIGTERM);
            Assert.True(second.WaitForExit(TimeSpan.FromSeconds(180)) == 0, second.Transcript);
            List<string> log = second.Stderr.ToList();
            int committed = log.FindIndex(l => l.Contains("Checkpoint 2 committed", StringComparison.Ordinal));
            // The pages crik had not filled come from checkpoint 1's chunks; only something that stands in the way (a
            // child the app forked a moment before, still missing memory) makes the checkpoint wait as before, saying why.
            int asItIs = log.FindIndex(l => l.Contains("as checkpoint 1 has it is taken from that checkpoint's chunks", StringComparison.Ordinal));
            int waited = log.FindIndex(l => l.Contains("cannot take it as it is: ", StringComparison.Ordinal));
            int allIn = log.FindIndex(l => l.Contains("the app's memory is all in", StringComparison.Ordinal));
            Assert.True(committed >= 0 && ((asItIs >= 0 && asItIs < committed && allIn < 0) || (waited >= 0 && allIn >= 0 && allIn < committed)), second.Transcript);
        }
        using CrikRun third = pods.Start(Forking(384));
        third.WaitForLine("Restored checkpoint 2 ", stderr: true);
        int from = third.Stdout.Count;
        third.WaitForLine(_ => third.Stdout.Skip(from).Any(l => l == "intact yes"), TimeSpan.FromSeconds(90));
        Assert.DoesNotContain(third.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void AChunkThatFailsWhileMemoryArrivesKillsTheAppWithAClearLineAndTheNextPodRestoresEagerly()
    {
        using Pods pods = Checkpointed(64);
        pods.DamageAChunkInTheMiddle();
        using (CrikRun second = pods.Start(Forking(64)))
        {
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            Assert.Equal(125, second.WaitForExit(TimeSpan.FromSeconds(60)));
            string line = Assert.Single(second.Stderr, l => l.Contains("the app's memory could not all be brought in", StringComparison.Ordinal));
            Assert.Contains("crik killed the app before it could read a page that never arrived", line, StringComparison.Ordinal);
            Assert.DoesNotContain(second.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Assert.Equal(["checkpoint-000001"], pods.Committed());
        }
        using CrikRun third = pods.Start(Forking(64));
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1, TimeSpan.FromSeconds(60));
        Assert.Contains(third.Stderr, l => l.Contains("not lazily: an earlier lazy restore of it could not bring all its memory in", StringComparison.Ordinal));
        Assert.Equal(0, Pods.Counts(third)[0]); // the damaged generation is set aside: the app starts fresh
        Assert.Single(pods.SetAside());
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhileCrikIsHeldStillAtAnyStageOfALazyRestoreTheAppWaitsForItsPagesAndNeverReadsZeros()
    {
        using Pods pods = Checkpointed(384);
        // Held as CRIU starts restoring (crik listens, nothing handed over yet), as the app runs again
        // (its memory handed over, hardly any of it in), and while the memory arrives.
        foreach (string stage in new[] { "Restoring checkpoint 1 ", "Restored checkpoint 1 ", "memory arrives" })
        {
            // While memory arrives the fill pauses before each chunk, so that most of it is still to come when crik is held.
            using CrikRun next = stage == "memory arrives"
                ? pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_FILL_PACE_MS"] = "20" }, Forking(384))
                : pods.Start(Forking(384));
            next.WaitForLine(stage == "memory arrives" ? "Restored checkpoint 1 " : stage, stderr: true);
            if (stage == "memory arrives")
            {
                Thread.Sleep(100);
            }
            Native.TrySignal(next.CrikPid, Native.SIGSTOP);
            // With nobody to fill its pages the kernel would give it zeros, and this Python dies of its own zeroed heap.
            // It waits at the first page it touches that is not in yet: at once, or at its next hash of all of its
            // memory (within 2 s). Held as CRIU starts restoring, there is no app yet: crik is held for 2 s.
            List<string> waits = WaitsWhileHeld(next, stage == "Restoring checkpoint 1 " ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(20));
            Native.TrySignal(next.CrikPid, Native.SIGCONT);
            string allIn = next.WaitForLine("the app's memory is all in", TimeSpan.FromSeconds(90), stderr: true);
            int from = next.Stdout.Count;
            next.WaitForLine(_ => next.Stdout.Skip(from).Any(l => l == "child intact yes"), TimeSpan.FromSeconds(60));
            Assert.DoesNotContain(next.Stdout, l => l.EndsWith("intact no", StringComparison.Ordinal));
            Assert.True(stage == "Restoring checkpoint 1 " || waits.Any(WaitsForAPage),
                $"held at \"{stage}\", the app should have waited for its pages: {string.Join(", ", waits)}\n{next.Transcript}");
            next.Signal(Native.SIGKILL);
            next.WaitForExit(TimeSpan.FromSeconds(30));
        }
    }

    [CriuFact]
    public void AnAppKilledWhileItsMemoryArrivesEndsThePodAtOnceAndItsCheckpointStays()
    {
        using Pods pods = Checkpointed(384);
        using CrikRun second = pods.Start(Forking(384));
        second.WaitForLine("Restored checkpoint 1 ", stderr: true);
        ProcessTable.Entry app = Assert.Single(ProcessTable.ChildrenOf(second.CrikPid), e => e.Name == "python3");
        Native.TrySignal(app.Pid, Native.SIGKILL);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(137, second.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"crik took {clock.Elapsed.TotalSeconds:0.0} s to see that the app ended\n{second.Transcript}");
        Assert.DoesNotContain(second.Stderr, l => l.Contains("could not all be brought in", StringComparison.Ordinal));
        Assert.Equal(["checkpoint-000001"], pods.Committed());
    }

    /// <summary>A first pod whose app has its memory and counts.</summary>
    private static CrikRun Counting(Pods pods, int mib)
    {
        CrikRun first = pods.Start(Forking(mib));
        try
        {
            first.WaitForLine($"allocated {mib}", TimeSpan.FromSeconds(60));
            first.WaitForLine(_ => Pods.Counts(first).Count >= 2);
            return first;
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    /// <summary>Pods that restore lazily, and a first one that started the app and checkpointed it.</summary>
    private static Pods Checkpointed(int mib, string extraConfig = "")
    {
        var pods = new Pods("lazyRestore: on\n" + extraConfig);
        using CrikRun first = pods.Start(Forking(mib));
        first.WaitForLine($"allocated {mib}", TimeSpan.FromSeconds(90));
        Pods.CheckpointAndStopBetweenForks(first);
        return pods;
    }

    /// <summary>
    /// What each process of the app waits on ("PID STATE WCHAN"), looked at until one waits for a page or
    /// <paramref name="atMost"/> has passed.
    /// </summary>
    private static List<string> WaitsWhileHeld(CrikRun run, TimeSpan atMost)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            List<string> waits = ProcessTable.ChildrenOf(run.CrikPid).Where(p => p.Name == "python3")
                .SelectMany(p => (List<ProcessTable.Entry>)[p, .. ProcessTable.ChildrenOf(p.Pid)]).Select(p => $"{p.Pid} {p.State} {WaitChannel(p.Pid)}").ToList();
            if (waits.Any(WaitsForAPage) || clock.Elapsed >= atMost)
            {
                return waits;
            }
            Thread.Sleep(100);
        }
    }

    private static bool WaitsForAPage(string wait) =>
        wait.EndsWith(" handle_userfault", StringComparison.Ordinal) || wait.EndsWith(" userfaultfd_event_wait_completion", StringComparison.Ordinal);

    private static string WaitChannel(int pid) => ProcFile(pid, "wchan");

    private static string ProcFile(int pid, string name)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/{name}");
        }
        catch (IOException)
        {
            return "gone";
        }
    }
}
