using System.Diagnostics;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

// The lease crik holds on the image directory for the app's life (object storage; a flock cannot be
// lost): LeaseWatchdog freezes the app while renewals fail and kills it when the lease is lost, on a
// thread of its own; the supervisor resumes the app only through it, and stops waiting for a
// checkpoint the moment the lease is lost.
internal sealed partial class Supervisor
{
    /// <summary>How often a SIGTERM's wait for a lease in doubt looks whether it was kept.</summary>
    private static readonly TimeSpan DoubtPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>Completes once the lease is lost (the watchdog has sent the app SIGKILL); never without a lease.</summary>
    private static Task LeaseLost(AppLife life) => life.Watchdog?.Lost ?? Never;

    /// <summary>
    /// The lease's watchdog, for as long as the app lives: once it is gone there is nothing left to
    /// freeze or kill, and its PID may soon be another process's. That ends the watchdog on the app's
    /// death itself, not on the loop's noticing it (which a checkpoint under way can hold up).
    /// </summary>
    private LeaseWatchdog? WatchTheLease(RunningApp app, AppTree tree)
    {
        if (restorer?.Holding is null)
        {
            return null;
        }
        var watchdog = new LeaseWatchdog(() => restorer.Holding, tree.Signal, app.Pid, log);
        app.Exited.ContinueWith(_ => watchdog.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return watchdog;
    }

    /// <summary>Lets the app run again after crik stopped it: only while the lease is held (see <see cref="LeaseWatchdog.Resume"/>).</summary>
    private static void Resume(AppLife life)
    {
        if (life.Watchdog is { } watchdog)
        {
            watchdog.Resume();
        }
        else
        {
            life.Tree.Signal(Signal.SIGCONT);
        }
    }

    /// <summary>An app restored stopped (on crik's fill) runs for the first time: only while the lease is held (see <see cref="LeaseWatchdog.LetGo"/>).</summary>
    private static void LetGo(AppLife life)
    {
        if (life.App.LetGo is not { } letGo)
        {
            return;
        }
        if (life.Watchdog is { } watchdog)
        {
            watchdog.LetGo(letGo);
        }
        else
        {
            letGo();
        }
    }

    /// <summary>
    /// A SIGTERM while the lease is in doubt (the node goes away while the store does not answer): the app stays
    /// frozen while crik waits up to checkpointTimeout for a renewal. True once the lease was kept (the watchdog
    /// thawed the app, which may run while the lease is crik's) and the checkpoint may go on; false when the doubt
    /// outlasted the wait, the lease was lost or the app ended: the checkpoint is not taken, as when it cannot be written.
    /// </summary>
    private async Task<bool> LeaseKeptInTimeAsync(AppLife life)
    {
        if (life.Watchdog is not { } watchdog || schedule.LeaseDoubtWait <= TimeSpan.Zero)
        {
            return false;
        }
        log.Warning("SIGTERM while crik's lease is in doubt: the app stays frozen while crik waits up to {Seconds:0.#} s (checkpointTimeout) "
            + "for the store to answer, and checkpoints it if the lease is still crik's", schedule.LeaseDoubtWait.TotalSeconds);
        var waiting = Stopwatch.StartNew();
        while (watchdog.Frozen && !watchdog.Lost.IsCompleted && !life.App.Exited.IsCompleted && waiting.Elapsed < schedule.LeaseDoubtWait)
        {
            await Task.WhenAny(watchdog.Lost, life.App.Exited, Task.Delay(DoubtPoll)).ConfigureAwait(false);
        }
        return !watchdog.Frozen && !life.App.Exited.IsCompleted;
    }

    /// <summary>Why no checkpoint may start now: the app is frozen for its lease (a dump would record it stopped, and the store is failing).</summary>
    private static string? FrozenForTheLease(AppLife life) =>
        life.Watchdog is { Frozen: true } ? "the app is frozen because crik cannot renew its lease on the image directory" : null;

    /// <summary>Why a checkpoint begun after <paramref name="freezes"/> freezes must not be committed: the app was frozen during it, and would come back frozen.</summary>
    private static string? FrozenSince(AppLife life, int freezes) =>
        life.Watchdog is { } watchdog && watchdog.Freezes != freezes
            ? "the app was frozen during the checkpoint because crik could not renew its lease, and a checkpoint of a frozen app would come back frozen" : null;

    /// <summary>This copy of the app must not run on (its lease is lost, or another crik committed): abandons what the supervisor was doing.</summary>
    private sealed class AppMustStopException : Exception;
}
