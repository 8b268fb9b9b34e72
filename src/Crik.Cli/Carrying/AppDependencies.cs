using System.Globalization;
using Crik.Cli.Processes;

namespace Crik.Cli.Carrying;

/// <summary>
/// The paths an app's processes depend on, read from /proc while they are stopped: open files,
/// memory-mapped files, working directories, and the directories their unix sockets are bound in.
/// Deleted files are left out (CRIU keeps those itself), as are pipes, sockets and anonymous memory.
/// </summary>
internal static class AppDependencies
{
    private const string Deleted = " (deleted)";

    public static SortedSet<string> Read(HeldTree app)
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (int pid in app.Processes)
        {
            var socketInodes = new HashSet<string>(StringComparer.Ordinal);
            foreach (string target in DescriptorTargets(pid))
            {
                if (target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    socketInodes.Add(target["socket:[".Length..^1]);
                }
                else
                {
                    AddIfPath(paths, target);
                }
            }
            foreach (MapsArea area in app.AreasOrNone(pid))
            {
                AddIfPath(paths, area.Path);
            }
            AddIfPath(paths, LinkTarget($"/proc/{pid}/cwd") ?? "");
            foreach (string socketPath in BoundSocketPaths(pid, socketInodes))
            {
                AddIfPath(paths, Path.GetDirectoryName(socketPath) ?? "");
            }
        }
        return paths;
    }

    /// <summary>The paths unix sockets with these inodes are bound to, from the process's /proc/PID/net/unix.</summary>
    private static IEnumerable<string> BoundSocketPaths(int pid, HashSet<string> inodes)
    {
        if (inodes.Count == 0)
        {
            yield break;
        }
        // "Num RefCount Protocol Flags Type St Inode Path"; abstract sockets start with '@'.
        foreach (string line in ProcFiles.Lines($"/proc/{pid}/net/unix").Skip(1))
        {
            string[] fields = line.Split(' ', 8, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 8 && inodes.Contains(fields[6]) && fields[7].StartsWith('/'))
            {
                yield return fields[7];
            }
        }
    }

    /// <summary>What each descriptor of <paramref name="pid"/> refers to (none when it is gone). Listed by name only: a list of files
    /// would also stat each link's target, twice, with the app held.</summary>
    private static IEnumerable<string> DescriptorTargets(int pid) =>
        ProcFiles.Names($"/proc/{pid}/fd")
            .Where(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(name => LinkTarget($"/proc/{pid}/fd/{name}"))
            .OfType<string>();

    private static void AddIfPath(SortedSet<string> paths, string target)
    {
        if (target.StartsWith('/') && !target.EndsWith(Deleted, StringComparison.Ordinal))
        {
            paths.Add(target);
        }
    }

    private static string? LinkTarget(string link)
    {
        try
        {
            return new FileInfo(link).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
