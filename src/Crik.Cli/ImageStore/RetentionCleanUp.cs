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
    /// After a commit: generations beyond <paramref name="keep"/> and every retired one are deleted
    /// (manifest first, so a half-deleted one is never mistaken for whole), then the records of
    /// restores of generations no longer committed, then packs up to <paramref name="newest"/> that no
    /// generation left uses (none when a committed or retired manifest cannot be read), then all but
    /// the newest CRIU logs.
    /// </summary>
    public void CleanUp(long newest, int keep, List<string> warnings)
    {
        StoreListing listing = reader.List();
        foreach ((string old, string why) in Retention.Generations(listing, keep))
        {
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
        Dictionary<string, IReadOnlySet<long>?> used = listing.Generations().ToDictionary(g => g.Location, g => (IReadOnlySet<long>?)PacksUsedBy(g.Location));
        List<long> unused = Retention.Packs(listing, newest, used, out string? unreadable);
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
    private HashSet<long>? PacksUsedBy(string location) =>
        reader.ReadManifest(location) is { } manifest ? manifest.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!).Select(c => c.Pack).ToHashSet() : null;

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
