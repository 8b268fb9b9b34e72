namespace Crik.Cli.Criu;

/// <summary>The pre-dump a dump is taken on: its directory relative to the dump's, and whether CRIU tracks dirty memory.</summary>
internal sealed record PreDumpParent(string RelativePath, bool TracksMemory);

/// <summary>Builds CRIU's command lines. Pure, so every option is unit-tested.</summary>
internal static class CriuArguments
{
    /// <summary>Deleted-but-open files up to this size go into the images (CRIU's default is 1 MiB).</summary>
    public const string GhostLimit = "1G";

    /// <summary>The option of crik's CRIU patch (criu-patches/0001) for a dump of only the pages written since the previous one.</summary>
    public const string WrittenOnlyOption = "--track-mem-uffd-wp";

    /// <summary>
    /// The option of crik's CRIU patch (criu-patches/0004) that reads the app's areas' flags with a BPF iterator instead of
    /// /proc/PID/smaps, whose walk of every page keeps the app frozen (about 35 ms at 1 GiB, more with more memory); CRIU reads
    /// smaps where it cannot.
    /// </summary>
    public const string AreaFlagsOption = "--vma-flags-bpf";

    /// <summary>
    /// How much a dump or pre-dump logs: CRIU's info level (each stage, warnings, errors). At its debug level CRIU writes
    /// several lines for each run of pages it dumps, unbuffered, and an app whose writes are scattered has tens of
    /// thousands of runs: 126,000 lines (7.5 MB) and a quarter of a second of a 2 GiB app's SIGTERM dump. A restore
    /// logs at the debug level: its pagemaps are merged first, so its log stays small.
    /// </summary>
    public const string DumpVerbosity = "-v3";

    /// <summary>
    /// criu dump for the app's whole tree, fit for a container whose pod IP will change:
    /// established TCP connections are closed, not frozen; file locks are kept; the tree is left
    /// stopped, so crik kills it only once the checkpoint is committed (and resumes it otherwise).
    /// The images go through crik's image streamer socket in <paramref name="imagesDir"/> (--stream),
    /// or, on top of pre-dumps (<paramref name="onPreDumps"/>), into files there: CRIU cannot stream
    /// a dump that refers to earlier images.
    /// </summary>
    /// <param name="writtenOnly">Streamed: dump as a hole each page the app has not written since crik write-protected it at the
    /// previous checkpoint (crik's CRIU patch, criu-patches/0001); crik fills the holes in from that checkpoint.</param>
    /// <param name="areaFlagsByBpf">The CRIU has <see cref="AreaFlagsOption"/>.</param>
    public static List<string> Dump(int rootPid, string imagesDir, CriuWorkDir work, IEnumerable<ExternalMount> mounts, PreDumpParent? onPreDumps = null,
        bool writtenOnly = false, bool areaFlagsByBpf = false)
    {
        var args = new List<string>
        {
            "dump", "--tree", Number(rootPid), "--images-dir", imagesDir, "--work-dir", work.Path, "--log-file", work.LogName, DumpVerbosity,
            "--leave-stopped", "--tcp-close", "--skip-in-flight", "--file-locks", "--link-remap",
            "--ghost-limit", GhostLimit, "--manage-cgroups=ignore",
        };
        if (areaFlagsByBpf)
        {
            args.Add(AreaFlagsOption);
        }
        if (onPreDumps is null)
        {
            args.Add("--stream");
            if (writtenOnly)
            {
                args.Add(WrittenOnlyOption);
            }
        }
        else if (onPreDumps.TracksMemory)
        {
            args.AddRange(["--prev-images-dir", onPreDumps.RelativePath, "--track-mem"]);
        }
        AddExternalMounts(args, mounts);
        return args;
    }

    /// <summary>
    /// criu pre-dump: the app's memory into <paramref name="imagesDir"/> while it runs (frozen only
    /// while its pages are collected), only what changed since <paramref name="parent"/> when there is
    /// one. Without dirty-memory tracking (<paramref name="tracksMemory"/> false: a test mode for kernels
    /// without it) CRIU cannot pre-dump, and a whole dump that leaves the app running stands in; it has
    /// no parent (CRIU refers to a parent only with tracking), and neither has the dump on top of it.
    /// </summary>
    public static List<string> PreDump(int rootPid, string imagesDir, CriuWorkDir work, IEnumerable<ExternalMount> mounts, string? parent,
        bool tracksMemory = true)
    {
        List<string> args = tracksMemory
            ? ["pre-dump", "--tree", Number(rootPid), "--images-dir", imagesDir, "--work-dir", work.Path, "--log-file", work.LogName, DumpVerbosity,
                "--track-mem", "--manage-cgroups=ignore"]
            : ["dump", "--tree", Number(rootPid), "--images-dir", imagesDir, "--work-dir", work.Path, "--log-file", work.LogName, DumpVerbosity,
                "--leave-running", "--tcp-close", "--skip-in-flight", "--file-locks", "--link-remap", "--ghost-limit", GhostLimit,
                "--manage-cgroups=ignore"];
        if (parent is not null && tracksMemory)
        {
            args.AddRange(["--prev-images-dir", parent]);
        }
        AddExternalMounts(args, mounts);
        return args;
    }

    private static void AddExternalMounts(List<string> args, IEnumerable<ExternalMount> mounts)
    {
        foreach (ExternalMount mount in mounts)
        {
            args.Add("--external");
            args.Add($"mnt[{mount.Path}]:{mount.Key}");
        }
    }

    /// <summary>
    /// criu restore, detached so the restored root is re-parented to crik, with the old container's
    /// stdio pipes bound to crik's own descriptors (<paramref name="inheritedFds"/>: descriptor → image key).
    /// The pid file is named relative to the work directory. With <paramref name="streamed"/> the
    /// images come from crik's image streamer socket; with <paramref name="lazyPages"/> the memory CRIU
    /// may leave lazy is handed to crik, already listening in the work directory. With
    /// <paramref name="leaveStopped"/> CRIU sends every restored process SIGSTOP before it lets go of
    /// them, so that none runs before crik lets it. <paramref name="actionScript"/> is run at each stage of the
    /// restore (<see cref="StopSignalsScript"/>).
    /// </summary>
    public static List<string> Restore(string imagesDir, CriuWorkDir work, string pidFileName,
        IEnumerable<ExternalMount> mounts, IReadOnlyDictionary<int, string> inheritedFds, bool streamed = false, bool lazyPages = false,
        bool leaveStopped = false, string? actionScript = null)
    {
        var args = new List<string>
        {
            "restore", "--images-dir", imagesDir, "--work-dir", work.Path, "--restore-detached", "--pidfile", pidFileName,
            "--log-file", work.LogName, "-v4", "--tcp-close", "--file-locks", "--link-remap",
            "--evasive-devices", "--manage-cgroups=ignore",
        };
        if (streamed)
        {
            args.Add("--stream");
        }
        if (lazyPages)
        {
            args.Add("--lazy-pages");
        }
        if (leaveStopped)
        {
            args.Add("--leave-stopped");
        }
        if (actionScript is not null)
        {
            args.AddRange(["--action-script", actionScript]);
        }
        foreach (ExternalMount mount in mounts)
        {
            args.Add("--external");
            args.Add($"mnt[{mount.Key}]:{mount.Path}");
        }
        foreach (var (fd, key) in inheritedFds.OrderBy(pair => pair.Key))
        {
            args.Add("--inherit-fd");
            args.Add($"fd[{Number(fd)}]:{key}");
        }
        return args;
    }

    /// <summary>
    /// Which of crik's descriptors stand in for the stdio crik handed the app: each distinct pipe
    /// crik's stdin, stdout or stderr was at the checkpoint (as /proc/PID/fd shows it, e.g.
    /// "pipe:[1234]") maps to the same descriptor of crik now, the new container's pipe, wherever in
    /// the tree it is open. Pipes the app made itself are not named, so CRIU restores them as they
    /// were. Other kinds are reopened by path.
    /// </summary>
    public static Dictionary<int, string> InheritedStdio(IReadOnlyList<string> recordedStdio)
    {
        var inherited = new Dictionary<int, string>();
        for (int fd = 0; fd < recordedStdio.Count; fd++)
        {
            string target = recordedStdio[fd];
            if (target.StartsWith("pipe:[", StringComparison.Ordinal) && !inherited.ContainsValue(target))
            {
                inherited[fd] = target;
            }
        }
        return inherited;
    }

    /// <summary>
    /// What criu must be told about the privileges it runs with. As anyone but root it refuses to
    /// start without --unprivileged; as root without CAP_SYS_ADMIN (a container that is not
    /// privileged) its start-up probes that create network namespaces fail unless it is told, and
    /// then it works with CAP_CHECKPOINT_RESTORE and the capabilities it has.
    /// </summary>
    public static string[] ForPrivileges(uint effectiveUserId, bool hasSysAdmin) =>
        effectiveUserId == 0 && hasSysAdmin ? [] : ["--unprivileged"];

    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
