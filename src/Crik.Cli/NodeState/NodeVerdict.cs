namespace Crik.Cli.NodeState;

/// <summary>What the node-state server says about the node crik runs on.</summary>
internal enum NodeVerdict
{
    ShuttingDown,
    Ready,
    Unknown,
    Error,
}
