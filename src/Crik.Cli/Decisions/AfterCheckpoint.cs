using Crik.Cli.Records;

namespace Crik.Cli.Decisions;

/// <summary>What a checkpoint came to, as far as the app's next step depends on it.</summary>
internal enum CheckpointEnd
{
    /// <summary>The generation is committed: the next pod may continue from it.</summary>
    Committed,

    /// <summary>Not taken, and crik never stopped the app for it (the app is frozen for its lease, say).</summary>
    NotBegun,

    /// <summary>Not taken before CRIU stopped the app: it runs as it did.</summary>
    NotTakenRunning,

    /// <summary>Not taken, and CRIU may have left the app stopped.</summary>
    NotTakenStopped,

    /// <summary>The node-state server said the node is not going away: not taken, and a SIGTERM is the app's own end.</summary>
    NotWanted,

    /// <summary>Another crik committed first: it runs the app or did.</summary>
    Superseded,
}

/// <summary>What becomes of the app's processes after a checkpoint.</summary>
internal enum AppAfterCheckpoint
{
    /// <summary>crik did not stop it for this checkpoint: nothing to undo.</summary>
    AsItWas,

    /// <summary>CRIU never stopped it after all: crik's hold on it ends, and no SIGCONT is needed.</summary>
    RunsOn,

    /// <summary>It may be stopped: it runs again (only while the lease is held).</summary>
    Resumed,

    /// <summary>It stays stopped for crik to end: it lives on in the next pod, and running it on here would run it twice.</summary>
    KeptStoppedToEnd,

    /// <summary>This copy must never run again: it is killed, and crik exits with its own failure.</summary>
    Killed,
}

/// <param name="App">What becomes of the app's processes.</param>
/// <param name="GetsSigterm">The SIGTERM that asked for the checkpoint goes to the app now.</param>
/// <param name="CheckpointedWhileRunning">A checkpoint the app runs on from was committed: its end on its own retires it.</param>
/// <param name="FailedAtSigterm">A SIGTERM's checkpoint was wanted and not taken: the app's end is its node's going away, not its own.</param>
internal sealed record AfterCheckpointPlan(AppAfterCheckpoint App, bool GetsSigterm, bool CheckpointedWhileRunning, bool FailedAtSigterm)
{
    /// <summary>crik ends the app now (its checkpoint is committed), and exits 0.</summary>
    public bool AppEndsHere => App == AppAfterCheckpoint.KeptStoppedToEnd;
}

/// <summary>
/// What happens to the app after each checkpoint, from what it came to and why it was taken. A checkpoint committed for a
/// SIGTERM or <c>crik checkpoint --exit</c> keeps the app stopped for crik to end (the next pod continues from it);
/// one committed for any other reason lets it run on. One not taken lets it go on as it was, resumed if CRIU may have
/// stopped it, and a SIGTERM's then reaches the app. One another crik beat is never resumed.
/// </summary>
internal static class AfterCheckpoint
{
    public static AfterCheckpointPlan Plan(CheckpointReason reason, CheckpointEnd end)
    {
        bool sigterm = reason == CheckpointReason.Sigterm;
        return end switch
        {
            CheckpointEnd.Committed when EndsTheApp(reason) => new(AppAfterCheckpoint.KeptStoppedToEnd, false, false, false),
            CheckpointEnd.Committed => new(AppAfterCheckpoint.Resumed, false, CheckpointedWhileRunning: true, false),
            CheckpointEnd.Superseded => new(AppAfterCheckpoint.Killed, false, false, false),
            CheckpointEnd.NotWanted => new(AppAfterCheckpoint.RunsOn, sigterm, false, FailedAtSigterm: false),
            CheckpointEnd.NotBegun => new(AppAfterCheckpoint.AsItWas, sigterm, false, FailedAtSigterm: sigterm),
            CheckpointEnd.NotTakenRunning => new(AppAfterCheckpoint.RunsOn, sigterm, false, FailedAtSigterm: sigterm),
            _ => new(AppAfterCheckpoint.Resumed, sigterm, false, FailedAtSigterm: sigterm),
        };
    }

    /// <summary>
    /// The app may run again as soon as it is captured, before the commit: it stays frozen for the dump, not for the
    /// commit, unless a commit would end it here anyway.
    /// </summary>
    public static bool ResumedOnceCaptured(CheckpointReason reason) => !EndsTheApp(reason);

    /// <summary>The checkpoint is the app's last in this pod once committed (a SIGTERM, <c>crik checkpoint --exit</c>).</summary>
    private static bool EndsTheApp(CheckpointReason reason) => reason is CheckpointReason.Sigterm or CheckpointReason.OnDemandExit;
}
