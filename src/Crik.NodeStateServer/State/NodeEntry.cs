using System.Collections.Immutable;
using Crik.NodeStateServer.Rules;

namespace Crik.NodeStateServer.State;

/// <summary>One node's verdict. Replaced, never changed, when the node changes.</summary>
internal sealed record NodeEntry(string Name, NodeEvaluation Evaluation);

/// <summary>All known nodes at one moment. Never mutated: the store swaps in a new one.</summary>
internal sealed record NodeSnapshot(ImmutableDictionary<string, NodeEntry> Nodes, int ShuttingDownCount, int AtRiskCount = 0)
{
    public static readonly NodeSnapshot Empty = new(ImmutableDictionary.Create<string, NodeEntry>(StringComparer.Ordinal), 0);

    public int ReadyCount => Nodes.Count - ShuttingDownCount - AtRiskCount;
}
