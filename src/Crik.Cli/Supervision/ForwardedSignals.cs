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
    public static readonly IReadOnlyList<Signal> All =
    [
        Signal.SIGHUP, Signal.SIGINT, Signal.SIGQUIT, Signal.SIGUSR1, Signal.SIGUSR2, Signal.SIGALRM, Signal.SIGTERM,
        Signal.SIGCONT, Signal.SIGTSTP, Signal.SIGTTIN, Signal.SIGTTOU, Signal.SIGURG, Signal.SIGXCPU, Signal.SIGXFSZ,
        Signal.SIGVTALRM, Signal.SIGPROF, Signal.SIGWINCH, Signal.SIGIO, Signal.SIGPWR,
    ];
}
