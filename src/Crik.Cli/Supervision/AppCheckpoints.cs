using System.Diagnostics;
using Crik.Cli.Checkpointing;
using Crik.Cli.Control;
using Crik.Cli.Decisions;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>
/// The supervisor's checkpoints of the app, whatever asked for one (SIGTERM, the schedule, an early warning,
/// <c>crik checkpoint</c>): each is taken unless the app is frozen for its lease, abandoned the moment the lease is
/// lost, and followed by what <see cref="AfterCheckpoint"/> plans, which its <see cref="CheckpointHost"/> carries out.
/// </summary>
/// <param name="leaseDoubtWait">How long a SIGTERM's checkpoint waits for a lease in doubt to be kept (checkpointTimeout).</param>
/// <param name="control">The control socket, told while a checkpoint runs; null when there is none.</param>
internal sealed class AppCheckpoints(AppLife life, ICheckpointer checkpointer, AppSignals signals, ControlServer? control, TimeSpan leaseDoubtWait, ILogger log)
{
    /// <summary>
    /// Takes a checkpoint and carries out what comes after it: unless it was committed for a SIGTERM or
    /// <c>crik checkpoint --exit</c> (then the tree stays stopped for the caller to end), the app is running again afterwards.
    /// Throws <see cref="AppMustStopException"/> when the lease is lost meanwhile or another crik committed first.
    /// </summary>
    public async Task<(CheckpointOutcome Outcome, AfterCheckpointPlan Plan)> TakeAsync(CheckpointReason reason)
    {
        var sinceAsked = Stopwatch.StartNew();
        var host = new CheckpointHost(life, signals, reason);
        CheckpointOutcome outcome;
        CheckpointEnd end;
        if (life.Stops.FrozenForTheLease is { } frozen && (reason != CheckpointReason.Sigterm || !await LeaseKeptInTimeAsync().ConfigureAwait(false)))
        {
            log.Warning(new Happening.CheckpointSkipped(reason.Label(), frozen), "Checkpoint not taken: {Why}; the previous checkpoint is untouched{AndGetsSigterm}",
                frozen, reason == CheckpointReason.Sigterm ? ", and the app gets SIGTERM once it runs again" : "");
            (outcome, end) = (new CheckpointOutcome.NotTaken(AppMayBeStopped: false), CheckpointEnd.NotBegun);
        }
        else
        {
            // A renewal that succeeds during the checkpoint does not thaw the app: the checkpoint's end resumes it, or not.
            // CRIU leaves the app stopped after its dump: a process the app had stopped itself must stay stopped when crik lets it go.
            life.Stops.StopForCheckpoint();
            outcome = await CheckpointUnlessLeaseLostAsync(reason, host, sinceAsked.Elapsed).ConfigureAwait(false);
            end = EndOf(outcome);
        }
        AfterCheckpointPlan plan = AfterCheckpoint.Plan(reason, end);
        host.CarryOut(plan);
        return (outcome, plan);
    }

    private static CheckpointEnd EndOf(CheckpointOutcome outcome) => outcome switch
    {
        CheckpointOutcome.Committed => CheckpointEnd.Committed,
        CheckpointOutcome.NotTaken { Superseded: true } => CheckpointEnd.Superseded,
        CheckpointOutcome.NotTaken { NotWanted: true } => CheckpointEnd.NotWanted,
        CheckpointOutcome.NotTaken { AppMayBeStopped: true } => CheckpointEnd.NotTakenStopped,
        _ => CheckpointEnd.NotTakenRunning,
    };

    /// <summary>The checkpoint, abandoned (the loop stops waiting for it) the moment the lease is lost: its writes are fenced by then.</summary>
    private async Task<CheckpointOutcome> CheckpointUnlessLeaseLostAsync(CheckpointReason reason, CheckpointHost host, TimeSpan spent)
    {
        if (control is not null)
        {
            control.CheckpointRunning = true;
        }
        var clock = Stopwatch.StartNew();
        try
        {
            Task<CheckpointOutcome> checkpoint = checkpointer.CheckpointAsync(life.App, reason, host, spent);
            // A checkpoint the app runs on from lets it go before the commit: its signals need not wait for the upload.
            // A SIGTERM's checkpoint keeps them: the app gets its SIGTERM first, should it not be committed.
            while (await Task.WhenAny(checkpoint, life.Stops.LeaseLost, reason == CheckpointReason.Sigterm ? Wakeups.Never : signals.ForwardWhileACheckpointRuns())
                .ConfigureAwait(false) is var woke && woke != checkpoint)
            {
                if (woke == life.Stops.LeaseLost)
                {
                    throw new AppMustStopException();
                }
            }
            return await checkpoint.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not AppMustStopException)
        {
            log.Debug(e, "The checkpoint failed");
            log.Error(new Happening.CheckpointFailed(0, reason.Label(), clock.Elapsed, e.Message),
                "Checkpoint failed: {Error}; the previous checkpoint is untouched, the app keeps running{AndGetsSigterm}",
                e.Message, reason == CheckpointReason.Sigterm ? " and gets SIGTERM" : "");
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
        }
        finally
        {
            if (control is not null)
            {
                control.CheckpointRunning = false;
            }
        }
    }

    /// <summary>
    /// A SIGTERM while the lease is in doubt (the node goes away while the store does not answer): the app stays
    /// frozen while crik waits up to checkpointTimeout for a renewal. True once the lease was kept (the watchdog
    /// thawed the app, which may run while the lease is crik's) and the checkpoint may go on; false when the doubt
    /// outlasted the wait, the lease was lost or the app ended: the checkpoint is not taken, as when it cannot be written.
    /// </summary>
    private async Task<bool> LeaseKeptInTimeAsync()
    {
        if (!life.Stops.UnderALease || leaseDoubtWait <= TimeSpan.Zero)
        {
            return false;
        }
        log.Warning("SIGTERM while crik's lease is in doubt: the app stays frozen while crik waits up to {Seconds:0.#} s (checkpointTimeout) "
            + "for the store to answer, and checkpoints it if the lease is still crik's", leaseDoubtWait.TotalSeconds);
        return await life.Stops.ThawedWithinAsync(leaseDoubtWait, life.App.Exited).ConfigureAwait(false);
    }
}
