using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>How a dump ends: committed, failed, superseded by another crik, or dropped to be taken again; each with its log line and happening.</summary>
/// <param name="imageDir">Where checkpoints are written, named when a dump's write finds no room there.</param>
internal sealed class DumpOutcomes(ICheckpointWriter store, string imageDir, ILogger log)
{
    public void LogCommitted(DumpRun run, CapturedApp captured, CommittedCheckpoint committed)
    {
        StageClock stages = run.Stages;
        long? appWrote = captured.Written.Whole ? captured.Written.WrittenBytes : null;
        log.Information(new Happening.CheckpointCommitted(run.Generation, run.Reason.Label(), committed.Manifest.ImageBytes,
                committed.Manifest.WrittenBytes, run.Clock.Elapsed, captured.Held.Length, appWrote),
            "Checkpoint {Generation} committed in {Seconds:0.00} s (CRIU dump {Dump:0.00} s, the app held {Held}): {Size}, of which {Written} written "
            + "(the rest shared with earlier checkpoints), in {Dir}; CRIU log {Log}{AppWrote}. Stages: {Stages}{Streamed}; crik's CPU {Cpu}",
            run.Generation, run.Clock.Elapsed.TotalSeconds, captured.Dump.Duration.TotalSeconds, captured.Held.ToString(), Size.Format(committed.Manifest.ImageBytes),
            Size.Format(committed.Manifest.WrittenBytes), committed.Directory, run.Staging.LogPath,
            appWrote is { } bytes ? $"; the app wrote {Size.Format(bytes)} of its memory since the previous checkpoint (tracked)" : "",
            stages.ToString(), captured.Images.Times is { } streamed ? $"; streamed {streamed}" : "", StageClock.Milliseconds(stages.CrikCpu));
    }

    public CheckpointOutcome.NotTaken Failed(DumpRun run, string why)
    {
        // The app goes on before the clean-up, which a store that stopped answering makes last seconds more.
        run.Attempt.GiveUp();
        run.Attempt.LetFillGoOn();
        LogFailed(run, why);
        store.Abandon(run.Staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true);
    }

    public void LogFailed(DumpRun run, string why)
    {
        why = WithRoomHint(why);
        log.Error(new Happening.CheckpointFailed(run.Generation, run.Reason.Label(), run.Clock.Elapsed, $"{why} (CRIU log {run.Staging.LogPath})"),
            "Checkpoint {Generation} failed after {Seconds:0.00} s: {Why}; CRIU log {Log}. The previous checkpoint is untouched; {Then}",
            run.Generation, run.Clock.Elapsed.TotalSeconds, why, run.Staging.LogPath, run.Attempt.ThenTheApp);
    }

    /// <summary>A failure that found no room for a write, with where and what to do: the error alone names neither.</summary>
    private string WithRoomHint(string why) =>
        !RestoreBlames.NoRoom(why) ? why
        : RestoreBlames.ReadOnlyFileSystem(why)
            ? $"{why}; {imageDir} is on a file system mounted read-only: mount its volume read-write"
            : $"{why}; there is no room left for the checkpoint in {imageDir}: free space on its volume (crik never deletes what is in "
                + $"{StoreLayout.SetAsideDir}/), give the volume more, or keep fewer checkpoints (keepCheckpoints)";

    /// <summary>Another crik committed first. Not GiveUp: the app must not run on (nor act on a SIGTERM) while another crik runs it.</summary>
    public CheckpointOutcome.NotTaken Superseded(DumpRun run, SupersededException e)
    {
        (long generation, StagingCheckpoint staging) = (run.Generation, run.Staging);
        log.Error(new Happening.CheckpointFailed(generation, run.Reason.Label(), run.Clock.Elapsed,
                $"{e.Message}; another pod runs the app or did, so this copy is killed"),
            "Checkpoint {Generation} is not committed: {Error}. Another pod runs the app or did, so this copy is killed", generation, e.Message);
        store.Abandon(staging);
        return new CheckpointOutcome.NotTaken(AppMayBeStopped: true, Superseded: true);
    }

    /// <summary>
    /// The dump could not take the app's memory as it is (<paramref name="notWhole"/>): it is dropped, what was staged for it
    /// abandoned and the app left stopped, for it to be dumped again once its memory is all in (<see cref="MemoryArrivalWait.AfterDropAsync"/>),
    /// when the budget left allows (<see cref="MemoryArriving.WhyNotDumpAgain"/>); else the checkpoint fails.
    /// </summary>
    /// <param name="dumpTook">How long the dump dropped took, which a second one needs again.</param>
    public DumpEnd Drop(DumpRun run, string notWhole, TimeSpan dumpTook)
    {
        if (!run.Attempt.CanDumpAgain)
        {
            return new DumpEnd(Failed(run, notWhole));
        }
        if (MemoryArriving.WhyNotDumpAgain(run.Reason, run.Budget.Remaining, dumpTook) is { } whyNot)
        {
            return new DumpEnd(Failed(run, $"{notWhole}; {whyNot}"));
        }
        store.Abandon(run.Staging);
        run.Stages.Lap("dump dropped");
        return new DumpEnd(new CheckpointOutcome.NotTaken(AppMayBeStopped: true), DroppedBecause: notWhole);
    }
}
