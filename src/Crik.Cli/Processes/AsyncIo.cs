namespace Crik.Cli.Processes;

/// <summary>
/// Whether a process has asynchronous I/O that the kernel completes into its memory through pages it pinned when the I/O
/// was submitted (Linux AIO with O_DIRECT, io_uring's fixed buffers): such a write takes no page fault, so write tracking
/// does not see it.
/// </summary>
internal static class AsyncIo
{
    /// <summary>
    /// What asynchronous I/O process <paramref name="pid"/> has (an AIO context, an io_uring), given its memory areas (an
    /// AIO context is one, "/[aio] (deleted)"); null when none, or when it is gone.
    /// </summary>
    public static string? Of(int pid, IEnumerable<MapsArea> areas)
    {
        try
        {
            if (areas.Any(area => area.Path.EndsWith("/[aio] (deleted)", StringComparison.Ordinal)))
            {
                return "a Linux AIO context";
            }
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget == "anon_inode:[io_uring]")
                {
                    return "an io_uring";
                }
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone: its tracking fails on its own
        }
    }
}
