using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static unsafe partial class Libc
{
    /// <summary>
    /// waitpid(2): waits for a child to change state. With <paramref name="pid"/> = -1, any child.
    /// Returns the child's PID, 0 with WNOHANG when none has exited, or -1 with errno (ECHILD: no
    /// children; EINTR: interrupted by a signal).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, out int status, int options);

    internal const int WNOHANG = 1;

    /// <summary>
    /// waitid(2). With WNOWAIT the child stays a zombie (its PID still taken) for a later waitpid.
    /// <paramref name="info"/> points to <see cref="SigInfoBytes"/> bytes. Returns 0, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "waitid", SetLastError = true)]
    internal static partial int WaitId(int idType, int id, byte* info, int options);

    internal const int P_ALL = 0, WEXITED = 4, WNOWAIT = 0x01000000;

    /// <summary>
    /// sizeof(siginfo_t); si_pid is the int at <see cref="SigInfoPidOffset"/> on 64-bit Linux, and a SIGCHLD's si_status (the exit
    /// code, or the signal that killed it) the int at <see cref="SigInfoStatusOffset"/>.
    /// </summary>
    internal const int SigInfoBytes = 128, SigInfoPidOffset = 16, SigInfoStatusOffset = 24;
}
