// Restoring/ owns choosing a checkpoint to restore and bringing the app back as crik's child.
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// Restores the newest whole checkpoint, so that the app continues where it stopped, as crik's child:
/// it looks for the checkpoint under the image directory's lock (<see cref="CheckpointLookup"/>), then
/// restores it (<see cref="CheckpointRestore"/>). A checkpoint that cannot be restored is set aside
/// (never deleted), so it can never cause a crash loop.
/// </summary>
internal sealed class Restorer(CrikConfig config, ICheckpointStore store, CriuRunner criu, ChildReaper reaper, ILogger log) : IAppRestorer
{
    private readonly CheckpointLookup _lookup = new(config, store, log);
    private readonly CheckpointRestore _restore = new(config, store, criu, reaper, log);
    private readonly StoreUnavailableStep _unsure = new(config, store.ImageDir, log);
    private readonly FailedRestores _failures = new(config, log);

    public TimeSpan Probation => config.RestoreProbation;


    public string StartFreshOrStop(Exception error) => _unsure.Act(TroubleWith.Unexpected, error, config.LockWait)!;

    public string? WhyFresh { get; private set; }

    /// <summary>
    /// The restored app; null when the store answered and holds nothing to restore, or the restore
    /// failed (start fresh). Throws <see cref="RestoreFailedException"/> when the app must not start:
    /// another crik holds the image directory, crik cannot tell whether it holds a checkpoint
    /// (onStoreUnavailable: wait), or onRestoreFailure: fail.
    /// </summary>
    public async Task<RunningApp?> TryRestoreAsync(IReadOnlyList<string> command)
    {
        var stages = new StageClock();
        CheckpointLookup.Found found = _lookup.Find(command, stages);
        RestoreOutcome outcome = found.Checkpoint is { } checkpoint
            ? await RestoreAsync(checkpoint, command, stages).ConfigureAwait(false)
            : RestoreOutcome.Fresh(found.WhyFresh!);
        while (outcome.SetAside is { } failed)
        {
            outcome = await OlderOrNoneAsync(failed, command).ConfigureAwait(false);
        }
        WhyFresh = outcome.WhyFresh;
        return outcome.App;
    }

    /// <summary>
    /// After a checkpoint failed and was set aside: the newest one left is restored, as at a start (keepCheckpoints keeps the one
    /// before), so its work is not given up for the newer one's fault; by the container's next start where the failed one's saved
    /// files were put back already. Each is set aside when it fails, so this ends; with none left, onRestoreFailure applies.
    /// </summary>
    private async Task<RestoreOutcome> OlderOrNoneAsync(SetAsideRestore failed, IReadOnlyList<string> command)
    {
        var stages = new StageClock();
        if (_lookup.Find(command, stages, sayNone: false).Checkpoint is not { } older)
        {
            return _failures.NoneOlder(failed, command);
        }
        if (failed.FilesPutBack)
        {
            throw FailedRestores.OlderInTheNextContainer(failed, older.Manifest.Generation);
        }
        _failures.TryingOlder(failed, older.Manifest.Generation);
        return await RestoreAsync(older, command, stages).ConfigureAwait(false);
    }

    private async Task<RestoreOutcome> RestoreAsync(CommittedCheckpoint checkpoint, IReadOnlyList<string> command, StageClock stages)
    {
        try
        {
            return await _restore.RestoreAsync(checkpoint, command, stages).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The checkpoint exists: a fresh start would drop its work, and a lock that was lost may mean another pod runs the app.
            string problem = e is StoreNotAnsweringException ? e.Message
                : $"restoring checkpoint {checkpoint.Manifest.Generation} from {store.ImageDir} failed on an I/O error ({e.Message})";
            var trouble = new StoreTrouble(TroubleWith.FoundCheckpoint, problem, store.ImageDir, S3Address.IsS3(store.ImageDir));
            return RestoreOutcome.Fresh(_unsure.Act(trouble, config.LockWait)!);
        }
    }

    public void RestoreSurvived(RunningApp app)
    {
        try
        {
            store.MarkRestoreSurvived();
            log.Debug("The app restored from checkpoint {Generation} ran for restoreProbation; its restore no longer counts against it", app.Generation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not record that the app restored from checkpoint {Generation} lived on: {Error}", app.Generation, e.Message);
        }
    }

    public void MemoryLoadFailed(RunningApp app, string failure)
    {
        try
        {
            store.MarkLoadFailed();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not record that checkpoint {Generation} must be restored eagerly next time: {Error}", app.Generation, e.Message);
        }
        // What failed goes last: crik's own failures carry a stack.
        log.Error(new Happening.RestoreFailed(app.Generation, Lazily: true,
                $"its memory could not all be brought in ({failure}), so crik killed the app; the next pod restores it eagerly"),
            "Checkpoint {Generation}: the app's memory could not all be brought in, so crik killed the app before it could read a page "
            + "that never arrived. The checkpoint stays; the next pod restores it with all its memory checked first (or sets it aside "
            + "if a chunk is damaged). What failed: {Failure}", app.Generation, failure);
    }
}
