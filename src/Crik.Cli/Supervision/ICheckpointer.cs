namespace Crik.Cli.Supervision;

/// <summary>Takes a checkpoint of the running app when a SIGTERM means "checkpoint".</summary>
internal interface ICheckpointer
{
    /// <summary>
    /// Decides whether this SIGTERM means a checkpoint and takes it, within the checkpoint budget.
    /// It never resumes or kills the app: it answers, and the supervisor acts on the answer. It may
    /// throw before the commit point (the supervisor then resumes the app), never after it.
    /// </summary>
    Task<CheckpointOutcome> CheckpointAsync(RunningApp app);
}

/// <summary>What a SIGTERM's checkpoint came to.</summary>
internal abstract record CheckpointOutcome
{
    private CheckpointOutcome()
    {
    }

    /// <summary>The generation is committed: the app must not run on in this pod.</summary>
    public sealed record Committed(long Generation) : CheckpointOutcome;

    /// <summary>No checkpoint was taken (the reason is already logged); the app gets its SIGTERM.</summary>
    /// <param name="AppMayBeStopped">CRIU may have left the app stopped, so it must be resumed first.</param>
    public sealed record NotTaken(bool AppMayBeStopped) : CheckpointOutcome;
}
