using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>Sorted lists of address ranges that do not overlap within themselves.</summary>
internal static class Ranges
{
    /// <summary>Where two such lists overlap each other, in address order.</summary>
    public static List<AddressRange> Intersect(IReadOnlyList<AddressRange> first, IReadOnlyList<AddressRange> second)
    {
        var both = new List<AddressRange>();
        int i = 0, j = 0;
        while (i < first.Count && j < second.Count)
        {
            ulong start = Math.Max(first[i].Start, second[j].Start);
            ulong end = Math.Min(first[i].End, second[j].End);
            if (start < end)
            {
                both.Add(new AddressRange(start, end));
            }
            if (first[i].End <= second[j].End)
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return both;
    }

    /// <summary>Adds <paramref name="more"/> to a process's ranges, keeping them sorted and merged.</summary>
    public static void AddTo(Dictionary<int, List<AddressRange>> ranges, int pid, List<AddressRange> more) =>
        ranges[pid] = AddressRange.Merge(ranges.TryGetValue(pid, out List<AddressRange>? had) ? [.. had, .. more] : more);
}
