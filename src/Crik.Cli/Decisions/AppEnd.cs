using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Decisions;

/// <summary>
/// How the app's life ended. It ended on its own when it exited, whatever the code, or died of a
/// signal crik forwarded to it (a rollout's SIGTERM, a SIGINT): bringing it back would run its end
/// twice. Any other death (SIGKILL from the OOM killer or a person, SIGSEGV, SIGBUS, SIGABRT) is not
/// its end: its checkpoints stay, and the next pod resumes from the newest.
/// </summary>
/// <param name="Cause">What happened, as the end of "The app (PID N) ...".</param>
internal sealed record AppEnd(bool OnItsOwn, string Cause, bool OomKilled = false)
{
    /// <param name="forwarded">The signals crik forwarded to the app during its life.</param>
    /// <param name="oomBefore">The OOM killer's count when the app started, null when unreadable.</param>
    /// <param name="oomAfter">The count now, null when unreadable.</param>
    public static AppEnd Of(WaitStatus status, IReadOnlySet<Signal> forwarded, OomKills? oomBefore, OomKills? oomAfter)
    {
        if (status.Exited)
        {
            return new AppEnd(true, $"exited with code {status.ExitCode}");
        }
        string name = Posix.SignalName(status.TermSignal);
        if (forwarded.Contains(status.TermSignal))
        {
            return new AppEnd(true, $"was killed by {name}, which crik forwarded to it");
        }
        if (status.TermSignal != Signal.SIGKILL)
        {
            return new AppEnd(false, $"was killed by {name}, which crik did not send (a crash, or a signal from outside)");
        }
        if (oomBefore is { } before && oomAfter is { } after && after.Count > before.Count)
        {
            return new AppEnd(false, $"was killed by the kernel's OOM killer (SIGKILL; oom_kill in {after.Where} went from {before.Count} to {after.Count}): "
                + "give the container a higher memory limit", OomKilled: true);
        }
        return new AppEnd(false, "was killed by SIGKILL, which crik did not send ("
            + (oomBefore is null || oomAfter is null ? "the kernel's OOM killer or a person; crik cannot read the memory cgroup's oom_kill count to tell"
                : "not the OOM killer, whose count did not rise: a person or another program") + ")");
    }
}
