using System.Diagnostics;
using Crik.Cli.Checkpointing;
using Crik.Cli.Control;
using Crik.Cli.Decisions;
using Crik.Cli.Logging;
using Crik.Cli.Model;
using Crik.Cli.Observing;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

// The supervisor's checkpoints besides the SIGTERM one's decision: periodic, early-warning and on
// demand, and what happens to the app around each.
internal sealed partial class Supervisor
{
    private Task NextPeriodicCheckpoint() =>
        checkpointer is not null && schedule.Interval is { } interval ? Task.Delay(interval) : Task.Delay(Timeout.Infinite);

    private Task NextPreDump() =>
        checkpointer is { PreDumps: true } && schedule.PreDumpInterval is { } interval ? Task.Delay(interval) : Task.Delay(Timeout.Infinite);

    /// <summary>
    /// Pre-dumps the running app. CRIU resumes it itself; after a failure it may not have, so the
    /// app is resumed then as after a failed checkpoint. A signal (a SIGTERM above all) or the app's
    /// end stops a pre-dump under way: the checkpoint a SIGTERM asks for must not wait for one.
    /// </summary>
    private async Task PreDumpAsync(AppLife life)
    {
        RunningApp app = life.App;
        string? frozen = FrozenForTheLease(life);
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
        life.Tree.WillBeStopped();
        using var abort = new CancellationTokenSource();
        Task<bool> preDump = Task.Run(() => checkpointer!.PreDumpAsync(app, abort.Token));
        Task signalArrived = signals.Received.WaitToReadAsync().AsTask();
        if (await Task.WhenAny(preDump, signalArrived, app.Exited, LeaseLost(life)).ConfigureAwait(false) != preDump)
        {
            await abort.CancelAsync().ConfigureAwait(false);
        }
        if (LeaseLost(life).IsCompleted)
        {
            throw new AppMustStopException();
        }
        bool done;
        try
        {
            done = await preDump.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.Debug(e, "The pre-dump failed");
            log.Warning("Pre-dump failed: {Error}; the app keeps running", e.Message);
            done = false;
        }
        if (done)
        {
            life.Tree.NotStopped();
        }
        else
        {
            Resume(life);
        }
    }

    /// <summary>
    /// True when the next poll finds the node turned at-risk. It asks in the background, so a signal
    /// never waits for the node-state server. Early warnings are heard only where periodic
    /// checkpoints are on and a node-state server is configured.
    /// </summary>
    private async Task<bool> NextEarlyWarningPoll()
    {
        if (!NodeStateQuestions.PolledForEarlyWarnings(serverConfigured: checkpointer is { HearsEarlyWarnings: true }, schedule.Interval))
        {
            await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        }
        await Task.Delay(schedule.NodeStatePoll).ConfigureAwait(false);
        return await checkpointer!.NodeTurnedAtRiskAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Answers the <c>crik checkpoint</c> requests that arrived: each gets a checkpoint (or why not).
    /// True when one asked for --exit and its checkpoint is committed: the app must stop now.
    /// </summary>
    private async Task<bool> AnswerRequestsAsync(AppLife life)
    {
        while (control is not null && control.Requests.TryRead(out ControlRequest? request))
        {
            if (checkpointer is null || life.Stopping)
            {
                request.Refused(checkpointer is null ? "checkpointing is off: no imageDir is configured" : "crik is stopping the app for a SIGTERM");
                continue;
            }
            CheckpointReason reason = request.ExitAfter ? CheckpointReason.OnDemandExit : CheckpointReason.OnDemand;
            if (await TryCheckpointAsync(life, reason).ConfigureAwait(false) is not CheckpointOutcome.Committed committed)
            {
                request.Refused("the checkpoint was not taken; crik's log says why");
                continue;
            }
            request.Committed(committed.Generation, Size.Format(committed.Bytes), committed.Duration);
            if (request.ExitAfter)
            {
                life.Stopping = true;
                await AnswerDeliveredAsync(request).ConfigureAwait(false);
                return true;
            }
            life.CheckpointedWhileRunning = true;
        }
        return false;
    }

    /// <summary>
    /// Takes a checkpoint. Unless it was committed for a SIGTERM or <c>crik checkpoint --exit</c>
    /// (then the tree stays stopped for the caller to end), the app is running again afterwards.
    /// </summary>
    /// <param name="whenGivingUp">What else to do for the app, once resumed, when the checkpoint fails (a SIGTERM's: forward it).</param>
    private async Task<CheckpointOutcome> TryCheckpointAsync(AppLife life, CheckpointReason reason, Action? whenGivingUp = null)
    {
        var sinceAsked = Stopwatch.StartNew();
        if (FrozenForTheLease(life) is { } frozen && (reason != CheckpointReason.Sigterm || !await LeaseKeptInTimeAsync(life).ConfigureAwait(false)))
        {
            log.Warning(new Happening.CheckpointSkipped(reason.Label(), frozen), "Checkpoint not taken: {Why}; the previous checkpoint is untouched{AndGetsSigterm}",
                frozen, reason == CheckpointReason.Sigterm ? ", and the app gets SIGTERM once it runs again" : "");
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: false);
        }
        bool appStopsHere = reason is CheckpointReason.Sigterm or CheckpointReason.OnDemandExit;
        // A renewal that succeeds during the checkpoint does not thaw the app: the checkpoint's end resumes it, or not.
        IDisposable? stoppedByCrik = life.Watchdog?.StoppedByCrik();
        int freezes = life.Watchdog?.Freezes ?? 0;
        // CRIU leaves the app stopped after its dump: a process the app had stopped itself must stay stopped when crik lets it go.
        life.Tree.WillBeStopped();
        CheckpointOutcome outcome = await CheckpointUnlessLeaseLostAsync(life, reason, appStopsHere, freezes, whenGivingUp, sinceAsked.Elapsed, stoppedByCrik)
            .ConfigureAwait(false);
        if (outcome is CheckpointOutcome.NotTaken { AppMayBeStopped: false })
        {
            life.Tree.NotStopped();
        }
        if (outcome is CheckpointOutcome.NotTaken { Superseded: true })
        {
            throw new AppMustStopException();
        }
        if (outcome is CheckpointOutcome.NotTaken { AppMayBeStopped: true } || (outcome is CheckpointOutcome.Committed && !appStopsHere))
        {
            stoppedByCrik?.Dispose();
            Resume(life);
        }
        else if (outcome is not CheckpointOutcome.Committed)
        {
            stoppedByCrik?.Dispose();
        }
        return outcome;
    }

    /// <summary>The checkpoint, abandoned (the loop stops waiting for it) the moment the lease is lost: its writes are fenced by then.</summary>
    /// <param name="stoppedByCrik">Released once crik lets the app run on before the checkpoint ends: a lease kept after a doubt thaws it then, not when a commit that hangs ends.</param>
    private async Task<CheckpointOutcome> CheckpointUnlessLeaseLostAsync(AppLife life, CheckpointReason reason, bool appStopsHere, int freezes,
        Action? whenGivingUp, TimeSpan spent, IDisposable? stoppedByCrik)
    {
        RunningApp app = life.App;
        if (control is not null)
        {
            control.CheckpointRunning = true;
        }
        var clock = Stopwatch.StartNew();
        try
        {
            // An app that runs on is resumed as soon as it is captured: it stays frozen for the dump, not for the commit.
            Action? resumeEarly = appStopsHere ? null : () =>
            {
                stoppedByCrik?.Dispose();
                Resume(life);
            };
            Task<CheckpointOutcome> checkpoint = checkpointer!.CheckpointAsync(app, reason, resumeEarly, whenGivingUp: () =>
            {
                stoppedByCrik?.Dispose();
                Resume(life);
                whenGivingUp?.Invoke();
            }, whyNotCommit: () => FrozenSince(life, freezes), whenDumpingAgain: () =>
            {
                // CRIU would record the app stopped: it runs again until the second dump stops it, which leaves stopped what it had stopped itself.
                Resume(life);
                life.Tree.WillBeStoppedAgain();
            }, spent);
            if (await Task.WhenAny(checkpoint, LeaseLost(life)).ConfigureAwait(false) != checkpoint)
            {
                throw new AppMustStopException();
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
        await KillAndWaitAsync(app).ConfigureAwait(false);
        return ExitCodes.Checkpointed;
    }
}
