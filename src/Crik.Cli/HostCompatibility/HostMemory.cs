using System.Globalization;
using Crik.Cli.Processes;

namespace Crik.Cli.HostCompatibility;

/// <summary>How large a single private memory area this node lets a process map writable.</summary>
internal static class HostMemory
{
    /// <summary>
    /// With the kernel's default overcommit heuristic (vm.overcommit_memory 0) one mapping may not be
    /// larger than memory and swap together; with 2 (strict) the commit limit bounds it; with 1
    /// anything goes. CRIU restoring from a stream maps every private area writable before it fills
    /// it, so a checkpoint with a larger area must be restored from image files.
    /// </summary>
    public static long LargestWritableArea() => LargestWritableArea(
        ProcFiles.Text("/proc/sys/vm/overcommit_memory").Trim(), ProcFiles.Lines("/proc/meminfo"));

    internal static long LargestWritableArea(string overcommitMode, IEnumerable<string> meminfo)
    {
        Dictionary<string, long> kib = meminfo.Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => long.TryParse(p[1].Replace("kB", "", StringComparison.Ordinal).Trim(),
                NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : 0);
        long Of(string key) => kib.GetValueOrDefault(key) * 1024;
        return overcommitMode switch
        {
            "1" => long.MaxValue,
            "2" => Of("CommitLimit"),
            _ => Of("MemTotal") + Of("SwapTotal") is > 0 and var total ? total : long.MaxValue,
        };
    }
}
