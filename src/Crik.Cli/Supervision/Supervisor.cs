// Supervision/ owns the app's life (start or restore, forward, resume, kill, wait) and crik's exit codes.
using Crik.Cli.Checkpointing;
using Crik.Cli.Control;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Model;
using Crik.Cli.Observing;
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
    private static readonly Task Never = new TaskCompletionSource().Task;

    public async Task<int> RunAsync(IReadOnlyList<string> command)
    {
        RunningApp app = await RestoreOrStartAsync(command).ConfigureAwait(false);
        OomKills? oomKillsAtStart = OomKills.Read();
        var tree = new AppTree(app.Pid);
        using LeaseWatchdog? watchdog = WatchTheLease(app, tree);
        var life = new AppLife(app, tree, oomKillsAtStart, watchdog);
        LetGo(life);
        try
        {
            return await SuperviseAsync(life).ConfigureAwait(false);
        }
        catch (AppMustStopException)
        {
            // Already said why (the lease lost, another crik's commit); the app was sent SIGKILL or is now.
            await KillAndWaitAsync(app).ConfigureAwait(false);
            return ExitCodes.CrikFailure;
        }
        finally
        {
            // No line: each way the app's life ends says so in its own (its end, the lease's loss, a commit).
            LoggedHappenings.WithoutLine(new Happening.AppGone());
        }
    }

    /// <summary>
    /// The loop: it waits for whatever comes next, then handles, in this order, the app's end, its
    /// probation, signals (a SIGTERM never waits behind a periodic checkpoint), checkpoints and pre-dumps
    /// that are due, and <c>crik checkpoint</c> requests. The lease is enforced by its own watchdog, not here.
    /// </summary>
    private async Task<int> SuperviseAsync(AppLife life)
    {
        RunningApp app = life.App;
        control?.StartAccepting();
        var due = new Wakeups(NextPeriodicCheckpoint(), NextEarlyWarningPoll(), NextPreDump(),
            app.Generation > 0 && restorer is not null ? Task.Delay(restorer.Probation) : Never, app.MemoryLoaded ?? Never);
        while (true)
        {
            Task<bool> signalArrived = signals.Received.WaitToReadAsync().AsTask();
            Task requestArrived = control is null ? Never : control.Requests.WaitToReadAsync().AsTask();
            await Task.WhenAny(app.Exited, signalArrived, requestArrived, LeaseLost(life), due.Periodic, due.EarlyWarning, due.PreDump, due.Probation, due.MemoryLoaded)
                .ConfigureAwait(false);
            if (LeaseLost(life).IsCompleted)
            {
                throw new AppMustStopException();
            }
            if (await EndedAsync(life, due).ConfigureAwait(false) is { } exitCode)
            {
                return exitCode;
            }
            if (due.Probation.IsCompleted && app.Generation > 0)
            {
                restorer!.RestoreSurvived(app);
                due.Probation = Never;
            }
            if (await HandleSignalsAsync(life).ConfigureAwait(false))
            {
                return await StopCheckpointedAsync(app).ConfigureAwait(false);
            }
            await RunDueWorkAsync(life, due).ConfigureAwait(false);
            if (await AnswerRequestsAsync(life).ConfigureAwait(false))
            {
                return await StopCheckpointedAsync(app).ConfigureAwait(false);
            }
        }
    }

    /// <summary>crik's exit code when the app's life is over (it ended, or its memory could not all be brought in); null while it goes on.</summary>
    private async Task<int?> EndedAsync(AppLife life, Wakeups due)
    {
        RunningApp app = life.App;
        if (app.Exited.IsCompleted && await LoadingEndedAsync(app).ConfigureAwait(false) is { } failure)
        {
            return await LoadFailedAsync(app, failure).ConfigureAwait(false);
        }
        if (due.MemoryLoaded.IsCompleted && app.MemoryLoaded is not null)
        {
            if (await app.MemoryLoaded.ConfigureAwait(false) is { } loadFailure)
            {
                return await LoadFailedAsync(app, loadFailure).ConfigureAwait(false);
            }
            due.MemoryLoaded = Never;
        }
        return app.Exited.IsCompleted ? AppEnded(life, await app.Exited.ConfigureAwait(false)) : null;
    }

    /// <summary>
    /// Forwards the signals that arrived. The first SIGTERM, when checkpointing is on, is a checkpoint
    /// first; true when it was committed (the app must stop now), else the app gets its SIGTERM.
    /// </summary>
    private async Task<bool> HandleSignalsAsync(AppLife life)
    {
        while (signals.Received.TryRead(out Signal signal))
        {
            bool forwarded = false;
            if (signal == Signal.SIGTERM && checkpointer is not null && !life.Stopping)
            {
                life.Stopping = true;
                // A failed checkpoint hands the app its SIGTERM as soon as CRIU is done, not after the clean-up.
                CheckpointOutcome outcome = await TryCheckpointAsync(life, CheckpointReason.Sigterm, whenGivingUp: () =>
                {
                    Forward(life, signal);
                    forwarded = true;
                }).ConfigureAwait(false);
                if (outcome is CheckpointOutcome.Committed)
                {
                    return true;
                }
                life.CheckpointFailedAtSigterm = outcome is CheckpointOutcome.NotTaken { NotWanted: false };
            }
            if (!forwarded)
            {
                Forward(life, signal);
            }
        }
        return false;
    }

    /// <summary>The periodic checkpoint, pre-dump and early-warning poll that are due, unless the app is being stopped.</summary>
    private async Task RunDueWorkAsync(AppLife life, Wakeups due)
    {
        if (due.Periodic.IsCompleted && !life.Stopping)
        {
            life.CheckpointedWhileRunning |= await TryCheckpointAsync(life, CheckpointReason.Periodic).ConfigureAwait(false) is CheckpointOutcome.Committed;
            due.Periodic = NextPeriodicCheckpoint();
        }
        if (due.PreDump.IsCompleted && !life.Stopping)
        {
            await PreDumpAsync(life).ConfigureAwait(false);
            due.PreDump = NextPreDump();
        }
        if (due.EarlyWarning.IsCompleted && !life.Stopping)
        {
            if (await due.EarlyWarning.ConfigureAwait(false))
            {
                life.CheckpointedWhileRunning |= await TryCheckpointAsync(life, CheckpointReason.AtRisk).ConfigureAwait(false) is CheckpointOutcome.Committed;
            }
            due.EarlyWarning = NextEarlyWarningPoll();
        }
    }

    private async Task<RunningApp> RestoreOrStartAsync(IReadOnlyList<string> command)
    {
        string? whyFresh = null;
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
            // Unknown is not empty: a fresh start could drop a checkpoint's work and run a second copy.
            whyFresh = restorer!.StartFreshOrStop(e);
        }
        RunningApp started = launcher.Start(command);
        // Its line is the launcher's, written as the process starts ("Started … as PID …").
        LoggedHappenings.WithoutLine(new Happening.StartedFresh(whyFresh ?? restorer?.WhyFresh ?? "checkpointing is off (no imageDir configured)", CrikUptime.Elapsed));
        return started;
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
        new AppTree(app.Pid).Signal(Signal.SIGKILL);
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
    private int AppEnded(AppLife life, WaitStatus status)
    {
        RunningApp app = life.App;
        (AppEnd end, bool retires) = life.Ended(status, status.Exited ? null : OomKills.Read());
        int code = ExitCodes.FromWaitStatus(status);
        Happening? oomKilled = end.OomKilled ? new Happening.AppOomKilled(app.Pid, CheckpointsStay: !retires && life.Checkpointed) : null;
        if (status.Exited)
        {
            log.Information("The app (PID {Pid}) exited with code {Code}", app.Pid, code);
        }
        else if (end.OnItsOwn || !life.Checkpointed)
        {
            log.Information(oomKilled, "The app (PID {Pid}) {Cause}; exiting with {Code}", app.Pid, end.Cause, code);
        }
        else
        {
            log.Warning(oomKilled, "The app (PID {Pid}) {Cause}; exiting with {Code}. It did not end on its own, so its checkpoints stay and the next pod "
                + "resumes from the newest (restoreAttempts gives up on one whose restored app keeps dying within restoreProbation)", app.Pid, end.Cause, code);
        }
        if (retires)
        {
            checkpointer!.RetireAfterOwnExit(end.Cause);
        }
        return code;
    }
}
