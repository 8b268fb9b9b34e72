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

    /// <summary>Sends <paramref name="signal"/> to the process <paramref name="descriptor"/> names; false when it has ended (or cannot be signalled).</summary>
    public static bool TrySignal(SafeFileHandle descriptor, Signal signal) =>
        Libc.Syscall4(Libc.SYS_pidfd_send_signal, descriptor.DangerousGetHandle(), (long)signal, 0, 0) == 0;
}
