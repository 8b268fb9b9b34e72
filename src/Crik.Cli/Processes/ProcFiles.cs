using Crik.Cli.Interop;
using Crik.Cli.Timing;

namespace Crik.Cli.Processes;

/// <summary>
/// Reads /proc and /sys, where a file vanishes with its process or is not readable in a container:
/// every reader here gets "nothing" instead of an exception.
/// </summary>
internal static class ProcFiles
{
    public static string[] Lines(string path)
    {
        TestDelay.BeforeProcRead();
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static string Text(string path)
    {
        TestDelay.BeforeProcRead();
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>The fields of a /proc/PID/status file (or a thread's); all null when it cannot be read.</summary>
    public static ProcStatus Status(string path) => ProcStatus.Parse(Lines(path));

    /// <summary>
    /// The fields of a /proc/PID/stat line from field 3 (the state) on, or none. They are read after the last ')',
    /// which ends the command's name (a name may hold spaces and parentheses itself).
    /// </summary>
    public static string[] StatFields(string stat)
    {
        int end = stat.LastIndexOf(')');
        return end < 0 || end + 2 > stat.Length ? [] : stat[(end + 2)..].Split(' ');
    }

    /// <summary>The fields of process <paramref name="pid"/>'s /proc/PID/stat from field 3 on; none when it cannot be read.</summary>
    public static string[] StatFields(int pid) => StatFields(Text($"/proc/{pid}/stat"));

    /// <summary>The names of the entries in a directory.</summary>
    public static string[] Names(string path)
    {
        TestDelay.BeforeProcRead();
        try
        {
            return Directory.GetFileSystemEntries(path).Select(Path.GetFileName).OfType<string>().ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public static string[] Directories(string path)
    {
        TestDelay.BeforeProcRead();
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
