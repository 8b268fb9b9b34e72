using System.Collections.Immutable;

namespace Crik.NodeStateServer.Rules;

internal enum NodeState { Ready, AtRisk, ShuttingDown }

/// <summary>The verdict for one Node: its state and the names of the rules that matched.</summary>
internal sealed record NodeEvaluation(NodeState State, ImmutableArray<string> Reasons)
{
    public static readonly NodeEvaluation Ready = new(NodeState.Ready, []);
}
