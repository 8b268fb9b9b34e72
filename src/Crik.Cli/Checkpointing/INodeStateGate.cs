namespace Crik.Cli.Checkpointing;

/// <summary>Says whether a SIGTERM should become a checkpoint (the node is really going away).</summary>
internal interface INodeStateGate
{
    Task<bool> ShouldCheckpointAsync();
}
