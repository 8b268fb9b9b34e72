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
        shelves.FinishRetiring(listing);
        shelves.FinishSettingAside(listing);
        foreach (string unfinished in listing.Unfinished)
        {
            string moved = shelves.MoveToSetAside(unfinished, GenerationVerdict.Unfinished);
            log.Warning("Found an unfinished checkpoint {Name}, never committed; set aside at {Path}", unfinished, moved);
        }
        // Generations this node's disk failed to read wait for another that reads whole: then the disk works and the fault is theirs.
        var unreadOnDisk = new List<(string Name, string Problem)>();
        bool oneReadWhole = false;
        foreach (long generation in listing.Committed)
        {
            string name = StoreLayout.CommittedName(generation);
            string? problem = Verify(name, out Manifest? manifest, out bool keep, out bool diskFailed);
            if (diskFailed && !oneReadWhole)
            {
                // No warning yet: setting it aside says why, and so does the failure when no older one reads.
                log.Debug("Checkpoint {Dir} cannot be read from this node's disk: {Problem}; trying an older one, and once one reads whole this one is set aside",
                    reader.Display(name), problem);
                unreadOnDisk.Add((name, problem!));
                continue;
            }
            if (problem is null && !oneReadWhole)
            {
                oneReadWhole = true;
                unreadOnDisk.ForEach(unread => SetAside(unread.Name, unread.Problem, crashLoop: false));
            }
            string? otherApp = problem is null && current is not null ? AppIdentity.Mismatch(manifest!, current) : null;
            List<RestoreRecord> restores = problem is null && otherApp is null ? reader.Restores(listing, generation) : [];
            switch (GenerationVerdict.Of(problem, keep, otherApp, restores, restoreAttempts))
            {
                case GenerationVerdict.Restore:
                    return new CommittedCheckpoint(name, reader.Display(name), manifest!) { Restores = restores };
                case GenerationVerdict.Keep(string reason):
                    log.Warning("Checkpoint {Dir} is not restored: {Problem}; it stays where it is, trying an older one", reader.Display(name), reason);
                    break;
                case GenerationVerdict.SetAside(string reason, bool crashLoop):
                    SetAside(name, reason, crashLoop);
                    break;
            }
        }
        return unreadOnDisk.Count == 0 ? null : throw new IOException(NoneReadOnDisk(unreadOnDisk));
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
    private static string NoneReadOnDisk(List<(string Name, string Problem)> unread) =>
        $"this node's disk failed to read {string.Join(", ", unread.Select(u => u.Name))} and no older checkpoint read whole ({unread[0].Problem}), "
        + $"so the disk may be failing as a whole and every checkpoint stays (the node's kernel log shows its I/O errors); if a bad spot is to blame, "
        + $"move {unread[0].Name} into {StoreLayout.SetAsideDir}/ to restore an older one";

    /// <param name="keep">The generation is whole as far as crik can tell, but not for this crik (another key): it stays where it is.</param>
    /// <param name="diskFailed">It could not be read because this node's disk failed (<see cref="Chunks.DiskFailureException"/>).</param>
    private string? Verify(string name, out Manifest? manifest, out bool keep, out bool diskFailed)
    {
        manifest = null;
        keep = false;
        diskFailed = false;
        try
        {
            if (GenerationVerifier.Untrusted(store.Top, store.Node, name) is { } untrusted)
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
            diskFailed = Chunks.ReadFailures.FailedOnDisk(e);
            return $"it cannot be read ({e.Message})";
        }
    }
}
