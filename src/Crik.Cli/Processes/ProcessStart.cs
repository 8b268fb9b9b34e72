namespace Crik.Cli.Processes;

/// <summary>When a process started: field 22 of /proc/PID/stat, in clock ticks since the boot, as the kernel writes it.</summary>
internal static class ProcessStart
{
    /// <summary>Process <paramref name="pid"/>'s start, or "" when it cannot be read (it is gone, or /proc hides it).</summary>
    public static string Of(int pid) => InStat(ProcFiles.Text($"/proc/{pid}/stat"));

    /// <summary>crik's own start, or "" when it cannot be read.</summary>
    public static string OfSelf() => InStat(ProcFiles.Text("/proc/self/stat"));

    /// <summary>Field 22 of a /proc/PID/stat line, or "" when it has none (<see cref="ProcFiles.StatFields(string)"/>).</summary>
    public static string InStat(string stat) => ProcFiles.StatFields(stat) is { Length: > 19 } fields ? fields[19] : "";
}
