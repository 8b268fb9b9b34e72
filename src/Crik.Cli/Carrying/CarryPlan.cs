using Crik.Cli.Interop;
using Crik.Cli.Logging;

namespace Crik.Cli.Carrying;

/// <summary>
/// What crik carries with a checkpoint because a new container of the same image will not have it:
/// each regular file or directory the app depends on that <see cref="CarryRule"/> marks missing,
/// with every missing directory above it (so each comes back with its own owner and mode).
/// </summary>
internal sealed class CarryPlan
{
    private readonly SortedDictionary<string, CarriedPath> _directories = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, CarriedPath> _files = new(StringComparer.Ordinal);

    /// <summary>Missing directories, outermost first.</summary>
    public IEnumerable<CarriedPath> Directories => _directories.Values;

    public IEnumerable<CarriedPath> Files => _files.Values;

    public long Bytes => _files.Values.Sum(f => f.Status.Size);

    public bool IsEmpty => _files.Count == 0 && _directories.Count == 0;

    /// <summary>Paths deeper than this are left to CRIU: real ones never are, and a copy must stay shallow enough to delete.</summary>
    public const int MaxComponents = 200;

    /// <param name="dependencies">What the app's processes depend on (<see cref="AppDependencies"/>).</param>
    /// <param name="excluded">Paths crik never carries: the image directory, and additionalPaths (saved already).</param>
    public static CarryPlan Make(IEnumerable<string> dependencies, MountTable mounts, DateTimeOffset containerStarted,
        IReadOnlyList<string> excluded)
    {
        var plan = new CarryPlan();
        foreach (string path in dependencies)
        {
            if (excluded.Any(e => MountTable.IsAtOrBelow(path, e)) || path.Count(c => c == '/') > MaxComponents
                || mounts.Containing(path) is not { } mount || FileStatus.TryRead(path) is not { } status
                || status.Kind is not (FileKind.Regular or FileKind.Directory) || path == mount.MountPoint
                || !CarryRule.WillBeMissing(mount, status.Changed, containerStarted))
            {
                continue;
            }
            (status.Kind == FileKind.Regular ? plan._files : plan._directories)[path] = new CarriedPath(path, status);
            plan.AddMissingParents(path, mount, containerStarted);
        }
        return plan;
    }

    /// <summary>The largest files, for a message about the carry limit.</summary>
    public string Largest(int count) =>
        string.Join(", ", _files.Values.OrderByDescending(f => f.Status.Size).Take(count)
            .Select(f => $"{f.Path} ({Size.Format(f.Status.Size)})"));

    /// <summary>"3 files (1.2 MiB) and 1 directory", for the log.</summary>
    public string Summary() =>
        $"{Count(_files.Count, "file")} ({Size.Format(Bytes)}) and {Count(_directories.Count, "directory", "directories")}";

    private static string Count(int count, string one, string? many = null) => $"{count} {(count == 1 ? one : many ?? one + "s")}";

    /// <summary>A short list of what is carried, for the log.</summary>
    public string Describe(int count)
    {
        var paths = _files.Keys.Take(count).ToList();
        int more = _files.Count - paths.Count;
        return paths.Count == 0 ? "no files" : string.Join(", ", paths) + (more > 0 ? $" and {more} more" : "");
    }

    private void AddMissingParents(string path, Mount mount, DateTimeOffset containerStarted)
    {
        for (string? parent = Path.GetDirectoryName(path);
             parent is not null && parent != mount.MountPoint && MountTable.IsAtOrBelow(parent, mount.MountPoint);
             parent = Path.GetDirectoryName(parent))
        {
            if (_directories.ContainsKey(parent) || FileStatus.TryRead(parent) is not { Kind: FileKind.Directory } status)
            {
                continue;
            }
            if (CarryRule.WillBeMissing(mount, status.Changed, containerStarted))
            {
                _directories[parent] = new CarriedPath(parent, status);
            }
        }
    }
}
