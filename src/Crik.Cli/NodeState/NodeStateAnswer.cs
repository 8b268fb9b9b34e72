namespace Crik.Cli.NodeState;

/// <summary>A verdict and a one-line, human-readable explanation (matched rules, or what went wrong).</summary>
internal sealed record NodeStateAnswer(NodeVerdict Verdict, string Detail);
