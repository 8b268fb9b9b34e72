using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Choosing a generation to restore, recording each restore before CRIU runs, and setting aside what cannot be
/// restored or keeps dying once restored; the restore this crik began is its own (<see cref="GenerationStore"/> delegates).
/// </summary>
internal sealed class GenerationRestores(StoreStack store, ILogger log, GenerationReader reader)
{
    private readonly IStoreBackend _backend = store.Top;

    /// <summary>The generation and restore number of the restore this crik began, until its app lived on.</summary>
    private (long Generation, int Number)? _restored;

    /// <summary>The generation and restore number of the restore this crik began, for as long as this crik runs.</summary>
    private (long Generation, int Number)? _lastRestore;

    /// <summary>How many restores in a row whose pods ended before the app survived its probation crik allows a generation before it sets it aside.</summary>
    public int RestoreAttempts { get; set; } = Configuration.CrikConfig.DefaultRestoreAttempts;

    /// <summary>
    /// The newest committed generation that verifies, was taken of <paramref name="current"/> (when
    /// given) and whose restored pods have not kept dying. Unfinished staging areas, and generations
    /// that cannot be read, fail verification, are of another app or crash-loop, are set aside with a
    /// warning on the way. Generations of a key crik does not hold stay where they are.
    /// </summary>
    public CommittedCheckpoint? FindRestorable(AppIdentity? current = null)
    {
        StoreListing listing = reader.List();
        FinishRetiring(listing);
        FinishSettingAside(listing);
        foreach (string unfinished in listing.Unfinished)
        {
            string moved = MoveToSetAside(unfinished, GenerationVerdict.Unfinished);
            log.Warning("Found an unfinished checkpoint {Name}, never committed; set aside at {Path}", unfinished, moved);
        }
        foreach (long generation in listing.Committed)
        {
            string name = StoreLayout.CommittedName(generation);
            string? problem = Verify(name, out Manifest? manifest, out bool keep);
            string? otherApp = problem is null && current is not null ? AppIdentity.Mismatch(manifest!, current) : null;
            List<RestoreRecord> restores = problem is null && otherApp is null ? reader.Restores(listing, generation) : [];
            switch (GenerationVerdict.Of(problem, keep, otherApp, restores, RestoreAttempts))
            {
                case GenerationVerdict.Restore:
                    return new CommittedCheckpoint(name, reader.Display(name), manifest!) { Restores = restores };
                case GenerationVerdict.Keep(string reason):
                    log.Warning("Checkpoint {Dir} is not restored: {Problem}; it stays where it is, trying an older one", reader.Display(name), reason);
                    break;
                case GenerationVerdict.SetAside(string reason, bool crashLoop):
                    string moved = MoveToSetAside(name, reason);
                    const string SetAsideLine = "Checkpoint {Dir} cannot be restored: {Problem}; set aside at {Path}, trying an older one";
                    if (crashLoop)
                    {
                        log.Warning(new Happening.RestoreCrashLoop(reader.Display(name), reason), SetAsideLine, reader.Display(name), reason, moved);
                    }
                    else
                    {
                        log.Warning(SetAsideLine, reader.Display(name), reason, moved);
                    }
                    break;
            }
        }
        return null;
    }

    /// <summary>
    /// Records, durably, that this generation is being restored (restores/NNNNNN-KKK), then opens a
    /// private work directory for CRIU. The generation stays committed: a pod that dies after the
    /// restore is followed by one that resumes from it again, until a newer generation is committed,
    /// the app ends on its own (<see cref="RetireCommitted"/>), or its restores keep dying.
    /// </summary>
    public RestoreAttempt BeginRestore(CommittedCheckpoint checkpoint)
    {
        long generation = checkpoint.Manifest.Generation;
        try
        {
            int number = checkpoint.Restores.Select(r => r.Number).DefaultIfEmpty(0).Max() + 1;
            while (!WriteMark(RestoreRecord.MarkName(generation, number), RestoreRecord.Describe(DateTimeOffset.UtcNow)))
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
    /// Durably retires every committed generation (the app ended on its own: it must not be brought
    /// back). One mark, written first, says so for all of them at once; the moves to retired/ after it
    /// only tidy up, and a crik that dies among them leaves nothing that can be restored. Returns how
    /// many were retired.
    /// </summary>
    public int RetireCommitted()
    {
        StoreListing listing = reader.List();
        long newest = listing.Committed.Concat(listing.HalfRetired).DefaultIfEmpty(0).Max();
        if (newest == 0)
        {
            return 0;
        }
        if (newest > listing.FinishedThrough)
        {
            WriteMark(StoreLayout.FinishedMarkName(newest), RestoreRecord.Describe(DateTimeOffset.UtcNow));
        }
        FinishRetiring(listing with { Committed = [], HalfRetired = [.. listing.Committed, .. listing.HalfRetired] });
        return listing.Committed.Count + listing.HalfRetired.Count;
    }

    /// <summary>
    /// Moves what counts as retired but is still at its committed name into retired/ (or drops the
    /// committed copy of one already there). Best effort: until it succeeds the mark keeps it retired.
    /// </summary>
    private void FinishRetiring(StoreListing listing)
    {
        foreach (long generation in Enumerable.Reverse(listing.HalfRetired))
        {
            string name = StoreLayout.CommittedName(generation);
            try
            {
                if (listing.Retired.Contains(generation))
                {
                    GenerationDeletion.Delete(_backend, name);
                }
                else
                {
                    GenerationMove.Move(_backend, name, $"{StoreLayout.RetiredDir}/{name}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("Checkpoint {Dir} counts as retired (the app ended on its own after it) but could not be moved to {Retired}: {Error}; "
                    + "it is never restored, and the next commit deletes it", reader.Display(name), StoreLayout.RetiredDir, e.Message);
            }
        }
    }

    /// <summary>Drops the committed copy of a generation whose move to set-aside/ was cut short after its copy; best effort (until then it is never restored).</summary>
    private void FinishSettingAside(StoreListing listing)
    {
        foreach (long generation in listing.HalfSetAside)
        {
            string name = StoreLayout.CommittedName(generation);
            try
            {
                GenerationDeletion.Delete(_backend, name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Warning("Checkpoint {Dir} is set aside but its committed copy could not be removed: {Error}; it is never restored, "
                    + "and the next commit deletes it", reader.Display(name), e.Message);
            }
        }
    }

    /// <summary>
    /// The restored app has lived on (its probation passed, or it was checkpointed again): its
    /// restore no longer counts towards <see cref="RestoreAttempts"/>.
    /// </summary>
    public void MarkRestoreSurvived()
    {
        if (_restored is { } restored)
        {
            _restored = null;
            WriteMark(RestoreRecord.SurvivedName(restored.Generation, restored.Number), RestoreRecord.Describe(DateTimeOffset.UtcNow));
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
            WriteMark(RestoreRecord.LoadFailedName(restore.Generation, restore.Number), RestoreRecord.Describe(DateTimeOffset.UtcNow));
        }
    }

    public void PutBackSavedFiles(RestoreAttempt attempt)
    {
        Manifest manifest = attempt.Checkpoint.Manifest;
        if (!manifest.Files.Any(f => f.IsStreamed && f.Path.Contains('/')))
        {
            AppFiles.PutBack(manifest, attempt);
            return;
        }
        using Chunks.PackReader packs = reader.OpenPackReader();
        StagedFiles.PutBack(manifest, packs);
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

    /// <summary>The restore failed: the generation is set aside with its reason, and CRIU's log goes to logs/. Returns where it went.</summary>
    public string RestoreFailed(RestoreAttempt attempt, string reason)
    {
        ForgetRestore();
        try
        {
            // Before CRIU's log, which may be large and slow to store.
            return MoveToSetAside(attempt.Checkpoint.Name, reason);
        }
        finally
        {
            attempt.KeepLog();
            attempt.Dispose();
        }
    }

    /// <summary>Moves a committed generation that cannot be restored out of the way, with the reason beside it. Returns where it went.</summary>
    public string SetAside(CommittedCheckpoint checkpoint, string reason) => MoveToSetAside(checkpoint.Name, reason);

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

    /// <summary>Writes a new restore mark (restores/NAME), durably; false when one of that name exists.</summary>
    private bool WriteMark(string name, string content) =>
        _backend.WriteIfAbsent(StoreLayout.MarkPath(name), System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>
    /// Moves a generation (or an unfinished staging area) below set-aside/ under a free name made from
    /// its own and the time, with the reason beside it; returns where it went. A reason file planted
    /// there is replaced, never written through.
    /// </summary>
    private string MoveToSetAside(string from, string reason)
    {
        HashSet<string> taken = reader.ReadListing().SetAsideTaken.ToHashSet(StringComparer.Ordinal);
        string name = from.Split('/')[^1];
        string target = StoreLayout.SetAsideName(name, 1);
        for (int attempt = 2; taken.Contains(target); attempt++)
        {
            target = StoreLayout.SetAsideName(name, attempt);
        }
        string location = $"{StoreLayout.SetAsideDir}/{target}";
        GenerationMove.Move(_backend, from, location);
        store.Node.MakePrivate(location); // what is set aside may come from anyone (a planted or unfinished directory)
        string reasonFile = $"{location}/{StoreLayout.SetAsideReasonFile}";
        byte[] content = System.Text.Encoding.UTF8.GetBytes(reason + "\n");
        if (!_backend.WriteIfAbsent(reasonFile, content))
        {
            _backend.Delete(reasonFile); // planted by whoever made it unrestorable (a link, perhaps): replaced, never written through
            if (!_backend.WriteIfAbsent(reasonFile, content))
            {
                log.Warning("Set {Dir} aside, but could not write why beside it: {Reason}", reader.Display(location), reason);
            }
        }
        // Each caller says it in its own words: a warning while choosing, or the failed restore's line.
        LoggedHappenings.WithoutLine(new Happening.CheckpointSetAside(reader.Display(from), reason, reader.Display(location)));
        return reader.Display(location);
    }

    /// <param name="keep">The generation is whole as far as crik can tell, but not for this crik (another key): it stays where it is.</param>
    private string? Verify(string name, out Manifest? manifest, out bool keep)
    {
        manifest = null;
        keep = false;
        try
        {
            if (GenerationVerifier.Untrusted(_backend, store.Node, name) is { } untrusted)
            {
                return untrusted;
            }
            // Read once: what is checked (its authentication, its key) is what is restored.
            if (reader.ReadManifest(name, out Manifest? read) is { } unreadable)
            {
                return unreadable;
            }
            if (ManifestVerifier.KeyProblem(read!, reader.Codec) is { } keyProblem)
            {
                keep = true;
                return keyProblem;
            }
            if (ManifestVerifier.ElsewhereProblem(read!, reader.ImageDir) is { } elsewhere)
            {
                return elsewhere;
            }
            using Chunks.PackReader packs = reader.OpenPackReader();
            string? problem = GenerationVerifier.VerifyContents(_backend, store.Node, name, read!, packs);
            manifest = problem is null ? read : null;
            return problem;
        }
        catch (Exception e) when ((e is IOException io && !StoreFailures.SaysNothingOfTheEntry(io)) || e is UnauthorizedAccessException)
        {
            return $"it cannot be read ({e.Message})";
        }
    }
}
