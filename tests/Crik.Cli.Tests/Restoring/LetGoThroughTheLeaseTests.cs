using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Supervision;
using Crik.Cli.Tests.Support;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.Restoring;

/// <summary>
/// An app restored stopped on crik's fill runs for the first time only through the lease's watchdog:
/// never once the lease was lost while its memory arrived, and only once a renewal succeeds when the
/// lease is endangered; it is let go its own way (a process stopped at the checkpoint stays stopped),
/// not by a SIGCONT to the whole tree.
/// </summary>
[Trait("Category", "Unit")]
public class LetGoThroughTheLeaseTests : IFreezableTree, IStoppedApp
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    private readonly List<Signal> _signals = [];
    private int _letGo;
    private int[] _running = [];

    [Fact]
    public async Task AnAppWhoseLeaseWasLostWhileItsMemoryArrivedIsNeverLetGoAndIsKilled()
    {
        using var watchdog = new LeaseWatchdog(new SettableLock(HoldState.Lost), this, 1, Log);
        watchdog.LetGo(this);
        await watchdog.Lost.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, Volatile.Read(ref _letGo));
        Assert.Equal([Signal.SIGKILL], Signals());
    }

    [Fact]
    public void AnAppWhoseLeaseIsHeldIsLetGoAtOnceItsOwnWay()
    {
        using var watchdog = new LeaseWatchdog(new SettableLock(HoldState.Held), this, 1, Log);
        watchdog.LetGo(this);
        Assert.Equal(1, Volatile.Read(ref _letGo));
        Assert.Empty(Signals());
    }

    [Fact]
    public void AnAppWhoseLeaseIsEndangeredStaysFrozenUntilARenewalSucceedsAndIsThenLetGoItsOwnWay()
    {
        var lease = new SettableLock(HoldState.Endangered);
        using var watchdog = new LeaseWatchdog(lease, this, 1, Log);
        watchdog.LetGo(this);
        Thread.Sleep(200);
        Assert.Equal(0, Volatile.Read(ref _letGo));
        Assert.True(watchdog.Frozen);
        lease.Set(HoldState.Held);
        SpinWait.SpinUntil(() => Volatile.Read(ref _letGo) > 0, TimeSpan.FromSeconds(5));
        Assert.Equal(1, Volatile.Read(ref _letGo));
        Assert.DoesNotContain(Signal.SIGCONT, Signals());
    }

    [Fact]
    public void ASigcontThatReachedCrikIsHeldBackWhileTheAppIsFrozenAndSentWhileTheLeaseIsHeld()
    {
        var lease = new SettableLock(HoldState.Endangered);
        using var watchdog = new LeaseWatchdog(lease, this, 1, Log);
        SpinWait.SpinUntil(() => watchdog.Frozen, TimeSpan.FromSeconds(5));
        int sent = 0;
        Assert.False(watchdog.UnlessFrozen(() => sent++));
        Assert.Equal(0, sent);
        lease.Set(HoldState.Held);
        SpinWait.SpinUntil(() => !watchdog.Frozen, TimeSpan.FromSeconds(5));
        Assert.True(watchdog.UnlessFrozen(() => sent++));
        Assert.Equal(1, sent);
    }

    [Fact]
    public void AProcessOfAFrozenAppThatRunsAgainIsStoppedAgainAtTheWatchdogsNextLook()
    {
        using var watchdog = new LeaseWatchdog(new SettableLock(HoldState.Endangered), this, 1, Log);
        SpinWait.SpinUntil(() => watchdog.Frozen, TimeSpan.FromSeconds(5));
        Thread.Sleep(100);
        Assert.Equal([Signal.SIGSTOP], Signals()); // all stopped: nothing sent again
        Volatile.Write(ref _running, [42]); // woken by someone else's SIGCONT
        Assert.True(SpinWait.SpinUntil(() => Signals().Count(s => s == Signal.SIGSTOP) >= 2, TimeSpan.FromSeconds(5)), string.Join(", ", Signals()));
        Assert.DoesNotContain(Signal.SIGCONT, Signals());
    }

    [Fact]
    public async Task AnAppWhoseLeaseIsFencedStaysFrozenAndIsKilledOnceTheLeaseIsLost()
    {
        var lease = new SettableLock(HoldState.Fenced);
        using var watchdog = new LeaseWatchdog(lease, this, 1, Log);
        watchdog.LetGo(this);
        Assert.True(watchdog.Frozen);
        lease.Set(HoldState.Lost);
        await watchdog.Lost.WaitAsync(TimeSpan.FromSeconds(5));
        // Lost completes just before the SIGKILL goes (so that whoever sees the app die knows it was crik's): wait for the signal.
        Assert.True(SpinWait.SpinUntil(() => Signals().Contains(Signal.SIGKILL), TimeSpan.FromSeconds(5)), string.Join(", ", Signals()));
        Assert.Equal(0, Volatile.Read(ref _letGo));
        Assert.Equal([Signal.SIGKILL], Signals().Where(s => s != Signal.SIGSTOP));
    }

    [Fact]
    public void TheWatchdogOfARunningAppWaitsForTheLeaseToChangeAndDoesNotLookAgainMeanwhile()
    {
        var lease = new SettableLock(HoldState.Held);
        using var watchdog = new LeaseWatchdog(lease, this, 1, Log);
        watchdog.LetGo(this);
        Thread.Sleep(300); // 15 of the ticks at which it once polled
        Assert.InRange(lease.Looks, 1, 2); // the watchdog's first look, and LetGo's
        lease.Set(HoldState.Endangered);
        Assert.True(SpinWait.SpinUntil(() => watchdog.Frozen, TimeSpan.FromSeconds(5)));
        lease.Set(HoldState.Held);
        Assert.True(SpinWait.SpinUntil(() => !watchdog.Frozen, TimeSpan.FromSeconds(5)));
        int looks = lease.Looks;
        Thread.Sleep(300);
        Assert.Equal(looks, lease.Looks);
    }

    [Fact]
    public async Task TheEndOfAFreezeIsToldToWhoeverWaitsForIt()
    {
        var lease = new SettableLock(HoldState.Held);
        using var watchdog = new LeaseWatchdog(lease, this, 1, Log);
        Assert.True(watchdog.Thawed.IsCompleted);
        lease.Set(HoldState.Endangered);
        Assert.True(SpinWait.SpinUntil(() => watchdog.Frozen, TimeSpan.FromSeconds(5)));
        Task thawed = watchdog.Thawed;
        Assert.False(thawed.IsCompleted);
        lease.Set(HoldState.Held);
        await thawed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(watchdog.Frozen);
    }

    /// <summary>
    /// A real process restored stopped, frozen for a lease in doubt when it was to run first (so the freeze found it stopped),
    /// then let go by a renewal: crik's next stop of it for a checkpoint ends with it running again, not kept stopped as if
    /// the app had stopped it itself (it was: the app hung for good, and every later checkpoint recorded it stopped).
    /// </summary>
    [Fact]
    public void AnAppLetGoByARenewalAfterAFreezeRunsAgainAfterTheNextCheckpointsStop()
    {
        using var app = System.Diagnostics.Process.Start("sleep", "60");
        int pid = app.Id;
        try
        {
            Posix.TrySignal(pid, Signal.SIGSTOP); // as CRIU leaves a tree restored on crik's fill
            WaitForState(pid, stopped: true);
            var tree = new AppTree(new TestHostChild(pid));
            var lease = new SettableLock(HoldState.Endangered);
            using var watchdog = new LeaseWatchdog(lease, tree, pid, Log);
            watchdog.LetGo(new ContinuedBySigcont(pid));
            Assert.True(watchdog.Frozen);
            lease.Set(HoldState.Held);
            WaitForState(pid, stopped: false);
            using (watchdog.StoppedByCrik())
            {
                tree.WillBeStopped(); // a checkpoint's stop, as AppStops.StopForCheckpoint makes it
                Posix.TrySignal(pid, Signal.SIGSTOP);
                WaitForState(pid, stopped: true);
            }
            watchdog.Resume();
            WaitForState(pid, stopped: false);
        }
        finally
        {
            app.Kill();
        }
    }

    private static void WaitForState(int pid, bool stopped) =>
        Assert.True(SpinWait.SpinUntil(() => ProcFiles.StatFields(pid) is [['T', ..], ..] == stopped, TimeSpan.FromSeconds(5)),
            $"process {pid} is {(stopped ? "not stopped" : "still stopped")}: {File.ReadAllText($"/proc/{pid}/stat")}");

    private sealed class ContinuedBySigcont(int pid) : IStoppedApp
    {
        public void LetGo() => Posix.TrySignal(pid, Signal.SIGCONT);
    }

    public IReadOnlyCollection<int> Running() => Volatile.Read(ref _running);

    void IFreezableTree.LetGoOtherwise()
    {
    }

    void IFreezableTree.StopAgain() => ((IFreezableTree)this).Signal(Signal.SIGSTOP);

    void IStoppedApp.LetGo() => Interlocked.Increment(ref _letGo);

    void IFreezableTree.Signal(Signal signal)
    {
        lock (_signals)
        {
            _signals.Add(signal);
        }
    }

    private List<Signal> Signals()
    {
        lock (_signals)
        {
            return [.. _signals];
        }
    }
}
