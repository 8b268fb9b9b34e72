using Crik.Cli.Chunks;
using Crik.Cli.Decisions;
using Crik.Cli.Model;

namespace Crik.Cli.ImageStore;

// What a commit deletes (generations beyond keepCheckpoints, retired ones, records of restores of
// generations gone, packs nobody uses, old logs), and what crik images lists.
internal partial class GenerationStore
{
    /// <summary>
    /// After a commit: generations beyond <paramref name="keep"/> and every retired one are deleted
    /// (manifest first, so a half-deleted one is never mistaken for whole), then the records of
    /// restores of generations no longer committed, then packs up to <paramref name="newest"/> that no
    /// generation left uses (none when a committed or retired manifest cannot be read), then all but
    /// the newest CRIU logs.
    /// </summary>
    private void CleanUp(long newest, int keep, List<string> warnings)
    {
        StoreListing listing = List();
        foreach ((string old, string why) in Retention.Generations(listing, keep))
        {
            BestEffort(warnings, $"delete {why}", () => GenerationDeletion.Delete(backend, old));
        }
        foreach (string mark in Retention.RestoreRecords(listing, keep))
        {
            BestEffort(warnings, $"delete the restore record {mark}", () => backend.Delete(StoreLayout.MarkPath(mark)));
        }
        listing = List();
        foreach (string mark in Retention.FinishedMarks(listing))
        {
            BestEffort(warnings, $"delete the finished mark {mark}", () => backend.Delete(StoreLayout.MarkPath(mark)));
        }
        Dictionary<string, IReadOnlySet<long>?> used = listing.Generations().ToDictionary(g => g.Location, g => (IReadOnlySet<long>?)PacksUsedBy(g.Location));
        List<long> unused = Retention.Packs(listing, newest, used, out string? unreadable);
        foreach (long pack in unused)
        {
            BestEffort(warnings, $"delete the unused pack {StoreLayout.PacksDir}/{StoreLayout.PackName(pack)}", () => backend.Delete($"{StoreLayout.PacksDir}/{StoreLayout.PackName(pack)}"));
        }
        if (unreadable is not null)
        {
            string warning = $"the checkpoint is committed, but the manifest of {Display(unreadable)} cannot be read, so no unused pack was deleted";
            warnings.Add(warning);
            log.Warning("{Warning}", warning);
        }
        foreach (string old in Retention.Logs(listing.Logs, StoreLayout.KeepLogFiles))
        {
            BestEffort(warnings, $"delete the old CRIU log {StoreLayout.LogDir}/{old}", () => backend.Delete($"{StoreLayout.LogDir}/{old}"));
        }
    }

    /// <summary>The packs a generation's manifest uses, or null when it cannot be read.</summary>
    private HashSet<long>? PacksUsedBy(string location) =>
        ReadManifest(location) is { } manifest ? manifest.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!).Select(c => c.Pack).ToHashSet() : null;

    /// <summary>
    /// What the image directory holds, for <c>crik images</c>, changing nothing: committed, retired and
    /// set-aside generations, newest first, each with its manifest, how often it was restored and,
    /// when asked, every file and chunk read and checked.
    /// </summary>
    public List<ListedGeneration> ListGenerations(bool verify)
    {
        StoreListing listing = List();
        using PackReader packs = OpenPackReader();
        var found = new List<ListedGeneration>();
        foreach ((string location, string state) in listing.Generations())
        {
            long generation = StoreLayout.ParseGeneration(location.Split('/')[^1]);
            Manifest? manifest = null;
            string? problem;
            try
            {
                problem = ReadManifest(location, out manifest);
                if (problem is null && verify)
                {
                    problem = GenerationVerifier.VerifyContents(backend, location, manifest!, packs, readChunks: true);
                }
            }
            catch (Exception e) when ((e is IOException io && !_requests.IsTransient(io)) || e is UnauthorizedAccessException)
            {
                problem = $"it cannot be read ({e.Message})";
            }
            int restores = state == "" ? Restores(listing, generation).Count : 0;
            string shown = state switch { "" => "committed", StoreLayout.RetiredDir => "retired", _ => "set aside" };
            found.Add(new ListedGeneration(location.Split('/')[^1], generation, shown, manifest, problem) { Restores = restores });
        }
        return found.OrderByDescending(g => g.Generation).ThenBy(g => g.State, StringComparer.Ordinal).ToList();
    }
}
