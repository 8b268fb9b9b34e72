using Crik.Cli.Decisions;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Locking;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// Enforces the image directory's lease whatever the supervisor is doing (a checkpoint, a commit that
/// hangs, an upload, lazy loading): on a thread of its own it freezes the app's tree once renewals
/// have failed long enough to put the lease in doubt, which is before another pod may take the lease
/// over, and keeps it frozen while the doubt lasts. A renewal that succeeds (the lease is still crik's:
/// no other pod can have run the app) thaws it; a lease lost (the store says another pod has it, or the
/// doubt lasted leaseDoubtLimit) kills it, never thawed. Its deadlines are the lease's own, on the
/// monotonic clock; what is left is this thread's scheduling latency. The thread waits on the lease's state
/// (<see cref="IStoreLock.WaitForChange"/>), which wakes it at each answer from the store and at each time its state
/// changes by itself; it looks at the app's processes every <see cref="Tick"/> only while the app is frozen.
/// </summary>
/// <remarks>
/// Every SIGCONT crik gives the app goes through <see cref="Resume"/>, which looks at the lease first:
/// an app frozen for the lease, or stopped for a checkpoint, runs again only while the lease is held.
/// </remarks>
internal sealed class LeaseWatchdog : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly IStoreLock _lease;
    private readonly IFreezableTree _tree;
    private readonly int _pid;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly LeaseFreeze _freeze;
    private int _stoppedByCrik;

    /// <param name="lease">The lock held for the app's life; its state never waits on the store.</param>
    public LeaseWatchdog(IStoreLock lease, IFreezableTree tree, int pid, ILogger log)
    {
        _lease = lease;
        _tree = tree;
        _pid = pid;
        _log = log;
        _freeze = new LeaseFreeze(tree);
        _thread = BackgroundThread.Start(Watch, "crik lease watchdog");
    }

    /// <summary>Completes once the lease is lost, just before the app is sent SIGKILL (so that whoever sees it die knows it was crik's).</summary>
    public Task Lost => _lost.Task;

    /// <summary>The app is frozen for the lease now.</summary>
    public bool Frozen
    {
        get
        {
            lock (_gate)
            {
                return _freeze.Frozen || _lost.Task.IsCompleted;
            }
        }
    }

    /// <summary>Completes once the app is not frozen for the lease: at once when it is not now, else when this freeze ends.</summary>
    public Task Thawed
    {
        get
        {
            lock (_gate)
            {
                return _freeze.Thawed;
            }
        }
    }

    /// <summary>How many times the app was frozen for the lease: a checkpoint during which this changed must not be committed.</summary>
    public int Freezes
    {
        get
        {
            lock (_gate)
            {
                return _freeze.Count;
            }
        }
    }

    /// <summary>
    /// How many of the app's freezes for the lease are over: all those begun but one under way now. A checkpoint that stops
    /// the app counts from here, so that a freeze begun just before its stop counts as one during it.
    /// </summary>
    public int FreezesOver
    {
        get
        {
            lock (_gate)
            {
                return _freeze.Count - (_freeze.Frozen ? 1 : 0);
            }
        }
    }

    /// <summary>
    /// crik stops the app itself for a while (a checkpoint): the watchdog still freezes and kills, but a
    /// renewal that succeeds meanwhile does not thaw it; <see cref="Resume"/> at the end does.
    /// </summary>
    public IDisposable StoppedByCrik()
    {
        Interlocked.Increment(ref _stoppedByCrik);
        return new Release(this);
    }

    /// <summary>Lets the app run again (SIGCONT) only while the lease is held; else it stays frozen, or is killed once lost.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            HoldState state = _lease.State;
            if (_lost.Task.IsCompleted || state is HoldState.Lost)
            {
                return;
            }
            if (LeaseHold.FreezesTheApp(state))
            {
                FreezeLocked();
                return;
            }
            ThawKeptLocked();
        }
    }

    /// <summary>
    /// Runs <paramref name="send"/> (a SIGCONT that reached crik, on its way to the app) unless the app is frozen for the
    /// lease or was killed for it: under the watchdog's lock, so that no freeze comes between the look and the signal.
    /// False when it was held back.
    /// </summary>
    public bool UnlessFrozen(Action send)
    {
        lock (_gate)
        {
            if (_freeze.Frozen || _lost.Task.IsCompleted)
            {
                return false;
            }
            send();
            return true;
        }
    }

    /// <summary>
    /// Lets an app restored stopped run for the first time (<paramref name="app"/>, its own way) only while the lease
    /// is held: a lease lost while its memory arrived keeps it stopped until the watchdog kills it, and
    /// one endangered keeps it frozen; it goes once a renewal succeeds.
    /// </summary>
    public void LetGo(IStoppedApp app)
    {
        lock (_gate)
        {
            // Its first thaw, through the same look at the lease as every SIGCONT (Thaw takes it).
            _freeze.LetGoOnFirstThaw(app);
            Resume();
        }
    }

    public void Dispose()
    {
        TestDelay.BeforeWatchdogStops();
        _stopping.Cancel();
        _thread.Join(TimeSpan.FromSeconds(1));
    }

    private void Watch()
    {
        HoldState state = _lease.State;
        while (!_stopping.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (!ActLocked(state))
                {
                    return;
                }
            }
            // Nothing tells crik of a SIGCONT that something in the pod sends a process of a frozen app: only then it looks.
            state = _lease.WaitForChange(state, Frozen ? Tick : Timeout.InfiniteTimeSpan, _stopping.Token);
        }
    }

    /// <summary>What the lease's state asks for now; false once the app was killed for it.</summary>
    private bool ActLocked(HoldState state)
    {
        switch (state)
        {
            case HoldState.Lost:
                KillLocked();
                return false;
            case HoldState.Endangered or HoldState.Fenced when !_freeze.Frozen:
                FreezeLocked();
                break;
            case HoldState.Held when _freeze.Frozen && Volatile.Read(ref _stoppedByCrik) == 0:
                ThawKeptLocked();
                break;
        }
        KeepFrozenLocked();
        return true;
    }

    private void KillLocked()
    {
        // Lost first: whoever sees the app die of this SIGKILL must know it was crik's.
        _lost.TrySetResult();
        _tree.Signal(Signal.SIGKILL);
        TimeSpan inDoubt = _freeze.InDoubt;
        _log.Error(new Happening.LeaseLost(_pid, inDoubt),
            "crik lost its lease on the image directory{AfterDoubt}, so another pod may now run the app: the app (PID {Pid}) was killed, "
            + "so that it never runs twice. The next pod resumes from the newest checkpoint",
            _freeze.Frozen ? $" after {inDoubt.TotalSeconds:0.#} s in doubt (the app was frozen all that time and ran nothing)" : "", _pid);
    }

    /// <summary>The lease is held: the app runs again, and a doubt that froze it ends here (it was kept).</summary>
    private void ThawKeptLocked()
    {
        if (_freeze.Frozen)
        {
            TimeSpan inDoubt = _freeze.InDoubt;
            _log.Information(new Happening.LeaseKept(_pid, inDoubt),
                "crik renewed its lease after {Seconds:0.#} s in doubt, over the version it wrote last: no other pod took it over, so the app (PID {Pid}) "
                + "was thawed and runs on", inDoubt.TotalSeconds, _pid);
        }
        _freeze.Thaw();
    }

    /// <summary>A frozen app stays frozen whoever woke a process of it: each tick, what runs is stopped again.</summary>
    private void KeepFrozenLocked()
    {
        if (_freeze.StopWhatRuns())
        {
            _log.Warning("A process of the app (PID {Pid}) ran while it was frozen for the lease (something in the pod sent it SIGCONT); "
                + "crik stopped it again, and the app stays frozen until a renewal succeeds", _pid);
        }
    }

    private void FreezeLocked()
    {
        if (!_freeze.Freeze())
        {
            return;
        }
        _log.Warning(new Happening.LeaseInDoubt(_pid), "crik cannot renew its lease on the image directory, so the lease is in doubt; the app (PID {Pid}) "
            + "is frozen until a renewal succeeds, and runs on then; it is killed, never thawed, if the store answers that another pod took "
            + "the lease, or once the doubt has lasted leaseDoubtLimit", _pid);
    }

    private sealed class Release(LeaseWatchdog watchdog) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref watchdog._stoppedByCrik);
            }
        }
    }
}
