using System.Globalization;
using System.Text.RegularExpressions;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.WriteTracking;

/// <summary>
/// crik's checkpoints say how much of its memory the app wrote since the previous one, as crik tracked it (apps/tracked-writes-app.c):
/// from the second checkpoint of a process on, within a few pages of what the app wrote, and the restored app is tracked
/// again from its own second checkpoint.
/// </summary>
public sealed partial class TrackedCheckpointTests : IDisposable
{
    private const long WrittenEachTime = 256 * 4096;

    /// <summary>What the app writes besides, between two checkpoints: its stack, its stdout buffer, the signal's frame.</summary>
    private const long Besides = 64 * 4096;

    private readonly TempDirectory _build = new();

    /// <summary>crik's own defaults, also in a run of the tests with trackWrites off by default (CRIK_TEST_TRACK_WRITES_DEFAULT).</summary>
    private static readonly Dictionary<string, string> CriksOwnDefaults = new() { ["CRIK_TEST_TRACK_WRITES_DEFAULT"] = "" };

    [WriteTrackingFact]
    public void EachCheckpointSaysWhatTheAppWroteSinceThePreviousOne()
    {
        string app = Compile();
        using var pods = new Pods("trackWrites: on\n");
        using (CrikRun first = pods.Start(app))
        {
            first.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Assert.Null(AppWroteAt(first, 1)); // its first checkpoint arms the tracking: what came before is not known
            Assert.InRange(AppWroteAt(first, 2)!.Value, 0, Besides);
            WriteOnce(first);
            Assert.InRange(AppWroteAt(first, 3)!.Value, WrittenEachTime, WrittenEachTime + Besides);
            first.Signal(Native.SIGKILL);
        }
        // Restored on crik's fill (64 MiB), it is tracked from before it runs: the pages in when CRIU's restore ended count as written.
        using CrikRun restored = pods.Start(app);
        restored.WaitForLine("Restored checkpoint 3", stderr: true);
        long inAtCriusEnd = PageOrderApp.Bytes(restored.WaitForLine("crik tracks what the restored app writes from before it runs", stderr: true), "the ");
        WriteOnce(restored);
        Assert.InRange(AppWroteAt(restored, 4)!.Value, WrittenEachTime, WrittenEachTime + Besides + inAtCriusEnd);
        WriteOnce(restored);
        Assert.InRange(AppWroteAt(restored, 5)!.Value, WrittenEachTime, WrittenEachTime + Besides);
        restored.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A SIGTERM's checkpoint, after which the app ends, says what the app wrote as any other does: read while the commit
    /// writes, not as a stage on the way to it.
    /// </summary>
    [WriteTrackingFact]
    public void ACheckpointAfterWhichTheAppEndsSaysWhatItWroteWithoutWaitingForItsScan()
    {
        using var pods = new Pods("trackWrites: on\n");
        using CrikRun pod = pods.Start(Compile());
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        Assert.Null(AppWroteAt(pod, 1));
        WriteOnce(pod);
        Pods.CheckpointAndStop(pod);
        string line = pod.Stderr.Single(l => l.Contains("Checkpoint 2 committed", StringComparison.Ordinal));
        Assert.InRange(AppWroteIn(line) ?? -1, WrittenEachTime, WrittenEachTime + Besides);
        Assert.DoesNotContain(", writes ", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// A checkpoint after which the app would end fails at its commit while what the app wrote is still to be read (the scan
    /// held back until after the failure): the app runs on, not stopped and not traced, and a later checkpoint keeps every
    /// write, before and after the failed one (the restored app's bytes add up to what they did).
    /// </summary>
    [WriteTrackingFact]
    public void AFinalCheckpointWhoseCommitFailsBeforeItsScanLeavesTheAppRunningWithEveryWriteKept()
    {
        string app = Compile();
        using var pods = new Pods("trackWrites: on\n");
        long sum;
        using (CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_FAULT"] = "commit while telling", [TellScanPause] = "1500" }, app))
        {
            pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Assert.Null(AppWroteAt(pod, 1));
            WriteOnce(pod);
            Assert.InRange(AppWroteAt(pod, 2)!.Value, WrittenEachTime, WrittenEachTime + Besides);
            WriteOnce(pod);
            (int code, string output, string error) = CrikCommand.Run(["checkpoint", "--exit"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket });
            Assert.True(code != 0, $"the checkpoint should have failed at its commit\n{output}{error}\n{pod.Transcript}");
            int appPid = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
            Assert.True(State(appPid) is "S" or "R" && ProcessTable.TracerOf($"/proc/{appPid}") == 0, $"the app ({appPid}) is {State(appPid)}\n{pod.Transcript}");
            WriteOnce(pod);
            sum = SumOf(pod);
            Pods.CheckpointOnDemand(pod, 3); // the failed checkpoint took no generation
            pod.Signal(Native.SIGKILL);
        }
        AssertRestoredWithEveryWrite(pods, app, 3, sum);
    }

    /// <summary>
    /// The app is killed after a SIGTERM's checkpoint is committed, before the scan beside the commit reads what it wrote:
    /// crik exits 0 with the checkpoint, which restores the app with every write.
    /// </summary>
    [WriteTrackingFact]
    public void AnAppKilledBeforeTheScanBesideItsLastCommitLeavesTheCheckpointWhole()
    {
        string app = Compile();
        using var pods = new Pods("trackWrites: on\n");
        long sum;
        using (CrikRun pod = pods.StartWith(new Dictionary<string, string> { [TellScanPause] = "3000" }, app))
        {
            pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Assert.Null(AppWroteAt(pod, 1));
            WriteOnce(pod);
            sum = SumOf(pod);
            int appPid = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
            pod.Signal(Native.SIGTERM);
            // The manifest is written at the commit; the scan waits three seconds after it, the app stopped meanwhile.
            Poll.Until(() => File.Exists(Path.Combine(pods.ImageDir, "checkpoint-000002", "manifest.json")), $"the commit\n{pod.Transcript}");
            Assert.True(Runs(appPid), $"the app should still be there, stopped, while crik scans: it is {State(appPid)}\n{pod.Transcript}");
            Native.Signal(appPid, Native.SIGKILL);
            int code = pod.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"crik should exit 0 after its checkpoint, got {code}\n{pod.Transcript}");
            Assert.Single(pod.Stderr, l => l.Contains("Checkpoint 2 committed", StringComparison.Ordinal));
        }
        AssertRestoredWithEveryWrite(pods, app, 2, sum);
    }

    /// <summary>
    /// After writes all over the app's memory, a checkpoint the app runs on from gathers the previous checkpoint's thousands of
    /// slices into whole chunks while the app runs, and its dump still reads only what was written; a SIGTERM's does not gather
    /// (the node goes away), and the restored app has every write.
    /// </summary>
    [WriteTrackingFact]
    public void AFragmentedCheckpointIsGatheredWhileTheAppRunsButNotForASigterm()
    {
        string app = Compile();
        using var pods = new Pods("trackWrites: on\n");
        long sum;
        using (CrikRun pod = pods.Start(app, "spread"))
        {
            pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
            Assert.Null(AppWroteAt(pod, 1));
            WriteOnce(pod, "wrote 5462");
            AppWroteAt(pod, 2);
            Assert.Contains(pod.Stderr, l => l.Contains(ReadOnlyWrittenSince(1), StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("Gathered checkpoint", StringComparison.Ordinal));
            WriteOnce(pod, "wrote 5462");
            AppWroteAt(pod, 3); // checkpoint 2's pages are in thousands of slices: gathered, and still only what was written is read
            Assert.Contains(pod.Stderr, l => l.Contains("Gathered checkpoint 2's pages", StringComparison.Ordinal));
            Assert.Contains(pod.Stderr, l => l.Contains(ReadOnlyWrittenSince(2), StringComparison.Ordinal));
            WriteOnce(pod, "wrote 5462");
            AppWroteAt(pod, 4);
            Assert.Contains(pod.Stderr, l => l.Contains(ReadOnlyWrittenSince(3), StringComparison.Ordinal));
            WriteOnce(pod, "wrote 5462");
            sum = SumOf(pod);
            int gathers = pod.Stderr.Count(l => l.Contains("Gathered checkpoint", StringComparison.Ordinal));
            Pods.CheckpointAndStop(pod);
            Assert.Contains(pod.Stderr, l => l.Contains(ReadOnlyWrittenSince(4), StringComparison.Ordinal));
            Assert.Equal(gathers, pod.Stderr.Count(l => l.Contains("Gathered checkpoint", StringComparison.Ordinal)));
        }
        AssertRestoredWithEveryWrite(pods, [app, "spread"], 5, sum);
    }

    /// <summary>
    /// A SIGTERM that comes while a checkpoint gathers the previous checkpoint's pieces ends the gather: that checkpoint
    /// reads only what was written and commits at once, and the SIGTERM's own follows, with every write.
    /// </summary>
    [WriteTrackingFact]
    public void ASigtermDuringAGatherEndsItAndItsOwnCheckpointFollowsAtOnce()
    {
        string app = Compile();
        using var pods = new Pods("trackWrites: on\n");
        long sum;
        using (CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_GATHER_PAUSE_MS"] = "3000" }, app, "spread"))
        {
            TwoCheckpointsOfSpreadWrites(pod);
            sum = SumOf(pod);
            Task third = Task.Run(() => AppWroteAt(pod, 3)); // checkpoint 2's pages are in thousands of slices: this one gathers them
            Pods.WaitForPause(pod, "CRIK_TEST_GATHER_PAUSE_MS");
            pod.Signal(Native.SIGTERM); // while the gather pauses
            third.GetAwaiter().GetResult();
            int code = pod.WaitForExit(TimeSpan.FromSeconds(60));
            Assert.True(code == 0, $"crik should exit 0 after its checkpoint, got {code}\n{pod.Transcript}");
            Assert.Contains(pod.Stderr, l => l.Contains("Checkpoint 3 leaves checkpoint 2's pieces as they are: a SIGTERM came", StringComparison.Ordinal));
            Assert.Contains(pod.Stderr, l => l.Contains(ReadOnlyWrittenSince(2), StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("Gathered checkpoint", StringComparison.Ordinal) || l.Contains("reads all of the app's memory", StringComparison.Ordinal));
            Assert.Single(pod.Stderr, l => l.Contains("Checkpoint 4 committed", StringComparison.Ordinal));
        }
        AssertRestoredWithEveryWrite(pods, [app, "spread"], 4, sum);
    }

    /// <summary>
    /// A gather that fails (a read of the previous checkpoint's pieces, failed by the fault seam) leaves the checkpoint to copy
    /// all of the app's memory while it runs instead: its dump still reads only what the app wrote after the copy's scan, and
    /// the restored app has every write.
    /// </summary>
    [WriteTrackingFact]
    public void AGatherThatFailsLeavesTheCheckpointToCopyAllOfTheMemoryWhileTheAppRuns()
    {
        string app = Compile();
        using var pods = new Pods("trackWrites: on\n");
        long sum;
        using (CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_FAULT"] = "gather" }, app, "spread"))
        {
            TwoCheckpointsOfSpreadWrites(pod);
            AppWroteAt(pod, 3); // checkpoint 2's pages are in thousands of slices: their gather fails
            string copied = pod.WaitForLine("of the app's memory while it ran, all of it (the previous checkpoint's pages are in", stderr: true);
            Assert.Contains("crik could not gather them while the app ran: a read failure the tests asked for", copied, StringComparison.Ordinal);
            Assert.Contains(pod.Stderr, l => l.Contains("CRIU read only what the app wrote since crik's copy of all of its memory", StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("reads all of the app's memory", StringComparison.Ordinal)
                || l.Contains("Gathered checkpoint", StringComparison.Ordinal));
            WriteOnce(pod, "wrote 5462");
            sum = SumOf(pod);
            Pods.CheckpointAndStop(pod);
        }
        AssertRestoredWithEveryWrite(pods, [app, "spread"], 4, sum);
    }

    /// <summary>
    /// In object storage a fragmented previous checkpoint is not gathered (each piece would be read back, one request a
    /// chunk): the checkpoint copies all of the app's memory while it runs instead, in whole chunks again, and its dump still
    /// reads only what the app wrote after the copy's scan, never all of its memory with the app stopped. The checkpoint
    /// after it takes what was not written from it, and the restored app has every write.
    /// </summary>
    [S3WrittenOnlyFact]
    public void AFragmentedCheckpointInObjectStorageIsCopiedWholeWhileTheAppRuns()
    {
        string app = Compile();
        using var server = new S3Server();
        string config = _build.Write("s3.yaml", $"imageDir: s3://{S3Server.Bucket}/apps/fragmented\ntrackWrites: on\n");
        CrikRun Pod() => CrikRun.Start(["run", "--config", config, "--", app, "spread"], environment: server.Environment());
        long sum;
        using (CrikRun pod = Pod())
        {
            TwoCheckpointsOfSpreadWrites(pod);
            AppWroteAt(pod, 3); // checkpoint 2's pages are in thousands of slices
            string copied = pod.WaitForLine("of the app's memory while it ran, all of it (the previous checkpoint's pages are in", stderr: true);
            Assert.Contains("crik gathers them only from a volume", copied, StringComparison.Ordinal);
            Assert.Contains(pod.Stderr, l => l.Contains("CRIU read only what the app wrote since crik's copy of all of its memory", StringComparison.Ordinal));
            WriteOnce(pod, "wrote 5462");
            AppWroteAt(pod, 4);
            Assert.Contains(pod.Stderr, l => l.Contains(ReadOnlyWrittenSince(3), StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stderr, l => l.Contains("reads all of the app's memory", StringComparison.Ordinal));
            WriteOnce(pod, "wrote 5462");
            sum = SumOf(pod);
            Pods.CheckpointAndStop(pod);
        }
        using CrikRun restored = Pod();
        restored.WaitForLine("Restored checkpoint 5", TimeSpan.FromSeconds(60), stderr: true);
        Assert.Equal(sum, SumOf(restored));
        restored.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// The spread app's first two checkpoints, each followed by writes all over its memory: checkpoint 2's pages are in
    /// thousands of slices, so the next checkpoint gathers them, or copies all of the memory instead.
    /// </summary>
    internal static void TwoCheckpointsOfSpreadWrites(CrikRun pod)
    {
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        AppWroteAt(pod, 1);
        WriteOnce(pod, "wrote 5462");
        AppWroteAt(pod, 2);
        WriteOnce(pod, "wrote 5462");
    }

    private static string ReadOnlyWrittenSince(int generation) => $"CRIU read only what the app wrote since checkpoint {generation}:";

    /// <summary>With no trackWrites key, crik tracks the app's writes where it can, as with trackWrites: on.</summary>
    [WriteTrackingFact]
    public void ByDefaultEachCheckpointSaysWhatTheAppWrote()
    {
        using var pods = new Pods();
        using CrikRun pod = pods.StartWith(CriksOwnDefaults, Compile());
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        Assert.Null(AppWroteAt(pod, 1));
        WriteOnce(pod);
        Assert.InRange(AppWroteAt(pod, 2)!.Value, WrittenEachTime, WrittenEachTime + Besides);
        pod.Signal(Native.SIGKILL);
    }

    [WriteTrackingFact]
    public void WithTrackWritesOffNothingRunsInTheAppAndNoCheckpointSaysWhatItWrote()
    {
        using var pods = new Pods("trackWrites: off\n");
        using CrikRun pod = pods.Start(Compile());
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        Assert.Null(AppWroteAt(pod, 1));
        Assert.Null(AppWroteAt(pod, 2));
        // No stage of the checkpoints read the app's writes.
        Assert.DoesNotContain(pod.Stderr, line => line.Contains(" committed in ", StringComparison.Ordinal) && line.Contains(", writes ", StringComparison.Ordinal));
        pod.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// A crik that is not PID 1 can be killed and leave the app behind: by default it runs nothing inside the app, and says
    /// why once.
    /// </summary>
    [WriteTrackingFact]
    public void ByDefaultACrikThatIsNotPid1RunsNothingInTheAppAndSaysWhy()
    {
        using var pods = new Pods();
        using CrikRun pod = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", Compile()], asPid1: false, environment: CriksOwnDefaults);
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        int app = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
        try
        {
            Assert.Null(AppWroteAt(pod, 1));
            WriteOnce(pod);
            Assert.Null(AppWroteAt(pod, 2));
            Assert.Single(pod.Stderr, line => line.Contains("crik does not track which pages the app writes", StringComparison.Ordinal)
                && line.Contains("crik is not PID 1 of its PID namespace", StringComparison.Ordinal));
            Assert.DoesNotContain(pod.Stderr, line => line.Contains(" committed in ", StringComparison.Ordinal) && line.Contains(", writes ", StringComparison.Ordinal));
        }
        finally
        {
            Native.Signal(app, Native.SIGKILL);
        }
    }

    /// <summary>
    /// crik killed while a thread of the app holds crik's registers (trackWrites: on, crik not PID 1, so nothing else ends
    /// the app): the app dies with it (PTRACE_O_EXITKILL), and never runs on from crik's registers or stays stopped.
    /// </summary>
    [WriteTrackingFact]
    public void ACrikKilledWhileItsCallIsInTheAppTakesTheAppWithIt()
    {
        using var pods = new Pods("trackWrites: on\n");
        using CrikRun pod = CrikRun.Start(["run", "--config", pods.ConfigPath, "--", Compile()], asPid1: false,
            environment: new Dictionary<string, string> { ["CRIK_TEST_IN_APP_CALL_MS"] = "30000" });
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        int app = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
        try
        {
            Poll.Until(() => File.Exists(pod.ControlSocket), $"crik's control socket\n{pod.Transcript}");
            Task<(int, string, string)> checkpoint = Task.Run(() => CrikCommand.Run(["checkpoint"],
                new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket }));
            // TracerPid names the thread that traces: one of crik's own, not CRIU's (which traces the app while it dumps).
            Poll.Until(() => Directory.GetDirectories($"/proc/{app}/task").Any(task => ProcessTable.TracerOf(task) is > 0 and int tracer
                    && Directory.Exists($"/proc/{pod.CrikPid}/task/{tracer}")),
                $"crik to hold a thread of the app\n{pod.Transcript}", TimeSpan.FromSeconds(60));
            Native.Signal(pod.CrikPid, Native.SIGKILL);
            Poll.Until(() => !Runs(app), $"the app ({app}) to die with crik; it is {State(app)}\n{pod.Transcript}", TimeSpan.FromSeconds(10));
            _ = checkpoint.Wait(TimeSpan.FromSeconds(30));
        }
        finally
        {
            Native.Signal(app, Native.SIGKILL);
        }
    }

    /// <summary>
    /// A thread of the app that stops running while it holds crik's registers (its cgroup frozen, as a paused container's, for
    /// longer than crik used to wait): crik waits for it, and puts it back as it was. Before, crik gave up after 2 s and let
    /// the thread go with its registers; thawed, the app died of SIGSEGV.
    /// </summary>
    [WriteTrackingFreezerFact]
    public void AThreadFrozenWhileItHoldsCriksRegistersIsPutBackWhenItThaws()
    {
        using var pods = new Pods();
        using CrikRun pod = pods.StartWith(new Dictionary<string, string>(CriksOwnDefaults) { ["CRIK_TEST_IN_APP_CALL_MS"] = "1000" }, Compile());
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        int app = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
        Poll.Until(() => File.Exists(pod.ControlSocket), $"crik's control socket\n{pod.Transcript}");
        Task<(int Code, string Output, string Error)> checkpoint = Task.Run(() => CrikCommand.Run(["checkpoint"],
            new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket }));
        using (var freezer = new CgroupFreezer())
        {
            Poll.Until(() => Directory.GetDirectories($"/proc/{app}/task").Any(task => ProcessTable.TracerOf(task) is > 0 and int tracer
                && Directory.Exists($"/proc/{pod.CrikPid}/task/{tracer}")), $"crik to hold a thread of the app\n{pod.Transcript}", TimeSpan.FromSeconds(60));
            freezer.Freeze(app);
            Thread.Sleep(TimeSpan.FromSeconds(4));
        }
        Assert.True(checkpoint.Wait(TimeSpan.FromSeconds(60)), $"the checkpoint never ended\n{pod.Transcript}");
        Assert.True(checkpoint.Result.Code == 0, $"{checkpoint.Result.Output}{checkpoint.Result.Error}\n{pod.Transcript}");
        Assert.True(Runs(app), $"the app ({app}) is {State(app)}\n{pod.Transcript}");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries($"/proc/{app}/fd"),
            fd => new FileInfo(fd).LinkTarget?.Contains("userfaultfd", StringComparison.Ordinal) == true);
        WriteOnce(pod);
        long? wrote = AppWroteAt(pod, 2);
        Assert.True(wrote is >= WrittenEachTime and <= WrittenEachTime + Besides, $"checkpoint 2 says the app wrote {wrote}: crik lost its tracking\n{pod.Transcript}");
        pod.Signal(Native.SIGKILL);
    }

    /// <summary>
    /// An app that forks all the time, while crik makes its userfaultfd in it (the moment the app holds it widened to 300 ms):
    /// the children forked then hold a copy, which crik closes in each, so the checkpoint commits and nothing of the app holds
    /// a userfaultfd after it. Before, such a child held the copy for good, and CRIU failed every dump while it lived.
    /// </summary>
    [WriteTrackingFact]
    public void AChildForkedWhileCrikMakesItsUserfaultfdDoesNotKeepACopy()
    {
        using var pods = new Pods("trackWrites: on\n");
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_IN_APP_CALL_MS"] = "300" },
            "python3", Paths.App("forking-children.py"));
        pod.WaitForLine("ready", TimeSpan.FromSeconds(30));
        int app = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
        Assert.Null(AppWroteAt(pod, 1)); // commits: no child holds the copy when CRIU dumps
        string holder = pod.WaitForLine("holder ");
        List<string> holding = [.. ProcessTable.DescendantsOf(app).Select(e => e.Pid).Append(app).SelectMany(UserfaultfdsOf)];
        Assert.True(holding.Count == 0, $"after {holder}, the app still holds {string.Join(", ", holding)}\n{pod.Transcript}");
        pod.Signal(Native.SIGKILL);
    }

    public void Dispose() => _build.Dispose();

    /// <summary>The userfaultfds process <paramref name="pid"/> holds, as /proc/PID/fd/N paths; none when it has ended meanwhile.</summary>
    private static List<string> UserfaultfdsOf(int pid)
    {
        try
        {
            return [.. Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Where(fd => new FileInfo(fd).LinkTarget == "anon_inode:[userfaultfd]")];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The process is there and not a zombie (one that died and waits for its new parent to reap it).</summary>
    private static bool Runs(int pid) => State(pid) is not ("gone" or "Z");

    private static string State(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
        }
        catch (IOException)
        {
            return "gone";
        }
    }

    /// <summary>Takes checkpoint <paramref name="generation"/> on demand: what its line says the app wrote, or null when it says nothing of it.</summary>
    private static long? AppWroteAt(CrikRun pod, int generation)
    {
        Poll.Until(() => File.Exists(pod.ControlSocket), $"crik's control socket\n{pod.Transcript}");
        (int code, string output, string error) = CrikCommand.Run(["checkpoint"], new Dictionary<string, string> { ["CRIK_CONTROL_SOCKET"] = pod.ControlSocket });
        Assert.True(code == 0, $"{output}{error}\n{pod.Transcript}");
        return AppWroteIn(pod.WaitForLine($"Checkpoint {generation} committed", stderr: true));
    }

    /// <summary>What a commit's line says the app wrote since the previous checkpoint; null when it says nothing of it.</summary>
    private static long? AppWroteIn(string line)
    {
        Match wrote = AppWrote().Match(line);
        return wrote.Success ? Bytes(wrote.Groups[1].Value, wrote.Groups[2].Value) : null;
    }

    private const string TellScanPause = "CRIK_TEST_TELL_SCAN_PAUSE_MS";

    /// <summary>A new pod restores checkpoint <paramref name="generation"/>, and the app's bytes add up to <paramref name="sum"/>, as before.</summary>
    private static void AssertRestoredWithEveryWrite(Pods pods, string app, int generation, long sum) => AssertRestoredWithEveryWrite(pods, [app], generation, sum);

    private static void AssertRestoredWithEveryWrite(Pods pods, string[] command, int generation, long sum)
    {
        using CrikRun restored = pods.Start(command);
        restored.WaitForLine($"Restored checkpoint {generation}", stderr: true);
        Assert.Equal(sum, SumOf(restored));
        restored.Signal(Native.SIGKILL);
    }

    /// <summary>What the app says the bytes it writes add up to (SIGUSR2).</summary>
    internal static long SumOf(CrikRun pod)
    {
        int before = pod.Stdout.Count(l => l.StartsWith("sum ", StringComparison.Ordinal));
        int app = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
        Native.Signal(app, 12); // SIGUSR2
        pod.WaitForLine(_ => pod.Stdout.Count(l => l.StartsWith("sum ", StringComparison.Ordinal)) > before);
        return long.Parse(pod.Stdout.Last(l => l.StartsWith("sum ", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
    }

    private static void WriteOnce(CrikRun pod, string says = "wrote 256")
    {
        int before = pod.Stdout.Count(l => l == says);
        int app = ProcessTable.ChildrenOf(pod.CrikPid).Single().Pid;
        Native.Signal(app, 10); // SIGUSR1
        pod.WaitForLine(_ => pod.Stdout.Count(l => l == says) > before);
    }

    private static long Bytes(string number, string unit) =>
        (long)(double.Parse(number, CultureInfo.InvariantCulture) * unit switch { "KiB" => 1 << 10, "MiB" => 1 << 20, "GiB" => 1 << 30, _ => 1 });

    private string Compile() => CompiledApp.Build("tracked-writes-app.c", Path.Combine(_build.Path, "tracked-writes-app"));

    [GeneratedRegex(@"the app wrote ([\d.]+) ([KMG]?i?B) of its memory since the previous checkpoint")]
    private static partial Regex AppWrote();
}
