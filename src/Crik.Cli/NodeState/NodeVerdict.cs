namespace Crik.Cli.NodeState;

/// <summary>What the node-state server says about the node crik runs on.</summary>
internal enum NodeVerdict
{
    ShuttingDown,
    Ready,
    Unknown,
    Error,
}

/// <summary>A verdict and a one-line, human-readable explanation (matched rules, or what went wrong).</summary>
internal sealed record NodeStateAnswer(NodeVerdict Verdict, string Detail);
