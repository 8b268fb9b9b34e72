namespace Crik.Cli.Criu;

/// <summary>The files container runtimes bind-mount into every container, when they are mount points here.</summary>
internal static class ExternalMounts
{
    private static readonly ExternalMount[] Candidates =
    [
        new("/dev/null", "null"), new("/dev/zero", "zero"), new("/dev/random", "random"),
        new("/dev/urandom", "urandom"), new("/dev/full", "full"), new("/dev/tty", "tty"),
        new("/usr/share/zoneinfo", "zoneinfo"),
    ];

    /// <summary>The candidates that are mount points in crik's mount namespace.</summary>
    public static List<ExternalMount> Present(string mountInfoPath = "/proc/self/mountinfo")
    {
        var mountPoints = MountPoints(File.ReadLines(mountInfoPath));
        return Candidates.Where(c => mountPoints.Contains(c.Path)).ToList();
    }

    /// <summary>Field 5 of each mountinfo line is the mount point (octal escapes for spaces).</summary>
    public static HashSet<string> MountPoints(IEnumerable<string> mountInfoLines) =>
        mountInfoLines.Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => fields[4].Replace("\\040", " ", StringComparison.Ordinal))
            .ToHashSet();
}
