using System.Runtime.InteropServices;
using Crik.Cli.Processes;

namespace Crik.Cli.HostCompatibility;

/// <summary>
/// What a checkpoint records of the node it was taken on, so a restore can tell whether this node
/// can run it: the processor's instruction-set features, the architecture, the kernel and its page size.
/// </summary>
/// <param name="CpuFeatures">The "flags" (x86) or "Features" (arm64) of /proc/cpuinfo, sorted.</param>
internal sealed record HostFacts(string Architecture, string Kernel, IReadOnlyList<string> CpuFeatures)
{
    /// <summary>The kernel's page size in bytes (arm64 nodes may run 16 or 64 KiB pages); null in checkpoints taken before crik recorded it.</summary>
    public int? PageSize { get; init; }

    /// <summary>This node's facts; empty features where /proc/cpuinfo cannot be read.</summary>
    public static HostFacts Current() =>
        new(RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(), FirstLine("/proc/sys/kernel/osrelease"),
            CpuFeaturesOf(ProcFiles.Lines("/proc/cpuinfo")))
        {
            PageSize = Criu.ImagePage.Bytes,
        };

    /// <summary>The feature list of the first processor in /proc/cpuinfo text.</summary>
    public static List<string> CpuFeaturesOf(IEnumerable<string> cpuinfo)
    {
        string? line = cpuinfo.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal));
        int colon = line?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        return colon < 0
            ? []
            : line![(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static string FirstLine(string path) => ProcFiles.Lines(path).FirstOrDefault()?.Trim() ?? "";
}
