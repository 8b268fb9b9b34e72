
namespace Crik.Cli.NodeState;

/// <summary>Says whether a SIGTERM should become a checkpoint (the node is really going away).</summary>
internal interface INodeStateGate
{
    /// <summary>Asks within nodeStateTimeout, and never longer than <paramref name="limit"/>.</summary>
    Task<bool> ShouldCheckpointAsync(TimeSpan limit);

    /// <summary>Whether the node is at risk (or already shutting down) now; null when the server cannot say.</summary>
    Task<bool?> IsAtRiskAsync(TimeSpan limit);
}
