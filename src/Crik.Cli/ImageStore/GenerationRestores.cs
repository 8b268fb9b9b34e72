using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// The restore this crik began, recorded before CRIU runs: its work directory, its marks (survived, its memory not
/// brought in), and its end (kept, or set aside with the reason: <see cref="GenerationShelves"/>).
/// </summary>
internal sealed class GenerationRestores(StoreStack store, ILogger log, GenerationReader reader, GenerationShelves shelves)
{
    private readonly IStoreBackend _backend = store.Top;

    /// <summary>The generation and restore number of the restore this crik began, until its app lived on.</summary>
    private (long Generation, int Number)? _restored;

    /// <summary>The generation and restore number of the restore this crik began, for as long as this crik runs.</summary>
    private (long Generation, int Number)? _lastRestore;

    /// <summary>
    /// Records, durably, that this generation is being restored (restores/NNNNNN-KKK), then opens a
    /// private work directory for CRIU. The generation stays committed: a pod that dies after the
    /// restore is followed by one that resumes from it again, until a newer generation is committed,
    /// the app ends on its own (<see cref="GenerationShelves.RetireCommitted"/>), or its restores keep dying.
    /// </summary>
    public RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint)
    {
        long generation = checkpoint.Manifest.Generation;
        try
        {
            int number = checkpoint.Restores.Select(r => r.Number).DefaultIfEmpty(0).Max() + 1;
            string record = RestoreRecord.Describe(DateTimeOffset.UtcNow);
            while (!shelves.WriteMark(RestoreRecord.MarkName(generation, number), record))
            {
                number++;
            }
            _restored = _lastRestore = (generation, number);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Resuming uncounted beats starting from zero: only the crash-loop guard misses this one.
            log.Warning("Could not record this restore of checkpoint {Generation} ({Error}); it is restored all the same, "
                + "but restoreAttempts will not count it", generation, e.Message);
        }
        try
        {
            return RestoreWorkspace.Open(store, log, checkpoint, StoreLayout.RestoreLogName(generation));
        }
        catch
        {
            ForgetRestore();
            throw;
        }
    }

    /// <summary>Undoes <see cref="BeginRestore"/> when CRIU never ran (e.g. it is not installed): the restore is not counted.</summary>
    public void CancelRestore(RestoreAttempt attempt)
    {
        attempt.Dispose();
        ForgetRestore();
    }

    /// <summary>
    /// The restored app has lived on (its probation passed, or it was checkpointed again): its
    /// restore no longer counts towards restoreAttempts.
    /// </summary>
    public void MarkRestoreSurvived()
    {
        if (_restored is { } restored)
        {
            // Forgotten once written (or found written): a mark that could not be written is tried again at the next commit.
            shelves.WriteMark(RestoreRecord.SurvivedName(restored.Generation, restored.Number), RestoreRecord.Describe(DateTimeOffset.UtcNow));
            _restored = null;
        }
    }

    /// <summary>
    /// The app's memory, restored lazily, could not all be brought in (the app was killed): from now on
    /// this generation is restored eagerly, which checks every chunk before the app runs.
    /// </summary>
    public void MarkLoadFailed()
    {
        if (_lastRestore is { } restore)
        {
            shelves.WriteMark(RestoreRecord.LoadFailedName(restore.Generation, restore.Number), RestoreRecord.Describe(DateTimeOffset.UtcNow));
        }
    }

    public void PutBackSavedFiles(RestoreAttempt attempt)
    {
        Manifest manifest = attempt.Checkpoint.Manifest;
        IReadOnlyList<string> refused;
        if (!manifest.Files.Any(f => f.IsStreamed && f.Path.Contains('/')))
        {
            refused = AppFiles.PutBack(manifest, attempt, store.Node);
        }
        else
        {
            using Chunks.PackReader packs = reader.OpenPackReader();
            refused = StagedFiles.PutBack(manifest, packs);
        }
        if (refused.Count > 0)
        {
            log.Warning("{Count} extended attributes of the saved files were not put back: this node refuses them (its file system keeps none, or "
                + "this container may not set them), and the files are back without them: {Refused}", refused.Count, string.Join("; ", refused));
        }
    }

    public ImageFiles WriteImageFiles(RestoreAttempt attempt)
    {
        using Chunks.PackReader packs = reader.OpenPackReader();
        return ImageFiles.Write(attempt.Checkpoint.Manifest, packs, attempt.Work);
    }

    /// <summary>The restored app runs: CRIU's log goes to logs/; the generation stays committed.</summary>
    public static void RestoreSucceeded(RestoreAttempt attempt)
    {
        try
        {
            attempt.KeepLog();
        }
        finally
        {
            attempt.Dispose();
        }
    }

    /// <summary>
    /// The restore failed: the generation is set aside with its reason, and CRIU's log goes to logs/. Returns where it went.
    /// Its record goes only once it is set aside: where the move fails (or crik is killed first), the generation is still
    /// committed and restoreAttempts must count this restore.
    /// </summary>
    public string RestoreFailed(RestoreAttempt attempt, string reason)
    {
        try
        {
            // Before CRIU's log, which may be large and slow to store.
            string movedTo = shelves.MoveToSetAside(attempt.Checkpoint.Name, reason);
            ForgetRestore();
            return movedTo;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still committed, its record counting this restore: no later commit may mark it survived.
            _restored = _lastRestore = null;
            throw;
        }
        finally
        {
            attempt.KeepLog();
            attempt.Dispose();
        }
    }

    private void ForgetRestore()
    {
        if (_restored is { } restored)
        {
            _restored = _lastRestore = null;
            try
            {
                _backend.Delete(StoreLayout.MarkPath(RestoreRecord.MarkName(restored.Generation, restored.Number)));
            }
            catch (IOException e)
            {
                log.Warning("Could not remove the record of a restore that did not happen: {Error}", e.Message);
            }
        }
    }
}
