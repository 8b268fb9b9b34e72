using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// Every restore, every time: an app that makes threads and children after each restore is restored by every next
/// pod, and counts on each time. A restore gives the app its old IDs without moving the PID namespace's counter, so
/// crik moves it past them: what the app makes afterwards gets IDs above 9000, never among the low ones crik's own
/// threads take in the next pod; and a checkpoint whose IDs are low already (taken after a restore by a crik that
/// left the counter low) restores too.
/// </summary>
public class RestoreAgainTests
{
    [CriuTheory]
    [InlineData("lazyRestore: off\n")]
    [InlineData("lazyRestore: on\n")]
    public void AnAppThatMakesThreadsAndChildrenAfterEachRestoreIsRestoredByTenPodsInARow(string config)
    {
        using var pods = new Pods(config);
        CountOnAcrossPods(pods, 10, ["python3", Paths.App("growing-tree.py")], checkpoint =>
        {
            // Threads of its own that crik holds in the next pod have low IDs: the app's are all above 9000.
            List<int> ids = Ids(pods, checkpoint);
            Assert.True(ids.Min() >= 9000, $"checkpoint {checkpoint} holds IDs {string.Join(", ", ids.Where(id => id < 9000))}");
        });
    }

    /// <summary>As in a container that is not privileged: ns_last_pid cannot be written, and crik uses up the IDs below the app's instead.</summary>
    [CriuFact]
    public void WithAReadOnlyProcSysWhatTheAppMakesAfterEachRestoreStillGetsHighIds()
    {
        using var pods = new Pods();
        CountOnAcrossPods(pods, 3, ["python3", Paths.App("growing-tree.py")], checkpoint =>
            Assert.True(Ids(pods, checkpoint).Min() >= 9000, $"checkpoint {checkpoint} holds IDs below 9000"),
            insideNamespaces: "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys");
    }

    [CriuFact]
    public void ACheckpointWhoseAppHasLowIdsIsRestoredAndWhatTheAppMakesAfterGetsHighOnes()
    {
        using var pods = new Pods();
        // Its threads from ID 61: above crik's own at its start, among those crik's restore would take before CRIU ran.
        CountOnAcrossPods(pods, 3, ["python3", Paths.App("growing-tree.py"), "60"], checkpoint =>
        {
            List<int> ids = Ids(pods, checkpoint);
            if (checkpoint == 1)
            {
                Assert.Contains(ids, id => id is > 60 and < 400);
            }
            else
            {
                Assert.DoesNotContain(ids, id => id > 400 && id < 9000);
            }
        });
    }

    /// <summary>
    /// A checkpoint taken after the PID namespace's counter wrapped around pid_max: the app holds IDs just below pid_max and from
    /// 300 up. Moved past the highest, the counter wrapped to 300 and crik's own threads took the app's IDs there before CRIU
    /// could ("Can't fork for 313: File exists"): the app started fresh, and its checkpoint was deleted later.
    /// </summary>
    [CriuFact]
    public void ACheckpointTakenAfterItsIdsWrappedAroundPidMaxIsRestoredByEveryNextPod()
    {
        using var pods = new Pods();
        CountOnAcrossPods(pods, 3, ["python3", Paths.App("growing-tree.py"), "4194290"], checkpoint =>
        {
            if (checkpoint == 1)
            {
                List<int> ids = Ids(pods, checkpoint);
                Assert.Contains(ids, id => id > 4194290);
                Assert.Contains(ids, id => id is >= 300 and < 400);
            }
        });
    }

    [CriuFact]
    public void ACheckpointWhoseIdsCriksOwnThreadsHoldIsRestoredByACrikThatStartsItsProgramAgain()
    {
        using var pods = new Pods();
        string[] app = ["python3", Paths.App("growing-tree.py"), "300"];
        int last = CheckpointFirstPod(pods, app);
        Assert.Contains(Ids(pods, 1), id => id is 301 or 302);
        // crik's own threads in this pod take IDs from 300 on: the ones the app's threads had.
        using CrikRun second = pods.StartInside("echo 299 > /proc/sys/kernel/ns_last_pid", new Dictionary<string, string>(), app);
        second.WaitForLine("crik starts its own program again", stderr: true);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        second.WaitForLine(_ => Pods.Counts(second).Count >= 5, TimeSpan.FromSeconds(60));
        Assert.Equal(last + 1, Pods.Counts(second)[0]);
        Assert.Equal(1, second.Stderr.Count(l => l.Contains("crik starts its own program again", StringComparison.Ordinal)));
        Assert.DoesNotContain(second.Stderr, l => l.Contains("set aside", StringComparison.Ordinal) || l.Contains("Started python3", StringComparison.Ordinal));
        Pods.CheckpointAndStop(second);
    }

    /// <summary>
    /// A SIGTERM sent while crik starts its program again, after it took the signals it had received, reaches one of crik's
    /// other threads: crik holds it for the new program, which restores the app, checkpoints it and stops.
    /// </summary>
    [CriuFact]
    public void ASigtermSentAsCrikStartsItsProgramAgainCheckpointsTheRestoredApp()
    {
        using var pods = new Pods();
        string[] app = ["python3", Paths.App("growing-tree.py"), "300"];
        CheckpointFirstPod(pods, app);
        const string pause = "CRIK_TEST_SELF_EXEC_PAUSE_MS";
        using CrikRun second = pods.StartInside("echo 299 > /proc/sys/kernel/ns_last_pid", new Dictionary<string, string> { [pause] = "3000" }, app);
        second.WaitForLine($"pausing 3000 ms at {pause}", stderr: true);
        second.Signal(Native.SIGTERM);
        int code = second.WaitForExit(TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"crik should exit 0 after a checkpoint, got {code}\n{second.Transcript}");
        Assert.Contains(second.Stderr, l => l.Contains("Restored checkpoint 1 ", StringComparison.Ordinal));
        Assert.Contains("checkpoint-000002", pods.Committed());
        Assert.DoesNotContain(second.Stderr, l => l.Contains("Started python3", StringComparison.Ordinal));
    }

    /// <summary>
    /// A process below crik that holds one of the app's IDs when the restore looks, not crik's child but its child's (as a
    /// child of CRIU's kernel probes is, which crik runs as it starts), ends by itself: the restore waits for it and
    /// restores the checkpoint, never starting the app fresh beside it.
    /// </summary>
    [CriuFact]
    public void ACheckpointWhoseIdAGrandchildOfCrikHoldsIsRestoredOnceThatProcessEnds()
    {
        using var pods = new Pods();
        string[] app = ["python3", Paths.App("growing-tree.py"), "300"];
        int last = CheckpointFirstPod(pods, app);
        Assert.Contains(Ids(pods, 1), id => id == 306);
        // crik's child takes ID 250, none of the app's; its child takes 306, one of the app's, and lives 3 s. crik's own
        // threads then take low IDs again.
        const string counter = "/proc/sys/kernel/ns_last_pid";
        string holder = Path.Combine(pods.Root, "holder");
        using CrikRun second = pods.StartInside(
            $"echo 249 > {counter}; ( echo 305 > {counter}; /bin/sleep 3 & echo $! > {holder}; exec /bin/sleep 4 ) & "
            + $"until [ -s {holder} ]; do :; done; echo 10 > {counter}", new Dictionary<string, string>(), app);
        second.WaitForLine("Restored checkpoint 1 ", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Equal("306", File.ReadAllText(holder).Trim());
        Assert.Contains(second.Stderr, l => l.Contains("for processes of crik's own to free IDs the app needs", StringComparison.Ordinal));
        second.WaitForLine(_ => Pods.Counts(second).Count >= 5, TimeSpan.FromSeconds(60));
        Assert.Equal(last + 1, Pods.Counts(second)[0]);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("set aside", StringComparison.Ordinal) || l.Contains("Started python3", StringComparison.Ordinal));
        Pods.CheckpointAndStop(second);
    }

    /// <summary>Checkpoints a first pod of <paramref name="app"/> after 20 counts and stops it; returns its last count.</summary>
    private static int CheckpointFirstPod(Pods pods, string[] app)
    {
        using CrikRun first = pods.Start(app);
        first.WaitForLine(_ => Pods.Counts(first).Count >= 20, TimeSpan.FromSeconds(60));
        Pods.CheckpointAndStop(first);
        return Pods.Counts(first).Last();
    }

    /// <summary>Runs <paramref name="count"/> pods in a row, each counting on from where the last one stopped.</summary>
    /// <param name="checkpointed">Told each checkpoint's generation once its pod has stopped.</param>
    /// <param name="insideNamespaces">A shell command each pod runs in its namespaces before crik, or null.</param>
    private static void CountOnAcrossPods(Pods pods, int count, string[] app, Action<int> checkpointed, string? insideNamespaces = null)
    {
        int last = -1;
        for (int pod = 1; pod <= count; pod++)
        {
            using CrikRun run = insideNamespaces is null ? pods.Start(app) : pods.StartInside(insideNamespaces, new Dictionary<string, string>(), app);
            // 60 counts (3 s): 60 new threads and three children in this pod, whatever the restore took.
            int from = last;
            run.WaitForLine(_ => Pods.Counts(run).Count(n => n > from) >= 60, TimeSpan.FromSeconds(60));
            List<int> counts = Pods.Counts(run);
            Assert.True(counts[0] == last + 1, $"pod {pod} should go on from {last}, printed {counts[0]}..{counts[^1]}\n{run.Transcript}");
            if (pod > 1)
            {
                Assert.Contains(run.Stderr, l => l.Contains($"Restored checkpoint {pod - 1} ", StringComparison.Ordinal));
            }
            Pods.CheckpointAndStop(run);
            last = Pods.Counts(run).Last();
            checkpointed(pod);
        }
    }

    private static List<int> Ids(Pods pods, int generation) =>
        pods.Manifest($"checkpoint-{generation:D6}")["treePids"]!.AsArray().Select(id => (int)id!).ToList();
}
