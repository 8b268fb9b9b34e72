using Crik.Cli.HostCompatibility;

namespace Crik.Cli.Privileges;

/// <summary>What this container allows crik and CRIU, as read from inside it (see <see cref="ContainerFactsReader"/>).</summary>
/// <param name="UserId">crik's effective user ID.</param>
/// <param name="SeccompMode">The Seccomp field of /proc/self/status: 0 none, 1 strict, 2 a filter.</param>
/// <param name="PtraceScope">Yama's ptrace_scope, or null where Yama is not in the kernel.</param>
/// <param name="CriuVersion">criu's version ("4.2.1"), or null when there is no criu on the PATH.</param>
/// <param name="ImageDir">imageDir from the configuration, or null when none is configured.</param>
/// <param name="ImageDirProblem">Why imageDir cannot be written, or null when it can.</param>
/// <param name="Pid1">The name of PID 1 in this PID namespace.</param>
/// <param name="DirtyMemoryTracking">Whether the kernel tracks dirty memory for CRIU's pre-dumps; null when unknown.</param>
/// <param name="StoreConditionalWrites">For an object store that crik check reached: whether it honors conditional writes.</param>
/// <param name="TcpTable">The TCP connection table of this container's network namespace, or null where the kernel does not say.</param>
/// <param name="ImageDirNotKept">Why checkpoints in a volume's imageDir will not outlive the container (it is on the container's root file system), or null.</param>
internal sealed record ContainerFacts(
    uint UserId,
    CapabilitySet Capabilities,
    int SeccompMode,
    int? PtraceScope,
    bool LastPidWritable,
    string? CriuVersion,
    string? ImageDir,
    string? ImageDirProblem,
    string Pid1,
    bool? DirtyMemoryTracking = null,
    bool? StoreConditionalWrites = null,
    string? UserfaultProblem = null,
    string? ImageDirNotKept = null,
    TcpTable? TcpTable = null);
