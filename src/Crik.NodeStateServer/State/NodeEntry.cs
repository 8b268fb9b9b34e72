using System.Collections.Immutable;
using Crik.NodeStateServer.Rules;

namespace Crik.NodeStateServer.State;

/// <summary>One node's verdict. Replaced, never changed, when the node changes.</summary>
internal sealed class NodeEntry(string name, NodeEvaluation evaluation)
{
    private byte[]? _answer;

    public string Name { get; } = name;

    public NodeEvaluation Evaluation { get; } = evaluation;

    /// <summary>
    /// The entry's serialized HTTP answer: made by <paramref name="serialize"/> on first use and kept with the entry
    /// (which never changes), so every later request for the node writes the same bytes. Racing first uses keep one.
    /// </summary>
    public byte[] Answer(Func<NodeEntry, byte[]> serialize)
    {
        if (Volatile.Read(ref _answer) is { } made)
            return made;
        var answer = serialize(this);
        return Interlocked.CompareExchange(ref _answer, answer, null) ?? answer;
    }
}

/// <summary>A node deleted at <paramref name="At"/> (<see cref="TimeProvider.GetTimestamp"/>), with the answer it gets meanwhile.</summary>
internal sealed record DeletedNode(NodeEntry Entry, long At);

/// <summary>All known nodes at one moment, and those deleted lately. Never mutated: the store swaps in a new one.</summary>
internal sealed record NodeSnapshot(ImmutableDictionary<string, NodeEntry> Nodes, int ShuttingDownCount, int AtRiskCount = 0)
{
    public static readonly NodeSnapshot Empty = new(ImmutableDictionary.Create<string, NodeEntry>(StringComparer.Ordinal), 0);

    /// <summary>Nodes deleted lately, by name; none of them is in <see cref="Nodes"/>.</summary>
    public ImmutableDictionary<string, DeletedNode> Deleted { get; init; } = ImmutableDictionary.Create<string, DeletedNode>(StringComparer.Ordinal);

    public int ReadyCount => Nodes.Count - ShuttingDownCount - AtRiskCount;
}
