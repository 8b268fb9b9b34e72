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
