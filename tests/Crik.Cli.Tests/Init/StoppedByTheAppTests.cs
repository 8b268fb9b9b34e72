using System.Diagnostics;
using Crik.Cli.Processes;
using Crik.Cli.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.Init;

/// <summary>
/// A process the app stopped itself (job control, a paused worker) stays stopped when crik lets the app go
/// after stopping it: after a freeze for the lease, and after a dump, which CRIU leaves stopped.
/// </summary>
public class StoppedByTheAppTests
{
    /// <summary>A counter whose child the app stopped with SIGSTOP.</summary>
    private static readonly string AppWithStoppedChild = "sleep 1000 & kill -STOP $!; " + Pods.Counter();

    [Fact]
    public void AFreezeAndAThawLeaveTheProcessTheAppStoppedStoppedAndLetTheOthersRun()
    {
        using Process app = StartInItsOwnGroup("sleep 1000 & kill -STOP $!; echo ready; exec sleep 1000");
        var tree = new AppTree(new TestHostChild(app.Id));
        Assert.Equal('T', Poll.Until(() => Child(app.Id) is { State: 'T' } child ? child : null, "the app's child to be stopped").State);

        tree.Signal(Crik.Cli.Interop.Signal.SIGSTOP); // the lease's watchdog freezes the app
        Poll.Until(() => State(app.Id) == 'T', "the app to be frozen");
        tree.Signal(Crik.Cli.Interop.Signal.SIGCONT);
        Poll.Until(() => State(app.Id) == 'S', "the app to run again");
        Thread.Sleep(200);
        Assert.Equal('T', Child(app.Id)!.State);

        tree.WillBeStopped(); // a dump, which CRIU leaves stopped
        Native.Signal(app.Id, Native.SIGSTOP);
        Poll.Until(() => State(app.Id) == 'T', "the app to be stopped");
        tree.Signal(Crik.Cli.Interop.Signal.SIGCONT);
        Poll.Until(() => State(app.Id) == 'S', "the app to run again");
        Thread.Sleep(200);
        Assert.Equal('T', Child(app.Id)!.State);

        Native.TrySignal(-app.Id, Native.SIGKILL);
        app.WaitForExit();
    }

    /// <summary>
    /// A checkpoint gives up while the lease's watchdog has the app frozen, and runs on; then something in the pod wakes one
    /// process and the watchdog stops it again. None of that makes the freeze's stops count as the app's own: a renewal thaws
    /// every process (before, the re-stop noted the others as stopped by the app, and they stayed stopped for good).
    /// </summary>
    [Fact]
    public void AFrozenAppWhoseCheckpointGaveUpIsThawedWholeAfterOneOfItsProcessesWasWokenAndStoppedAgain()
    {
        using var leased = new LeasedApp(StartInItsOwnGroup("sleep 1000 & echo ready; exec sleep 1000"));
        int root = leased.App.Id, child = Poll.Until(() => Child(root), "the app's child").Pid;
        leased.Stops.StopForCheckpoint();
        leased.Lease.Set(Crik.Cli.Records.HoldState.Endangered); // renewals fail: the watchdog freezes the app
        Poll.Until(() => State(root) == 'T' && State(child) == 'T', "the app to be frozen");
        leased.Stops.Resume(); // the checkpoint gave up: held back by the freeze
        leased.Stops.NotStopped(); // and the app runs on, as far as the checkpoint can tell
        Native.Signal(root, Native.SIGCONT); // someone in the pod
        Poll.Until(() => State(root) == 'T', "the watchdog to stop the woken process again");

        leased.Lease.Set(Crik.Cli.Records.HoldState.Held);
        Poll.Until(() => State(root) == 'S' && State(child) == 'S', "the whole app to run again after the renewal");
    }

    /// <summary>
    /// The watchdog freezes the app between a checkpoint's look at whether it is frozen and its stop of the app: the dump would
    /// record every process stopped, so the checkpoint is one during which the app was frozen, and is not committed.
    /// </summary>
    [Fact]
    public void ACheckpointWhoseStopCameJustAfterAFreezeBeganCountsTheFreezeAsDuringIt()
    {
        using var leased = new LeasedApp(StartInItsOwnGroup("echo ready; exec sleep 1000"));
        Assert.Null(leased.Stops.FrozenForTheLease); // the checkpoint's look
        leased.Lease.Set(Crik.Cli.Records.HoldState.Endangered);
        Assert.True(SpinWait.SpinUntil(() => leased.Watchdog.Frozen, TimeSpan.FromSeconds(5)));
        leased.Stops.StopForCheckpoint();
        Assert.NotNull(leased.Stops.FrozenDuringTheCheckpoint);
    }

    [Fact]
    public void ACheckpointsResumeTellsTheMomentRightBeforeItsSigcontAndNoneOnceTheAppRunsAlready()
    {
        using Process app = StartInItsOwnGroup("echo ready; exec sleep 1000");
        var stops = new Crik.Cli.Supervision.AppStops(new AppTree(new TestHostChild(app.Id)), watchdog: null);
        stops.StopForCheckpoint();
        Native.Signal(app.Id, Native.SIGSTOP); // as CRIU's dump leaves it
        Poll.Until(() => State(app.Id) == 'T', "the app to be stopped");

        // The checkpoint's hold ends at the SIGCONT: the moment is taken between the look for the app's processes and the
        // signal, never after it, when the app running again may keep crik off the CPU for milliseconds.
        long before = Crik.Cli.Interop.MonotonicClock.Now();
        long? letGo = stops.Resume();
        long after = Crik.Cli.Interop.MonotonicClock.Now();
        Assert.NotNull(letGo);
        Assert.InRange(letGo.Value, before, after);
        Poll.Until(() => State(app.Id) == 'S', "the app to run again");
        Assert.Null(stops.Resume()); // resumed already: it was not let go again

        Native.TrySignal(-app.Id, Native.SIGKILL);
        app.WaitForExit();
    }

    [CriuFact]
    public void AProcessTheAppStoppedStaysStoppedThroughPeriodicCheckpoints()
    {
        using var pods = new Pods("checkpointInterval: 1s\n");
        string ticks = Path.Combine(pods.Root, "ticks");
        // The stopped worker appends a line every 50 ms whenever it runs; the app's main loop counts on stdout.
        string worker = $"(while :; do echo tick >> {ticks}; sleep 0.05; done) & kill -STOP $!; ";
        using CrikRun pod = pods.Start("sh", "-c", worker + Pods.Counter());
        ProcessTable.Entry stopped = Poll.Until(() => ProcessTable.DescendantsOf(pod.CrikPid).SingleOrDefault(e => e.State == 'T'), "the app's worker to be stopped");
        pod.WaitForLine("Checkpoint 2 committed", TimeSpan.FromSeconds(60), stderr: true);
        long before = Length(ticks);
        int counted = Pods.Counts(pod).Count;
        pod.WaitForLine(_ => Pods.Counts(pod).Count >= counted + 3); // the app runs again after each
        pod.WaitForLine("Checkpoint 4 committed", TimeSpan.FromSeconds(60), stderr: true);
        // While CRIU dumps it, its state in /proc is CRIU's (traced, or running CRIU's parasite); what counts is
        // that the worker's own code never ran: it wrote nothing through three checkpoints.
        Thread.Sleep(300);
        Assert.True(Length(ticks) == before, $"the worker the app stopped ran during checkpoints\n{pod.Transcript}");
        Poll.Until(() => ProcessTable.All().Single(e => e.Pid == stopped.Pid).State == 'T', $"the worker stopped between checkpoints\n{pod.Transcript}");
        Native.Signal(stopped.Pid, Native.SIGCONT); // and the measure can see it run
        Poll.Until(() => Length(ticks) > before, "the worker to write once it is let go");
        pod.Signal(Native.SIGKILL);
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    [CriuFact]
    public void AProcessTheAppStopsAfterItRunsAgainAndBeforeTheCommitStaysStopped()
    {
        using var pods = new Pods();
        using CrikRun pod = pods.StartWith(new Dictionary<string, string> { ["CRIK_TEST_COMMIT_PAUSE_MS"] = "4000" }, "sh", "-c", "tail -f /dev/null & " + Pods.Counter());
        pod.WaitForLine(_ => Pods.Counts(pod).Count >= 2);
        // The background child may not have run tail yet: looked for until it has.
        ProcessTable.Entry child = Poll.Until(() => ProcessTable.DescendantsOf(pod.CrikPid).SingleOrDefault(e => e.Name == "tail"), "the app's tail to run");
        Task checkpoint = Task.Run(() => Pods.CheckpointOnDemand(pod, 1));
        Poll.Until(() => Dumped(pods.ImageDir), $"CRIU's dump\n{pod.Transcript}");
        // The app runs again, its commit still to come: the worker too got crik's SIGCONT (its output may lag behind).
        Poll.Until(() => ProcessTable.All().Any(e => e.Pid == child.Pid && e.State == 'S'), $"the app to run again\n{pod.Transcript}");

        Native.Signal(child.Pid, Native.SIGSTOP); // as the app stops a worker of its own
        Assert.DoesNotContain(pod.Stderr, line => line.Contains("committed", StringComparison.Ordinal));
        checkpoint.GetAwaiter().GetResult();
        Thread.Sleep(500); // a SIGCONT sent at the checkpoint's end has surely arrived by now

        Assert.True(ProcessTable.All().Single(e => e.Pid == child.Pid).State == 'T', $"the app's own stop was undone\n{pod.Transcript}");
        pod.Signal(Native.SIGKILL);
    }

    /// <summary>CRIU's log of the first dump, in its staging area, says the dump is done.</summary>
    private static bool Dumped(string imageDir)
    {
        try
        {
            return Directory.EnumerateFiles(imageDir, "dump-000001.log", SearchOption.AllDirectories)
                .Any(log => File.ReadAllText(log).Contains("Dumping finished successfully", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false; // the staging area renamed meanwhile: the next look finds it
        }
    }

    private static Process StartInItsOwnGroup(string script)
    {
        var info = new ProcessStartInfo("setsid", ["sh", "-c", script]) { RedirectStandardOutput = true, UseShellExecute = false };
        Process app = Process.Start(info)!;
        Assert.Equal("ready", app.StandardOutput.ReadLine());
        return app;
    }

    /// <summary>An app in its own process group under a lease the test sets, with the real watchdog and stops; killed with its group at the end.</summary>
    private sealed class LeasedApp : IDisposable
    {
        public LeasedApp(Process app)
        {
            App = app;
            var tree = new AppTree(new TestHostChild(app.Id));
            Watchdog = new Crik.Cli.Supervision.LeaseWatchdog(Lease, tree, app.Id, Serilog.Core.Logger.None);
            Stops = new Crik.Cli.Supervision.AppStops(tree, Watchdog);
        }

        public Process App { get; }

        public SettableLock Lease { get; } = new(Crik.Cli.Records.HoldState.Held);

        public Crik.Cli.Supervision.LeaseWatchdog Watchdog { get; }

        public Crik.Cli.Supervision.AppStops Stops { get; }

        public void Dispose()
        {
            Native.TrySignal(-App.Id, Native.SIGKILL);
            App.WaitForExit();
            Watchdog.Dispose();
            App.Dispose();
        }
    }

    private static ProcessTable.Entry? Child(int pid) => ProcessTable.ChildrenOf(pid).SingleOrDefault();

    private static char State(int pid) => ProcessTable.All().Single(e => e.Pid == pid).State;
}
