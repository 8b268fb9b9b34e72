
namespace Crik.Cli.Checkpointing;

/// <summary>What a checkpoint came to.</summary>
internal abstract record CheckpointOutcome
{
    private CheckpointOutcome()
    {
    }

    /// <summary>The generation is committed: after a SIGTERM the app must not run on in this pod.</summary>
    public sealed record Committed(long Generation, long Bytes, TimeSpan Duration) : CheckpointOutcome;

    /// <summary>No checkpoint was taken (the reason is already logged); the app gets its SIGTERM.</summary>
    /// <param name="AppMayBeStopped">CRIU may have left the app stopped, so it must be resumed first.</param>
    /// <param name="NotWanted">The node-state server said the node is not going away: the SIGTERM is the app's own end.</param>
    /// <param name="Superseded">Another crik committed first: it runs the app or did, so this copy must be killed, never resumed.</param>
    public sealed record NotTaken(bool AppMayBeStopped, bool NotWanted = false, bool Superseded = false) : CheckpointOutcome;
}
