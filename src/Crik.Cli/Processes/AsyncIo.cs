namespace Crik.Cli.Processes;

/// <summary>
/// Whether a process has asynchronous I/O that the kernel completes into its memory through pages it pinned when the I/O
/// was submitted (Linux AIO with O_DIRECT, io_uring's fixed buffers), or memory pinned for good for the kernel or a device to
/// write into (io_uring's registered buffers, RDMA): such a write takes no page fault, so write tracking does not see it. A
/// pin outlives the descriptor it was made through: an io_uring whose descriptor was registered with the ring and closed
/// shows no descriptor at all, only its pinned pages.
/// </summary>
internal static class AsyncIo
{
    /// <summary>
    /// What asynchronous I/O process <paramref name="pid"/> has (an AIO context, an io_uring, pinned memory), given its memory
    /// areas (an AIO context is one, "/[aio] (deleted)"); null when none, or when it is gone.
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
            return ProcFiles.Status($"/proc/{pid}/status").VmPinKib is > 0 and long pinned
                ? $"{pinned} KiB of memory pinned for the kernel or a device to write into (VmPin)"
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone: its tracking fails on its own
        }
    }
}
