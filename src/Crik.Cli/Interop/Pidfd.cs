using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Interop;

/// <summary>A descriptor that names one process for as long as it is open, whatever PID is reused after it ends (pidfd_open(2)).</summary>
internal static class Pidfd
{
    /// <summary>Process <paramref name="pid"/>'s descriptor; null (errno set) when it cannot be opened.</summary>
    public static SafeFileHandle? TryOpen(int pid)
    {
        long fd = Libc.Syscall3(Libc.SYS_pidfd_open, pid, 0, 0);
        return fd >= 0 ? new SafeFileHandle((nint)fd, ownsHandle: true) : null;
    }
}
