using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.ImageStore;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Streaming;
using Crik.Cli.Timing;
using Crik.Cli.WriteTracking;
using Serilog;

namespace Crik.Cli.Checkpointing;

/// <summary>What one dump came to.</summary>
/// <param name="DroppedBecause">Why the dump was dropped (it could not take the app's memory as it is), for the app to be
/// dumped again once its memory is all in; null otherwise.</param>
/// <param name="Captured">Once committed: what the dump captured, for the commit's line.</param>
/// <param name="Committed">Once committed: the checkpoint.</param>
internal sealed record DumpEnd(CheckpointOutcome Outcome, string? DroppedBecause = null, CapturedApp? Captured = null, CommittedCheckpoint? Committed = null);

/// <summary>
/// One dump of the app into its staging area, through to the commit point: the steps in order, each handing what it
/// produced to the next, and what the dump came to, logged. It owns the tracked writes: disposed once crik is done with the app.
/// </summary>
internal sealed class DumpAndCommit(CrikConfig config, ICheckpointWriter store, Lazy<Task<string>> criuVersion, DumpPreparation preparation,
    CriuDump criuDump, MemoryAsItIs asItIs, FilesBesideImages files, DumpOutcomes outcomes, TrackedWrites writes, ILogger log) : IDisposable
{
    /// <summary>One dump and its commit, from its staging area; what it came to (a failure too), logged.</summary>
    public async Task<DumpEnd> TakeAsync(DumpRun run)
    {
        DumpSetup? setup = null;
        DumpEnd end;
        try
        {
            writes.CloseForkedCopies(run); // before the look for what CRIU cannot dump, which names a userfaultfd
            if (Undumpable.Find(run.App.Pid) is { } undumpable)
            {
                return Failed(run, undumpable);
            }
            setup = preparation.Prepare(run);
            end = await DumpAndCommitAsync(run, setup).ConfigureAwait(false);
        }
        catch (SupersededException e)
        {
            return new DumpEnd(outcomes.Superseded(run, e));
        }
        catch (Exception e)
        {
            log.Debug(e, "Checkpoint {Generation} failed", run.Generation);
            return Failed(run, e.Message);
        }
        finally
        {
            preparation.Release(setup);
        }
        // Past the commit point nothing may turn this into a failure: the next pod continues from it.
        if (end is { Captured: { } captured, Committed: { } committed })
        {
            outcomes.LogCommitted(run, captured, committed);
            asItIs.LogFilledMeanwhile(run);
        }
        return end;
    }

    public void Dispose() => writes.Dispose();

    /// <inheritdoc cref="TrackedWrites.FromRestore"/>
    public void TrackFromRestore(RestoredMemory restored) => writes.FromRestore(restored);

    /// <summary>
    /// The dump's steps after its preparation, to the commit point: <see cref="CheckpointOutcome.Committed"/> once the manifest is
    /// written, else what <see cref="DumpOutcomes"/> made of the first step that failed.
    /// </summary>
    private async Task<DumpEnd> DumpAndCommitAsync(DumpRun run, DumpSetup setup)
    {
        if (run.Budget.Spent)
        {
            return Failed(run, $"checkpointBudget ({run.Budget.Total.TotalSeconds:0.###} s) ran out before the dump");
        }
        PreviousCheckpoint? previous = await writes.BeforeDumpAsync(run, setup).ConfigureAwait(false);
        using var noCollection = new CollectionFreeWindow(); // to the app's release: a collection there would stop the app as long
        (DumpTaken dump, StoppedAppTaken? taken) = await DumpAsync(run, setup, writtenOnly: previous is not null, noCollection).ConfigureAwait(false);
        if (dump.WhyNot is { } notDumped)
        {
            return Failed(run, notDumped);
        }
        run.Stages.Lap("dump"); // with the app let go already, the last chunks' stores
        (CaptureResult? whole, string? notWhole) = asItIs.Complete(run, setup, dump);
        // The images are put together: the fill goes on while they are stored (into the stopped app, which the dump no longer reads).
        run.Attempt.LetFillGoOn();
        if (notWhole is not null)
        {
            return outcomes.Drop(run, notWhole, dump.Criu.Duration);
        }
        // A dump of only what the app wrote is made whole on another core meanwhile: it does not read the app.
        Task<(CaptureResult? Images, string? NotWhole)>? completing = previous is not null && whole is { } writtenOnly
            ? Task.Run(() => writes.Complete(run, writtenOnly, previous))
            : null;
        if (taken is null)
        {
            taken = await TakeAndLetGoAsync(run, completing, noCollection).ConfigureAwait(false);
        }
        (long largestArea, List<int> tree, FilesSaved saved, WrittenSinceCommit? written, long letGoAt) = taken;
        if (completing is not null)
        {
            (whole, string? unplaced) = await completing.ConfigureAwait(false);
            run.Stages.Lap("unwritten");
            if (unplaced is not null)
            {
                return Failed(run, unplaced);
            }
        }
        if (saved.OverLimit is { } overLimit)
        {
            return Failed(run, overLimit);
        }
        (CaptureResult? images, string? notImported) = await CriuDump.ImportAsync(run, whole, dump.ToImport).ConfigureAwait(false);
        if (notImported is not null)
        {
            return Failed(run, notImported);
        }
        var captured = new CapturedApp(setup, dump.Criu, AppHold.Of(dump.Criu, ReadLogTimes(run), letGoAt), images!, largestArea, tree, saved.Files, written ?? WrittenSinceCommit.Untold);
        Manifest manifest = captured.ManifestOf(run, config.AdditionalPaths, await criuVersion.Value.ConfigureAwait(false));
        string budgetRanOut = $"checkpointBudget ({run.Budget.Total.TotalSeconds:0.###} s) ran out before the commit";
        if (run.Budget.Spent)
        {
            return Failed(run, budgetRanOut);
        }
        (CommittedCheckpoint committed, captured) = await CommitAsync(run, manifest, captured, tellWritten: writes.TellsWhileCommitting(run), budgetRanOut).ConfigureAwait(false);
        writes.Committed(committed.Manifest);
        return new DumpEnd(new CheckpointOutcome.Committed(run.Generation, committed.Manifest.ImageBytes, run.Clock.Elapsed), Captured: captured, Committed: committed);
    }

    /// <summary>
    /// The commit point: <see cref="ICheckpointWriter.Commit"/> throws only before it; once it returns, the checkpoint is taken.
    /// With <paramref name="tellWritten"/> (the app ends after it), what the app wrote is read meanwhile, into what is returned.
    /// </summary>
    private async Task<(CommittedCheckpoint Committed, CapturedApp Captured)> CommitAsync(DumpRun run, Manifest manifest, CapturedApp captured,
        bool tellWritten, string budgetRanOut)
    {
        Task<WrittenSinceCommit>? telling = tellWritten ? writes.TellWhileCommitting(run) : null;
        try
        {
            TestDelay.BeforeCommit();
            TestDelay.BeforeCommitWhileArriving(() => run.Attempt.FilledSinceLetGo is not 0);
            FaultSeam.Hit(telling is null ? "commit" : "commit while telling");
            CommittedCheckpoint committed = store.Commit(run.Staging, manifest, config.KeepCheckpoints,
                whyNot: () => run.Budget.Spent ? budgetRanOut : run.Attempt.WhyNotCommit(), run.Stages).Checkpoint;
            return (committed, telling is null ? captured : captured with { Written = await telling.ConfigureAwait(false) });
        }
        catch when (telling is not null)
        {
            // Before the app is let go of (a commit that failed): the scan ends first.
            await Task.WhenAny(telling).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// With the tree stopped, so that what is saved matches what CRIU recorded: its largest private area, every ID of its
    /// processes and threads (the ones CRIU dumped, where the list taken before the dump misses what the app made meanwhile), its
    /// saved files, and (unless the files are over their limit) what it wrote since the last commit, the tracking armed for
    /// the next. When this throws, <paramref name="completing"/> has ended first, so nothing writes into the staging area after.
    /// </summary>
    private async Task<StoppedAppTaken> TakeFromStoppedAppAsync(DumpRun run, Task? completing)
    {
        try
        {
            var held = HeldTree.Read(run.App.Pid);
            FilesSaved saved = files.Save(held, run.Staging);
            run.Stages.Lap("files");
            var taken = new StoppedAppTaken(held.LargestPrivateArea, held.PidsAndThreads(), saved, saved.OverLimit is null ? writes.Take(run, held) : null);
            // Not exited now (the reaper tells an exit before it frees the PID), the app held its PID through CRIU's dump and these
            // reads. Reaped, the number may have been another process's by then, which is what CRIU dumped: the next pod would
            // restore it in the app's place.
            if (run.App.Exited.IsCompleted)
            {
                throw new IOException($"the app (PID {run.App.Pid}) ended before its dump was over, so what was dumped under its PID "
                    + "may be another process");
            }
            return taken;
        }
        catch when (completing is not null)
        {
            await Task.WhenAny(completing).ConfigureAwait(false);
            _ = completing.Exception; // this failure is the one told; a second one of the images is only observed
            throw;
        }
    }

    /// <summary>What is taken from the stopped app (<see cref="TakeFromStoppedAppAsync"/>), then its release. When the take throws, the release is left to the failed checkpoint's end.</summary>
    private async Task<StoppedAppTaken> TakeAndLetGoAsync(DumpRun run, Task? completing, CollectionFreeWindow noCollection)
    {
        StoppedAppTaken taken = await TakeFromStoppedAppAsync(run, completing).ConfigureAwait(false);
        return taken with { LetGoAt = LetGo(run, noCollection) };
    }

    /// <summary>
    /// CRIU's dump. What is taken from the stopped app, and its release, come as soon as every image is read out of its pipe,
    /// before the last chunks are stored: a store can be slow (object storage uploads a part), and the app must not wait for it.
    /// Not while the app's memory still arrives: its images are put together first, with the fill held (Taken is null then).
    /// </summary>
    private async Task<(DumpTaken Dump, StoppedAppTaken? Taken)> DumpAsync(DumpRun run, DumpSetup setup, bool writtenOnly, CollectionFreeWindow noCollection)
    {
        StoppedAppTaken? taken = null;
        async Task TakeAndLetGo()
        {
            run.Stages.Lap("dump");
            taken = await TakeAndLetGoAsync(run, completing: null, noCollection).ConfigureAwait(false);
        }
        DumpTaken dump = await criuDump.DumpAsync(run, setup, writtenOnly, whenReadOut: run.Attempt.TakesArriving is null ? TakeAndLetGo : null).ConfigureAwait(false);
        return (dump, taken);
    }

    /// <summary>
    /// Everything of the app is captured: what remains (the images made whole, checksums, the commit) does not need it stopped.
    /// Not sooner: until every image is read out of its pipe, the pipes may hold the app's own pages (CRIU's parasite
    /// vmsplices them, and CRIU splices them on into crik's pipes, both by reference), which a resumed app could write.
    /// </summary>
    /// <returns>When the app was let go (right before its SIGCONT), or could have been (it ends after the checkpoint), on <see cref="MonotonicClock"/>.</returns>
    private static long LetGo(DumpRun run, CollectionFreeWindow noCollection)
    {
        long letGoAt = run.Attempt.Captured() ?? MonotonicClock.Now();
        noCollection.Dispose();
        return letGoAt;
    }

    /// <summary>What the dump's log tells of its moments, read once the app runs again (before the commit moves it); null when it cannot be read.</summary>
    private DumpLogTimes? ReadLogTimes(DumpRun run)
    {
        try
        {
            return DumpLogTimes.Read(File.ReadLines(run.Staging.Criu.LogFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Debug("CRIU's dump log {Log} could not be read for when it seized the app: {Error}", run.Staging.Criu.LogFile, e.Message);
            return null;
        }
    }

    private DumpEnd Failed(DumpRun run, string why) => new(outcomes.Failed(run, why));
}

/// <summary>What a checkpoint takes from the app while CRIU leaves it stopped (<see cref="DumpAndCommit"/>).</summary>
/// <param name="LetGoAt">When the app was let go after, on <see cref="MonotonicClock"/>.</param>
internal sealed record StoppedAppTaken(long LargestArea, List<int> Tree, FilesSaved Saved, WrittenSinceCommit? Written, long LetGoAt = 0);
