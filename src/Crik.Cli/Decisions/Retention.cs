using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>
/// What a commit deletes, the same on a volume and in object storage: generations beyond
/// keepCheckpoints and every retired one, records of restores of generations no longer kept, finished
/// marks nothing is left under, packs no generation left uses, and all but the newest CRIU logs.
/// Set-aside generations are never deleted.
/// </summary>
internal static class Retention
{
    /// <summary>
    /// The generations to delete, each with why: committed ones beyond <paramref name="keep"/>, every
    /// retired one wherever it is, and the committed copy a cut-short move to set-aside/ left.
    /// </summary>
    public static List<(string Location, string Why)> Generations(StoreListing listing, int keep) =>
    [
        .. listing.Committed.Skip(keep).Select(g => (StoreLayout.CommittedName(g), $"old checkpoint {StoreLayout.CommittedName(g)} (keepCheckpoints: {keep})")),
        .. listing.HalfRetired.Select(g => (StoreLayout.CommittedName(g), $"retired checkpoint {StoreLayout.CommittedName(g)}")),
        .. listing.HalfSetAside.Select(g => (StoreLayout.CommittedName(g), $"the committed copy of set-aside checkpoint {StoreLayout.CommittedName(g)}")),
        .. listing.Retired.Select(g => ($"{StoreLayout.RetiredDir}/{StoreLayout.CommittedName(g)}", $"retired checkpoint {StoreLayout.CommittedName(g)}")),
    ];

    /// <summary>Records of restores (restores/NNNNNN-KKK…) of generations that are not among the <paramref name="keep"/> newest committed ones, and names there that are no record.</summary>
    public static List<string> RestoreRecords(StoreListing listing, int keep)
    {
        var kept = listing.Committed.Take(keep).ToHashSet();
        return listing.Marks.Where(m => StoreLayout.ParseFinishedMark(m) == 0
            && (RestoreRecord.Parse(m).Generation is not { } generation || !kept.Contains(generation))).ToList();
    }

    /// <summary>
    /// Finished marks nothing they cover is left under, read after the generations went. Generation
    /// numbers never fall back under a mark that goes (a new one is numbered above every name seen).
    /// </summary>
    public static List<string> FinishedMarks(StoreListing listing) =>
        listing.Marks.Where(m => StoreLayout.ParseFinishedMark(m) is > 0 and var through
            && !listing.HalfRetired.Concat(listing.Retired).Any(g => g <= through)).ToList();

    /// <summary>
    /// Packs up to <paramref name="newest"/> (the generation just committed) that no generation left
    /// uses; none when a committed or retired generation's manifest cannot be read, since its chunks
    /// may be in any pack.
    /// </summary>
    /// <param name="used">For each generation left (<see cref="StoreListing.Generations"/>), the packs its manifest uses, or null when it cannot be read.</param>
    /// <param name="unreadable">The location of the manifest that stopped it, or null.</param>
    public static List<long> Packs(StoreListing listing, long newest, IReadOnlyDictionary<string, IReadOnlySet<long>?> used, out string? unreadable)
    {
        unreadable = null;
        var inUse = new HashSet<long>();
        foreach ((string location, string state) in listing.Generations())
        {
            if (used.GetValueOrDefault(location) is { } packs)
            {
                inUse.UnionWith(packs);
            }
            else if (state != StoreLayout.SetAsideDir)
            {
                unreadable = location;
                return [];
            }
        }
        return listing.Packs.Where(p => p <= newest && !inUse.Contains(p)).ToList();
    }

    /// <summary>
    /// All but the <paramref name="keep"/> newest CRIU logs, newest by when they were written. Logs
    /// written within one tick of the file system's clock rank crik's own names first, by generation,
    /// so a name crik did not write never pushes out one it did.
    /// </summary>
    public static List<string> Logs(IEnumerable<StoredLog> logs, int keep) =>
        logs.OrderByDescending(l => l.Written)
            .ThenByDescending(l => StoreLayout.ParseLogGeneration(l.Name))
            .ThenByDescending(l => l.Name, StringComparer.Ordinal)
            .Skip(keep).Select(l => l.Name).ToList();
}
