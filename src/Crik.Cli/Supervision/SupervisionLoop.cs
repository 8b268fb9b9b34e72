using Crik.Cli.Processes;
using Crik.Cli.Restoring;
using Crik.Cli.Timing;

namespace Crik.Cli.Supervision;

/// <summary>
/// The supervisor's loop over one life of the app: it waits for whatever comes next, then handles, in this order,
/// the app's end, its probation, signals (a SIGTERM never waits behind a periodic checkpoint), checkpoints and
/// pre-dumps that are due, and <c>crik checkpoint</c> requests. The lease is enforced by its own watchdog, not here.
/// </summary>
/// <param name="restorer">The restorer, told once a restored app has lived through restoreProbation; null when checkpointing is off.</param>
/// <param name="checkpoints">The app's checkpoints, or null when checkpointing is off (a SIGTERM is then only forwarded).</param>
internal sealed class SupervisionLoop(AppLife life, AppSignals signals, AppCheckpoints? checkpoints, DueWork due, CheckpointRequests requests, AppEnding ending,
    IAppRestorer? restorer)
{
    /// <summary>Runs until the app's life is over; crik's exit code. Throws <see cref="AppMustStopException"/> when this copy must not run on.</summary>
    public async Task<int> RunAsync()
    {
        RunningApp app = life.App;
        var wakeups = new Wakeups(due.NextPeriodicCheckpoint(), due.NextEarlyWarningPoll(), due.NextPreDump(),
            app.Generation > 0 && restorer is not null ? Task.Delay(restorer.Probation) : Wakeups.Never, app.MemoryLoaded ?? Wakeups.Never);
        while (true)
        {
            await Task.WhenAny(app.Exited, signals.Arrived(), requests.Arrived(), life.Stops.LeaseLost, wakeups.Periodic, wakeups.EarlyWarning,
                wakeups.PreDump, wakeups.Probation, wakeups.MemoryLoaded).ConfigureAwait(false);
            TestDelay.BeforeLoopTurn();
            if (life.Stops.LeaseLost.IsCompleted)
            {
                throw new AppMustStopException();
            }
            if (await ending.EndedAsync(life, wakeups).ConfigureAwait(false) is { } exitCode)
            {
                return exitCode;
            }
            if (wakeups.Probation.IsCompleted && app.Generation > 0)
            {
                restorer!.RestoreSurvived(app);
                wakeups.Probation = Wakeups.Never;
            }
            if (await signals.HandleAsync(checkpoints).ConfigureAwait(false))
            {
                return await ending.StopCheckpointedAsync(app).ConfigureAwait(false);
            }
            await due.RunAsync(wakeups).ConfigureAwait(false);
            // A SIGTERM that came meanwhile goes before a crik checkpoint's request: the next turn takes it first.
            if (!signals.SigtermWaiting && await requests.AnswerAsync().ConfigureAwait(false))
            {
                return await ending.StopCheckpointedAsync(app).ConfigureAwait(false);
            }
        }
    }
}
