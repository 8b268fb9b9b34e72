using Crik.Cli.Checkpointing;
using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Restoring;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The ends of the app's life and crik's exit code for each: the app ended (its checkpoints retired or kept), its
/// lazily restored memory could not all be brought in, or crik ends it (committed, or it must not run on).
/// </summary>
internal sealed class AppEnding(IAppRestorer? restorer, ICheckpointer? checkpointer, ChildReaper reaper, ILogger log)
{
    private static readonly TimeSpan KilledAppGrace = TimeSpan.FromSeconds(5);

    /// <summary>crik's exit code when the app's life is over (it ended, or its memory could not all be brought in); null while it goes on.</summary>
    public async Task<int?> EndedAsync(AppLife life, Wakeups due)
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
            due.MemoryLoaded = Wakeups.Never;
        }
        return app.Exited.IsCompleted ? AppEnded(life, await app.Exited.ConfigureAwait(false)) : null;
    }

    /// <summary>The checkpoint is on disk: the stopped tree ends here and lives on in the next pod.</summary>
    public async Task<int> StopCheckpointedAsync(RunningApp app)
    {
        await KillAndWaitAsync(app).ConfigureAwait(false);
        return ExitCodes.Checkpointed;
    }

    /// <summary>
    /// Kills the app's whole tree and process group and waits (a little while at most) until it is gone. They are looked up by
    /// the app's PID only while crik has not reaped it: reaped, the number may be another's. The descriptors opened then hold
    /// on to the app's own processes. Once it is reaped, whatever ended it killed what was left (the lease's watchdog, a fill).
    /// </summary>
    public async Task KillAndWaitAsync(RunningApp app)
    {
        TrackedChild root = app.Root;
        var tree = new AppTree(reaper.Guarded(root));
        DyingMemory? dying = null;
        _ = reaper.WhileUnreaped(root, () => dying = new DyingMemory(tree.Processes()));
        if (dying is not null)
        {
            using (dying)
            {
                int released = dying.KillAndRelease();
                log.Debug("crik freed the memory of {Released} of the app's processes beside their exit (process_mrelease)", released);
            }
        }
        tree.Signal(Signal.SIGKILL); // what it forked meanwhile
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
        TestDelay.BeforeFailedFillNoted();
        restorer!.MemoryLoadFailed(app, failure);
        return ExitCodes.CrikFailure;
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
