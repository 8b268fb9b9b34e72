// Supervision/ owns the app's life (start or restore, forward, resume, kill, wait) and crik's exit codes.
using Crik.Cli.Control;
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
/// <param name="schedule">Periodic checkpoints and early warnings, besides SIGTERM.</param>
/// <param name="control">Where <c>crik checkpoint</c> requests arrive, or null when there is no control socket.</param>
internal sealed class Supervisor(SignalRelay signals, AppLauncher launcher, IAppRestorer? restorer, ICheckpointer? checkpointer,
    CheckpointSchedule schedule, ControlServer? control, ILogger log)
{
    private static readonly TimeSpan KilledAppGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(2);

    public async Task<int> RunAsync(IReadOnlyList<string> command)
    {
        RunningApp app = await RestoreOrStartAsync(command).ConfigureAwait(false);
        bool checkpointTried = false;
        bool checkpointedWhileRunning = false;
        Task periodicDue = NextPeriodicCheckpoint();
        Task<bool> earlyWarningDue = NextEarlyWarningPoll();
        while (true)
        {
            Task<bool> signalArrived = signals.Received.WaitToReadAsync().AsTask();
            Task requestArrived = control is null ? Task.Delay(Timeout.Infinite) : control.Requests.WaitToReadAsync().AsTask();
            await Task.WhenAny(app.Exited, signalArrived, periodicDue, earlyWarningDue, requestArrived).ConfigureAwait(false);
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
                checkpointedWhileRunning |= await TryCheckpointAsync(app, CheckpointReason.Periodic).ConfigureAwait(false) is CheckpointOutcome.Committed;
                periodicDue = NextPeriodicCheckpoint();
            }
            if (earlyWarningDue.IsCompleted && !checkpointTried)
            {
                if (await earlyWarningDue.ConfigureAwait(false))
                {
                    checkpointedWhileRunning |= await TryCheckpointAsync(app, CheckpointReason.AtRisk).ConfigureAwait(false) is CheckpointOutcome.Committed;
                }
                earlyWarningDue = NextEarlyWarningPoll();
            }
            while (control is not null && control.Requests.TryRead(out ControlRequest? request))
            {
                if (checkpointer is null || checkpointTried)
                {
                    request.Refused(checkpointer is null ? "checkpointing is off: no imageDir is configured" : "crik is stopping the app for a SIGTERM");
                    continue;
                }
                CheckpointReason reason = request.ExitAfter ? CheckpointReason.OnDemandExit : CheckpointReason.OnDemand;
                if (await TryCheckpointAsync(app, reason).ConfigureAwait(false) is not CheckpointOutcome.Committed committed)
                {
                    request.Refused("the checkpoint was not taken; crik's log says why");
                    continue;
                }
                request.Committed(committed.Generation, ImageStore.Size.Format(committed.Bytes), committed.Duration);
                if (request.ExitAfter)
                {
                    await AnswerDeliveredAsync(request).ConfigureAwait(false);
                    return await StopCheckpointedAsync(app).ConfigureAwait(false);
                }
                checkpointedWhileRunning = true;
            }
            while (signals.Received.TryRead(out Signal signal))
            {
                if (signal == Signal.SIGTERM && checkpointer is not null && !checkpointTried)
                {
                    checkpointTried = true;
                    if (await TryCheckpointAsync(app, CheckpointReason.Sigterm).ConfigureAwait(false) is CheckpointOutcome.Committed)
                    {
                        return await StopCheckpointedAsync(app).ConfigureAwait(false);
                    }
                }
                Forward(app, signal);
            }
        }
    }

    private Task NextPeriodicCheckpoint() =>
        checkpointer is not null && schedule.Interval is { } interval ? Task.Delay(interval) : Task.Delay(Timeout.Infinite);

    /// <summary>
    /// True when the next poll finds the node turned at-risk. It asks in the background, so a signal
    /// never waits for the node-state server. Early warnings are heard only where periodic
    /// checkpoints are on and a node-state server is configured.
    /// </summary>
    private async Task<bool> NextEarlyWarningPoll()
    {
        if (checkpointer is not { HearsEarlyWarnings: true } || schedule.Interval is null)
        {
            await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        }
        await Task.Delay(schedule.NodeStatePoll).ConfigureAwait(false);
        return await checkpointer!.NodeTurnedAtRiskAsync().ConfigureAwait(false);
    }

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
    /// Takes a checkpoint. Unless it was committed for a SIGTERM or <c>crik checkpoint --exit</c>
    /// (then the tree stays stopped for the caller to end), the app is running again afterwards.
    /// </summary>
    private async Task<CheckpointOutcome> TryCheckpointAsync(RunningApp app, CheckpointReason reason)
    {
        CheckpointOutcome outcome;
        if (control is not null)
        {
            control.CheckpointRunning = true;
        }
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
        finally
        {
            if (control is not null)
            {
                control.CheckpointRunning = false;
            }
        }
        bool appStopsHere = reason is CheckpointReason.Sigterm or CheckpointReason.OnDemandExit;
        if (outcome is CheckpointOutcome.NotTaken { AppMayBeStopped: true } || (outcome is CheckpointOutcome.Committed && !appStopsHere))
        {
            SignalTree(app, Signal.SIGCONT);
        }
        return outcome;
    }

    /// <summary>Lets the answer to <c>crik checkpoint --exit</c> reach the asker before crik exits (a little while at most).</summary>
    private static async Task AnswerDeliveredAsync(ControlRequest request)
    {
        try
        {
            await request.Delivered.WaitAsync(AnswerGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
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
