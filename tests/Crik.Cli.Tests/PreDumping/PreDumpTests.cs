using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.PreDumping;

/// <summary>
/// preDumpInterval: where the kernel tracks dirty memory, crik pre-dumps the running app and a
/// checkpoint dumps only what changed since, into files it then makes whole and stores as chunks.
/// </summary>
public class PreDumpTests
{
    private static readonly string[] App = ["python3", Paths.App("chunky-memory.py"), "48"];

    /// <summary>The test mode that pre-dumps with whole dumps, for kernels without dirty-memory tracking.</summary>
    private static readonly Dictionary<string, string> WithoutTracking = new() { ["CRIK_TEST_PRE_DUMP_WITHOUT_DIRTY_TRACKING"] = "1" };

    private static bool KernelTracksDirtyMemory => HostCommand.Run("criu", "check", "--feature", "mem_dirty_track").ExitCode == 0;

    [CriuFact]
    public void WithoutDirtyTrackingCrikSaysSoOnceAndCheckpointsAsBefore()
    {
        using var pods = new Pods("preDumpInterval: 1s\n");
        using CrikRun pod = pods.Start("sh", "-c", Pods.Counter());
        pod.WaitForLine("count 3");
        if (KernelTracksDirtyMemory)
        {
            pod.WaitForLine("Pre-dumped the app", stderr: true);
            Pods.CheckpointAndStop(pod);
            return;
        }
        Thread.Sleep(2500); // past two pre-dump intervals
        string said = Assert.Single(pod.Stderr, l => l.Contains("preDumpInterval is set", StringComparison.Ordinal));
        Assert.Contains("does not track dirty memory", said, StringComparison.Ordinal);
        Assert.Contains("CONFIG_MEM_SOFT_DIRTY", said, StringComparison.Ordinal);
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Pre-dump", StringComparison.Ordinal));
        Pods.CheckpointAndStop(pod);
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("on top of", StringComparison.Ordinal));
        using CrikRun next = pods.Start("sh", "-c", Pods.Counter());
        next.WaitForLine("Restored checkpoint", stderr: true);
        next.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void ACheckpointOnTopOfPreDumpsIsMadeWholeAndRestoresAcrossThreePods()
    {
        // The SIGTERM after the second pre-dump must come before a third begins: a pre-dump it stops drops the chain.
        using var pods = new Pods("preDumpInterval: 2s\ncheckpointTimeout: 60s\n");
        using (CrikRun first = pods.StartWith(WithoutTracking, App))
        {
            first.WaitForLine("allocated 48", TimeSpan.FromSeconds(60));
            int from = first.Stderr.Count;
            first.WaitForLine(_ => first.Stderr.Skip(from).Count(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)) >= 2,
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(first);
            Assert.Contains(first.Stderr, l => l.Contains("pre-dumps", StringComparison.Ordinal) && l.Contains("Checkpointing the app", StringComparison.Ordinal));
        }
        // What is stored needs nothing of the node it was taken on: the pre-dumps are gone with the pod.
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "crik-pre-dumps-*"));
        long imageBytes = (long)pods.Manifest(pods.Committed().Last())["imageBytes"]!;
        Assert.True(imageBytes > 48 << 20, $"{imageBytes} bytes of images: the dump's pages were not made whole");

        using (CrikRun second = pods.StartWith(WithoutTracking, App))
        {
            second.WaitForLine("Restored checkpoint", stderr: true);
            Pods.AppIsWhole(second);
            // A restored app is pre-dumped and checkpointed on top of its pre-dumps again.
            int from = second.Stderr.Count;
            second.WaitForLine(_ => second.Stderr.Skip(from).Any(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(second);
        }
        using CrikRun third = pods.StartWith(WithoutTracking, App);
        third.WaitForLine("Restored checkpoint", stderr: true);
        Pods.AppIsWhole(third);
        third.Signal(Native.SIGKILL);
    }

    [CriuFact]
    public void WhenTheNodeHasNoRoomLeftForTheDumpOnPreDumpsTheSigtermCheckpointIsStreamedInstead()
    {
        // Five seconds from the first pre-dump for the filler and the SIGTERM, before a second could start (and fail for want of room).
        using var pods = new Pods("preDumpInterval: 5s\ncheckpointTimeout: 60s\n");
        string tmp = Path.Combine(pods.Root, "tmp");
        string disk = Path.Combine(pods.Root, "tmp.ext4");
        Directory.CreateDirectory(tmp);
        // A small disk of its own (not a tmpfs: crik refuses to pre-dump into memory).
        HostCommand.MustRun("truncate", "-s", "160M", disk);
        HostCommand.MustRun("mkfs.ext4", "-q", disk);
        HostCommand.MustRun("mount", "-o", "loop", disk, tmp);
        try
        {
            var environment = new Dictionary<string, string>(WithoutTracking) { ["TMPDIR"] = tmp };
            using (CrikRun first = pods.StartWith(environment, App))
            {
                first.WaitForLine("allocated 48", TimeSpan.FromSeconds(60));
                int from = first.Stderr.Count;
                first.WaitForLine(_ => first.Stderr.Skip(from).Any(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)),
                    TimeSpan.FromSeconds(60), stderr: true);
                // Another tenant of the node's disk takes what is left, before the next pre-dump.
                HostCommand.Run("dd", "if=/dev/zero", $"of={tmp}/filler", "bs=1M", "count=200");
                Pods.CheckpointAndStop(first);
                Assert.Contains(first.Stderr, l => l.Contains("The dump on top of the pre-dumps failed", StringComparison.Ordinal)
                    && l.Contains("through crik instead", StringComparison.Ordinal));
            }
            using CrikRun second = pods.Start(App);
            second.WaitForLine("Restored checkpoint", stderr: true);
            Pods.AppIsWhole(second);
            second.Signal(Native.SIGKILL);
        }
        finally
        {
            HostCommand.Run("umount", "-l", tmp);
        }
    }

    /// <summary>
    /// The SIGTERM comes while a pre-dump of 600 MiB is between two chunks of the app's pages (CRIU's fault injection 8,
    /// set for the first pre-dump once the app has counted, holds it there until it is asked to stop): crik stops it and
    /// checkpoints at once, not on top of what it had written. Left to chance, the SIGTERM came after a fast pre-dump had
    /// ended, or before the next began.
    /// </summary>
    [CriuFact]
    public void ASigtermDuringAPreDumpStopsItAndIsCheckpointedAtOnce()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        string[] app = ["python3", Paths.App("chunky-memory.py"), "600"];
        using CrikRun pod = pods.StartWith(StallingAPreDump(pods, CriuFault.StallBetweenPages), app);
        pod.WaitForLine("allocated 600", TimeSpan.FromSeconds(60));
        // The app has counted (so the checkpoint holds a count the restored app goes on from) before the pre-dump stalls.
        pod.WaitForLine(_ => Pods.Counts(pod).Any(c => c > 0), TimeSpan.FromSeconds(60));
        File.WriteAllText(Counted(pods), "");
        Poll.Until(() => RunningCriusLog(pod)?.Contains("stalls between two chunks of pages", StringComparison.Ordinal) == true,
            "the pre-dump's criu between two chunks of pages", TimeSpan.FromSeconds(60));
        Pods.CheckpointAndStop(pod);
        Assert.Contains(pod.Stderr, l => l.Contains("Pre-dump stopped after", StringComparison.Ordinal) && l.Contains("for a signal", StringComparison.Ordinal));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("on top of", StringComparison.Ordinal));
        using CrikRun next = pods.Start(app);
        next.WaitForLine("Restored checkpoint", TimeSpan.FromSeconds(60), stderr: true);
        Pods.AppIsWhole(next);
        next.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The SIGTERM comes while the pre-dump's criu runs a syscall in the app on the way to putting its parasite in (CRIU's
    /// fault injection 7, set for the first pre-dump once the app has counted, holds it there until it is asked to stop): crik asks criu to stop,
    /// criu takes its parasite out and lets the app go, and the checkpoint is taken at once. Killed there, as crik did,
    /// criu left the app to run the syscall and the trap after it on its own, and the app died of SIGTRAP.
    /// </summary>
    [CriuFact]
    public void ASigtermWhileAPreDumpRunsASyscallInTheAppStopsItAndTheAppLives()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        using CrikRun pod = pods.StartWith(StallingAPreDump(pods, CriuFault.StallInInjectedSyscall), App);
        pod.WaitForLine(_ => Pods.Counts(pod).Any(c => c > 0), TimeSpan.FromSeconds(60));
        File.WriteAllText(Counted(pods), "");
        Poll.Until(() => RunningCriusLog(pod)?.Contains("stalls at its injected syscall", StringComparison.Ordinal) == true,
            "the pre-dump's criu inside the app's syscall", TimeSpan.FromSeconds(30));
        Pods.CheckpointAndStop(pod);
        Assert.Contains(pod.Stderr, l => l.Contains("Pre-dump stopped after", StringComparison.Ordinal) && l.Contains("for a signal", StringComparison.Ordinal));
        using CrikRun next = pods.Start(App);
        next.WaitForLine("Restored checkpoint", TimeSpan.FromSeconds(60), stderr: true);
        Pods.AppIsWhole(next);
        next.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A signal the app is only given (a terminal's SIGWINCH here) stops a pre-dump under way, four times over: none of the
    /// four counts as a failure, and pre-dumps go on. Counted as failures, three in a row ended pre-dumping for the pod's life.
    /// </summary>
    [CriuFact]
    public void PreDumpsStoppedForSignalsTheAppIsGivenAreNotFailuresAndPreDumpingGoesOn()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        using CrikRun pod = StopPreDumps(pods, 4);
        int taken = PreDumpsTaken(pod);
        Poll.Until(() => PreDumpsTaken(pod) > taken, "a pre-dump after the four stopped", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(pod.Stderr, l => l.Contains("Pre-dump failed", StringComparison.Ordinal) || l.Contains("stops pre-dumping", StringComparison.Ordinal));
        Pods.CheckpointAndStop(pod);
    }

    /// <summary>Ten pre-dumps in a row stopped before they ended: signals come faster than a pre-dump takes, and crik stops pre-dumping, saying so.</summary>
    [CriuFact]
    public void TenPreDumpsStoppedInARowEndPreDumping()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        using CrikRun pod = StopPreDumps(pods, 10);
        pod.WaitForLine("stops pre-dumping this app", TimeSpan.FromSeconds(10), stderr: true);
        int taken = PreDumpsTaken(pod);
        Thread.Sleep(2500); // past two pre-dump intervals
        Assert.Equal(taken, PreDumpsTaken(pod));
        Assert.Equal(10, pod.Stderr.Count(l => l.Contains("Pre-dump stopped after", StringComparison.Ordinal)));
        Pods.CheckpointAndStop(pod);
    }

    /// <summary>How many pre-dumps the pod has taken whole so far (those before the app counted among them).</summary>
    private static int PreDumpsTaken(CrikRun pod) => pod.Stderr.Count(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal));

    /// <summary>A pod whose first <paramref name="stops"/> pre-dumps once the app has counted each stall in the app, and are each stopped by a SIGWINCH.</summary>
    private static CrikRun StopPreDumps(Pods pods, int stops)
    {
        CrikRun pod = pods.StartWith(StallingPreDumps(pods, CriuFault.StallInInjectedSyscall, stops), App);
        pod.WaitForLine(_ => Pods.Counts(pod).Any(c => c > 0), TimeSpan.FromSeconds(60));
        File.WriteAllText(Counted(pods), "");
        for (int stop = 1; stop <= stops; stop++)
        {
            Poll.Until(() => Directory.Exists(Path.Combine(pods.Root, $"stalled-{stop}"))
                    && RunningCriusLog(pod)?.Contains("stalls at its injected syscall", StringComparison.Ordinal) == true,
                $"pre-dump {stop}'s criu inside the app's syscall", TimeSpan.FromSeconds(30));
            pod.Signal(Native.SIGWINCH);
            int stopped = stop;
            Poll.Until(() => pod.Stderr.Count(l => l.Contains("Pre-dump stopped after", StringComparison.Ordinal)) == stopped,
                $"pre-dump {stop} stopped", TimeSpan.FromSeconds(30));
        }
        return pod;
    }

    private enum CriuFault
    {
        StallInInjectedSyscall = 7,
        StallBetweenPages = 8,
    }

    /// <summary>
    /// crik's environment for a pod whose first pre-dump after <see cref="Counted"/> appears runs with
    /// <paramref name="fault"/> injected (criu-patches/0010): it stalls there until it is asked to stop. This kernel's
    /// pre-dumps are whole dumps (WithoutTracking); the app stops counting while one holds it.
    /// </summary>
    private static Dictionary<string, string> StallingAPreDump(Pods pods, CriuFault fault)
    {
        string stalled = Path.Combine(pods.Root, "stalled");
        var environment = new Dictionary<string, string>(WithoutTracking);
        string firstLine = $"[ \"$1\" = dump ] && [ -e {Counted(pods)} ] && mkdir {stalled} 2>/dev/null && export CRIU_FAULT={(int)fault}";
        foreach ((string name, string value) in pods.PathWithStandInCriu(firstLine))
        {
            environment[name] = value;
        }
        return environment;
    }

    /// <summary>As <see cref="StallingAPreDump"/>, for the first <paramref name="count"/> pre-dumps after <see cref="Counted"/> (stalled-1, stalled-2, ...).</summary>
    private static Dictionary<string, string> StallingPreDumps(Pods pods, CriuFault fault, int count)
    {
        string stalled = Path.Combine(pods.Root, "stalled-");
        var environment = new Dictionary<string, string>(WithoutTracking);
        string firstLine = $"[ \"$1\" = dump ] && [ -e {Counted(pods)} ] && n=1 && while [ -e {stalled}$n ]; do n=$((n+1)); done "
            + $"&& [ $n -le {count} ] && mkdir {stalled}$n && export CRIU_FAULT={(int)fault}";
        foreach ((string name, string value) in pods.PathWithStandInCriu(firstLine))
        {
            environment[name] = value;
        }
        return environment;
    }

    /// <summary>The file a test of <see cref="StallingAPreDump"/> makes once the app has counted.</summary>
    private static string Counted(Pods pods) => Path.Combine(pods.Root, "counted");

    /// <summary>What the criu that crik runs now has logged (its command line names the log); null when none runs.</summary>
    private static string? RunningCriusLog(CrikRun pod)
    {
        ProcessTable.Entry? criu = ProcessTable.ChildrenOf(pod.CrikPid).FirstOrDefault(p => p.Name == "criu");
        try
        {
            string[] args = criu is null ? [] : File.ReadAllText($"/proc/{criu.Pid}/cmdline").Split('\0');
            int workDir = Array.IndexOf(args, "--work-dir"), logFile = Array.IndexOf(args, "--log-file");
            // The work directory is one of crik's descriptors, named as crik sees it (PID 1 of its namespace).
            return workDir < 0 || logFile < 0 ? null
                : File.ReadAllText(Path.Combine(args[workDir + 1].Replace("/proc/1/", $"/proc/{pod.CrikPid}/", StringComparison.Ordinal), args[logFile + 1]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // it ended meanwhile
        }
    }

    [CriuFact]
    public void CrikDoesNotPreDumpIntoMemory()
    {
        using var pods = new Pods("preDumpInterval: 1s\n");
        string tmp = Path.Combine(pods.Root, "tmp");
        Directory.CreateDirectory(tmp);
        HostCommand.MustRun("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "crik-test-memory-tmp", tmp);
        try
        {
            using CrikRun pod = pods.StartWith(new Dictionary<string, string>(WithoutTracking) { ["TMPDIR"] = tmp }, "sh", "-c", Pods.Counter());
            pod.WaitForLine("count 3");
            Thread.Sleep(1500);
            Assert.Contains(pod.Stderr, l => l.Contains("is a tmpfs (memory)", StringComparison.Ordinal) && l.Contains("does not pre-dump", StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("Pre-dump", StringComparison.Ordinal));
            Pods.CheckpointAndStop(pod);
        }
        finally
        {
            HostCommand.Run("umount", "-l", tmp);
        }
    }

    [CriuFact]
    public void PreDumpsThatKeepFailingAreGivenUpOnceAndCheckpointsGoOn()
    {
        using var pods = new Pods("preDumpInterval: 1s\n");
        string notADirectory = Path.Combine(pods.Root, "tmp-is-a-file");
        File.WriteAllText(notADirectory, "");
        using CrikRun pod = pods.StartWith(new Dictionary<string, string>(WithoutTracking) { ["TMPDIR"] = notADirectory }, "sh", "-c", Pods.Counter());
        pod.WaitForLine("crik stops pre-dumping this app", TimeSpan.FromSeconds(30), stderr: true);
        int failures = pod.Stderr.Count(l => l.Contains("Pre-dump failed", StringComparison.Ordinal));
        Thread.Sleep(2500);
        Assert.Equal(3, failures);
        Assert.Equal(failures, pod.Stderr.Count(l => l.Contains("Pre-dump failed", StringComparison.Ordinal))); // no more after giving up
        int counted = Pods.Counts(pod).Last();
        pod.WaitForLine(_ => Pods.Counts(pod).Last() > counted); // the app kept running through them
        Pods.CheckpointAndStop(pod);
    }

    [CriuFact]
    public void PreDumpsACrikThatWasKilledLeftBehindAreDeletedAtStartAndARunningCriksAreNot()
    {
        using var pods = new Pods("preDumpInterval: 1h\n");
        string tmp = Path.Combine(pods.Root, "tmp");
        string left = Directory.CreateDirectory(Path.Combine(tmp, "crik-pre-dumps-deadbeef")).FullName;
        File.WriteAllText(Path.Combine(left, ".owner"), "");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(left, "pre-1")).FullName, "pages-1.img"), "memory");
        string held = Directory.CreateDirectory(Path.Combine(tmp, "crik-pre-dumps-cafef00d")).FullName;
        // .NET takes flock(LOCK_EX) for FileShare.None: as a running crik holds its chain's owner file.
        using FileStream owner = new(Path.Combine(held, ".owner"), FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        using CrikRun pod = pods.StartWith(new Dictionary<string, string>(WithoutTracking) { ["TMPDIR"] = tmp }, "sh", "-c", Pods.Counter());
        pod.WaitForLine("count 1");
        Assert.False(Directory.Exists(left), pod.Transcript);
        Assert.True(Directory.Exists(held));
        pod.WaitForLine("Deleted 1 pre-dump directories", stderr: true); // stderr may lag behind stdout
        pod.Signal(Native.SIGKILL);
    }

    [DirtyTrackingFact]
    public void WithTheKernelsTrackingACheckpointOnTopOfPreDumpsRestoresWhole()
    {
        using var pods = new Pods("preDumpInterval: 1s\ncheckpointTimeout: 60s\n");
        using (CrikRun first = pods.Start(App))
        {
            first.WaitForLine("Pre-dumping the app every", stderr: true);
            first.WaitForLine("allocated 48", TimeSpan.FromSeconds(60));
            int from = first.Stderr.Count;
            first.WaitForLine(_ => first.Stderr.Skip(from).Count(l => l.Contains("Pre-dumped the app", StringComparison.Ordinal)) >= 2,
                TimeSpan.FromSeconds(60), stderr: true);
            Pods.CheckpointAndStop(first);
            Assert.Contains(first.Stderr, l => l.Contains("on top of", StringComparison.Ordinal));
        }
        using CrikRun second = pods.Start(App);
        second.WaitForLine("Restored checkpoint", stderr: true);
        Pods.AppIsWhole(second);
        second.Signal(Native.SIGKILL);
    }
}
