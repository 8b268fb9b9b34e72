using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>The --config rules file changes which signals count, in YAML or JSON.</summary>
public sealed class RulesFileTests
{
    [Fact]
    public async Task CordonCountsOnlyWhenUnschedulableIsEnabledInTheRulesFile()
    {
        await using var cluster = await TestCluster.StartReadyAsync("unschedulable: true\n", api =>
        {
            api.Cluster.Add("cordoned", n => FakeNode.SetUnschedulable(n, true));
            api.Cluster.Add("schedulable");
        });

        Assert.Equal(["unschedulable"], (await cluster.StateOfAsync("cordoned")).Reasons);
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("cordoned")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("schedulable")).State);

        cluster.Nodes.Modify("cordoned", n => FakeNode.SetUnschedulable(n, false));
        await cluster.WaitForStateAsync("cordoned", "ready");
        cluster.Nodes.Modify("schedulable", n => FakeNode.SetUnschedulable(n, true));
        await cluster.WaitForStateAsync("schedulable", "shutting-down");
    }

    [Fact]
    public async Task JsonRulesFileReplacesTheTaintListAndCanDisableDeletionTimestamp()
    {
        const string rules = """{"shutdownTaints": ["example.com/going-away"], "deletionTimestamp": false}""";
        await using var cluster = await TestCluster.StartReadyAsync(rules, api =>
        {
            api.Cluster.Add("custom-taint", n => FakeNode.AddTaint(n, "example.com/going-away"));
            api.Cluster.Add("default-taint", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
            api.Cluster.Add("deleting", n => FakeNode.SetDeletionTimestamp(n, true));
            api.Cluster.Add("graceful", n => FakeNode.SetReady(n, "False", "KubeletNotReady", "node is shutting down"));
        });

        Assert.Equal(["taint:example.com/going-away"], (await cluster.StateOfAsync("custom-taint")).Reasons);
        Assert.Equal("ready", (await cluster.StateOfAsync("default-taint")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("deleting")).State);
        // Keys left out keep their defaults.
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("graceful")).State);
    }
}
