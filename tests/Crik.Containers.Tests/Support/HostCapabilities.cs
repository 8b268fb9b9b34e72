using System.Globalization;

namespace Crik.Containers.Tests.Support;

/// <summary>What this machine lets a container have: a privileged container gets no capability the host lacks.</summary>
internal static class HostCapabilities
{
    private const int SysResource = 24;

    /// <summary>
    /// CRIU reads the rlimits of each process it dumps; for a process of another user (postgres
    /// under runuser) the kernel asks for CAP_SYS_RESOURCE, which these VMs withhold even from root.
    /// </summary>
    public static bool HasSysResource { get; } = (Effective() & (1UL << SysResource)) != 0;

    private static ulong Effective()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
