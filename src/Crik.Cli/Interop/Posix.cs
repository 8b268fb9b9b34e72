using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>Safe wrappers over <see cref="Libc"/>: errno becomes a result or an <see cref="IOException"/>.</summary>
internal static class Posix
{
    /// <summary>Sends a signal; false when the process or group no longer exists (ESRCH).</summary>
    public static bool TrySignal(int pid, Signal signal)
    {
        if (Libc.Kill(pid, signal) == 0)
        {
            return true;
        }
        int errno = Libc.LastErrno;
        if (errno == Libc.ESRCH)
        {
            return false;
        }
        throw Failure($"kill({pid}, {signal})", errno);
    }

    /// <summary>Makes this process a child subreaper, so orphaned descendants are re-parented to it.</summary>
    public static void BecomeChildSubreaper()
    {
        if (Libc.Prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            throw Failure("prctl(PR_SET_CHILD_SUBREAPER)", Libc.LastErrno);
        }
    }

    /// <summary>Restores SIGCHLD's default disposition, so that exited children stay waitable.</summary>
    public static void ResetChildSignalDisposition()
    {
        if (Libc.SetSignalHandler(Signal.SIGCHLD, Libc.SIG_DFL) == -1)
        {
            throw Failure("signal(SIGCHLD, SIG_DFL)", Libc.LastErrno);
        }
    }

    /// <summary>Moves the calling thread into a new IPC namespace; false when not permitted.</summary>
    public static bool TryUnshareIpcNamespace(out int errno)
    {
        errno = Libc.Unshare(Libc.CLONE_NEWIPC) == 0 ? 0 : Libc.LastErrno;
        return errno == 0;
    }

    /// <summary>The short name of a signal, e.g. "TERM".</summary>
    public static string SignalName(Signal signal)
    {
        nint name = Libc.SignalAbbreviation(signal);
        return name == 0 ? ((int)signal).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "SIG" + Marshal.PtrToStringUTF8(name);
    }

    public static IOException Failure(string call, int errno) =>
        new($"{call} failed: {Libc.Describe(errno)}", errno);
}
