using System.Collections.Immutable;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Rules;

namespace Crik.NodeStateServer.State;

/// <summary>
/// Holds the current <see cref="NodeSnapshot"/>. Only the watcher writes (one thread), readers just load
/// the reference, so a volatile swap is all the synchronisation needed.
/// </summary>
internal sealed class NodeStore(ShutdownRules rules, ILogger<NodeStore> logger)
{
    private NodeSnapshot _snapshot = NodeSnapshot.Empty;

    public NodeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public NodeEntry? Find(string name) => Snapshot.Nodes.GetValueOrDefault(name);

    /// <summary>A full list: nodes missing from it are gone, whatever happened while disconnected.</summary>
    public void ReplaceAll(IEnumerable<KubeNode> nodes)
    {
        var entries = new List<NodeEntry>();
        foreach (var node in nodes)
        {
            if (Evaluate(node) is { } entry)
                entries.Add(entry);
        }
        ReplaceAllEvaluated(entries);
    }

    /// <summary>As <see cref="ReplaceAll"/>, with every node already evaluated (<see cref="Evaluate"/>).</summary>
    public void ReplaceAllEvaluated(IReadOnlyCollection<NodeEntry> entries)
    {
        var previous = Snapshot;
        var builder = ImmutableDictionary.CreateBuilder<string, NodeEntry>(StringComparer.Ordinal);
        var shuttingDown = 0;
        var atRisk = 0;
        foreach (var entry in entries)
        {
            builder[entry.Name] = entry;
            ReportChange(previous.Nodes.GetValueOrDefault(entry.Name), entry);
        }
        foreach (var entry in builder.Values)
        {
            shuttingDown += IsShuttingDown(entry);
            atRisk += IsAtRisk(entry);
        }
        foreach (var gone in previous.Nodes.Keys.Where(name => !builder.ContainsKey(name)))
            Log.NodeRemoved(logger, gone);
        Volatile.Write(ref _snapshot, new NodeSnapshot(builder.ToImmutable(), shuttingDown, atRisk));
    }

    /// <summary>The node's verdict under the rules; null for a node without a name, which cannot be stored.</summary>
    public NodeEntry? Evaluate(KubeNode node) =>
        node.Metadata?.Name is { Length: > 0 } name ? new NodeEntry(name, NodeRules.Evaluate(node, rules)) : null;

    public void Upsert(KubeNode node)
    {
        if (Evaluate(node) is not { } entry)
            return;
        var name = entry.Name;
        var previous = Snapshot;
        var old = previous.Nodes.GetValueOrDefault(name);
        ReportChange(old, entry);
        var count = previous.ShuttingDownCount - IsShuttingDown(old) + IsShuttingDown(entry);
        var atRisk = previous.AtRiskCount - IsAtRisk(old) + IsAtRisk(entry);
        Volatile.Write(ref _snapshot, new NodeSnapshot(previous.Nodes.SetItem(name, entry), count, atRisk));
    }

    public void Remove(string? name)
    {
        var previous = Snapshot;
        if (name is null || !previous.Nodes.TryGetValue(name, out var old))
            return;
        Log.NodeRemoved(logger, name);
        Volatile.Write(ref _snapshot, new NodeSnapshot(previous.Nodes.Remove(name), previous.ShuttingDownCount - IsShuttingDown(old),
            previous.AtRiskCount - IsAtRisk(old)));
    }

    private void ReportChange(NodeEntry? old, NodeEntry now)
    {
        if (now.Evaluation.State == NodeState.ShuttingDown
            && (old?.Evaluation.State != NodeState.ShuttingDown || !old.Evaluation.Reasons.SequenceEqual(now.Evaluation.Reasons)))
            Log.NodeShuttingDown(logger, now.Name, string.Join(", ", now.Evaluation.Reasons));
        else if (now.Evaluation.State == NodeState.AtRisk
            && (old?.Evaluation.State != NodeState.AtRisk || !old.Evaluation.Reasons.SequenceEqual(now.Evaluation.Reasons)))
            Log.NodeAtRisk(logger, now.Name, string.Join(", ", now.Evaluation.Reasons));
        else if (now.Evaluation.State == NodeState.Ready && old?.Evaluation.State is NodeState.ShuttingDown or NodeState.AtRisk)
            Log.NodeReadyAgain(logger, now.Name);
    }

    private static int IsAtRisk(NodeEntry? entry) => entry?.Evaluation.State == NodeState.AtRisk ? 1 : 0;

    private static int IsShuttingDown(NodeEntry? entry) => entry?.Evaluation.State == NodeState.ShuttingDown ? 1 : 0;
}
