using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

/// <summary>
/// The one owner of whether the app is stopped, for the supervisor: stopped by crik for a checkpoint or a pre-dump
/// (CRIU's dump leaves it stopped), frozen by the lease's watchdog, or kept stopped after a checkpoint that ends it.
/// Every way the supervisor stops the app or lets it run again goes through here, and every SIGCONT goes through the
/// watchdog when there is a lease (see <see cref="LeaseWatchdog.Resume"/>): an app runs again only while the lease is held.
/// </summary>
/// <param name="tree">The app's processes, which note those the app had stopped itself before crik stops it.</param>
/// <param name="watchdog">The lease's watchdog for the app's life, or null without a lease.</param>
internal sealed class AppStops(AppTree tree, LeaseWatchdog? watchdog)
{
    /// <summary>While crik stops the app for a checkpoint: a renewal that succeeds meanwhile does not thaw it.</summary>
    private IDisposable? _checkpointHold;

    /// <summary>
    /// 1 from crik's stop of the app (a checkpoint's or a pre-dump's) to the one <see cref="Resume"/> or <see cref="NotStopped"/>
    /// that ends it. A checkpoint the app runs on from resumes it once captured, before its commit, and its end would resume
    /// it again: a second SIGCONT then reaches a process the app stopped itself in between.
    /// </summary>
    private int _stoppedByCrik;

    /// <summary>Completes when crik's stop under way ends (<see cref="Resume"/> or <see cref="NotStopped"/>); completed while there is none.</summary>
    private volatile TaskCompletionSource _stopEnded = Ended();

    /// <summary>
    /// How many of the watchdog's freezes of the app were over when crik stopped it for the checkpoint under way: a freeze
    /// that began after the checkpoint's look at <see cref="FrozenForTheLease"/> and before its stop counts as one during it.
    /// </summary>
    private int _freezesAtStop;

    /// <summary>Completes once the lease is lost (the watchdog has sent the app SIGKILL); never without a lease.</summary>
    public Task LeaseLost => watchdog?.Lost ?? Wakeups.Never;

    /// <summary>There is a lease whose watchdog may freeze the app.</summary>
    public bool UnderALease => watchdog is not null;

    /// <summary>Why no checkpoint may start now: the app is frozen for its lease (a dump would record it stopped, and the store is failing).</summary>
    public string? FrozenForTheLease =>
        watchdog is { Frozen: true } ? "the app is frozen because crik cannot renew its lease on the image directory" : null;

    /// <summary>Why the checkpoint under way must not be committed: the app was frozen during it, and would come back frozen.</summary>
    public string? FrozenDuringTheCheckpoint =>
        watchdog is { } w && w.Freezes != Volatile.Read(ref _freezesAtStop)
            ? "the app was frozen during the checkpoint because crik could not renew its lease, and a checkpoint of a frozen app would come back frozen" : null;

    /// <summary>
    /// CRIU is about to dump the app for a checkpoint, which leaves it stopped: notes the processes the app had stopped
    /// itself (they stay stopped when crik lets it go), and holds the app stopped until <see cref="Resume"/> or <see cref="NotStopped"/>.
    /// </summary>
    public void StopForCheckpoint()
    {
        _stopEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _stoppedByCrik, 1);
        _checkpointHold = watchdog?.StoppedByCrik();
        Volatile.Write(ref _freezesAtStop, watchdog?.FreezesOver ?? 0);
        tree.WillBeStopped();
    }

    /// <summary>CRIU is about to pre-dump the app: it stops the app and, when it succeeds, lets it run again itself.</summary>
    public void StopForPreDump()
    {
        _stopEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _stoppedByCrik, 1);
        tree.WillBeStopped();
    }

    /// <summary>What was to stop the app did not, or CRIU let it run again itself: it runs as it did, and crik's hold ends.</summary>
    public void NotStopped()
    {
        Volatile.Write(ref _stoppedByCrik, 0);
        tree.NotStopped();
        ReleaseHold();
        _stopEnded.TrySetResult();
    }

    /// <summary>
    /// While crik holds the app stopped (from its stop for a checkpoint or a pre-dump until it lets the app go), a task that
    /// completes when it lets go; null when it holds it not, and a signal may reach the app at once.
    /// </summary>
    public Task? HeldUntil()
    {
        Task ended = _stopEnded.Task; // read before the flag: a stop that ends in between leaves it completed
        return Volatile.Read(ref _stoppedByCrik) == 1 ? ended : null;
    }

    /// <summary>Lets the app run again after crik stopped it: only while the lease is held; else it stays frozen, or is killed once lost.</summary>
    /// <returns>When the app was let go, right before its first SIGCONT (<see cref="MonotonicClock"/>); null when it was not: resumed
    /// already, or held back by the lease.</returns>
    public long? Resume()
    {
        if (Interlocked.Exchange(ref _stoppedByCrik, 0) == 0)
        {
            return null; // resumed already, since crik last stopped it
        }
        ReleaseHold();
        long before = MonotonicClock.Now();
        Continue();
        _stopEnded.TrySetResult();
        return tree.ContinuedAt is var continuedAt && continuedAt >= before ? continuedAt : null;
    }

    /// <summary>
    /// The checkpoint dumps the app a second time: it runs again until that dump stops it (CRIU would record it stopped),
    /// crik's hold stays, and the processes the app had stopped itself are still those noted before the first dump.
    /// </summary>
    public void RunForASecondDump()
    {
        Continue();
        tree.WillBeStoppedAgain();
    }

    /// <summary>An app restored stopped (on crik's fill) runs for the first time: only while the lease is held (see <see cref="LeaseWatchdog.LetGo"/>).</summary>
    public void LetGo(RunningApp app)
    {
        if (app.Stopped is not { } stopped)
        {
            return;
        }
        if (watchdog is not null)
        {
            watchdog.LetGo(stopped);
        }
        else
        {
            stopped.LetGo();
        }
    }

    /// <summary>
    /// Waits up to <paramref name="wait"/> for the lease's freeze to end: true once it was kept (the watchdog thawed the app)
    /// with the app alive; false when the doubt outlasted the wait, the lease was lost or the app ended.
    /// </summary>
    public async Task<bool> ThawedWithinAsync(TimeSpan wait, Task appExited)
    {
        if (watchdog is null)
        {
            return false;
        }
        using var timeUp = new CancellationTokenSource();
        Task outOfTime = Task.Delay(Timeout.InfiniteTimeSpan, timeUp.Token);
        timeUp.CancelAfter(wait);
        // A freeze that ends is told (Thawed), as are the lease's loss and the app's end: nothing here looks again on a timer.
        while (watchdog.Frozen && !watchdog.Lost.IsCompleted && !appExited.IsCompleted && !outOfTime.IsCompleted)
        {
            await Task.WhenAny(watchdog.Thawed, watchdog.Lost, appExited, outOfTime).ConfigureAwait(false);
        }
        return !watchdog.Frozen && !appExited.IsCompleted;
    }

    /// <summary>
    /// Sends a signal that reached crik to the app through <paramref name="send"/>, unless it is a SIGCONT while the app is
    /// frozen for its lease: that one only the watchdog's decision may give. False only when it was held back so (not when
    /// <paramref name="send"/> found no app to send it to).
    /// </summary>
    public bool Forward(Signal signal, Action send)
    {
        if (signal == Signal.SIGCONT && watchdog is not null)
        {
            return watchdog.UnlessFrozen(send);
        }
        send();
        return true;
    }

    private void Continue()
    {
        if (watchdog is not null)
        {
            watchdog.Resume();
        }
        else
        {
            tree.Signal(Signal.SIGCONT);
        }
    }

    private static TaskCompletionSource Ended()
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ended.SetResult();
        return ended;
    }

    /// <summary>Ends crik's hold once, whichever way the checkpoint lets the app go first.</summary>
    private void ReleaseHold() => Interlocked.Exchange(ref _checkpointHold, null)?.Dispose();
}
