using Crik.Cli.Checkpointing;
using Crik.Cli.Control;
using Crik.Cli.Decisions;
using Crik.Cli.Logging;
using Crik.Cli.Records;
using Crik.Cli.Timing;

namespace Crik.Cli.Supervision;

/// <summary>The <c>crik checkpoint</c> requests that arrive on the control socket, each answered with a checkpoint or why not.</summary>
/// <param name="checkpoints">The app's checkpoints, or null when checkpointing is off.</param>
internal sealed class CheckpointRequests(ControlServer? control, AppCheckpoints? checkpoints, AppLife life)
{
    private static readonly TimeSpan AnswerGrace = TimeSpan.FromSeconds(2);

    /// <summary>Completes when a request is waiting; never without a control socket.</summary>
    public Task Arrived() => control is null ? Wakeups.Never : control.Requests.WaitToReadAsync().AsTask();

    /// <summary>
    /// Answers the requests that arrived: each gets a checkpoint (or why not). True when one asked for --exit and its
    /// checkpoint is committed: the app must stop now.
    /// </summary>
    public async Task<bool> AnswerAsync()
    {
        while (control is not null && control.Requests.TryRead(out ControlRequest? request))
        {
            if (checkpoints is null || life.Stopping)
            {
                request.Refused(checkpoints is null ? "checkpointing is off: no imageDir is configured" : "crik is stopping the app for a SIGTERM");
                continue;
            }
            TestDelay.AfterControlRequestTaken();
            CheckpointReason reason = request.ExitAfter ? CheckpointReason.OnDemandExit : CheckpointReason.OnDemand;
            (CheckpointOutcome outcome, AfterCheckpointPlan after) = await checkpoints.TakeAsync(reason).ConfigureAwait(false);
            if (outcome is not CheckpointOutcome.Committed committed)
            {
                request.Refused("the checkpoint was not taken; crik's log says why");
                continue;
            }
            request.Committed(committed.Generation, Size.Format(committed.Bytes), committed.Duration);
            if (after.AppEndsHere)
            {
                life.Stopping = true;
                await DeliveredAsync(request).ConfigureAwait(false);
                return true;
            }
        }
        return false;
    }

    /// <summary>Lets the answer to <c>crik checkpoint --exit</c> reach the asker before crik exits (a little while at most).</summary>
    private static async Task DeliveredAsync(ControlRequest request)
    {
        try
        {
            await request.Delivered.WaitAsync(AnswerGrace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
