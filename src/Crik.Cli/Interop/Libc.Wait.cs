using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

internal static partial class Libc
{
    /// <summary>
    /// waitpid(2): waits for a child to change state. With <paramref name="pid"/> = -1, any child.
    /// Returns the child's PID, 0 with WNOHANG when none has exited, or -1 with errno (ECHILD: no
    /// children; EINTR: interrupted by a signal).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "waitpid", SetLastError = true)]
    internal static partial int WaitPid(int pid, out int status, int options);

    internal const int WNOHANG = 1;
}
