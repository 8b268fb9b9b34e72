// Supervision/ owns the app's life (start or restore, forward, resume, kill, wait) and crik's exit codes.
using Crik.Cli.Checkpointing;
using Crik.Cli.Control;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Restoring;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The one owner of the app's life: it restores or starts the app, forwards signals to its process
/// group, turns the first SIGTERM into a checkpoint when one is configured, resumes the app when no
/// checkpoint was taken, kills it when one was committed, and ends with the app's exit code. It also
/// checkpoints the running app periodically, on an early warning and on demand, resuming it after.
/// </summary>
/// <remarks>
/// Whatever goes wrong between SIGTERM and the commit (an exception, an I/O error, CRIU, the budget),
/// the app is resumed and gets its SIGTERM. Once a checkpoint is committed, the app is stopped for
/// good and crik exits 0, whatever fails afterwards: the next pod continues from that checkpoint, so
/// letting this copy run on would run the app twice.
/// </remarks>
/// <param name="schedule">Periodic checkpoints and early warnings, besides SIGTERM.</param>
/// <param name="control">Where <c>crik checkpoint</c> requests arrive, or null when there is no control socket.</param>
internal sealed partial class Supervisor(SignalRelay signals, AppLauncher launcher, IAppRestorer? restorer, ICheckpointer? checkpointer,
    CheckpointSchedule schedule, ControlServer? control, ILogger log)
{
    private static readonly TimeSpan KilledAppGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(2);

    /// <summary>A SIGTERM is being handled: no other checkpoint starts.</summary>
    private bool _stopping;

    /// <summary>A checkpoint the app ran on from was committed in this run.</summary>
    private bool _checkpointedWhileRunning;

    /// <summary>A SIGTERM asked for a checkpoint that was not taken: the app ends because its node goes away, not on its own.</summary>
    private bool _checkpointFailedAtSigterm;

    /// <summary>The signals forwarded to the app: dying of one of them is its own end (<see cref="AppEnd"/>).</summary>
    private readonly HashSet<Signal> _forwarded = [];

    /// <summary>The OOM killer's count in crik's memory cgroup when the app started.</summary>
    private OomKills? _oomKillsAtStart;

    public async Task<int> RunAsync(IReadOnlyList<string> command)
    {
        RunningApp app = await RestoreOrStartAsync(command).ConfigureAwait(false);
        _oomKillsAtStart = OomKills.Read();
        using LeaseWatchdog? watchdog = _watchdog = WatchTheLease(app);
        try
        {
            return await SuperviseAsync(app).ConfigureAwait(false);
        }
        catch (AppMustStopException)
        {
            // Already said why (the lease lost, another crik's commit); the app was sent SIGKILL or is now.
            await KillAndWaitAsync(app).ConfigureAwait(false);
            return ExitCodes.CrikFailure;
        }
    }

    private async Task<int> SuperviseAsync(RunningApp app)
    {
        control?.StartAccepting();
        Task periodicDue = NextPeriodicCheckpoint();
        Task<bool> earlyWarningDue = NextEarlyWarningPoll();
        Task preDumpDue = NextPreDump();
        Task probationDue = app.Generation > 0 && restorer is not null ? Task.Delay(restorer.Probation) : Task.Delay(Timeout.Infinite);
        Task memoryLoaded = app.MemoryLoaded ?? Task.Delay(Timeout.Infinite);
        while (true)
        {
            Task<bool> signalArrived = signals.Received.WaitToReadAsync().AsTask();
            Task requestArrived = control is null ? Task.Delay(Timeout.Infinite) : control.Requests.WaitToReadAsync().AsTask();
            await Task.WhenAny(app.Exited, signalArrived, periodicDue, earlyWarningDue, preDumpDue, requestArrived, probationDue, LeaseLost, memoryLoaded)
                .ConfigureAwait(false);
            if (LeaseLost.IsCompleted)
            {
                throw new AppMustStopException();
            }
            if (app.Exited.IsCompleted && await LoadingEndedAsync(app).ConfigureAwait(false) is { } failure)
            {
                return await LoadFailedAsync(app, failure).ConfigureAwait(false);
            }
            if (memoryLoaded.IsCompleted && app.MemoryLoaded is not null)
            {
                if (await app.MemoryLoaded.ConfigureAwait(false) is { } loadFailure)
                {
                    return await LoadFailedAsync(app, loadFailure).ConfigureAwait(false);
                }
                memoryLoaded = Task.Delay(Timeout.Infinite);
            }
            if (app.Exited.IsCompleted)
            {
                return AppEnded(app, await app.Exited.ConfigureAwait(false));
            }
            if (probationDue.IsCompleted && app.Generation > 0)
            {
                restorer!.RestoreSurvived(app);
                probationDue = Task.Delay(Timeout.Infinite);
            }
            // Signals first: a SIGTERM must not wait behind a periodic checkpoint.
            while (signals.Received.TryRead(out Signal signal))
            {
                bool forwarded = false;
                if (signal == Signal.SIGTERM && checkpointer is not null && !_stopping)
                {
                    _stopping = true;
                    // A failed checkpoint hands the app its SIGTERM as soon as CRIU is done, not after the clean-up.
                    CheckpointOutcome outcome = await TryCheckpointAsync(app, CheckpointReason.Sigterm, whenGivingUp: () =>
                    {
                        Forward(app, signal);
                        forwarded = true;
                    }).ConfigureAwait(false);
                    if (outcome is CheckpointOutcome.Committed)
                    {
                        return await StopCheckpointedAsync(app).ConfigureAwait(false);
                    }
                    _checkpointFailedAtSigterm = outcome is CheckpointOutcome.NotTaken { NotWanted: false };
                }
                if (!forwarded)
                {
                    Forward(app, signal);
                }
            }
            if (periodicDue.IsCompleted && !_stopping)
            {
                _checkpointedWhileRunning |= await TryCheckpointAsync(app, CheckpointReason.Periodic).ConfigureAwait(false) is CheckpointOutcome.Committed;
                periodicDue = NextPeriodicCheckpoint();
            }
            if (preDumpDue.IsCompleted && !_stopping)
            {
                await PreDumpAsync(app).ConfigureAwait(false);
                preDumpDue = NextPreDump();
            }
            if (earlyWarningDue.IsCompleted && !_stopping)
            {
                if (await earlyWarningDue.ConfigureAwait(false))
                {
                    _checkpointedWhileRunning |= await TryCheckpointAsync(app, CheckpointReason.AtRisk).ConfigureAwait(false) is CheckpointOutcome.Committed;
                }
                earlyWarningDue = NextEarlyWarningPoll();
            }
            if (await AnswerRequestsAsync(app).ConfigureAwait(false))
            {
                return await StopCheckpointedAsync(app).ConfigureAwait(false);
            }
        }
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
            if (!restorer!.StartsWhenUnsure)
            {
                // Unknown is not empty: a fresh start could drop a checkpoint's work and run a second copy.
                throw new RestoreFailedException($"crik could not look for or restore a checkpoint ({e.Message}), so it starts nothing "
                    + "and exits so that Kubernetes starts this pod again; onStoreUnavailable: start starts the app fresh instead");
            }
            log.Warning("Could not look for or restore a checkpoint ({Error}); starting the app fresh because onStoreUnavailable: start asks for it, "
                + "which gives up the work in any checkpoint and the promise of one live copy", e.Message);
        }
        return launcher.Start(command);
    }

    /// <summary>
    /// What became of a lazily restored app's memory once the app has ended (its loading ends with it,
    /// at once); null when it was all in or the app was not restored lazily.
    /// </summary>
    private static async Task<string?> LoadingEndedAsync(RunningApp app)
    {
        if (app.MemoryLoaded is null)
        {
            return null;
        }
        try
        {
            return await app.MemoryLoaded.WaitAsync(KilledAppGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// The memory of a lazily restored app could not all be brought in: the app was killed before it
    /// could read a page that never arrived. The pod ends; its checkpoint stays, to be restored eagerly.
    /// </summary>
    private async Task<int> LoadFailedAsync(RunningApp app, string failure)
    {
        await KillAndWaitAsync(app).ConfigureAwait(false);
        restorer!.MemoryLoadFailed(app, failure);
        return ExitCodes.CrikFailure;
    }

    /// <summary>Kills the app's whole tree and waits (a little while at most) until it is gone.</summary>
    private async Task KillAndWaitAsync(RunningApp app)
    {
        SignalTree(app, Signal.SIGKILL);
        try
        {
            await app.Exited.WaitAsync(KilledAppGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            log.Warning("The app (PID {Pid}) did not end within {Seconds} s of SIGKILL", app.Pid, KilledAppGrace.TotalSeconds);
        }
    }

    /// <summary>
    /// The app is gone, not by crik's hand: its checkpoints are retired when it ended on its own (bringing
    /// it back would run its end twice), and kept for the next pod when it did not. Returns crik's exit code.
    /// </summary>
    private int AppEnded(RunningApp app, WaitStatus status)
    {
        _watchdog?.Dispose(); // nothing left to freeze or kill, and its PID may be another process's soon
        AppEnd end;
        lock (_forwarded)
        {
            end = AppEnd.Of(status, _forwarded, _oomKillsAtStart, status.Exited ? null : OomKills.Read());
        }
        int code = ExitCodes.FromWaitStatus(status);
        bool checkpointed = app.Generation > 0 || _checkpointedWhileRunning;
        if (status.Exited)
        {
            log.Information("The app (PID {Pid}) exited with code {Code}", app.Pid, code);
        }
        else if (end.OnItsOwn || !checkpointed)
        {
            log.Information("The app (PID {Pid}) {Cause}; exiting with {Code}", app.Pid, end.Cause, code);
        }
        else
        {
            log.Warning("The app (PID {Pid}) {Cause}; exiting with {Code}. It did not end on its own, so its checkpoints stay and the next pod "
                + "resumes from the newest (restoreAttempts gives up on one whose restored app keeps dying within restoreProbation)", app.Pid, end.Cause, code);
        }
        if (checkpointed && end.OnItsOwn && !_checkpointFailedAtSigterm)
        {
            checkpointer!.RetireAfterOwnExit();
        }
        return code;
    }
}
