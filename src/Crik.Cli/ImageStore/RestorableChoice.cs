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
        foreach (long generation in listing.Committed)
        {
            string name = StoreLayout.CommittedName(generation);
            string? problem = Verify(name, out Manifest? manifest, out bool keep);
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
                    break;
            }
        }
        return null;
    }

    /// <param name="keep">The generation is whole as far as crik can tell, but not for this crik (another key): it stays where it is.</param>
    private string? Verify(string name, out Manifest? manifest, out bool keep)
    {
        manifest = null;
        keep = false;
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
            return $"it cannot be read ({e.Message})";
        }
    }
}
