namespace Crik.Cli.Processes;

/// <summary>When a process started: field 22 of /proc/PID/stat, in clock ticks since the boot, as the kernel writes it.</summary>
internal static class ProcessStart
{
    /// <summary>Process <paramref name="pid"/>'s start, or "" when it cannot be read (it is gone, or /proc hides it).</summary>
    public static string Of(int pid) => InStat(ProcFiles.Text($"/proc/{pid}/stat"));

    /// <summary>crik's own start, or "" when it cannot be read.</summary>
    public static string OfSelf() => InStat(ProcFiles.Text("/proc/self/stat"));

    /// <summary>
    /// Field 22 of a /proc/PID/stat line, or "" when it has none. The fields are read after the last ')', which
    /// ends the command's name (a name may hold spaces and parentheses itself): the first after it is field 3.
    /// </summary>
    public static string InStat(string stat)
    {
        int end = stat.LastIndexOf(')');
        string[] fields = end < 0 || end + 2 > stat.Length ? [] : stat[(end + 2)..].Split(' ');
        return fields.Length > 19 ? fields[19] : "";
    }
}
