namespace Crik.Cli.NodeState;

/// <summary>A verdict and a one-line, human-readable explanation (matched rules, or what went wrong).</summary>
internal sealed record NodeStateAnswer(NodeVerdict Verdict, string Detail)
{
    /// <summary>How long the question that got this answer asked the server to hold it (<c>waitMs</c>); 0 for none.</summary>
    public int HoldAskedMs { get; init; }
}
