using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>
/// How a restore keeps the memory a parent shared copy-on-write with the children it forked. CRIU
/// restores a parent's pages before it forks its children; a child's mapping that matches one of its
/// parent's exactly (same start and end, same direction of growth, the same executable) is inherited,
/// and each of the child's pages there that CRIU restores itself is compared with the parent's and
/// kept shared when equal. Two things break that, and this rule answers both:
/// <list type="bullet">
/// <item>A mapping that grew or merged with a neighbour after the fork (the parent's heap, or a new
/// mmap next to an old one) no longer matches. Plain anonymous mappings are therefore cut where a
/// relative's begins or ends, so that the overlap is one mapping in both (<see cref="SharingPlan.Cuts"/>);
/// side by side they are the same memory.</item>
/// <item>A page filled later through a userfaultfd is always a page of its own. So where a child and
/// its parent both have lazy pages in matching mappings, CRIU restores them in both
/// (<see cref="SharingPlan.Eager"/>); everything else stays lazy.</item>
/// </list>
/// </summary>
internal static class ForkSharing
{
    /// <summary>More cuts than this in one process (a tree whose processes' mappings all differ) and none are made: CRIU then restores more mappings than the kernel may allow.</summary>
    public const int MostCuts = 4096;

    public static SharingPlan Plan(IReadOnlyList<ProcessMemory> processes)
    {
        var byPid = new Dictionary<int, ProcessMemory>();
        foreach (ProcessMemory process in processes)
        {
            byPid.TryAdd(process.Pid, process);
        }
        List<(ProcessMemory Parent, ProcessMemory Child)> pairs = byPid.Values
            .Where(c => c.ParentPid != c.Pid && byPid.TryGetValue(c.ParentPid, out ProcessMemory? p) && p.ExeFileId == c.ExeFileId)
            .Select(c => (byPid[c.ParentPid], c)).ToList();
        Dictionary<int, List<ulong>> cuts = AreaCuts.Find(pairs);
        var split = byPid.Values.ToDictionary(p => p.Pid, p => cuts.TryGetValue(p.Pid, out List<ulong>? at) ? p with { Areas = AreaCuts.Apply(p.Areas, at) } : p);
        var eager = new Dictionary<int, List<AddressRange>>();
        ulong shared = 0;
        foreach ((ProcessMemory parent, ProcessMemory child) in pairs.Select(p => (split[p.Parent.Pid], split[p.Child.Pid])))
        {
            List<AddressRange> both = Ranges.Intersect(Ranges.Intersect(child.LazyPages, InheritedAreas(child, parent)), parent.LazyPages);
            if (both.Count > 0)
            {
                Ranges.AddTo(eager, child.Pid, both);
                Ranges.AddTo(eager, parent.Pid, both);
                shared += both.Aggregate(0UL, (sum, r) => sum + r.Bytes);
            }
        }
        return new SharingPlan(cuts, eager, shared);
    }

    /// <summary>The child's mappings that CRIU pairs with one of the parent's: the same start, end and growth direction.</summary>
    private static List<AddressRange> InheritedAreas(ProcessMemory child, ProcessMemory parent)
    {
        var parentAreas = new Dictionary<ulong, MappedArea>();
        foreach (MappedArea area in parent.Areas)
        {
            parentAreas.TryAdd(area.Start, area);
        }
        return child.Areas
            .Where(a => parentAreas.TryGetValue(a.Start, out MappedArea p) && p.End == a.End && p.GrowsDown == a.GrowsDown)
            .Select(a => new AddressRange(a.Start, a.End))
            .OrderBy(r => r.Start)
            .ToList();
    }
}
