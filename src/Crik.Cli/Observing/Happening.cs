namespace Crik.Cli.Observing;

/// <summary>
/// A moment in the app's life that someone looking at the pod or the fleet wants to see: each becomes a Kubernetes
/// Event (<see cref="PodEventText"/>) and updates the metrics (<see cref="CrikMetrics"/>). The log says the same, in more detail.
/// </summary>
internal abstract record Happening
{
    private Happening()
    {
    }

    /// <param name="Reason">Why it was taken, as a metric label: sigterm, periodic, at_risk, on_demand, on_demand_exit.</param>
    /// <param name="Frozen">How long the dump held the app (<see cref="Checkpointing.AppHold"/>): from CRIU's seize to crik letting it go.</param>
    /// <param name="AppWroteBytes">What the app wrote since the previous committed checkpoint as crik tracked it; null when crik did not track all of it.</param>
    public sealed record CheckpointCommitted(long Generation, string Reason, long SizeBytes, long WrittenBytes, TimeSpan Took, TimeSpan Frozen, long? AppWroteBytes = null) : Happening;

    /// <summary>A checkpoint was started and failed; the previous checkpoint is untouched.</summary>
    public sealed record CheckpointFailed(long Generation, string Reason, TimeSpan Took, string Why) : Happening;

    /// <summary>A checkpoint was not started: it could not or must not be taken now.</summary>
    public sealed record CheckpointSkipped(string Reason, string Why) : Happening;

    /// <summary>A periodic checkpoint took checkpointInterval or longer: the next starts an interval after it ended, not after it began.</summary>
    public sealed record PeriodicCheckpointStretched(TimeSpan Took, TimeSpan Interval) : Happening;

    /// <summary>A SIGTERM for which the node-state server said the node is not going away: the app's own end.</summary>
    public sealed record CheckpointNotNeeded(string Why) : Happening;

    /// <param name="Lazily">Its memory comes after the app runs again.</param>
    /// <param name="SinceStart">From crik's start to the app running again.</param>
    /// <param name="SharedBytes">The memory CRIU left shared copy-on-write between the restored processes, as its restore statistics say; null when it wrote none.</param>
    public sealed record Restored(long Generation, bool Lazily, TimeSpan Took, TimeSpan SinceStart, int Pid, long? SharedBytes = null) : Happening;

    public sealed record RestoreMemoryAllIn(long Generation, TimeSpan Took) : Happening;

    /// <summary>
    /// The image store stopped answering while a lazily restored app's memory arrives (<paramref name="Over"/> false: at
    /// once, then every 10 s), or answers again (true). <paramref name="Why"/> is the first failure while it lasts.
    /// </summary>
    public sealed record StoreOutageWhileLoading(long Generation, bool Over, TimeSpan Lasted, TimeSpan Patience, string Why) : Happening;

    public sealed record RestoreFailed(long Generation, bool Lazily, string Why) : Happening;

    /// <summary>A lazy restore failed before the app ran: the same checkpoint is restored eagerly next.</summary>
    public sealed record LazyRestoreFellBack(long Generation, string Why) : Happening;

    /// <summary>crik started nothing and exits, so that Kubernetes starts the pod again (lockWait, onStoreUnavailable: wait, onRestoreFailure: fail).</summary>
    public sealed record AppNotStarted(string Why) : Happening;

    /// <param name="Checkpoint">The generation's name as the store shows it.</param>
    public sealed record CheckpointSetAside(string Checkpoint, string Why, string MovedTo) : Happening;

    public sealed record StartedFresh(string Why, TimeSpan SinceStart) : Happening;

    /// <param name="Attempt">This restore's number among those of the checkpoint (2 the first time it is resumed again).</param>
    public sealed record RestoreResumedAgain(long Generation, int Attempt, int Limit) : Happening;

    public sealed record RestoreCrashLoop(string Checkpoint, string Why) : Happening;

    /// <summary>Another crik holds the image directory's lock or lease: this pod starts nothing until it is released.</summary>
    public sealed record WaitingForLock(string ImageDir, TimeSpan Waited, TimeSpan LockWait) : Happening;

    public sealed record LeaseChanged(LeaseState State) : Happening;

    /// <summary>crik cannot renew its lease (the store does not answer): the app is frozen until the store answers whose the lease is.</summary>
    public sealed record LeaseInDoubt(int Pid) : Happening;

    /// <summary>A renewal over the version crik wrote last succeeded after <paramref name="InDoubt"/>: no other pod took the lease, and the app runs on.</summary>
    public sealed record LeaseKept(int Pid, TimeSpan InDoubt) : Happening;

    /// <param name="InDoubt">How long the app had been frozen for the lease when it was killed; zero when it was not.</param>
    public sealed record LeaseLost(int Pid, TimeSpan InDoubt = default) : Happening;

    public sealed record CheckpointsRetired(string HowItEnded, int Count) : Happening;

    public sealed record AppOomKilled(int Pid, bool CheckpointsStay) : Happening;

    /// <summary>The app that ran is gone (ended, killed, or stopped after its checkpoint) and crik is about to exit: for the metrics only.</summary>
    public sealed record AppGone : Happening;
}

/// <summary>The image directory's lock or lease as the crik_lease_state metric shows it.</summary>
internal enum LeaseState
{
    None,
    Held,
    Frozen,
    Lost,
}
