using Crik.Cli.Interop;

namespace Crik.Cli.Supervision;

/// <summary>The signals crik catches and passes on to the app's process group.</summary>
internal static class ForwardedSignals
{
    /// <summary>
    /// Every signal a user can send, but not: SIGKILL and SIGSTOP (cannot be caught); SIGCHLD (crik's
    /// own); SIGPIPE (the runtime ignores it); the fault signals (SEGV, BUS, FPE, ILL, TRAP, ABRT, SYS),
    /// which concern crik itself; and the real-time signals, which the .NET runtime uses internally.
    /// </summary>
    public static readonly IReadOnlyList<int> All =
    [
        Libc.SIGHUP, Libc.SIGINT, Libc.SIGQUIT, Libc.SIGUSR1, Libc.SIGUSR2, Libc.SIGALRM, Libc.SIGTERM,
        Libc.SIGCONT, Libc.SIGTSTP, Libc.SIGTTIN, Libc.SIGTTOU, Libc.SIGURG, Libc.SIGXCPU, Libc.SIGXFSZ,
        Libc.SIGVTALRM, Libc.SIGPROF, Libc.SIGWINCH, Libc.SIGIO, Libc.SIGPWR,
    ];
}
