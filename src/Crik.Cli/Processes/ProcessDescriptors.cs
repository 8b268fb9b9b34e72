using System.Globalization;

namespace Crik.Cli.Processes;

/// <summary>The descriptors a process holds and its name, from /proc (nothing when it has gone or cannot be read).</summary>
internal static class ProcessDescriptors
{
    /// <summary>Each open descriptor's number and what /proc/PID/fd/N links to, e.g. "/queue" or "pipe:[1234]".</summary>
    public static List<(int Fd, string Target)> Of(int pid)
    {
        var descriptors = new List<(int, string)>();
        foreach (string name in ProcFiles.Names($"/proc/{pid}/fd"))
        {
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int fd))
            {
                continue;
            }
            try
            {
                descriptors.Add((fd, new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget ?? ""));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Closed while we read.
            }
        }
        return descriptors;
    }

    /// <summary>The process's name (/proc/PID/comm), e.g. "python3"; "" when it has gone.</summary>
    public static string Name(int pid) => ProcFiles.Text($"/proc/{pid}/comm").TrimEnd('\n');
}
