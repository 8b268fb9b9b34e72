using System.Collections.Immutable;

namespace Crik.NodeStateServer.Rules;

/// <summary>Which signals on a Node object mean "this node is going away".</summary>
internal sealed record ShutdownRules
{
    public static readonly ImmutableArray<string> DefaultShutdownTaints =
    [
        "ToBeDeletedByClusterAutoscaler",
        "karpenter.sh/disrupted",
        "karpenter.sh/disruption",
        "cloud.google.com/impending-node-termination",
        "node.cloudprovider.kubernetes.io/shutdown",
        "aws-node-termination-handler/spot-itn",
        "aws-node-termination-handler/scheduled-maintenance",
        "aws-node-termination-handler/asg-lifecycle-termination",
        "node.kubernetes.io/out-of-service",
    ];

    public static readonly ImmutableArray<string> DefaultAtRiskTaints =
    [
        "DeletionCandidateOfClusterAutoscaler",
        "aws-node-termination-handler/rebalance-recommendation",
    ];

    // kubelet's graceful node shutdown puts this into the Ready condition's message on every distribution.
    public static readonly ImmutableArray<string> DefaultReadyConditionMessages = ["node is shutting down"];

    public static ShutdownRules Default { get; } = new();

    /// <summary>Taint keys (any effect) that mark a node as shutting down.</summary>
    public ImmutableArray<string> ShutdownTaints { get; init; } = DefaultShutdownTaints;

    /// <summary>Taint keys (any effect) that usually come before a shutdown: the node is at risk.</summary>
    public ImmutableArray<string> AtRiskTaints { get; init; } = DefaultAtRiskTaints;

    /// <summary>Substrings (case-insensitive) of a Ready=False condition message that mark a shutdown.</summary>
    public ImmutableArray<string> ReadyConditionMessages { get; init; } = DefaultReadyConditionMessages;

    /// <summary>A Node with metadata.deletionTimestamp is being deleted.</summary>
    public bool DeletionTimestamp { get; init; } = true;

    /// <summary>A cordoned (spec.unschedulable) node counts as shutting down. Off by default: cordons are often temporary.</summary>
    public bool Unschedulable { get; init; }
}
