using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.Criu;
using Crik.Cli.Decisions;
using Crik.Cli.ImageStore;
using Crik.Cli.Logging;
using Crik.Cli.Observing;
using Crik.Cli.Processes;
using Crik.Cli.Records;
using Crik.Cli.Timing;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// The steps of restoring the chosen checkpoint: what keeps it from being restored here, the record of
/// the attempt, the saved files put back, then a lazy restore when it is to be, else an eager one. A
/// checkpoint that cannot be restored is set aside (never deleted), and onRestoreFailure applies.
/// </summary>
internal sealed class CheckpointRestore
{
    private readonly CrikConfig _config;
    private readonly ICheckpointStore _store;
    private readonly ChildReaper _reaper;
    private readonly ILogger _log;
    private readonly RestoreVerdicts _verdicts;
    private readonly FailedRestores _failures;
    private readonly RestorePlanStep _plan;
    private readonly Leftovers _leftovers;
    private readonly RestoreSuccess _success;
    private readonly PidRoom _pidRoom;

    public CheckpointRestore(CrikConfig config, ICheckpointStore store, CriuRunner criu, ChildReaper reaper, ILogger log)
    {
        (_config, _store, _reaper, _log) = (config, store, reaper, log);
        var criuRestore = new CriuRestore(config, store, criu, log);
        _verdicts = new RestoreVerdicts(config, log);
        _failures = new FailedRestores(config, log);
        _leftovers = new Leftovers(reaper, log);
        var loads = new MemoryLoadStart(config, store, reaper, log);
        _plan = new RestorePlanStep(config, new LazyRestore(config, loads, criuRestore, _leftovers, log), new FilledRestore(config, loads, criuRestore, _leftovers, log),
            criuRestore, new ImageFilesRestore(store, criuRestore, log), _leftovers, log);
        _success = new RestoreSuccess(store, log);
        _pidRoom = new PidRoom(store, log);
    }

    public async Task<RestoreOutcome> RestoreAsync(CommittedCheckpoint checkpoint, IReadOnlyList<string> command, StageClock stages)
    {
        using var restoring = _store.Within(_config.RestoreTimeout + TimeSpan.FromSeconds(10));
        Manifest manifest = checkpoint.Manifest;
        if (_verdicts.NotOnThisNode(manifest) is { } mismatch)
        {
            return _failures.NotOnThisNode(manifest.Generation, mismatch, checkpoint.Directory, command);
        }
        var clock = Stopwatch.StartNew();
        RestoredIds? tree = _pidRoom.ReadTree(checkpoint);
        string? wrongRoot = WrongRoot(manifest, tree);
        if (wrongRoot is null && _pidRoom.Make(checkpoint, tree) is { } held)
        {
            if (held.OnlyCriksThreads && !SelfRestart.Restarted)
            {
                throw new CrikRestartException($"Checkpoint {manifest.Generation}: {held.Why}. crik starts its own program again, as the same PID 1, "
                    + "so that its threads take IDs above the checkpoint's; the checkpoint is restored then");
            }
            return _failures.BecauseOfThisNode(manifest.Generation, clock, held.Why, checkpoint.Directory, command);
        }
        // Recorded before CRIU runs: a pod that dies from here on counts against this generation (restoreAttempts).
        using RestoreAttempt attempt = _store.BeginRestore(checkpoint);
        stages.Lap("record");
        if (wrongRoot is not null)
        {
            // Nothing of it ran, and its PIDs are not the app's: none is waited for or killed.
            return FailedRestores.Failed(manifest.Generation, clock, wrongRoot, logFile: null, _store.RestoreFailed(attempt, $"restore failed: {wrongRoot}"),
                filesPutBack: false);
        }
        var run = new RestoreRun(checkpoint, attempt, stages, clock, _reaper.Expect(manifest.RootPid));
        try
        {
            if (PutBackSavedFiles(run) is { } notPutBack)
            {
                return FailedBeforeItRan(run, notPutBack.Why, notPutBack.Blame, command, criuRan: false);
            }
            LogRestoring(checkpoint, attempt);
            return await RunCriuAsync(run, command).ConfigureAwait(false);
        }
        catch (Exception e) when (ReadFailures.Classify(e) == ReadFailure.CriksOwn && e is not (RestoreFailedException or SpawnException))
        {
            // A bug of crik's proves nothing of the checkpoint: it stays, whatever step threw.
            throw BecauseOfCrik(run, $"{e}");
        }
        catch (SpawnException e)
        {
            // The checkpoint is not at fault and CRIU never ran: commit it again for a container that has CRIU.
            _reaper.Forget(manifest.RootPid);
            _store.CancelRestore(attempt);
            _log.Error("Cannot run criu to restore checkpoint {Generation}: {Error}. The checkpoint stays in {Dir}; starting the app fresh",
                manifest.Generation, e.Message, checkpoint.Directory);
            return RestoreOutcome.Fresh($"cannot run criu to restore checkpoint {manifest.Generation} ({e.Message}); the checkpoint stays");
        }
    }

    /// <summary>
    /// Why the manifest's app is not the root of the tree CRIU would restore; null when it is, or the tree could not be read. crik
    /// waits for, signals and checkpoints the app by that PID, so a manifest changed or damaged there is not restored.
    /// </summary>
    private static string? WrongRoot(Manifest manifest, RestoredIds? tree) => tree is null || tree.Root == manifest.RootPid ? null
        : $"its manifest names PID {manifest.RootPid} as the app, but the root of the process tree in its images is PID {tree.Root}: "
            + "the manifest was changed or damaged, and crik would wait for and signal the wrong process";

    /// <summary>The restore its plan says (<see cref="RestorePlanStep"/>), and what its end means: the app runs, or why it does not.</summary>
    private async Task<RestoreOutcome> RunCriuAsync(RestoreRun run, IReadOnlyList<string> command) =>
        await _plan.RunAsync(run).ConfigureAwait(false) switch
        {
            RestoreEnd.Lazily lazily => RestoreOutcome.Running(_success.Finish(run, lazily.Loading)),
            RestoreEnd.OnCriksFill { Filled: { Failure: null } filled } => RestoreOutcome.Running(_success.Finish(run, loading: null, filled.How, filled.Tree)),
            RestoreEnd.OnCriksFill { Filled.Failure: { } failure } =>
                FailedBeforeItRan(run, $"its memory could not all be brought in before it ran, so crik killed it stopped: {failure.Why}", failure.Blame, command),
            RestoreEnd.Eagerly eagerly => Ended(run, eagerly.Result, eagerly.NotWhole, eagerly.From, command),
            _ => throw new InvalidOperationException("a restore ended in a way crik does not know"),
        };

    /// <summary>The eager restore's end: the app runs, or the checkpoint is set aside and what CRIU left is killed.</summary>
    private RestoreOutcome Ended(RestoreRun run, CriuResult restore, NotWhole? notWhole, string from, IReadOnlyList<string> command)
    {
        Manifest manifest = run.Manifest;
        if (restore.Succeeded && notWhole is not null)
        {
            // A chunk that fails kills criu before it has read that image, so a criu that succeeded
            // read every byte it needed, checked: the app runs, and must not be started a second time.
            _log.Warning("Checkpoint {Generation}: crik's image streamer reported after criu had restored the app: {Why}; the app runs on",
                manifest.Generation, notWhole.Why);
        }
        else if (!restore.Succeeded || notWhole is not null)
        {
            return notWhole is null ? FailedBeforeItRan(run, restore.Describe(_config.RestoreTimeout), RestoreBlames.OfCriu(restore.FirstError), command)
                : FailedBeforeItRan(run, $"an image could not be read whole, so crik stopped criu before the app ran: {notWhole.Why}", notWhole.Blame, command);
        }
        return RestoreOutcome.Running(_success.Finish(run, loading: null, from));
    }

    /// <summary>
    /// The restore stopped before the app ran: the store's failure (onStoreUnavailable), this node's (the checkpoint
    /// stays; onRestoreFailure), crik's own (the checkpoint stays; exit 125), or the checkpoint's (set aside; onRestoreFailure).
    /// </summary>
    private RestoreOutcome FailedBeforeItRan(RestoreRun run, string why, RestoreBlame blame, IReadOnlyList<string> command, bool criuRan = true) => blame switch
    {
        RestoreBlame.Store => throw StoreNotAnswering(run, why),
        RestoreBlame.Node => BecauseOfThisNode(run, why, command),
        RestoreBlame.Unproven => BecauseOfThisNode(run, why, command, counts: true),
        RestoreBlame.Crik => throw BecauseOfCrik(run, why),
        _ => Failed(run, why, criuRan),
    };

    /// <summary>
    /// This node could not do what the restore needs (<see cref="RestoreBlame.Node"/>, <see cref="RestoreBlame.Unproven"/>): what
    /// CRIU left is killed, and the checkpoint stays; the attempt is taken back unless it <paramref name="counts"/>.
    /// </summary>
    private RestoreOutcome BecauseOfThisNode(RestoreRun run, string why, IReadOnlyList<string> command, bool counts = false)
    {
        _leftovers.Forget(run.Manifest);
        if (!counts)
        {
            TakeBackRecord(run);
        }
        return _failures.BecauseOfThisNode(run.Manifest.Generation, run.Clock, why, run.Checkpoint.Directory, command, counts);
    }

    /// <summary>
    /// crik's own code failed in a way nobody expected (<see cref="RestoreBlame.Crik"/>): what CRIU restored is killed, the
    /// attempt taken back, and the checkpoint stays; the exception to throw says so, and crik exits 125.
    /// </summary>
    private RestoreFailedException BecauseOfCrik(RestoreRun run, string why)
    {
        _leftovers.Forget(run.Manifest);
        TakeBackRecord(run);
        return FailedRestores.BecauseOfCrik(run.Manifest.Generation, run.Clock, why, run.Checkpoint.Directory, criuLog: run.Attempt.LogPath);
    }

    /// <summary>
    /// A restore stopped before the app ran because the image store did not answer: that says nothing of the
    /// checkpoint, so it is not set aside. What CRIU left is killed, the restore's record taken back (it does
    /// not count against restoreAttempts); the exception to throw says so, and onStoreUnavailable applies to it.
    /// </summary>
    private StoreNotAnsweringException StoreNotAnswering(RestoreRun run, string why)
    {
        _leftovers.Forget(run.Manifest);
        TakeBackRecord(run);
        return new StoreNotAnsweringException($"restoring checkpoint {run.Manifest.Generation} stopped after {run.Clock.Elapsed.TotalSeconds:0.00} s because "
            + $"the image store did not answer: {why}; CRIU log {run.Attempt.LogPath}");
    }

    /// <summary>A restore that did not take back its record: it counts against restoreAttempts, and the warning says so.</summary>
    private void TakeBackRecord(RestoreRun run)
    {
        try
        {
            _store.CancelRestore(run.Attempt);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Warning("Checkpoint {Generation}: could not take back the record of this restore ({Error}); it counts against restoreAttempts",
                run.Manifest.Generation, e.Message);
        }
    }

    /// <summary>
    /// An eager restore failed before the app ran: what CRIU left is killed, and the checkpoint set aside (an older one is restored
    /// next, else onRestoreFailure applies: <see cref="Restorer"/>).
    /// </summary>
    private RestoreOutcome Failed(RestoreRun run, string why, bool criuRan = true)
    {
        _leftovers.Forget(run.Manifest);
        return FailedRestores.Failed(run.Manifest.Generation, run.Clock, why, criuRan ? run.Attempt.LogPath : null,
            _store.RestoreFailed(run.Attempt, $"restore failed: {why}"), run.FilesPutBack);
    }

    /// <summary>Puts back additionalPaths; null when done, else why not and whose fault that is.</summary>
    private NotWhole? PutBackSavedFiles(RestoreRun run)
    {
        // A manifest from before extraFiles was written (null) has its put-back find the files by listing them.
        run.FilesPutBack = run.Manifest.ExtraFiles is not { Count: 0 };
        try
        {
            _store.PutBackSavedFiles(run.Attempt);
            run.Stages.Lap("files");
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The copies were read whole when the checkpoint was chosen: this node's disk failing them now fails as a whole, and
            // the checkpoint stays, as for a store that does not answer.
            return Chunks.ReadFailures.FailedOnDisk(e) ? new NotWhole($"{RestoreBlames.PutBackFailed}: {e.Message}", storeAway: true, criksOwn: false)
                : e is ImageStore.PutBackRefusedException ? NotWhole.AtTheAppsPaths($"{RestoreBlames.PutBackFailed}: {e.Message}", e.HResult)
                : NotWhole.Of($"{RestoreBlames.PutBackFailed}: {e.Message}", e);
        }
    }

    private void LogRestoring(CommittedCheckpoint checkpoint, RestoreAttempt attempt)
    {
        Manifest manifest = checkpoint.Manifest;
        if (checkpoint.Restores.Count > 0)
        {
            RestoreRecord last = checkpoint.Restores[^1];
            string host = last.Host.Length > 0 ? $" ({last.Host})" : "";
            _log.Warning(new Happening.RestoreResumedAgain(manifest.Generation, checkpoint.Restores.Count + 1, _config.RestoreAttempts),
                "Resuming checkpoint {Generation} again: {LastPod} ended without a newer checkpoint "
                + "(restore {Number}; after {Limit} restores in a row whose pods end within restoreProbation crik gives up on it)",
                manifest.Generation, last.At is { } at ? $"the pod that restored it at {at:u}{host}"
                    : "the pod that restored it last, whose record of the restore was never written whole (a full volume, or the pod killed "
                        + "while it wrote it), so that restore does not count against it,",
                checkpoint.Restores.Count + 1, _config.RestoreAttempts);
        }
        _log.Information("Restoring checkpoint {Generation} ({Size}, taken {Created:u}) from {Dir}",
            manifest.Generation, Size.Format(manifest.ImageBytes), manifest.CreatedAt, attempt.Path);
    }
}
