using Crik.Cli.Decisions;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Records;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What a commit deletes after its commit point (generations beyond keepCheckpoints, retired ones, records of
/// restores of generations gone, packs nobody uses, old logs), each a warning when it fails.
/// </summary>
internal sealed class RetentionCleanUp(IStoreBackend backend, ILogger log, GenerationReader reader)
{
    /// <summary>
    /// The packs each generation uses, by location, as this crik read or committed it: a manifest at a location never
    /// changes while this crik holds the store's lock (only it commits, and generation numbers are not reused), and
    /// reading a large one again at every commit took 100-150 ms (a scattered 2 GiB app's manifest is 7.7 MB).
    /// </summary>
    private readonly Dictionary<string, HashSet<long>> _packsUsed = new(StringComparer.Ordinal);

    /// <summary>
    /// After a commit: generations beyond <paramref name="keep"/> and every retired one are deleted
    /// (manifest first, so a half-deleted one is never mistaken for whole), then the records of
    /// restores of generations no longer committed, then packs up to <paramref name="newest"/> that no
    /// generation left uses (none when a committed or retired manifest cannot be read), then all but
    /// the newest CRIU logs.
    /// </summary>
    /// <param name="committed">
    /// The manifest just committed, whose packs need not be read back, and are used whatever the listing says: a manifest
    /// whose write lost its answer counts as committed, and may land after the listing was read.
    /// </param>
    public void CleanUp(long newest, int keep, List<string> warnings, Manifest? committed = null)
    {
        lock (_packsUsed)
        {
            HashSet<long> justCommitted = [];
            if (committed is not null)
            {
                _packsUsed[StoreLayout.CommittedName(committed.Generation)] = justCommitted = PacksOf(committed);
            }
            CleanUp(newest, keep, warnings, justCommitted);
        }
    }

    private void CleanUp(long newest, int keep, List<string> warnings, HashSet<long> justCommitted)
    {
        StoreListing listing = reader.List();
        foreach ((string old, string why) in Retention.Generations(listing, keep))
        {
            _packsUsed.Remove(old); // what is left of it, should its deletion fail halfway, is read again
            BestEffort(log, warnings, $"delete {why}", () => GenerationDeletion.Delete(backend, old));
        }
        foreach (string mark in Retention.RestoreRecords(listing, keep))
        {
            BestEffort(log, warnings, $"delete the restore record {mark}", () => backend.Delete(StoreLayout.MarkPath(mark)));
        }
        listing = reader.List();
        foreach (string mark in Retention.FinishedMarks(listing))
        {
            BestEffort(log, warnings, $"delete the finished mark {mark}", () => backend.Delete(StoreLayout.MarkPath(mark)));
        }
        var locations = listing.Generations().Select(g => g.Location).ToHashSet(StringComparer.Ordinal);
        foreach (string gone in _packsUsed.Keys.Where(l => !locations.Contains(l)).ToList())
        {
            _packsUsed.Remove(gone);
        }
        Dictionary<string, IReadOnlySet<long>?> used = locations.ToDictionary(l => l, l => (IReadOnlySet<long>?)PacksUsedBy(l), StringComparer.Ordinal);
        List<long> unused = [.. Retention.Packs(listing, newest, used, out string? unreadable).Where(p => !justCommitted.Contains(p) && !reader.Kept.Holds(p))];
        foreach (long pack in unused)
        {
            BestEffort(log, warnings, $"delete the unused pack {StoreLayout.PacksDir}/{StoreLayout.PackName(pack)}", () => backend.Delete($"{StoreLayout.PacksDir}/{StoreLayout.PackName(pack)}"));
        }
        if (unreadable is not null)
        {
            string warning = $"the checkpoint is committed, but the manifest of {reader.Display(unreadable)} cannot be read, so no unused pack was deleted";
            warnings.Add(warning);
            log.Warning("{Warning}", warning);
        }
        foreach (string old in Retention.Logs(listing.Logs, StoreLayout.KeepLogFiles))
        {
            BestEffort(log, warnings, $"delete the old CRIU log {StoreLayout.LogDir}/{old}", () => backend.Delete($"{StoreLayout.LogDir}/{old}"));
        }
    }

    /// <summary>The packs a generation's manifest uses, or null when it cannot be read.</summary>
    private HashSet<long>? PacksUsedBy(string location)
    {
        if (_packsUsed.TryGetValue(location, out HashSet<long>? known))
        {
            return known;
        }
        if (reader.ReadManifest(location) is not { } manifest)
        {
            return null;
        }
        return _packsUsed[location] = PacksOf(manifest);
    }

    public static HashSet<long> PacksOf(Manifest manifest) => manifest.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!).Select(c => c.Pack).ToHashSet();

    /// <summary>An action after the commit point: a failure is a warning, said and returned with the commit, never thrown.</summary>
    public static void BestEffort(ILogger log, List<string> warnings, string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            string warning = $"the checkpoint is committed, but crik could not {what}: {e.Message}";
            warnings.Add(warning);
            log.Warning("{Warning}", warning);
        }
    }
}
