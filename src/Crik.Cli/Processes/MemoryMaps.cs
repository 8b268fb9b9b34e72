using System.Globalization;

namespace Crik.Cli.Processes;

/// <summary>What /proc/PID/maps says about a process's memory areas.</summary>
internal static class MemoryMaps
{
    /// <summary>The size of the largest private memory area of any of these processes, in bytes (0 when none can be read).</summary>
    public static long LargestPrivateArea(IEnumerable<int> pids) =>
        pids.SelectMany(pid => ProcFiles.Lines($"/proc/{pid}/maps")).Select(PrivateAreaSize).DefaultIfEmpty(0).Max();

    /// <summary>A maps line's size when the area is private ("rw-p"), else 0: "7f00-7f80 ---p 00000000 00:00 0" is 0x80.</summary>
    internal static long PrivateAreaSize(string line)
    {
        string[] fields = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || fields[1].Length != 4 || fields[1][3] != 'p')
        {
            return 0;
        }
        string[] range = fields[0].Split('-');
        return range.Length == 2
            && ulong.TryParse(range[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            && ulong.TryParse(range[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end) && end > start
            ? (long)Math.Min(end - start, long.MaxValue) : 0;
    }
}
