using Crik.Cli.Decisions;
using Crik.Cli.Logging;

namespace Crik.Cli.Checkpointing;

// A checkpoint while a lazily restored app's memory arrives: the memory as it is, instead of waiting for it.
internal sealed partial class Checkpointer
{
    /// <summary>
    /// Whether this checkpoint takes the app's memory as it is (<see cref="MemoryArriving.WhyWait"/>): then the
    /// background fill is held (faults are still served: CRIU cannot stop a thread that waits for a page) and
    /// the dump is made whole afterwards (<see cref="CompleteArriving"/>), and the fill goes on once it is
    /// (<see cref="CheckpointAttempt.LetFillGoOn"/>), not only after the commit. False, with why logged, to wait as before.
    /// </summary>
    private bool TakesMemoryAsItIs(CheckpointAttempt attempt)
    {
        if (attempt.App.Arriving is not { } arriving)
        {
            return false;
        }
        // A glance, with the app running: whether each process's memory is still its own is asked once it is
        // stopped (MidFillImages). A process that cannot be taken after all (one forked since the glance, say) has
        // the dump dropped and taken again once the memory is all in (FillThenDumpAgainAsync).
        List<UnfilledVerdict> verdicts = [.. arriving.Glance().Select(p =>
            MemoryArriving.Judge(p.MissesPages, p.Forked, p.StartKnown, memoryItsOwn: true))];
        if (MemoryArriving.WhyWait(attempt.Reason, onTopOfPreDumps: preDumps is { Count: > 0 }, verdicts) is { } why)
        {
            log.Information("The app's memory is still on its way in, and this checkpoint cannot take it as it is: {Why}", why);
            return false;
        }
        arriving.HoldBackground();
        attempt.TakesArriving = arriving;
        attempt.Stages.Lap("fill held");
        GlancePause.Wait(log);
        return true;
    }

    /// <summary>
    /// The dump lacks the pages crik has not filled yet: they are taken from the checkpoint the app was restored
    /// from, by its chunks (<see cref="MidFillImages"/>). Null when done (or not needed), else why the images are not whole.
    /// </summary>
    private string? CompleteArriving(DumpRun run)
    {
        if (run.Attempt.TakesArriving is not { } arriving || run.Captured is not { } captured)
        {
            return null;
        }
        if (run.OnTop is not null)
        {
            return "the dump went on top of pre-dumps while the app's memory arrived";
        }
        try
        {
            (run.Captured, long fromRestored, long read) = MidFillImages.Complete(captured, arriving, run.Staging.Pack);
            log.Information("The app's memory was still on its way in: {FromRestored} of it still as checkpoint {Generation} has it is taken from "
                + "that checkpoint's chunks ({Read} of them read from the store to cut chunks), not waited for", Size.Format(fromRestored), run.App.Generation, Size.Format(read));
            run.Stages.Lap("memory as it is");
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return $"the pages still on their way in could not be taken from checkpoint {run.App.Generation}: {e.Message}";
        }
    }

    /// <summary>How much of the app's memory arrived while the checkpoint was stored, with the fill going on (or nothing when it took the memory all in).</summary>
    private void LogFilledMeanwhile(DumpRun run)
    {
        if (run.Attempt is { TakesArriving: { } arriving, CopiedWhenLetGo: { } copiedBefore })
        {
            log.Information("The app's memory went on arriving while checkpoint {Generation} was stored: {Filled} filled between the images' assembly and the commit",
                run.Generation, Size.Format(arriving.CopiedBytes - copiedBefore));
        }
    }
}
