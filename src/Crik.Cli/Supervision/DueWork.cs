using System.Diagnostics;
using Crik.Cli.Checkpointing;
using Crik.Cli.Decisions;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The work the schedule brings while the app runs: periodic checkpoints, pre-dumps, and the early-warning polls that
/// turn a node at risk into a checkpoint. None starts once the app is being stopped.
/// </summary>
/// <param name="checkpointer">The checkpointer, or null when checkpointing is off (then nothing is ever due).</param>
/// <param name="checkpoints">The app's checkpoints, null exactly when <paramref name="checkpointer"/> is.</param>
internal sealed class DueWork(AppLife life, ICheckpointer? checkpointer, AppCheckpoints? checkpoints, CheckpointSchedule schedule, AppSignals signals, ILogger log)
{
    /// <summary>Whether the last periodic checkpoint stretched the interval: said once for a run of them, counted for each.</summary>
    private bool _stretching;

    /// <summary>The first periodic checkpoint: an interval after the app started or was restored.</summary>
    public Task NextPeriodicCheckpoint() =>
        checkpointer is not null && schedule.Interval is { } interval ? Task.Delay(interval) : Task.Delay(Timeout.Infinite);

    /// <summary>The next periodic checkpoint after one that took <paramref name="took"/> (<see cref="PeriodicSchedule"/>).</summary>
    private Task NextPeriodicCheckpointAfter(TimeSpan took)
    {
        TimeSpan interval = schedule.Interval!.Value;
        (TimeSpan wait, bool stretched) = PeriodicSchedule.Next(interval, took);
        var happening = stretched ? new Happening.PeriodicCheckpointStretched(took, interval) : null;
        if (stretched && !_stretching)
        {
            log.Information(happening, "The periodic checkpoint took {Took:0.0} s, as long as checkpointInterval ({Interval:0.#} s) or longer: the next "
                + "starts {Interval:0.#} s after it ended, so that the app runs between checkpoints (crik_checkpoints_periodic_stretched_total counts these)",
                took.TotalSeconds, interval.TotalSeconds, interval.TotalSeconds);
        }
        else if (happening is not null)
        {
            // Said at the first of this run of stretched intervals, above: the line would come with every checkpoint.
            LoggedHappenings.WithoutLine(happening);
        }
        _stretching = stretched;
        return Task.Delay(wait);
    }

    public Task NextPreDump() =>
        checkpointer is { PreDumps: true } && schedule.PreDumpInterval is { } interval ? Task.Delay(interval) : Task.Delay(Timeout.Infinite);

    /// <summary>
    /// True when the next poll finds the node turned at-risk. It asks in the background, so a signal
    /// never waits for the node-state server. Early warnings are heard only where periodic
    /// checkpoints are on and a node-state server is configured.
    /// </summary>
    public async Task<bool> NextEarlyWarningPoll()
    {
        if (!NodeStateQuestions.PolledForEarlyWarnings(serverConfigured: checkpointer is { HearsEarlyWarnings: true }, schedule.Interval))
        {
            await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        }
        await Task.Delay(schedule.NodeStatePoll).ConfigureAwait(false);
        return await checkpointer!.NodeTurnedAtRiskAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// The periodic checkpoint, pre-dump and early-warning poll that are due. Once the app is being stopped none starts, and
    /// one that came is not due again: a wakeup left completed would wake the loop at once, and again, until the app ended. A
    /// poll still asking is left to end; it wakes the loop once more. A SIGTERM that came during one of them goes first:
    /// what is left stays due, and the loop takes the SIGTERM before it comes back here.
    /// </summary>
    public async Task RunAsync(Wakeups due)
    {
        if (life.Stopping)
        {
            due.Periodic = due.Periodic.IsCompleted ? Wakeups.Never : due.Periodic;
            due.PreDump = due.PreDump.IsCompleted ? Wakeups.Never : due.PreDump;
            due.EarlyWarning = due.EarlyWarning.IsCompleted ? Wakeups.NeverAnswered : due.EarlyWarning;
            return;
        }
        if (due.Periodic.IsCompleted)
        {
            long started = Stopwatch.GetTimestamp();
            await checkpoints!.TakeAsync(CheckpointReason.Periodic).ConfigureAwait(false);
            due.Periodic = NextPeriodicCheckpointAfter(Stopwatch.GetElapsedTime(started));
        }
        if (signals.SigtermWaiting)
        {
            return;
        }
        if (due.PreDump.IsCompleted)
        {
            await PreDumpAsync().ConfigureAwait(false);
            due.PreDump = NextPreDump();
        }
        if (signals.SigtermWaiting)
        {
            return;
        }
        if (due.EarlyWarning.IsCompleted)
        {
            if (await due.EarlyWarning.ConfigureAwait(false))
            {
                await checkpoints!.TakeAsync(CheckpointReason.AtRisk).ConfigureAwait(false);
            }
            due.EarlyWarning = NextEarlyWarningPoll();
        }
    }

    /// <summary>
    /// Pre-dumps the running app. CRIU resumes it itself; after a failure it may not have, so the
    /// app is resumed then as after a failed checkpoint. A signal (a SIGTERM above all) or the app's
    /// end stops a pre-dump under way: the checkpoint a SIGTERM asks for must not wait for one.
    /// </summary>
    private async Task PreDumpAsync()
    {
        RunningApp app = life.App;
        string? frozen = life.Stops.FrozenForTheLease;
        PreDumpTurn turn = PreDumpTurns.Of(memoryArriving: app.Loading, frozenForTheLease: frozen is not null);
        if (turn == PreDumpTurn.SkippedWhileMemoryArrives)
        {
            log.Information("Pre-dump skipped: the app's memory is still on its way in from checkpoint {Generation}", app.Generation);
            return;
        }
        if (turn == PreDumpTurn.SkippedWhileFrozen)
        {
            log.Information("Pre-dump skipped: {Why}", frozen);
            return;
        }
        life.Stops.StopForPreDump();
        using var abort = new CancellationTokenSource();
        Task<bool> preDump = Task.Run(() => checkpointer!.PreDumpAsync(app, abort.Token));
        if (await Task.WhenAny(preDump, signals.Arrived(), app.Exited, life.Stops.LeaseLost).ConfigureAwait(false) != preDump)
        {
            await abort.CancelAsync().ConfigureAwait(false);
        }
        if (life.Stops.LeaseLost.IsCompleted)
        {
            throw new AppMustStopException();
        }
        if (await DoneAsync(preDump).ConfigureAwait(false))
        {
            life.Stops.NotStopped();
        }
        else
        {
            life.Stops.Resume();
        }
    }

    private async Task<bool> DoneAsync(Task<bool> preDump)
    {
        try
        {
            return await preDump.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.Debug(e, "The pre-dump failed");
            log.Warning("Pre-dump failed: {Error}; the app keeps running", e.Message);
            return false;
        }
    }
}
