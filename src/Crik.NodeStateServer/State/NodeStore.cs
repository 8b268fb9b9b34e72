using System.Collections.Immutable;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Logging;
using Crik.NodeStateServer.Rules;

namespace Crik.NodeStateServer.State;

/// <summary>
/// Holds the current <see cref="NodeSnapshot"/>. Only the watcher writes (one thread), readers just load
/// the reference, so a volatile swap is all the synchronisation needed.
/// </summary>
/// <remarks>
/// A node deleted (its DELETED event, or missing from a new list) is answered shutting-down, reason node-deleted, for
/// <see cref="DeletedFor"/>, where the deletion-timestamp rule is on: its pods are deleted after it, each crik asks at its
/// SIGTERM, and "unknown" would have ended the app without a checkpoint. A node added again under the name is itself again.
/// </remarks>
internal sealed class NodeStore(ShutdownRules rules, TimeProvider clock, ILogger<NodeStore> logger)
{
    public const string DeletedReason = "node-deleted";

    /// <summary>
    /// How long a deleted node is answered shutting-down: the pod garbage collector deletes the pods of a node that is gone within
    /// a minute or so, and a pod's SIGTERM comes then; a node unknown long after is one that never was, as far as crik is told.
    /// </summary>
    public static readonly TimeSpan DeletedFor = TimeSpan.FromMinutes(10);

    private static readonly HashSet<string> EmptyNames = [];

    private NodeSnapshot _snapshot = NodeSnapshot.Empty;

    private TaskCompletionSource _nextChange = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public NodeSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>
    /// Completes when the snapshot is next replaced. Take it before reading the snapshot: a change between the two then
    /// finds it completed, so a waiter never sleeps through one.
    /// </summary>
    public Task NextChange => Volatile.Read(ref _nextChange).Task;

    public NodeEntry? Find(string name)
    {
        var snapshot = Snapshot;
        if (snapshot.Nodes.TryGetValue(name, out var entry))
            return entry;
        return snapshot.Deleted.TryGetValue(name, out var deleted) && clock.GetElapsedTime(deleted.At) < DeletedFor ? deleted.Entry : null;
    }

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

    /// <summary>
    /// As <see cref="ReplaceAll"/>, with every node already evaluated (<see cref="Evaluate"/>). Nodes named in
    /// <paramref name="unreadable"/> are in the list but could not be read: each keeps its last verdict (none if it had none),
    /// and none is taken for deleted.
    /// </summary>
    public void ReplaceAllEvaluated(IReadOnlyCollection<NodeEntry> entries, IReadOnlySet<string>? unreadable = null)
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
        var present = new HashSet<string>(builder.Keys, StringComparer.Ordinal);
        foreach (var name in unreadable ?? EmptyNames)
        {
            present.Add(name);
            if (!builder.ContainsKey(name) && previous.Nodes.TryGetValue(name, out var last))
            {
                builder[name] = last;
                Log.NodeKeptUnread(logger, name);
            }
        }
        foreach (var entry in builder.Values)
        {
            shuttingDown += IsShuttingDown(entry);
            atRisk += IsAtRisk(entry);
        }
        var deleted = Recent(previous.Deleted).RemoveRange(present);
        foreach (var gone in previous.Nodes.Keys.Where(name => !present.Contains(name)))
            deleted = Deleted(deleted, gone);
        Publish(new NodeSnapshot(builder.ToImmutable(), shuttingDown, atRisk) { Deleted = deleted });
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
        Publish(new NodeSnapshot(previous.Nodes.SetItem(name, entry), count, atRisk) { Deleted = previous.Deleted.Remove(name) });
    }

    public void Remove(string? name)
    {
        var previous = Snapshot;
        if (name is null || !previous.Nodes.TryGetValue(name, out var old))
            return;
        var deleted = Deleted(Recent(previous.Deleted), name);
        var next = new NodeSnapshot(previous.Nodes.Remove(name), previous.ShuttingDownCount - IsShuttingDown(old), previous.AtRiskCount - IsAtRisk(old));
        Publish(next with { Deleted = deleted });
    }

    private void Publish(NodeSnapshot snapshot)
    {
        Volatile.Write(ref _snapshot, snapshot);
        Interlocked.Exchange(ref _nextChange, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).SetResult();
    }

    /// <summary><paramref name="name"/> was deleted now: said, and kept among the deleted where the deletion-timestamp rule is on.</summary>
    private ImmutableDictionary<string, DeletedNode> Deleted(ImmutableDictionary<string, DeletedNode> deleted, string name)
    {
        if (!rules.DeletionTimestamp)
        {
            Log.NodeRemoved(logger, name);
            return deleted;
        }
        Log.NodeDeleted(logger, name, DeletedFor.TotalMinutes);
        var entry = new NodeEntry(name, new NodeEvaluation(NodeState.ShuttingDown, [DeletedReason]));
        return deleted.SetItem(name, new DeletedNode(entry, clock.GetTimestamp()));
    }

    /// <summary>Those deleted within <see cref="DeletedFor"/>.</summary>
    private ImmutableDictionary<string, DeletedNode> Recent(ImmutableDictionary<string, DeletedNode> deleted) =>
        deleted.Values.All(d => clock.GetElapsedTime(d.At) < DeletedFor) ? deleted
            : deleted.RemoveRange(deleted.Values.Where(d => clock.GetElapsedTime(d.At) >= DeletedFor).Select(d => d.Entry.Name));

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
