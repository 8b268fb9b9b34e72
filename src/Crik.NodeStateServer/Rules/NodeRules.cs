using System.Collections.Immutable;
using Crik.NodeStateServer.Kubernetes;

namespace Crik.NodeStateServer.Rules;

/// <summary>A node's state as a pure function of the Node object and the rules; nothing is remembered between calls.</summary>
internal static class NodeRules
{
    public const string DeletionTimestampReason = "deletion-timestamp";
    public const string UnschedulableReason = "unschedulable";
    public const string TaintReasonPrefix = "taint:";
    public const string ReadyConditionReasonPrefix = "ready-condition:";

    public static NodeEvaluation Evaluate(KubeNode node, ShutdownRules rules)
    {
        var reasons = ImmutableArray.CreateBuilder<string>();

        if (rules.DeletionTimestamp && !string.IsNullOrEmpty(node.Metadata?.DeletionTimestamp))
            reasons.Add(DeletionTimestampReason);

        if (rules.Unschedulable && node.Spec?.Unschedulable == true)
            reasons.Add(UnschedulableReason);

        foreach (var taint in node.Spec?.Taints ?? [])
        {
            if (taint.Key is { } key && rules.ShutdownTaints.Contains(key, StringComparer.Ordinal)
                && !reasons.Contains(TaintReasonPrefix + key))
                reasons.Add(TaintReasonPrefix + key);
        }

        if (ReadyCondition(node) is { Status: "False", Message: { } message })
        {
            foreach (var wanted in rules.ReadyConditionMessages)
            {
                if (message.Contains(wanted, StringComparison.OrdinalIgnoreCase))
                    reasons.Add(ReadyConditionReasonPrefix + wanted);
            }
        }

        if (reasons.Count > 0)
            return new NodeEvaluation(NodeState.ShuttingDown, reasons.ToImmutable());

        // Only when nothing says "shutting down": the stronger state wins.
        foreach (var taint in node.Spec?.Taints ?? [])
        {
            if (taint.Key is { } key && rules.AtRiskTaints.Contains(key, StringComparer.Ordinal)
                && !reasons.Contains(TaintReasonPrefix + key))
                reasons.Add(TaintReasonPrefix + key);
        }
        return reasons.Count == 0
            ? NodeEvaluation.Ready
            : new NodeEvaluation(NodeState.AtRisk, reasons.ToImmutable());
    }

    private static KubeNodeCondition? ReadyCondition(KubeNode node)
    {
        foreach (var condition in node.Status?.Conditions ?? [])
        {
            if (condition.Type == "Ready")
                return condition;
        }
        return null;
    }
}
