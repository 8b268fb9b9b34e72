using Crik.Cli.Interop;

namespace Crik.Cli.WriteTracking;

/// <summary>
/// Whether a thread must not be made to call userfaultfd(2): a seccomp filter may kill the process for it. The filters crik
/// has (a container runtime's, which the app inherits) let crik call it and live; a filter the app added of its own (more
/// filters than crik's), or strict mode, may not.
/// </summary>
internal static class SeccompRisk
{
    /// <summary>Why thread <paramref name="tid"/> of process <paramref name="pid"/> must not be made to call userfaultfd; null when it is safe.</summary>
    public static string? Of(int pid, int tid)
    {
        ProcStatus status = ProcStatus.Read($"/proc/{pid}/task/{tid}/status");
        int crikFilters = ProcStatus.Read("/proc/thread-self/status").SeccompFilters ?? -1;
        return Judge(pid, status.Seccomp ?? 0, status.SeccompFilters ?? -1, crikFilters);
    }

    /// <summary>The verdict from the thread's seccomp mode and filter count (-1 when the kernel does not say) and crik's own filter count.</summary>
    public static string? Judge(int pid, int mode, int filters, int crikFilters) =>
        mode == 1 ? $"process {pid} runs in seccomp's strict mode, which kills it at any other system call"
        : mode == 2 && filters < 0 ? $"process {pid} has seccomp filters, and this kernel does not say how many (Linux 5.9 does)"
        : mode == 2 && filters > crikFilters
            ? $"process {pid} installed seccomp filters of its own ({filters} against crik's {crikFilters}), which may kill it at the userfaultfd crik would have it make"
            : null;
}
