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
    /// <summary>The app exited: its own end, whatever the code.</summary>
    public static AppEnd Exited(int code) => new(true, $"exited with code {code}");

    /// <summary>A signal killed the app.</summary>
    /// <param name="signal">The signal's name, e.g. "SIGTERM".</param>
    /// <param name="forwarded">crik forwarded that signal to the app during its life.</param>
    /// <param name="sigkill">The signal was SIGKILL.</param>
    /// <param name="oomKills">The OOM killer's count when the app started and now; null when either could not be read.</param>
    public static AppEnd Killed(string signal, bool forwarded, bool sigkill, OomKillCounts? oomKills)
    {
        if (forwarded)
        {
            return new AppEnd(true, $"was killed by {signal}, which crik forwarded to it");
        }
        if (!sigkill)
        {
            return new AppEnd(false, $"was killed by {signal}, which crik did not send (a crash, or a signal from outside)");
        }
        if (oomKills is { } counts && counts.After > counts.Before)
        {
            return new AppEnd(false, $"was killed by the kernel's OOM killer (SIGKILL; oom_kill in {counts.Where} went from {counts.Before} to {counts.After}): "
                + "give the container a higher memory limit", OomKilled: true);
        }
        return new AppEnd(false, "was killed by SIGKILL, which crik did not send ("
            + (oomKills is null ? "the kernel's OOM killer or a person; crik cannot read the memory cgroup's oom_kill count to tell"
                : "not the OOM killer, whose count did not rise: a person or another program") + ")");
    }
}

/// <summary>The OOM killer's count in crik's memory cgroup when the app started and when it died, as read from <paramref name="Where"/>.</summary>
internal sealed record OomKillCounts(long Before, long After, string Where);
