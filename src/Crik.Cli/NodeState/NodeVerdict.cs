namespace Crik.Cli.NodeState;

/// <summary>What the node-state server says about the node crik runs on.</summary>
internal enum NodeVerdict
{
    ShuttingDown,

    /// <summary>Signs that usually come before a shutdown (a node-state server that knows "at-risk").</summary>
    AtRisk,
    Ready,
    Unknown,
    Error,
}
