using System.Diagnostics;
using Crik.Cli.Decisions;
using Crik.Cli.Logging;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// A checkpoint of a lazily restored app that waits for its memory to be all in (within what
/// <see cref="MemoryArriving.CheckpointWaits"/> allows): before the dump, when it cannot take the memory as it is; or after a
/// dump that could not (a process forked between the glance and CRIU's freeze) was dropped, with the app left stopped.
/// </summary>
internal sealed class MemoryArrivalWait(DumpOutcomes outcomes, ILogger log)
{
    /// <summary>
    /// Whether the memory came in before the dump. False when the checkpoint is not taken (logged): the checkpoint the app is
    /// loading from stays the newest, so the next pod goes on from it.
    /// </summary>
    public async Task<bool> BeforeDumpAsync(CheckpointAttempt attempt)
    {
        RunningApp app = attempt.App;
        if (MemoryArriving.CheckpointWaits(attempt.Reason, attempt.Budget.Remaining) is { } wait)
        {
            log.Information("Waiting up to {Seconds:0.#} s for the app's memory to be all in before the checkpoint", wait.TotalSeconds);
            await Task.WhenAny(app.MemoryLoaded!, Task.Delay(wait)).ConfigureAwait(false);
            if (app.MemoryLoaded!.IsCompletedSuccessfully && app.MemoryLoaded.Result is null)
            {
                return true;
            }
        }
        // A fill that failed has killed the app already (FillFailure): it neither keeps running nor gets a signal.
        (string memory, string then) = Failure(app.MemoryLoaded!) is { } failed
            ? ($"could not be brought in from checkpoint {app.Generation} ({failed})", "the failed fill ended the app")
            : ($"is still on its way in from checkpoint {app.Generation}", attempt.ThenTheApp);
        log.Warning(new Happening.CheckpointSkipped(attempt.Reason.Label(), $"the app's memory {memory}, which stays the newest"),
            "Checkpoint not taken: the app's memory {Memory}, which stays the newest (the next pod goes on from it); {Then}", memory, then);
        return false;
    }

    /// <summary>
    /// After <see cref="DumpOutcomes.Drop"/>: whether the fill brought the memory in, into the app CRIU left stopped, for the app
    /// to be dumped again the ordinary way. False when it did not (the checkpoint failed, logged).
    /// </summary>
    /// <param name="why">Why the dropped dump could not take the memory as it is.</param>
    public async Task<bool> AfterDropAsync(DumpRun dropped, string why)
    {
        CheckpointAttempt attempt = dropped.Attempt;
        var fill = Stopwatch.StartNew();
        if (await WhyNotInWithinAsync(attempt).ConfigureAwait(false) is { } notIn)
        {
            attempt.GiveUp();
            outcomes.LogFailed(dropped, $"{why}; the dump was dropped to dump the app again once its memory is in, but {notIn}");
            return false;
        }
        attempt.Stages.Lap("memory in");
        long filled = attempt.TakesArriving!.CopiedBytes - (attempt.CopiedWhenLetGo ?? 0);
        log.Warning("Checkpoint {Generation}: the dump could not take the app's memory as it is ({Why}): it was dropped, the memory was all in "
            + "{Seconds:0.00} s later ({Filled} filled meanwhile, the app stopped), and the app is dumped again",
            dropped.Generation, why, fill.Elapsed.TotalSeconds, Size.Format(filled));
        return true;
    }

    /// <summary>Null once the app's memory is all in, within half of the budget left; else why not.</summary>
    private static async Task<string?> WhyNotInWithinAsync(CheckpointAttempt attempt)
    {
        Task<string?> loaded = attempt.App.MemoryLoaded ?? Task.FromResult<string?>(null);
        TimeSpan wait = MemoryArriving.CheckpointWaits(attempt.Reason, attempt.Budget.Remaining) ?? TimeSpan.Zero;
        await Task.WhenAny(loaded, Task.Delay(wait)).ConfigureAwait(false);
        if (!loaded.IsCompleted)
        {
            return $"it was not all in within {wait.TotalSeconds:0.###} s, half the time left of checkpointBudget ({attempt.Budget.Total.TotalSeconds:0.###} s)";
        }
        return Failure(loaded) is { } failed ? $"it could not be brought in: {failed}" : null;
    }

    /// <summary>Why the fill failed, once it has; null while it goes on or once it ended well.</summary>
    private static string? Failure(Task<string?> loaded) =>
        !loaded.IsCompleted ? null
        : loaded.IsCompletedSuccessfully ? loaded.Result
        : loaded.Exception?.GetBaseException().Message ?? "it was cancelled";
}
