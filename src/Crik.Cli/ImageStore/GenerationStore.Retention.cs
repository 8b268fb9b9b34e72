using Crik.Cli.Chunks;
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
        foreach (long old in listing.Committed.Skip(keep))
        {
            BestEffort(warnings, $"delete old checkpoint {StoreLayout.CommittedName(old)} (keepCheckpoints: {keep})",
                () => backend.DeleteGeneration(StoreLayout.CommittedName(old)));
        }
        foreach (long old in listing.HalfRetired)
        {
            BestEffort(warnings, $"delete retired checkpoint {StoreLayout.CommittedName(old)}", () => backend.DeleteGeneration(StoreLayout.CommittedName(old)));
        }
        foreach (long old in listing.Retired)
        {
            BestEffort(warnings, $"delete retired checkpoint {StoreLayout.CommittedName(old)}",
                () => backend.DeleteGeneration($"{StoreLayout.RetiredDir}/{StoreLayout.CommittedName(old)}"));
        }
        var kept = listing.Committed.Take(keep).ToHashSet();
        foreach (string mark in listing.Marks.Where(m => StoreLayout.ParseFinishedMark(m) == 0
            && (RestoreRecord.Parse(m).Generation is not { } generation || !kept.Contains(generation))))
        {
            BestEffort(warnings, $"delete the restore record {mark}", () => backend.DeleteMark(mark));
        }
        listing = List();
        // A finished mark goes once nothing it covers is left; generation numbers never fall back under it (BeginCheckpoint).
        foreach (string mark in listing.Marks.Where(m => StoreLayout.ParseFinishedMark(m) is > 0 and var through
            && !listing.HalfRetired.Concat(listing.Retired).Any(g => g <= through)))
        {
            BestEffort(warnings, $"delete the finished mark {mark}", () => backend.DeleteMark(mark));
        }
        var used = new HashSet<long>();
        foreach ((string location, string state) in listing.Generations())
        {
            if (ReadManifest(location) is { } manifest)
            {
                used.UnionWith(manifest.Files.Where(f => f.IsStreamed).SelectMany(f => f.Chunks!).Select(c => c.Pack));
            }
            else if (state != StoreLayout.SetAsideDir)
            {
                string warning = $"the checkpoint is committed, but the manifest of {backend.Display(location)} cannot be read, so no unused pack was deleted";
                warnings.Add(warning);
                log.Warning("{Warning}", warning);
                return;
            }
        }
        foreach (long pack in listing.Packs.Where(p => p <= newest && !used.Contains(p)))
        {
            BestEffort(warnings, $"delete the unused pack {StoreLayout.PacksDir}/{StoreLayout.PackName(pack)}", () => backend.DeletePack(pack));
        }
        BestEffort(warnings, "prune old CRIU logs", () => backend.PruneLogs(StoreLayout.KeepLogFiles));
    }

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
                    problem = backend.VerifyContents(location, manifest!, packs, readChunks: true);
                }
            }
            catch (Exception e) when ((e is IOException io && !backend.IsTransient(io)) || e is UnauthorizedAccessException)
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
