using Crik.Cli.Decisions;
using Crik.Cli.Logging;
using Crik.Cli.PreDumping;
using Crik.Cli.Processes;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>
/// A checkpoint while a lazily restored app's memory arrives that takes the memory as it is, instead of waiting for it:
/// whether it can, and the dump made whole afterwards from the checkpoint the app was restored from.
/// </summary>
internal sealed class MemoryAsItIs(PreDumpChain? preDumps, ILogger log)
{
    /// <summary>
    /// The app's memory still arriving, when this checkpoint takes it as it is (<see cref="MemoryArriving.WhyWait"/>): then the
    /// background fill is held (faults are still served: CRIU cannot stop a thread that waits for a page) and the dump is made
    /// whole afterwards (<see cref="Complete"/>), and the fill goes on once it is (<see cref="CheckpointAttempt.LetFillGoOn"/>),
    /// not only after the commit. Null, with why logged, to wait as before.
    /// </summary>
    public IArrivingMemory? Takes(CheckpointAttempt attempt)
    {
        if (attempt.App.Arriving is not { } arriving)
        {
            return null;
        }
        // A glance, with the app running: whether each process's memory is still its own is asked once it is
        // stopped (MidFillImages). A process that cannot be taken after all (one forked since the glance, say) has
        // the dump dropped and taken again once the memory is all in (MemoryArrivalWait.AfterDropAsync).
        List<UnfilledVerdict> verdicts = [.. arriving.Glance().Select(p =>
            MemoryArriving.Judge(p.MissesPages, p.Forked, p.StartKnown, memoryItsOwn: true))];
        if (MemoryArriving.WhyWait(attempt.Reason, onTopOfPreDumps: preDumps is { Count: > 0 }, verdicts) is { } why)
        {
            log.Information("The app's memory is still on its way in, and this checkpoint cannot take it as it is: {Why}", why);
            return null;
        }
        arriving.HoldBackground();
        return arriving;
    }

    /// <summary>
    /// The dump lacks the pages crik has not filled yet: they are taken from the checkpoint the app was restored from, by its
    /// chunks (<see cref="MidFillImages"/>). The images made whole (those of <paramref name="dump"/> when not needed), or why they are not.
    /// </summary>
    public (CaptureResult? Images, string? NotWhole) Complete(DumpRun run, DumpSetup setup, DumpTaken dump)
    {
        if (run.Attempt.TakesArriving is not { } arriving || dump.Captured is not { } captured)
        {
            return (dump.Captured, null);
        }
        if (setup.OnTop is not null)
        {
            return (captured, "the dump went on top of pre-dumps while the app's memory arrived");
        }
        TestDelay.BeforeMidFillImages();
        try
        {
            (CaptureResult whole, long fromRestored, long read) = MidFillImages.Complete(captured, arriving, run.Staging.Pack);
            log.Information("The app's memory was still on its way in: {FromRestored} of it still as checkpoint {Generation} has it is taken from "
                + "that checkpoint's chunks ({Read} of them read from the store to cut chunks), not waited for", Size.Format(fromRestored), run.App.Generation, Size.Format(read));
            run.Stages.Lap("memory as it is");
            return (whole, null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return (captured, $"the pages still on their way in could not be taken from checkpoint {run.App.Generation}: {e.Message}");
        }
    }

    /// <summary>How much of the app's memory arrived while the checkpoint was stored, with the fill going on (or nothing when it took the memory all in).</summary>
    public void LogFilledMeanwhile(DumpRun run)
    {
        if (run.Attempt.FilledSinceLetGo is { } filled)
        {
            log.Information("The app's memory went on arriving while checkpoint {Generation} was stored: {Filled} filled between the images' assembly and the commit",
                run.Generation, Size.Format(filled));
        }
    }
}
