using System.Diagnostics;
using Crik.Cli.Decisions;
using Crik.Cli.Logging;

namespace Crik.Cli.Checkpointing;

// A checkpoint that took the memory as it is, when its dump cannot be made whole after all (a process forked
// between the glance and CRIU's freeze): the dump is dropped, the fill brings the memory in, and the app is dumped again.
internal sealed partial class Checkpointer
{
    /// <summary>
    /// The dump could not take the app's memory as it is (<paramref name="notWhole"/>): it is dropped, what was staged
    /// for it abandoned and the app left stopped, for <see cref="FillThenDumpAgainAsync"/> to dump the app again once
    /// its memory is all in, when the budget left allows (<see cref="MemoryArriving.WhyNotDumpAgain"/>); else the checkpoint fails.
    /// </summary>
    private CheckpointOutcome.NotTaken Drop(DumpRun run, string notWhole)
    {
        if (!run.Attempt.CanDumpAgain)
        {
            return Failed(run, notWhole);
        }
        if (MemoryArriving.WhyNotDumpAgain(run.Reason, run.Budget.Remaining, run.Dump!.Duration) is { } whyNot)
        {
            return Failed(run, $"{notWhole}; {whyNot}");
        }
        store.Abandon(run.Staging);
        run.Stages.Lap("dump dropped");
        run.Dropped = notWhole;
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
    }

    /// <summary>
    /// After <see cref="Drop"/>: the fill goes on into the app CRIU left stopped; once the memory is all in (within
    /// what <see cref="MemoryArriving.CheckpointWaits"/> allows), the app runs again (a dump of a stopped app restores
    /// it stopped) and is dumped the ordinary way, into a new staging area, and committed.
    /// </summary>
    /// <param name="why">Why the dropped dump could not take the memory as it is.</param>
    private async Task<CheckpointOutcome> FillThenDumpAgainAsync(DumpRun dropped, string why, Action? whenCaptured, Func<string?>? whyNotCommit)
    {
        CheckpointAttempt attempt = dropped.Attempt;
        var fill = Stopwatch.StartNew();
        if (await NotInWithinAsync(attempt).ConfigureAwait(false) is { } notIn)
        {
            attempt.GiveUp();
            LogFailed(dropped, $"{why}; the dump was dropped to dump the app again once its memory is in, but {notIn}");
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
        }
        attempt.Stages.Lap("memory in");
        long filled = attempt.TakesArriving!.CopiedBytes - (attempt.CopiedWhenLetGo ?? 0);
        log.Warning("Checkpoint {Generation}: the dump could not take the app's memory as it is ({Why}): it was dropped, the memory was all in "
            + "{Seconds:0.00} s later ({Filled} filled meanwhile, the app stopped), and the app is dumped again",
            dropped.Generation, why, fill.Elapsed.TotalSeconds, Size.Format(filled));
        // The second dump is an ordinary one: nothing is still on its way in.
        attempt.TakesArriving = null;
        if (BeginStaging(attempt) is not { } staging)
        {
            return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
        }
        attempt.LetRunForASecondDump();
        return await TakeAsync(new DumpRun(attempt, staging, dropped.Clock), whenCaptured, whyNotCommit).ConfigureAwait(false);
    }

    /// <summary>Null once the app's memory is all in, within half of the budget left; else why not.</summary>
    private static async Task<string?> NotInWithinAsync(CheckpointAttempt attempt)
    {
        Task<string?> loaded = attempt.App.MemoryLoaded ?? Task.FromResult<string?>(null);
        TimeSpan wait = MemoryArriving.CheckpointWaits(attempt.Reason, attempt.Budget.Remaining) ?? TimeSpan.Zero;
        await Task.WhenAny(loaded, Task.Delay(wait)).ConfigureAwait(false);
        if (!loaded.IsCompleted)
        {
            return $"it was not all in within {wait.TotalSeconds:0.###} s, half the time left of checkpointBudget ({attempt.Budget.Total.TotalSeconds:0.###} s)";
        }
        return loaded.IsCompletedSuccessfully
            ? loaded.Result is { } failed ? $"it could not be brought in: {failed}" : null
            : $"it could not be brought in: {loaded.Exception?.GetBaseException().Message}";
    }
}
