using System.Globalization;

namespace Crik.Cli.Processes;

/// <summary>
/// How many processes the kernel's OOM killer has killed in crik's memory cgroup (the container's)
/// and below it: <c>oom_kill</c> in memory.events on cgroup v2 (which counts its descendants), in
/// memory.oom_control of each cgroup on v1. A rise across the app's life says it was the OOM killer,
/// not a person, that sent the app its SIGKILL.
/// </summary>
/// <param name="Where">The file read (v2) or the cgroup directory walked (v1), for messages.</param>
internal sealed record OomKills(long Count, string Where)
{
    /// <summary>Cgroups below crik's that v1's count is summed over, at most: a container has a handful.</summary>
    private const int MaxCgroups = 256;

    private const string CgroupRoot = "/sys/fs/cgroup";

    /// <summary>The count now; null where no memory cgroup can be read (then crik cannot tell the OOM killer from a person).</summary>
    public static OomKills? Read() => Read(ProcFiles.Lines("/proc/self/cgroup"), CgroupRoot);

    internal static OomKills? Read(string[] selfCgroup, string root)
    {
        string? v1 = selfCgroup.Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains("memory"))?[2];
        if (v1 is not null && Directory.Exists(Path.Combine(root, "memory")))
        {
            // Without a cgroup namespace the path is the host's; a container's own mount shows its cgroup at the root.
            string dir = Path.Combine(root, "memory", v1.TrimStart('/'));
            return V1(Directory.Exists(dir) ? dir : Path.Combine(root, "memory"));
        }
        string? v2 = selfCgroup.Select(l => l.Split(':', 3)).FirstOrDefault(f => f.Length == 3 && f[0] == "0" && f[1] == "")?[2];
        if (v2 is null)
        {
            return null;
        }
        string events = Path.Combine(root, v2.TrimStart('/'), "memory.events");
        if (!File.Exists(events))
        {
            events = Path.Combine(root, "memory.events");
        }
        return Field(ProcFiles.Lines(events), "oom_kill") is { } count ? new OomKills(count, events) : null;
    }

    private static OomKills? V1(string dir)
    {
        long? total = null;
        foreach (string cgroup in Below(dir).Take(MaxCgroups))
        {
            if (Field(ProcFiles.Lines(Path.Combine(cgroup, "memory.oom_control")), "oom_kill") is { } count)
            {
                total = (total ?? 0) + count;
            }
        }
        return total is { } found ? new OomKills(found, Path.Combine(dir, "memory.oom_control")) : null;
    }

    private static IEnumerable<string> Below(string dir)
    {
        var pending = new Queue<string>([dir]);
        while (pending.TryDequeue(out string? next))
        {
            yield return next;
            foreach (string child in ProcFiles.Directories(next))
            {
                pending.Enqueue(child);
            }
        }
    }

    /// <summary>The number after <paramref name="name"/> in "name N" lines.</summary>
    internal static long? Field(string[] lines, string name) =>
        lines.Select(l => l.Split(' ', 2)).FirstOrDefault(f => f.Length == 2 && f[0] == name) is { } found
            && long.TryParse(found[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
}
