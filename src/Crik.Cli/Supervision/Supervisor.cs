// Supervision/ owns the app's life (start or restore, forward, resume, kill, wait) and crik's exit codes.
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The one owner of the app's life: it restores or starts the app, forwards signals to its process
/// group, turns the first SIGTERM into a checkpoint when one is configured, resumes the app when no
/// checkpoint was taken, kills it when one was committed, and ends with the app's exit code.
/// </summary>
/// <remarks>
/// Whatever goes wrong between SIGTERM and the commit (an exception, an I/O error, CRIU, the budget),
/// the app is resumed and gets its SIGTERM. Once a checkpoint is committed, the app is stopped for
/// good and crik exits 0, whatever fails afterwards: the next pod continues from that checkpoint, so
/// letting this copy run on would run the app twice.
/// </remarks>
/// <param name="checkpointInterval">How often to checkpoint the running app (checkpointInterval), or null for never.</param>
internal sealed class Supervisor(SignalRelay signals, AppLauncher launcher, IAppRestorer? restorer, ICheckpointer? checkpointer,
    TimeSpan? checkpointInterval, ILogger log)
{
    private static readonly TimeSpan KilledAppGrace = TimeSpan.FromSeconds(5);

    public async Task<int> RunAsync(IReadOnlyList<string> command)
    {
        RunningApp app = await RestoreOrStartAsync(command).ConfigureAwait(false);
        bool checkpointTried = false;
        bool checkpointedWhileRunning = false;
        Task periodicDue = NextPeriodicCheckpoint();
        while (true)
        {
            Task<bool> signalArrived = signals.Received.WaitToReadAsync().AsTask();
            await Task.WhenAny(app.Exited, signalArrived, periodicDue).ConfigureAwait(false);
            if (app.Exited.IsCompleted)
            {
                if (checkpointedWhileRunning)
                {
                    // Ended on its own, not by a checkpoint: bringing it back would run its end twice.
                    checkpointer!.RetireAfterOwnExit();
                }
                return AppEnded(app, await app.Exited.ConfigureAwait(false));
            }
            if (periodicDue.IsCompleted && !checkpointTried)
            {
                checkpointedWhileRunning |= await TryCheckpointAsync(app, CheckpointReason.Periodic).ConfigureAwait(false);
                periodicDue = NextPeriodicCheckpoint();
            }
            while (signals.Received.TryRead(out Signal signal))
            {
                if (signal == Signal.SIGTERM && checkpointer is not null && !checkpointTried)
                {
                    checkpointTried = true;
                    if (await TryCheckpointAsync(app, CheckpointReason.Sigterm).ConfigureAwait(false))
                    {
                        return await StopCheckpointedAsync(app).ConfigureAwait(false);
                    }
                }
                Forward(app, signal);
            }
        }
    }

    private Task NextPeriodicCheckpoint() =>
        checkpointer is not null && checkpointInterval is { } interval ? Task.Delay(interval) : Task.Delay(Timeout.Infinite);

    private async Task<RunningApp> RestoreOrStartAsync(IReadOnlyList<string> command)
    {
        try
        {
            if (restorer is not null && await restorer.TryRestoreAsync(command).ConfigureAwait(false) is { } restored)
            {
                return restored;
            }
        }
        catch (Exception e) when (e is not RestoreFailedException)
        {
            log.Debug(e, "Looking for a checkpoint failed");
            log.Error("Could not look for a checkpoint to restore: {Error}; starting the app fresh", e.Message);
        }
        return launcher.Start(command);
    }

    /// <summary>
    /// True when a checkpoint was committed. Otherwise, and after a periodic one either way, the app
    /// is running again; after a committed SIGTERM checkpoint it stays stopped for the caller to end.
    /// </summary>
    private async Task<bool> TryCheckpointAsync(RunningApp app, CheckpointReason reason)
    {
        CheckpointOutcome outcome;
        try
        {
            outcome = await checkpointer!.CheckpointAsync(app, reason).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.Debug(e, "The checkpoint failed");
            log.Error("Checkpoint failed: {Error}; the previous checkpoint is untouched, the app keeps running{AndGetsSigterm}",
                e.Message, reason == CheckpointReason.Sigterm ? " and gets SIGTERM" : "");
            outcome = new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
        }
        if (outcome is CheckpointOutcome.NotTaken { AppMayBeStopped: true }
            || (outcome is CheckpointOutcome.Committed && reason == CheckpointReason.Periodic))
        {
            SignalTree(app, Signal.SIGCONT);
        }
        return outcome is CheckpointOutcome.Committed;
    }

    /// <summary>The checkpoint is on disk: the stopped tree ends here and lives on in the next pod.</summary>
    private async Task<int> StopCheckpointedAsync(RunningApp app)
    {
        SignalTree(app, Signal.SIGKILL);
        try
        {
            await app.Exited.WaitAsync(KilledAppGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.Warning("The app (PID {Pid}) did not end within {Seconds} s of SIGKILL after its checkpoint", app.Pid, KilledAppGrace.TotalSeconds);
        }
        return ExitCodes.Checkpointed;
    }

    /// <summary>
    /// Signals the app's process group and every process and thread of its tree (which reaches
    /// processes that left the group, and children forked after the tree was read).
    /// </summary>
    private static void SignalTree(RunningApp app, Signal signal)
    {
        Posix.TrySignal(-app.Pid, signal);
        foreach (int pid in ProcessTree.PidsAndThreads(app.Pid))
        {
            Posix.TrySignal(pid, signal);
        }
    }

    private void Forward(RunningApp app, Signal signal)
    {
        bool delivered = Posix.TrySignal(-app.Pid, signal);
        string name = Posix.SignalName(signal);
        if (!delivered)
        {
            log.Debug("Did not forward {Signal}: the app's process group {Pid} is gone", name, app.Pid);
        }
        else if (signal is Signal.SIGWINCH or Signal.SIGURG or Signal.SIGCONT)
        {
            log.Debug("Forwarded {Signal} to the app (process group {Pid})", name, app.Pid);
        }
        else
        {
            log.Information("Forwarded {Signal} to the app (process group {Pid})", name, app.Pid);
        }
    }

    private int AppEnded(RunningApp app, WaitStatus status)
    {
        int code = ExitCodes.FromWaitStatus(status);
        if (status.Exited)
        {
            log.Information("The app (PID {Pid}) exited with code {Code}", app.Pid, code);
        }
        else
        {
            log.Information("The app (PID {Pid}) was killed by {Signal}; exiting with {Code}", app.Pid, Posix.SignalName(status.TermSignal), code);
        }
        return code;
    }
}
