// Supervision/ owns the app's life (start or restore, forward, resume, kill, wait) and crik's exit codes.
using Crik.Cli.Checkpointing;
using Crik.Cli.Control;
using Crik.Cli.ImageStore;
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
/// It starts the app and puts together the parts that look after it (<see cref="SupervisionLoop"/>).
/// </summary>
/// <remarks>
/// Whatever goes wrong between SIGTERM and the commit (an exception, an I/O error, CRIU, the budget),
/// the app is resumed and gets its SIGTERM. Once a checkpoint is committed, the app is stopped for
/// good and crik exits 0, whatever fails afterwards: the next pod continues from that checkpoint, so
/// letting this copy run on would run the app twice.
/// </remarks>
/// <param name="schedule">Periodic checkpoints and early warnings, besides SIGTERM.</param>
/// <param name="control">Where <c>crik checkpoint</c> requests arrive, or null when there is no control socket.</param>
/// <param name="afterRestore">The program run once a restored app runs, or null when none is configured.</param>
/// <param name="imageDir">The image directory whose lock is held for the app's life, or null when checkpointing is off.</param>
internal sealed class Supervisor(SignalRelay signals, AppLauncher launcher, IAppRestorer? restorer, ICheckpointer? checkpointer,
    CheckpointSchedule schedule, ControlServer? control, AfterRestore? afterRestore, IImageDirLock? imageDir, ILogger log)
{
    private const string NoMoreRequests = "the app's run under this crik is over (it exited, or crik stopped it; crik's log says which): "
        + "no checkpoint was taken for this request";

    public async Task<int> RunAsync(IReadOnlyList<string> command)
    {
        RunningApp app = await RestoreOrStartAsync(command).ConfigureAwait(false);
        OomKills? oomKillsAtStart = OomKills.Read();
        var tree = new AppTree(launcher.Reaper.Guarded(app.Root));
        using LeaseWatchdog? watchdog = WatchTheLease(app, tree);
        var life = new AppLife(app, new AppStops(tree, watchdog), oomKillsAtStart);
        if (app.Stopped is StoppedTree { Memory: { } memory })
        {
            checkpointer?.TrackFromRestore(memory); // before its first instruction: the next checkpoint reads only what it writes
        }
        life.Stops.LetGo(app);
        FaultSeam.ThrowUnguarded("unguarded once the app runs", delayMs: 0);
        FaultSeam.HitOnceHeld("once the app runs");
        // Ends with the app at the latest: crik waits for it below, so that its line is written and its process reaped.
        Task handedOver = app.Generation > 0 && afterRestore is not null ? afterRestore.RunAsync(app) : Task.CompletedTask;
        var ending = new AppEnding(restorer, checkpointer, launcher.Reaper, log);
        try
        {
            return await LoopOver(life, ending).RunAsync().ConfigureAwait(false);
        }
        catch (AppMustStopException)
        {
            // Already said why (the lease lost, another crik's commit); the app was sent SIGKILL or is now.
            await ending.KillAndWaitAsync(app).ConfigureAwait(false);
            return ExitCodes.CrikFailure;
        }
        finally
        {
            control?.RefuseFromNowOn(NoMoreRequests);
            // No line: each way the app's life ends says so in its own (its end, the lease's loss, a commit).
            LoggedHappenings.WithoutLine(new Happening.AppGone());
            await handedOver.ConfigureAwait(false);
        }
    }

    /// <summary>The loop over the app's life, with the parts that handle what it wakes up for; the control socket starts accepting here.</summary>
    private SupervisionLoop LoopOver(AppLife life, AppEnding ending)
    {
        var appSignals = new AppSignals(signals, life, launcher.Reaper, log);
        AppCheckpoints? checkpoints = checkpointer is null ? null
            : new AppCheckpoints(life, checkpointer, appSignals, control, schedule.LeaseDoubtWait, log);
        var due = new DueWork(life, checkpointer, checkpoints, schedule, appSignals, log);
        control?.StartAccepting();
        return new SupervisionLoop(life, appSignals, checkpoints, due, new CheckpointRequests(control, checkpoints, life), ending, restorer);
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
        catch (Exception e) when (e is not (RestoreFailedException or CrikRestartException or Timing.PodStoppingException))
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
    /// The lease's watchdog, for as long as the app lives: once it is gone there is nothing left to
    /// freeze or kill, and its PID may soon be another process's. That ends the watchdog on the app's
    /// death itself, not on the loop's noticing it (which a checkpoint under way can hold up).
    /// </summary>
    private LeaseWatchdog? WatchTheLease(RunningApp app, AppTree tree)
    {
        if (imageDir?.Held is not { } lease)
        {
            return null;
        }
        var watchdog = new LeaseWatchdog(lease, tree, app.Pid, log);
        app.Exited.ContinueWith(_ => watchdog.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return watchdog;
    }
}
