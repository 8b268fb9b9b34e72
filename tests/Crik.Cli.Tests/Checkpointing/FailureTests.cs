using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Checkpointing;

/// <summary>Nothing is lost when things go wrong: no partial restore, no crash loop, the app keeps its SIGTERM.</summary>
public class FailureTests
{
    /// <summary>
    /// The node dies under crik while it dumps a restored app: nothing half-written is ever restored,
    /// and the generation it was restored from is not restored a second time (it was retired before
    /// CRIU restored it), so the next pod starts the app fresh.
    /// </summary>
    [CriuFact]
    public void ARestoredPodKilledDuringItsDumpLeavesNoHalfCheckpointAndTheNextPodResumesThePreviousOne()
    {
        using var pods = new Pods();
        string[] command = ["python3", Paths.App("big-memory.py"), "400"];
        using (CrikRun first = pods.Start(command))
        {
            first.WaitForLine("count 2", TimeSpan.FromSeconds(60));
            Pods.CheckpointAndStop(first);
        }
        // The dump is held before its commit, so that the node always dies under crik before it: a dump of pages the
        // restored app barely wrote can otherwise be done and committed before the kill lands.
        using (CrikRun second = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COMMIT_PAUSE_MS"] = "60000" }, command))
        {
            second.WaitForLine(_ => Pods.Counts(second).Count >= 3, TimeSpan.FromSeconds(60));
            second.WaitForLine("Restored checkpoint 1 ", stderr: true);
            second.Signal(Native.SIGTERM);
            second.WaitForLine("pausing 60000 ms at CRIK_TEST_COMMIT_PAUSE_MS", TimeSpan.FromSeconds(60), stderr: true);
            Assert.True(File.Exists(pods.Pack(2)), "the dump's chunks are in the image directory");
            second.Signal(Native.SIGKILL);
            second.WaitForExit();
        }
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        using CrikRun third = pods.Start(command);
        third.WaitForLine(_ => Pods.Counts(third).Count >= 1, TimeSpan.FromSeconds(60));
        Assert.True(Pods.Counts(third)[0] > 0, third.Transcript);
        Assert.Contains(third.Stderr, l => l.Contains("Found an unfinished checkpoint .staging-000002", StringComparison.Ordinal));
        third.WaitForLine("Resuming checkpoint 1 again", stderr: true);
        Assert.Contains(pods.SetAside(), d => Path.GetFileName(d).StartsWith("staging-000002", StringComparison.Ordinal));
        Assert.DoesNotContain(third.Stderr, l => l.Contains(" ERR ", StringComparison.Ordinal));
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void TruncatedImageIsSetAsideAndTheAppStartsFresh()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 5");
            Pods.CheckpointAndStop(first);
        }
        using (var stream = File.OpenWrite(pods.Pack(1)))
        {
            stream.SetLength(stream.Length / 2);
        }
        using CrikRun second = pods.Start("sh", "-c", Pods.Counter());
        second.WaitForLine("count 0");
        string warning = second.WaitForLine("cannot be restored", stderr: true);
        Assert.Contains("WRN", warning, StringComparison.Ordinal);
        Assert.Contains("of packs/000001.pack, which has", warning, StringComparison.Ordinal);
        string setAside = Assert.Single(pods.SetAside());
        Assert.Contains("packs/000001.pack", File.ReadAllText(Path.Combine(setAside, "SET-ASIDE-REASON.txt")), StringComparison.Ordinal);
        Assert.Empty(pods.Committed());
        // The next SIGTERM checkpoints as a new generation, not over the one set aside.
        Pods.CheckpointAndStop(second);
        Assert.Equal(["checkpoint-000002"], pods.Committed());
    }

    [CriuFact]
    public void DumpFailureLeavesTheAppRunningAndItGetsSigterm()
    {
        // CRIU cannot dump nested PID namespaces: a real dump failure.
        // "ready" comes from inside the nested namespace: it exists by the time the test sends SIGTERM.
        string script = "trap 'echo app-got-term; exit 7' TERM; unshare --pid --fork sh -c 'echo ready; exec sleep 600' & while :; do sleep 0.1; done";
        using var pods = new Pods();
        using CrikRun run = pods.Start("sh", "-c", script);
        run.WaitForLine("ready");
        run.Signal(Native.SIGTERM);
        run.WaitForLine("app-got-term");
        Assert.Equal(7, run.WaitForExit());
        string error = run.WaitForLine("Checkpoint 1 failed", stderr: true);
        Assert.Contains("Can't dump nested pid namespace", error, StringComparison.Ordinal);
        Assert.Contains($"CRIU log {pods.ImageDir}/logs/dump-000001.log", error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(pods.ImageDir, "logs", "dump-000001.log")));
        Assert.Empty(pods.Committed());
        Assert.Empty(Directory.GetDirectories(pods.ImageDir, ".staging-*"));
    }

    [CriuFact]
    public void DumpTimeoutResumesTheAppAndItGetsSigterm()
    {
        using var pods = new Pods("checkpointTimeout: 1ms\n");
        string script = $"trap 'echo app-got-term; exit 5' TERM; {Pods.Counter()}";
        using CrikRun run = pods.Start("sh", "-c", script);
        run.WaitForLine("count 1");
        pods.SigtermReachesTheAppWithoutACheckpoint(run, appExitCode: 5);
        Assert.Contains("did not finish within 0.001 s and was stopped", run.WaitForLine("Checkpoint 1 failed", stderr: true), StringComparison.Ordinal);
    }

    /// <summary>
    /// The dump's timeout comes while criu runs a syscall in the app on the way to putting its parasite in: the syscall and a
    /// trap written over the app's code, the app's registers set to run them. crik asks criu to stop, and criu (with crik's
    /// patch, criu-patches/0010) stops at its next safe step: the parasite out, the app running on, and the app gets its
    /// SIGTERM. Killed there, as crik did, criu left the app to run the syscall and the trap on its own, and it died of
    /// SIGTRAP. CRIU's fault injection 7, set for the dump alone, holds criu in that window until it is asked to stop.
    /// </summary>
    [CriuFact]
    public void ADumpStoppedAtItsTimeoutWhileCriuRunsASyscallInTheAppLeavesTheAppAlive()
    {
        using var pods = new Pods("checkpointTimeout: 3s\n");
        var path = pods.PathWithStandInCriu("[ \"$1\" = dump ] && export CRIU_FAULT=7");
        using CrikRun run = pods.StartWith(path, "sh", "-c", $"trap 'echo app-got-term; exit 5' TERM; {Pods.Counter()}");
        run.WaitForLine("count 1");
        pods.SigtermReachesTheAppWithoutACheckpoint(run, appExitCode: 5);
        Assert.Contains("did not finish within 3 s", run.WaitForLine("Checkpoint 1 failed", stderr: true), StringComparison.Ordinal);
        string log = File.ReadAllText(Path.Combine(pods.ImageDir, "logs", "dump-000001.log"));
        Assert.Contains("stalls at its injected syscall until SIGTERM", log, StringComparison.Ordinal);
        Assert.Contains("Stop requested (SIGTERM)", log, StringComparison.Ordinal);
    }

    /// <summary>
    /// A SIGTERM whose checkpoint failed goes to the app, which takes its time to end; a periodic checkpoint that comes due
    /// meanwhile starts nothing, and crik waits for the app's end idle, not waking again and again for that checkpoint's time
    /// (it did: a core busy for the app's whole shutdown).
    /// </summary>
    [CriuFact]
    public void AfterASigtermWhoseCheckpointFailedCrikWaitsIdleForTheAppsEnd()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        var path = pods.PathWithStandInCriu("[ \"$1\" = dump ] && exit 1");
        using CrikRun run = pods.StartWith(path, "sh", "-c", $"trap 'echo app-got-term; sleep 5; exit 5' TERM; {Pods.Counter()}");
        run.WaitForLine("count 1");
        run.Signal(Native.SIGTERM);
        run.WaitForLine("app-got-term");
        Thread.Sleep(TimeSpan.FromSeconds(1.5)); // past the time of the next periodic checkpoint
        double before = CpuSeconds(run.CrikPid);
        Thread.Sleep(TimeSpan.FromSeconds(2));
        double used = CpuSeconds(run.CrikPid) - before;
        Assert.True(used < 0.5, $"crik used {used:0.00} s of CPU in 2 s while it waited for the app's end\n{run.Transcript}");
        Assert.Equal(5, run.WaitForExit());
        Assert.Empty(pods.Committed());
    }

    /// <summary>The CPU time of every thread of <paramref name="pid"/> so far: utime and stime, fields 14 and 15 of its stat.</summary>
    private static double CpuSeconds(int pid)
    {
        string[] fields = Crik.Cli.Processes.ProcFiles.StatFields(pid);
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
            + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0; // USER_HZ is 100 on Linux
    }

    /// <summary>
    /// criu said its dump was done (criu-patches/0014), so crik let the app go, and then criu ended with a failure: the
    /// checkpoint is not committed, the app runs on as after any failed periodic checkpoint (never stopped again, nor
    /// signalled twice), and the next checkpoint, with criu as it is, is committed.
    /// </summary>
    [CriuFact]
    public void ACriuThatFailsAfterSayingItsDumpIsDoneLeavesTheAppRunningAndTheNextCheckpointIsTaken()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        string failedOnce = Path.Combine(pods.Root, "failed-once");
        var path = pods.PathWithStandInCriu($"if [ \"$1\" = dump ] && [ ! -e {failedOnce} ]; then {Prerequisites.FindOnPath("criu")} \"$@\"; "
            + $"touch {failedOnce}; exit 1; fi");
        using CrikRun pod = pods.StartWith(path, "sh", "-c", Pods.Counter());
        string failed = pod.WaitForLine("Checkpoint 1 failed", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Contains("criu ended with exit code 1", failed, StringComparison.Ordinal);
        Assert.Contains("the app keeps running", failed, StringComparison.Ordinal);
        int atFailure = Pods.Counts(pod).Last();
        pod.WaitForLine(_ => Pods.Counts(pod).Last() >= atFailure + 3, TimeSpan.FromSeconds(20));
        pod.WaitForLine("Checkpoint 1 committed", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Single(pods.Committed());
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("SIGTERM", StringComparison.Ordinal) || l.Contains(" ERR ", StringComparison.Ordinal) && l != failed);
        pod.Signal(Native.SIGKILL);
        pod.WaitForExit();
    }

    /// <summary>
    /// criu is killed at the dump's timeout while a child it forked lives (one of its kernel probes forks a child that
    /// sleeps until criu kills it): the kill takes the child too, so nothing holds the image streamer's connection open
    /// and the dump fails at once, not 10 s later, and no process of criu's lives on in the pod. The criu here runs the
    /// real one for everything but the dump, which is a stand-in caught in that probe (Apps/criu-dump-with-probe-child.py).
    /// </summary>
    [CriuFact]
    public void ADumpKilledAtItsTimeoutTakesCriusChildrenWithIt()
    {
        using var pods = new Pods("checkpointTimeout: 2s\n");
        string held = Path.Combine(pods.Root, "probe-child.lock");
        var path = pods.PathWithStandInCriu($"[ \"$1\" = dump ] && exec python3 {Paths.App("criu-dump-with-probe-child.py")} {held} \"$@\"");
        using CrikRun run = pods.StartWith(path, "sh", "-c", $"trap 'echo app-got-term' TERM; {Pods.Counter()}");
        run.WaitForLine("count 1");
        run.Signal(Native.SIGTERM);
        string error = run.WaitForLine("Checkpoint 1 failed", stderr: true);
        Assert.Contains("did not finish within 2 s", error, StringComparison.Ordinal);
        Assert.DoesNotContain("still open", error, StringComparison.Ordinal);
        run.WaitForLine("app-got-term");
        Assert.True(File.Exists(held), "the stand-in for criu never forked");
        // The probe's child holds a lock on this file until it dies; SIGKILL ends it, but not within the kill() call.
        Assert.True(SpinWait.SpinUntil(() => FileLocks.CanLock(held), TimeSpan.FromSeconds(10)), "criu's child outlived it");
        int counted = run.Stdout.Count;
        run.WaitForLine(_ => run.Stdout.Count > counted + 1);
        run.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ACriuThatNeverAnswersItsVersionDoesNotHoldTheCheckpoint()
    {
        using var pods = new Pods();
        string held = Path.Combine(pods.Root, "version-child.lock");
        // `criu --version` forks a child that holds a lock for good, then hangs.
        var path = pods.PathWithStandInCriu($"[ \"$1\" = --version ] && {{ flock {held} sleep 1000 & exec sleep 1000; }}");
        using CrikRun run = pods.StartWith(path, "sh", "-c", Pods.Counter());
        run.WaitForLine("count 1");
        Pods.CheckpointAndStop(run);
        string manifest = File.ReadAllText(Path.Combine(pods.ImageDir, "checkpoint-000001", "manifest.json"));
        Assert.Contains("\"unknown\"", manifest, StringComparison.Ordinal);
        Assert.Contains(run.Stderr, l => l.Contains("criu --version did not answer within 10 s and was killed: crik counts CRIU's version as unknown",
            StringComparison.Ordinal));
        Assert.True(File.Exists(held), "the stand-in for criu never forked");
        Assert.True(SpinWait.SpinUntil(() => FileLocks.CanLock(held), TimeSpan.FromSeconds(10)), "criu's child outlived it");
    }

    [CriuFact]
    public void MissingCriuStartsTheAppFreshAndKeepsTheCheckpoint()
    {
        using var pods = new Pods();
        using (CrikRun first = pods.Start("sh", "-c", Pods.Counter()))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        // An image without CRIU: criu lives in /usr/local/sbin here.
        var withoutCriu = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" };
        using CrikRun second = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", "sh", "-c", Pods.Counter()], environment: withoutCriu);
        second.WaitForLine("count 0");
        Assert.Contains("command not found: criu", second.WaitForLine("Cannot run criu to restore checkpoint 1", stderr: true), StringComparison.Ordinal);
        Assert.Equal(["checkpoint-000001"], pods.Committed());
        Assert.Empty(pods.SetAside());
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void FailedRestoreSetsTheCheckpointAsideAndStartsFresh()
    {
        using var pods = new Pods();
        string script = CheckpointAnAppHoldingAFileThatThenDisappears(pods);
        using CrikRun second = pods.Start("sh", "-c", script);
        second.WaitForLine("count 0");
        string error = second.WaitForLine("restoring checkpoint 1 failed", stderr: true);
        Assert.Contains("onRestoreFailure: fresh", error, StringComparison.Ordinal);
        Assert.Single(pods.SetAside());
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(pods.ImageDir, "logs"), "restore-000001-*.log"));
        second.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void FailedRestoreWithPolicyFailExitsNonZeroOnceAndThenStartsFresh()
    {
        using var pods = new Pods("onRestoreFailure: fail\n");
        string script = CheckpointAnAppHoldingAFileThatThenDisappears(pods);
        using (CrikRun second = pods.Start("sh", "-c", script))
        {
            Assert.Equal(125, second.WaitForExit());
            Assert.Contains("onRestoreFailure: fail", second.WaitForLine("restoring checkpoint 1 failed", stderr: true), StringComparison.Ordinal);
            Assert.Empty(second.Stdout);
        }
        // The restarted container does not fail again: the checkpoint was set aside, not retried.
        using CrikRun third = pods.Start("sh", "-c", script);
        third.WaitForLine("count 0");
        Assert.Single(pods.SetAside());
        third.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// Checkpoints an app that holds a file open, then deletes the file (it is not in additionalPaths),
    /// so CRIU cannot restore the checkpoint. Returns the app's script, which also runs without the file.
    /// </summary>
    private static string CheckpointAnAppHoldingAFileThatThenDisappears(Pods pods)
    {
        string held = Path.Combine(pods.Root, "held.txt");
        File.WriteAllText(held, "x");
        string script = $"if [ -e {held} ]; then exec 3<{held}; fi; {Pods.Counter()}";
        using (CrikRun first = pods.Start("sh", "-c", script))
        {
            first.WaitForLine("count 2");
            Pods.CheckpointAndStop(first);
        }
        File.Delete(held);
        return script;
    }
}
