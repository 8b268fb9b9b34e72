using System.Text.Json;
using Crik.NodeStateServer.Kubernetes;
using Crik.NodeStateServer.Rules;
using Crik.NodeStateServer.Tests.FakeApi;
using Xunit;

namespace Crik.NodeStateServer.Tests.Unit;

/// <summary>The pure function Node + rules → state and reasons.</summary>
[Trait("Category", "Unit")]
public sealed class NodeRulesTests
{
    private static KubeNode Node(Action<System.Text.Json.Nodes.JsonObject>? change = null)
    {
        var json = FakeNode.Create("n1");
        change?.Invoke(json);
        return JsonSerializer.Deserialize(json.ToJsonString(), KubeJsonContext.Default.KubeNode)!;
    }

    [Fact]
    public void PlainReadyNodeIsReadyWithNoReasons()
    {
        var result = NodeRules.Evaluate(Node(), ShutdownRules.Default);
        Assert.Equal(NodeState.Ready, result.State);
        Assert.Empty(result.Reasons);
    }

    [Fact]
    public void EveryDefaultTaintIsAShutdownSignalWhateverItsEffect()
    {
        foreach (var taint in ShutdownRules.DefaultShutdownTaints)
        {
            foreach (var effect in new[] { "NoSchedule", "NoExecute", "PreferNoSchedule" })
            {
                var result = NodeRules.Evaluate(Node(n => FakeNode.AddTaint(n, taint, effect)), ShutdownRules.Default);
                Assert.Equal(NodeState.ShuttingDown, result.State);
                Assert.Equal(["taint:" + taint], result.Reasons.ToArray());
            }
        }
    }

    [Fact]
    public void EveryDefaultAtRiskTaintMakesTheNodeAtRisk()
    {
        foreach (var taint in ShutdownRules.DefaultAtRiskTaints)
        {
            var result = NodeRules.Evaluate(Node(n => FakeNode.AddTaint(n, taint, "PreferNoSchedule")), ShutdownRules.Default);
            Assert.Equal(NodeState.AtRisk, result.State);
            Assert.Equal(["taint:" + taint], result.Reasons.ToArray());
        }
    }

    [Fact]
    public void ShuttingDownWinsOverAtRiskAndNamesOnlyItsOwnReasons()
    {
        var result = NodeRules.Evaluate(Node(n =>
        {
            FakeNode.AddTaint(n, "DeletionCandidateOfClusterAutoscaler", "PreferNoSchedule");
            FakeNode.AddTaint(n, "ToBeDeletedByClusterAutoscaler", "NoSchedule");
        }), ShutdownRules.Default);
        Assert.Equal(NodeState.ShuttingDown, result.State);
        Assert.Equal(["taint:ToBeDeletedByClusterAutoscaler"], result.Reasons.ToArray());
    }

    [Fact]
    public void AtRiskTaintsCanBeTurnedOff()
    {
        var result = NodeRules.Evaluate(Node(n => FakeNode.AddTaint(n, "DeletionCandidateOfClusterAutoscaler")),
            ShutdownRules.Default with { AtRiskTaints = [] });
        Assert.Equal(NodeState.Ready, result.State);
    }

    [Fact]
    public void TaintKeysAreMatchedExactly()
    {
        var result = NodeRules.Evaluate(Node(n => FakeNode.AddTaint(n, "karpenter.sh/disrupted-not")), ShutdownRules.Default);
        Assert.Equal(NodeState.Ready, result.State);
    }

    [Theory]
    [InlineData("False", "node is shutting down", true)]
    [InlineData("False", "[PLEG is not healthy, Node Is Shutting Down]", true)]
    [InlineData("Unknown", "node is shutting down", false)]
    [InlineData("True", "node is shutting down", false)]
    [InlineData("False", "container runtime network not ready", false)]
    public void ReadyConditionCountsOnlyWhenFalseWithTheShutdownMessage(string status, string message, bool shuttingDown)
    {
        var result = NodeRules.Evaluate(Node(n => FakeNode.SetReady(n, status, "AnyReason", message)), ShutdownRules.Default);
        Assert.Equal(shuttingDown ? NodeState.ShuttingDown : NodeState.Ready, result.State);
    }

    [Fact]
    public void UnschedulableCountsOnlyWhenTheRuleIsOn()
    {
        var cordoned = Node(n => FakeNode.SetUnschedulable(n, true));
        Assert.Equal(NodeState.Ready, NodeRules.Evaluate(cordoned, ShutdownRules.Default).State);
        var result = NodeRules.Evaluate(cordoned, ShutdownRules.Default with { Unschedulable = true });
        Assert.Equal(["unschedulable"], result.Reasons.ToArray());
    }

    [Fact]
    public void DeletionTimestampCanBeSwitchedOff()
    {
        var deleting = Node(n => FakeNode.SetDeletionTimestamp(n, true));
        Assert.Equal(["deletion-timestamp"], NodeRules.Evaluate(deleting, ShutdownRules.Default).Reasons.ToArray());
        Assert.Equal(NodeState.Ready, NodeRules.Evaluate(deleting, ShutdownRules.Default with { DeletionTimestamp = false }).State);
    }

    [Fact]
    public void VerdictDependsOnlyOnTheCurrentObject()
    {
        var rules = ShutdownRules.Default;
        Assert.Equal(NodeState.ShuttingDown, NodeRules.Evaluate(Node(n => FakeNode.AddTaint(n, "ToBeDeletedByClusterAutoscaler")), rules).State);
        Assert.Equal(NodeState.Ready, NodeRules.Evaluate(Node(), rules).State);
    }

    [Fact]
    public void NodeWithoutSpecOrStatusIsReady()
    {
        var bare = JsonSerializer.Deserialize("""{"metadata":{"name":"bare"}}""", KubeJsonContext.Default.KubeNode)!;
        Assert.Equal(NodeState.Ready, NodeRules.Evaluate(bare, ShutdownRules.Default).State);
    }
}
