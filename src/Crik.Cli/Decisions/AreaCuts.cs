using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>
/// Where to cut plain anonymous mappings so that wherever a child's overlaps its parent's, the overlap
/// is one mapping in both (<see cref="ForkSharing"/>). A cut made in one process for one relative
/// must be made in its other relatives too, where it falls inside an overlap with them, or their
/// mappings stop matching there: cuts spread along the tree until none is added.
/// </summary>
internal static class AreaCuts
{
    /// <summary>Each process's cuts, strictly inside its plain areas, sorted; none at all when a process would have more than <see cref="ForkSharing.MostCuts"/>.</summary>
    public static Dictionary<int, List<ulong>> Find(List<(ProcessMemory Parent, ProcessMemory Child)> pairs)
    {
        var cuts = new Dictionary<int, SortedSet<ulong>>();
        foreach ((ProcessMemory parent, ProcessMemory child) in pairs)
        {
            foreach (AddressRange overlap in Overlaps(parent, child))
            {
                Set(cuts, parent.Pid).UnionWith([overlap.Start, overlap.End]);
                Set(cuts, child.Pid).UnionWith([overlap.Start, overlap.End]);
            }
        }
        for (bool added = true; added;)
        {
            added = false;
            foreach ((ProcessMemory parent, ProcessMemory child) in pairs)
            {
                foreach (AddressRange overlap in Overlaps(parent, child))
                {
                    added |= Spread(cuts, parent.Pid, child.Pid, overlap) | Spread(cuts, child.Pid, parent.Pid, overlap);
                }
            }
            if (cuts.Values.Any(c => c.Count > (2 * ForkSharing.MostCuts) + 2))
            {
                return [];
            }
        }
        var inside = pairs.SelectMany(p => new[] { p.Parent, p.Child }).DistinctBy(p => p.Pid)
            .Where(p => cuts.ContainsKey(p.Pid))
            .ToDictionary(p => p.Pid, p => cuts[p.Pid].Where(c => p.Areas.Any(a => a.Plain && a.Start < c && c < a.End)).ToList());
        return inside.Values.Any(c => c.Count > ForkSharing.MostCuts) ? [] : inside.Where(c => c.Value.Count > 0).ToDictionary(c => c.Key, c => c.Value);
    }

    /// <summary>The areas with each plain one cut at the addresses inside it.</summary>
    public static List<MappedArea> Apply(IReadOnlyList<MappedArea> areas, List<ulong> cuts)
    {
        var split = new List<MappedArea>(areas.Count + cuts.Count);
        foreach (MappedArea area in areas)
        {
            ulong start = area.Start;
            foreach (ulong cut in area.Plain ? cuts.Where(c => c > area.Start && c < area.End) : [])
            {
                split.Add(area with { Start = start, End = cut });
                start = cut;
            }
            split.Add(area with { Start = start });
        }
        return split;
    }

    /// <summary>Where a plain area of the parent overlaps a plain area of the child.</summary>
    private static List<AddressRange> Overlaps(ProcessMemory parent, ProcessMemory child) =>
        Ranges.Intersect(Plain(parent), Plain(child));

    private static List<AddressRange> Plain(ProcessMemory process) =>
        process.Areas.Where(a => a.Plain).Select(a => new AddressRange(a.Start, a.End)).OrderBy(a => a.Start).ToList();

    /// <summary>Copies <paramref name="from"/>'s cuts inside <paramref name="overlap"/> to <paramref name="to"/>; whether any was new.</summary>
    private static bool Spread(Dictionary<int, SortedSet<ulong>> cuts, int from, int to, AddressRange overlap)
    {
        if (!cuts.TryGetValue(from, out SortedSet<ulong>? source))
        {
            return false;
        }
        bool added = false;
        foreach (ulong cut in source.GetViewBetween(overlap.Start, overlap.End))
        {
            added |= Set(cuts, to).Add(cut);
        }
        return added;
    }

    private static SortedSet<ulong> Set(Dictionary<int, SortedSet<ulong>> cuts, int pid) =>
        cuts.TryGetValue(pid, out SortedSet<ulong>? set) ? set : cuts[pid] = [];
}
