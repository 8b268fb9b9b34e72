using System.Runtime.InteropServices;

namespace Crik.Cli.Interop;

/// <summary>
/// Linux signal numbers. These are the same on x86-64 and arm64 (both use the generic numbering for
/// these signals); <see cref="Platform"/> refuses other architectures at start.
/// </summary>
internal enum Signal
{
    SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGABRT = 6, SIGBUS = 7, SIGKILL = 9, SIGSEGV = 11, SIGUSR1 = 10, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
    SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23,
    SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30,
}

internal static partial class Libc
{
    /// <summary>
    /// kill(2): sends <paramref name="signal"/> to process <paramref name="pid"/>, or to process group
    /// -<paramref name="pid"/> when it is negative. Returns 0, or -1 with errno (ESRCH: no such process
    /// or group; EPERM: not allowed).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, Signal signal);

    /// <summary>
    /// tgkill(2): sends <paramref name="signal"/> to thread <paramref name="thread"/> of process <paramref name="process"/>
    /// alone. Returns 0, or -1 with errno (ESRCH: no such thread).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "tgkill", SetLastError = true)]
    internal static partial int ThreadKill(int process, int thread, Signal signal);

    /// <summary>gettid(2): the calling thread's ID. Cannot fail.</summary>
    [LibraryImport(Library, EntryPoint = "gettid")]
    internal static partial int GetThreadId();

    /// <summary>
    /// signal(2) with SIG_DFL (0): restores the default disposition. Returns the previous handler, or
    /// SIG_ERR (-1) with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "signal", SetLastError = true)]
    internal static partial nint SetSignalHandler(Signal signal, nint handler);

    internal static readonly nint SIG_DFL = 0;
    internal static readonly nint SIG_IGN = 1;

    /// <summary>
    /// sigaction(2), only to read a disposition: <paramref name="oldAction"/> receives a struct sigaction,
    /// whose first field is the handler in glibc's layout on x86-64 and arm64 alike. Returns 0, or -1 with errno.
    /// </summary>
    [LibraryImport(Library, EntryPoint = "sigaction", SetLastError = true)]
    internal static unsafe partial int GetSignalAction(Signal signal, void* newAction, void* oldAction);

    /// <summary>More than glibc's struct sigaction needs (152 bytes on x86-64 and arm64).</summary>
    internal const int SignalActionBytes = 256;

    /// <summary>sigaddset(3): adds <paramref name="signal"/> to a glibc sigset_t. Returns 0, or -1 with errno.</summary>
    [LibraryImport(Library, EntryPoint = "sigaddset", SetLastError = true)]
    internal static unsafe partial int SigAddSet(void* sigset, Signal signal);

    /// <summary>
    /// pthread_sigmask(3): changes the calling thread's signal mask by <paramref name="how"/> (SIG_UNBLOCK removes
    /// the signals in <paramref name="set"/>). Returns 0 or an error number (not errno).
    /// </summary>
    [LibraryImport(Library, EntryPoint = "pthread_sigmask")]
    internal static unsafe partial Errno ThreadSignalMask(int how, void* set, void* oldSet);

    internal const int SIG_BLOCK = 0, SIG_UNBLOCK = 1;

    /// <summary>glibc's sigset_t: 1024 bits.</summary>
    internal const int SigSetBytes = 128;

    /// <summary>sigabbrev_np(3): the abbreviation of a signal, e.g. "TERM"; null for an unknown number.</summary>
    [LibraryImport(Library, EntryPoint = "sigabbrev_np")]
    internal static partial nint SignalAbbreviation(Signal signal);
}
