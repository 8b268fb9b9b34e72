namespace Crik.Cli.Checkpointing;

/// <summary>Says whether a SIGTERM should become a checkpoint (the node is really going away).</summary>
internal interface INodeStateGate
{
    /// <summary>Asks within nodeStateTimeout, and never longer than <paramref name="limit"/>.</summary>
    Task<bool> ShouldCheckpointAsync(TimeSpan limit);
}
