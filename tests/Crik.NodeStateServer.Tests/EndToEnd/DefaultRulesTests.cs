using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>The real server with default rules: each rule flips a node to shutting-down and back.</summary>
public sealed class DefaultRulesTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private TestCluster Cluster => shared.Cluster;

    public static TheoryData<string> DefaultTaints() =>
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

    [Theory]
    [MemberData(nameof(DefaultTaints))]
    public async Task DefaultShutdownTaintMarksNodeShuttingDownUntilTheTaintIsRemoved(string taint)
    {
        var node = "taint-" + new string([.. taint.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
        Cluster.Nodes.Add(node);
        await Cluster.WaitForStateAsync(node, "ready");

        Cluster.Nodes.Modify(node, n => FakeNode.AddTaint(n, taint, "NoExecute"));
        await Cluster.WaitForStateAsync(node, "shutting-down");
        Assert.Equal(["taint:" + taint], (await Cluster.StateOfAsync(node)).Reasons);

        Cluster.Nodes.Modify(node, FakeNode.RemoveTaints);
        await Cluster.WaitForStateAsync(node, "ready");
        Assert.Empty((await Cluster.StateOfAsync(node)).Reasons);
    }

    [Fact]
    public async Task KubeletShutdownMessageOnReadyFalseMarksNodeShuttingDownWhateverTheReason()
    {
        Cluster.Nodes.Add("graceful-shutdown");
        await Cluster.WaitForStateAsync("graceful-shutdown", "ready");

        // Not GKE's "KubeletNotReady": any reason counts as long as kubelet says it is shutting down.
        Cluster.Nodes.Modify("graceful-shutdown", n => FakeNode.SetReady(n, "False", "SomeDistroReason", "container runtime is down, node is shutting down"));
        await Cluster.WaitForStateAsync("graceful-shutdown", "shutting-down");
        Assert.Equal(["ready-condition:node is shutting down"], (await Cluster.StateOfAsync("graceful-shutdown")).Reasons);

        Cluster.Nodes.Modify("graceful-shutdown", n => FakeNode.SetReady(n, "True", "KubeletReady", "kubelet is posting ready status"));
        await Cluster.WaitForStateAsync("graceful-shutdown", "ready");
    }

    [Fact]
    public async Task NotReadyForAnotherReasonStaysReady()
    {
        Cluster.Nodes.Add("network-trouble", n => FakeNode.SetReady(n, "False", "KubeletNotReady", "network plugin is not ready"));
        Cluster.Nodes.Add("marker-after-network-trouble");
        await Cluster.WaitForStateAsync("marker-after-network-trouble", "ready");
        Assert.Equal("ready", (await Cluster.StateOfAsync("network-trouble")).State);
    }

    [Fact]
    public async Task DeletionTimestampMarksNodeShuttingDownAndClearingItMakesItReady()
    {
        Cluster.Nodes.Add("being-deleted");
        await Cluster.WaitForStateAsync("being-deleted", "ready");

        Cluster.Nodes.Modify("being-deleted", n => FakeNode.SetDeletionTimestamp(n, true));
        await Cluster.WaitForStateAsync("being-deleted", "shutting-down");
        Assert.Equal(["deletion-timestamp"], (await Cluster.StateOfAsync("being-deleted")).Reasons);

        Cluster.Nodes.Modify("being-deleted", n => FakeNode.SetDeletionTimestamp(n, false));
        await Cluster.WaitForStateAsync("being-deleted", "ready");
    }

    [Fact]
    public async Task CordonedNodeStaysReadyWithDefaultRules()
    {
        Cluster.Nodes.Add("cordoned", n => FakeNode.SetUnschedulable(n, true));
        Cluster.Nodes.Add("marker-after-cordon");
        await Cluster.WaitForStateAsync("marker-after-cordon", "ready");
        Assert.Equal("ready", (await Cluster.StateOfAsync("cordoned")).State);
    }

    [Fact]
    public async Task SeveralMatchingRulesAreAllReported()
    {
        Cluster.Nodes.Add("doubly-doomed", n =>
        {
            FakeNode.AddTaint(n, "karpenter.sh/disrupted");
            FakeNode.SetDeletionTimestamp(n, true);
        });
        await Cluster.WaitForStateAsync("doubly-doomed", "shutting-down");
        Assert.Equal(["deletion-timestamp", "taint:karpenter.sh/disrupted"], (await Cluster.StateOfAsync("doubly-doomed")).Reasons);
        await Cluster.Server.WaitForOutputAsync("Node doubly-doomed became shutting-down because deletion-timestamp, taint:karpenter.sh/disrupted");
    }

    /// <summary>
    /// A Node deleted while its pods still run (kubectl delete node): the pod garbage collector deletes them after it, and each
    /// crik asks at its SIGTERM. Before, the node was unknown by then, and crik let the app end without a checkpoint.
    /// </summary>
    [Fact]
    public async Task DeletedNodeIsShuttingDownWhileItsPodsEnd()
    {
        Cluster.Nodes.Add("short-lived");
        await Cluster.WaitForStateAsync("short-lived", "ready");

        Cluster.Nodes.Delete("short-lived");
        await Cluster.WaitForStateAsync("short-lived", "shutting-down");
        Assert.Equal(["node-deleted"], (await Cluster.StateOfAsync("short-lived")).Reasons);
        await Cluster.Server.WaitForOutputAsync("Node short-lived was deleted; it is answered shutting-down (node-deleted) for 10 minutes");

        Cluster.Nodes.Add("short-lived");
        await Cluster.WaitForStateAsync("short-lived", "ready");
    }

    [Fact]
    public async Task NodeTheApiNeverHadIsUnknown()
    {
        Assert.Equal("unknown", (await Cluster.StateOfAsync("never-existed")).State);
    }
}
