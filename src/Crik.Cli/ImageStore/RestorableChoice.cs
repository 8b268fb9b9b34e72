using Crik.Cli.Decisions;
using Crik.Cli.Observing;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Choosing the generation to restore: the newest that verifies, is of this app and whose restores have not kept dying;
/// what cannot be restored is set aside on the way (<see cref="GenerationShelves"/>).
/// </summary>
/// <param name="restoreAttempts">How many restores in a row whose pods ended before the app survived its probation a generation is allowed before it is set aside.</param>
internal sealed class RestorableChoice(Backends.StoreStack store, ILogger log, GenerationReader reader, GenerationShelves shelves, int restoreAttempts)
{
    public int RestoreAttempts => restoreAttempts;

    /// <summary>
    /// The newest committed generation that verifies, was taken of <paramref name="current"/> (when
    /// given) and whose restored pods have not kept dying. Unfinished staging areas, and generations
    /// that cannot be read, fail verification, are of another app or crash-loop, are set aside with a
    /// warning on the way. Generations of a key crik does not hold stay where they are.
    /// </summary>
    public CommittedCheckpoint? FindRestorable(AppIdentity? current)
    {
        StoreListing listing = reader.List();
        // First: a step below that fails may still let the app start (onStoreUnavailable: start).
        Dictionary<long, string?> trust = MakeTrustedPrivate(listing);
        shelves.FinishRetiring(listing);
        shelves.FinishSettingAside(listing);
        foreach (string unfinished in listing.Unfinished)
        {
            string moved = shelves.MoveToSetAside(unfinished, GenerationVerdict.Unfinished);
            log.Warning("Found an unfinished checkpoint {Name}, never committed; set aside at {Path}", unfinished, moved);
        }
        // Generations this node's disk failed to read wait for an older one that reads whole: then the disk works, and
        // each is looked at again; one the disk fails again has a bad spot of its own.
        var unreadOnDisk = new List<long>();
        Examined? failedOnDisk = null;
        bool oneReadWhole = false;
        foreach (long generation in listing.Committed)
        {
            Examined seen = Examine(listing, generation, current, trust);
            if (seen.DiskFailed && !oneReadWhole)
            {
                // No warning yet: setting it aside says why, and so does the failure when no older one reads.
                log.Debug("Checkpoint {Dir} cannot be read from this node's disk: {Problem}; trying an older one", seen.Display, seen.Problem);
                unreadOnDisk.Add(generation);
                failedOnDisk ??= seen;
                continue;
            }
            if (seen.Problem is null && !oneReadWhole)
            {
                oneReadWhole = true;
                foreach (long unread in unreadOnDisk)
                {
                    if (Act(Examine(listing, unread, current, trust)) is { } newer)
                    {
                        return newer;
                    }
                }
            }
            if (Act(seen) is { } chosen)
            {
                return chosen;
            }
        }
        return failedOnDisk is null ? null : throw new IOException(NoneReadOnDisk(unreadOnDisk, failedOnDisk.Problem!), failedOnDisk.DiskFailure);
    }

    /// <summary>
    /// Makes every committed generation crik made private again before the app runs, not only the one it restores: a pod's
    /// fsGroup makes every file of the volume group-writable at each mount, and the app's processes have that group. One
    /// crik did not make is left as it is, to be set aside when it is reached. Returns each verdict
    /// (<see cref="GenerationVerifier.Untrusted"/>) by generation; one that could not be looked at is not in it.
    /// </summary>
    private Dictionary<long, string?> MakeTrustedPrivate(StoreListing listing)
    {
        var trust = new Dictionary<long, string?>();
        foreach (long generation in listing.Committed)
        {
            try
            {
                trust[generation] = GenerationVerifier.Untrusted(store.Top, store.Node, StoreLayout.CommittedName(generation));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.Debug("Could not look at {Dir} before choosing ({Error}); it is looked at again when reached", reader.Display(StoreLayout.CommittedName(generation)), e.Message);
            }
        }
        return trust;
    }

    /// <summary>What reading a committed generation found, and whether it failed because this node's disk did.</summary>
    /// <param name="DiskFailure">The failure of this node's disk that kept it from being read, if that is what did.</param>
    private sealed record Examined(string Name, string Display, string? Problem, bool Keep, Exception? DiskFailure, Manifest? Manifest, string? OtherApp,
        List<RestoreRecord> Restores)
    {
        public bool DiskFailed => DiskFailure is not null;
    }

    /// <param name="trust">The verdicts on who made each generation, where they were reached already (<see cref="MakeTrustedPrivate"/>).</param>
    private Examined Examine(StoreListing listing, long generation, AppIdentity? current, Dictionary<long, string?> trust)
    {
        string name = StoreLayout.CommittedName(generation);
        string? problem = Verify(generation, trust, out Manifest? manifest, out bool keep, out Exception? diskFailure);
        if (problem is null && current is not null && AppIdentity.CannotTell(manifest!, current) is { } cannotTell)
        {
            throw new ProgramUnreadableException($"{cannotTell}, so crik cannot tell whether {reader.Display(name)} is of the app this container runs");
        }
        string? otherApp = problem is null && current is not null ? AppIdentity.Mismatch(manifest!, current) : null;
        List<RestoreRecord> restores = [];
        try
        {
            restores = problem is null && otherApp is null ? reader.Restores(listing, generation) : [];
        }
        catch (IOException e) when (Chunks.ReadFailures.FailedOnDisk(e))
        {
            (problem, diskFailure) = ($"its restores' records cannot be read ({e.Message})", e);
        }
        return new Examined(name, reader.Display(name), problem, keep, diskFailure, manifest, otherApp, restores);
    }

    /// <summary>Carries out the verdict on a generation: the checkpoint to restore, or null once it is kept or set aside.</summary>
    private CommittedCheckpoint? Act(Examined seen)
    {
        switch (GenerationVerdict.Of(seen.Problem, seen.Keep, seen.OtherApp, seen.Restores, restoreAttempts))
        {
            case GenerationVerdict.Restore:
                return new CommittedCheckpoint(seen.Name, seen.Display, seen.Manifest!) { Restores = seen.Restores };
            case GenerationVerdict.Keep(string reason):
                log.Warning("Checkpoint {Dir} is not restored: {Problem}; it stays where it is, trying an older one", seen.Display, reason);
                return null;
            case GenerationVerdict.SetAside(string reason, bool crashLoop):
                SetAside(seen.Name, reason, crashLoop);
                return null;
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    private void SetAside(string name, string reason, bool crashLoop)
    {
        string moved = shelves.MoveToSetAside(name, reason);
        const string SetAsideLine = "Checkpoint {Dir} cannot be restored: {Problem}; set aside at {Path}, trying an older one";
        if (crashLoop)
        {
            log.Warning(new Happening.RestoreCrashLoop(reader.Display(name), reason), SetAsideLine, reader.Display(name), reason, moved);
        }
        else
        {
            log.Warning(SetAsideLine, reader.Display(name), reason, moved);
        }
    }

    /// <summary>
    /// Why no generation is chosen when this node's disk failed every one it read: a disk failing as a whole (gone, or its
    /// controller reset) may be mended, and setting them all aside would start the app fresh on work that is still there.
    /// </summary>
    private static string NoneReadOnDisk(List<long> unread, string firstProblem)
    {
        string names = string.Join(", ", unread.Select(StoreLayout.CommittedName));
        return $"this node's disk failed to read {names} and no older checkpoint read whole ({firstProblem}), so the disk may be failing as a whole "
            + $"and every checkpoint stays (the node's kernel log shows its I/O errors); if a bad spot under them is to blame, move {names} into "
            + $"{StoreLayout.SetAsideDir}/: crik then restores an older one, or starts the app fresh when none is left";
    }

    /// <param name="keep">The generation is whole as far as crik can tell, but not for this crik (another key): it stays where it is.</param>
    /// <param name="diskFailure">Why it could not be read, when this node's disk failed (<see cref="Chunks.DiskFailureException"/>).</param>
    /// <param name="trust">The verdicts on who made each generation, where they were reached already; one not in it is looked at here.</param>
    private string? Verify(long generation, Dictionary<long, string?> trust, out Manifest? manifest, out bool keep, out Exception? diskFailure)
    {
        string name = StoreLayout.CommittedName(generation);
        manifest = null;
        keep = false;
        diskFailure = null;
        try
        {
            if ((trust.TryGetValue(generation, out string? verdict) ? verdict : GenerationVerifier.Untrusted(store.Top, store.Node, name)) is { } untrusted)
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
            string? problem = GenerationVerifier.VerifyContents(store.Top, store.Node, name, read!, packs);
            manifest = problem is null ? read : null;
            return problem;
        }
        catch (Exception e) when ((e is IOException io && !StoreFailures.SaysNothingOfTheEntry(io)) || e is UnauthorizedAccessException)
        {
            diskFailure = Chunks.ReadFailures.FailedOnDisk(e) ? e : null;
            return $"it cannot be read ({e.Message})";
        }
    }
}
