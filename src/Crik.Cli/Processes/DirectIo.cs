using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>
/// Whether a process has a file open for direct I/O (O_DIRECT): a read of it is written into the process's memory by the
/// device, through pages the kernel pinned when the read began, with no page fault. A read in flight across the scan that
/// protects the pages again lands after crik copied them, and write tracking never sees it; with the process stopped,
/// no such read is in flight.
/// </summary>
internal static class DirectIo
{
    /// <summary>The first descriptor of process <paramref name="pid"/> open with O_DIRECT, described; null when none, or when it is gone.</summary>
    public static string? Of(int pid)
    {
        try
        {
            foreach (string info in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
            {
                if (OpenForDirectIo(File.ReadAllText(info)))
                {
                    return $"descriptor {Path.GetFileName(info)} open for direct I/O (O_DIRECT)";
                }
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone, or a descriptor closed while it was read
        }
    }

    /// <summary>Whether an fdinfo text's "flags:" line (octal) has O_DIRECT.</summary>
    internal static bool OpenForDirectIo(string fdinfo)
    {
        foreach (string line in fdinfo.Split('\n'))
        {
            if (line.StartsWith("flags:", StringComparison.Ordinal))
            {
                string octal = line["flags:".Length..].Trim();
                return octal.Length > 0 && octal.All(c => c is >= '0' and <= '7') && (Convert.ToInt64(octal, 8) & OpenFlags.Direct) != 0;
            }
        }
        return false;
    }
}
