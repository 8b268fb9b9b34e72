using System.Globalization;

namespace Crik.Cli.LazyPages;

/// <summary>One area of a /proc/PID/smaps text: where it lies and its VmFlags (two letters each: "dc", "wf", "um", ...).</summary>
internal sealed record SmapsArea(ulong Start, ulong End, IReadOnlySet<string> Flags)
{
    public bool Has(string flag) => Flags.Contains(flag);

    /// <summary>The areas of a smaps text that carry a VmFlags line, in its order (the kernel's: by address).</summary>
    public static List<SmapsArea> Parse(string smaps)
    {
        var areas = new List<SmapsArea>();
        (ulong Start, ulong End)? area = null;
        foreach (string line in smaps.Split('\n'))
        {
            if (Header(line) is { } header)
            {
                area = header;
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && area is { } current)
            {
                areas.Add(new SmapsArea(current.Start, current.End, line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet()));
                area = null;
            }
        }
        return areas;
    }

    /// <summary>"START-END perms ..." of a smaps area's first line, or null for any other line.</summary>
    private static (ulong Start, ulong End)? Header(string line)
    {
        int dash = line.IndexOf('-'), space = line.IndexOf(' ');
        if (dash <= 0 || space <= dash)
        {
            return null;
        }
        return ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end)
            && end > start ? (start, end) : null;
    }
}

/// <summary>What a process has at an address, for <see cref="ForkInheritance.Decide"/>.</summary>
internal enum ForkedArea
{
    /// <summary>crik could not read the process.</summary>
    Unknown,

    /// <summary>No area there (or, in a child, none registered with crik).</summary>
    None,

    Whole,

    /// <summary>MADV_WIPEONFORK ("wf").</summary>
    Wiped,

    /// <summary>MADV_DONTFORK ("dc"), in the parent.</summary>
    NotCopied,
}
