using Crik.Cli.Configuration;
using Crik.Cli.HostCompatibility;

namespace Crik.Cli.Privileges;

/// <summary>
/// What the facts of a container mean for checkpoint and restore, in plain words, with what to
/// change when something is missing. Pure, so every rule is unit-tested.
/// </summary>
internal static class ContainerVerdict
{
    public static List<Finding> Of(ContainerFacts facts)
    {
        CapabilitySet caps = facts.Capabilities;
        bool sysAdmin = caps.Has(Capability.SysAdmin);
        var findings = new List<Finding>
        {
            Criu(facts.CriuVersion),
            caps.Has(Capability.CheckpointRestore) || sysAdmin
                ? Ok($"{(caps.Has(Capability.CheckpointRestore) ? "CAP_CHECKPOINT_RESTORE" : "CAP_SYS_ADMIN")}: CRIU may dump and restore processes")
                : Problem("no CAP_CHECKPOINT_RESTORE: CRIU can neither dump nor restore. Add CHECKPOINT_RESTORE to securityContext.capabilities.add"),
            Seccomp(facts.SeccompMode, sysAdmin),
            Ptrace(facts.PtraceScope, caps.Has(Capability.SysPtrace) || sysAdmin),
            facts.LastPidWritable
                ? Ok("/proc/sys/kernel/ns_last_pid is writable: a fresh app starts at PID 9000")
                : Ok("/proc/sys/kernel/ns_last_pid is read-only: crik uses up the PIDs below 9000 at start instead (a fraction of a second)"),
            ImageDir(facts.ImageDir, facts.ImageDirProblem, facts.StoreConditionalWrites),
        };
        if (facts.ImageDirNotKept is { } notKept)
        {
            findings.Add(Note(notKept));
        }
        if (facts.UserId != 0)
        {
            // Seen with CRIU 4.2.1 and podman's ambient capabilities: every such restore fails.
            findings.Add(Problem($"crik runs as user {facts.UserId}, not root: CRIU then dumps with --unprivileged, but its restores fail "
                + "(\"Unable to set real, effective and saved group ID\"). Run crik as root in the container (runAsUser: 0); the app may switch users itself"));
        }
        else if (!sysAdmin)
        {
            findings.Add(Note("no CAP_SYS_ADMIN (a container that is not privileged): CRIU runs --unprivileged, which is enough for ordinary apps"));
        }
        if (!caps.Has(Capability.NetAdmin))
        {
            findings.Add(Note("no CAP_NET_ADMIN: not needed, since crik closes established TCP connections at a checkpoint (listening sockets are kept)"));
        }
        if (facts.DirtyMemoryTracking == false)
        {
            findings.Add(Note("this kernel does not track dirty memory (criu check --feature mem_dirty_track fails; CONFIG_MEM_SOFT_DIRTY): "
                + "CRIU cannot pre-dump while the app runs, so every checkpoint dumps all of its memory"));
        }
        else if (facts.DirtyMemoryTracking == true)
        {
            findings.Add(Note("this kernel tracks dirty memory: CRIU could pre-dump while the app runs"));
        }
        findings.Add(LazyRestore(facts, unprivileged: facts.UserId != 0 || !sysAdmin));
        findings.Add(AreaFlags(sysAdmin || (caps.Has(Capability.Bpf) && caps.Has(Capability.Perfmon))));
        if (TcpTableFinding(facts.TcpTable) is { } tcpTable)
        {
            findings.Add(tcpTable);
        }
        if (facts.Pid1 != "crik")
        {
            findings.Add(Note($"PID 1 here is {facts.Pid1}, not crik: crik checkpoints only an app it runs as PID 1 (ENTRYPOINT [\"crik\", \"run\", \"--\", ...])"));
        }
        return findings;
    }

    /// <summary>Whether a restore here can let the app run before its memory is all in (lazyRestore); without it restores are eager.</summary>
    private static Finding LazyRestore(ContainerFacts facts, bool unprivileged) =>
        unprivileged
            ? Note("lazy restore unavailable: CRIU runs --unprivileged here, which turns userfaultfd off; restores bring all the app's memory in "
                + "before it runs (add CAP_SYS_ADMIN, as root, for lazy restores)")
            : facts.UserfaultProblem is { } problem
                ? Note($"lazy restore unavailable: {problem}; restores bring all the app's memory in before it runs")
                : Note("lazy restore available: a restored app can run before its memory is all in (lazyRestore)");

    /// <summary>Whether CRIU (with crik's patch, criu-patches/0004) may load the BPF iterator that reads the app's areas' flags.</summary>
    private static Finding AreaFlags(bool mayLoadBpf) =>
        mayLoadBpf
            ? Note("CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): CRIU reads the app's areas' flags with a BPF iterator, without walking its pages")
            : Note("no CAP_BPF and CAP_PERFMON: CRIU reads the app's areas' flags from /proc/PID/smaps, whose walk of every page keeps the app "
                + "frozen longer at each checkpoint (about 35 ms at 1 GiB, more with more memory); add BPF and PERFMON to "
                + "securityContext.capabilities.add for shorter freezes");

    /// <summary>What the TCP connection table CRIU may walk at a checkpoint costs its freeze, where that is worth saying.</summary>
    private static Finding? TcpTableFinding(TcpTable? table) => table switch
    {
        { CanLengthenFreezes: { } hint } => Note(hint),
        { Shared: false } => Ok($"this network namespace has a table of TCP connections of its own ({table.BucketCount} buckets), "
            + "which CRIU walks with the app frozen where it cannot ask for the app's TCP sockets one by one"),
        _ => null,
    };

    private static Finding Criu(string? version)
    {
        if (version is null)
        {
            return Problem("no criu on the PATH: the image needs CRIU 4.2 or later (Dockerfile.crik's runtime stage has it)");
        }
        string[] parts = version.Split('.');
        bool recent = parts.Length >= 2 && int.TryParse(parts[0], out int major) && int.TryParse(parts[1], out int minor)
            && (major > 4 || (major == 4 && minor >= 2));
        return recent
            ? Ok($"criu {version}")
            : Problem($"criu {version} is too old: kernels 6.13 and later need CRIU 4.1, and TCP sockets on recent kernels 4.2 or later");
    }

    private static Finding Seccomp(int mode, bool sysAdmin) => mode switch
    {
        0 => Ok("no seccomp filter: CRIU can dump the app's system-call state"),
        _ when sysAdmin => Ok("a seccomp filter is on, and CAP_SYS_ADMIN lets CRIU suspend it while it dumps"),
        _ => Problem("a seccomp filter is on (e.g. RuntimeDefault) and CRIU cannot suspend it without CAP_SYS_ADMIN: a dump fails with "
            + "\"suspending seccomp failed\". Set securityContext.seccompProfile.type: Unconfined, or leave it unset where the kubelet's default is Unconfined"),
    };

    private static Finding Ptrace(int? scope, bool sysPtrace) => scope switch
    {
        null or 0 => Ok($"ptrace: no Yama restriction{(sysPtrace ? "" : " (add SYS_PTRACE for nodes where Yama restricts it)")}"),
        3 => Problem("Yama's ptrace_scope is 3 on this node: no process may use ptrace, so CRIU cannot work here"),
        _ when sysPtrace => Ok($"ptrace: Yama's ptrace_scope is {scope} and CAP_SYS_PTRACE lets CRIU attach to the app"),
        _ => Problem($"Yama's ptrace_scope is {scope} on this node: CRIU may not attach to the app. Add SYS_PTRACE to securityContext.capabilities.add"),
    };

    private static Finding ImageDir(string? imageDir, string? problem, bool? conditionalWrites) => (imageDir, problem) switch
    {
        (null, _) => Problem("no imageDir configured: crik runs as a plain init and never checkpoints. Set imageDir to a volume in the configuration"),
        (_, null) when S3Address.IsS3(imageDir) => conditionalWrites switch
        {
            true => Ok($"imageDir {imageDir}: crik listed it, wrote and deleted an object there, and the store honors conditional writes (its lease keeps a second pod out)"),
            false => Note($"imageDir {imageDir}: crik listed it, wrote and deleted an object there, but the store ignores conditional writes "
                + "(If-None-Match or If-Match), or answers them without an ETag: two pods sharing this prefix would both write to it. Give each app its own prefix and run one pod per prefix"),
            null => Note($"imageDir {imageDir} is object storage that crik check did not reach; crik run logs a line if it cannot"),
        },
        (_, null) => Ok($"imageDir {imageDir} is writable"),
        _ => Problem($"imageDir {imageDir}: {problem}"),
    };

    private static Finding Ok(string text) => new(FindingKind.Ok, text);

    private static Finding Problem(string text) => new(FindingKind.Problem, text);

    private static Finding Note(string text) => new(FindingKind.Note, text);
}
