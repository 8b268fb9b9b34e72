using Crik.Cli.Decisions;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

/// <summary>What the supervisor knows of the app's life so far: the one state its loop and its handlers share.</summary>
/// <param name="oomKillsAtStart">The OOM killer's count in crik's memory cgroup when the app started, null when unreadable.</param>
/// <param name="stops">Whether the app is stopped, and by whom: the one way to stop it and let it go.</param>
internal sealed class AppLife(RunningApp app, AppStops stops, OomKills? oomKillsAtStart)
{
    /// <summary>The signals forwarded to the app: dying of one of them is its own end (<see cref="AppEnd"/>).</summary>
    private readonly HashSet<Signal> _forwarded = [];

    public RunningApp App => app;

    public AppStops Stops => stops;

    /// <summary>A SIGTERM or <c>crik checkpoint --exit</c> is being handled: no other checkpoint starts.</summary>
    public bool Stopping { get; set; }

    /// <summary>A checkpoint the app ran on from was committed in this run.</summary>
    public bool CheckpointedWhileRunning { get; private set; }

    /// <summary>A SIGTERM asked for a checkpoint that was not taken: the app ends because its node goes away, not on its own.</summary>
    public bool CheckpointFailedAtSigterm { get; private set; }

    /// <summary>There is a checkpoint of this run of the app: it was restored from one, or checkpointed while it ran.</summary>
    public bool Checkpointed => app.Generation > 0 || CheckpointedWhileRunning;

    /// <summary>Remembers what a checkpoint's end means for how the app's own end is read (<see cref="Retirement"/>).</summary>
    public void Remember(AfterCheckpointPlan plan)
    {
        CheckpointedWhileRunning |= plan.CheckpointedWhileRunning;
        CheckpointFailedAtSigterm |= plan.FailedAtSigterm;
    }

    /// <summary>Called from the signal relay's thread as well as the loop's.</summary>
    public void Forwarded(Signal signal)
    {
        lock (_forwarded)
        {
            _forwarded.Add(signal);
        }
    }

    /// <summary>How the app's life ended, and whether that retires its checkpoints (<see cref="Retirement"/>).</summary>
    /// <param name="oomKillsNow">The OOM killer's count now, null when unreadable or not asked.</param>
    public (AppEnd End, bool Retires) Ended(WaitStatus status, OomKills? oomKillsNow)
    {
        AppEnd end;
        lock (_forwarded)
        {
            end = status.Exited ? AppEnd.Exited(status.ExitCode)
                : AppEnd.Killed(Posix.SignalName(status.TermSignal), _forwarded.Contains(status.TermSignal), status.TermSignal == Signal.SIGKILL,
                    oomKillsAtStart is { } before && oomKillsNow is { } now ? new OomKillCounts(before.Count, now.Count, now.Where) : null);
        }
        return (end, Retirement.Retires(end, Checkpointed, CheckpointFailedAtSigterm));
    }
}
