using System.Runtime.InteropServices;

namespace Crik.TestSupport;

public static partial class Native
{
    [LibraryImport("libc.so.6", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Signals a process that may be gone already (a short-lived child, or one killed meanwhile); false when it was.</summary>
    public static bool TrySignal(int pid, int signal) => Kill(pid, signal) == 0;

    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12,
        SIGALRM = 14, SIGTERM = 15, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;
}
