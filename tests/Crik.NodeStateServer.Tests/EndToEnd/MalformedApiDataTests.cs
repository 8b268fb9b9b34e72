using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Whatever the API sends, the server keeps running: bad list items are skipped, a bad watch means a new list.</summary>
public sealed class MalformedApiDataTests
{
    [Fact]
    public async Task NullAndNonNodeListItemsAreSkippedAndCounted()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api =>
        {
            api.Cluster.Add("listed-fine");
            api.Cluster.Add("listed-doomed", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
            api.NullListItems = true;
        });
        Assert.Equal("ready", (await cluster.StateOfAsync("listed-fine")).State);
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("listed-doomed")).State);
        Assert.Contains("node_state_server_bad_items_total{source=\"list\"} 2\n", await cluster.MetricsAsync(), StringComparison.Ordinal);
        await cluster.Server.WaitForOutputAsync("Skipped an item of the node list that is not a readable node");
    }

    /// <summary>
    /// A node whose item in a new list cannot be read is still in the list: it keeps its last verdict, and is not answered
    /// node-deleted (shutting-down), which would have had every crik on it checkpoint at an ordinary rollout.
    /// </summary>
    [Fact]
    public async Task ANodeUnreadableInANewListKeepsItsLastVerdict()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api =>
        {
            api.Cluster.Add("steady");
            api.Cluster.Add("other");
        });
        await cluster.WaitForOpenWatchAsync();

        cluster.Api.UnreadableInLists = "steady";
        cluster.Nodes.SendRawLine("null");
        await cluster.Server.WaitForOutputAsync("Node steady is in the new list but its item could not be read");
        await Poll.UntilAsync(
            () => cluster.Server.Output.Split("Listed 1 nodes").Length == 2, "the second list to be done", diagnostics: () => cluster.Server.Output);
        Assert.Equal("ready", (await cluster.StateOfAsync("steady")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("other")).State);

        cluster.Api.UnreadableInLists = null;
        cluster.Nodes.Modify("steady", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await cluster.WaitForStateAsync("steady", "shutting-down");
        Assert.Equal(["taint:karpenter.sh/disrupted"], (await cluster.StateOfAsync("steady")).Reasons);
    }

    /// <summary>A list whose body claims gzip and is not is a failed list, tried again; it does not end the server.</summary>
    [Fact]
    public async Task AListBodyThatIsNotTheGzipItClaimsIsTriedAgain()
    {
        await using var cluster = await TestCluster.StartAsync(beforeServer: api =>
        {
            api.Cluster.Add("behind-a-proxy");
            api.CorruptGzipLists = true;
        });
        await Poll.UntilAsync(() => cluster.Api.ListRequests >= 2, "a second list after the corrupt one", diagnostics: () => cluster.Server.Output);
        Assert.False(cluster.Server.HasExited, cluster.Server.Output);

        cluster.Api.CorruptGzipLists = false;
        await cluster.Server.WaitUntilReadyAsync();
        Assert.Equal("ready", (await cluster.StateOfAsync("behind-a-proxy")).State);
    }

    [Theory]
    [InlineData("""{"type":"MODIFIED"}""")]
    [InlineData("""{"type":"ADDED","object":null}""")]
    [InlineData("""{"type":"MODIFIED","object":{"metadata":{"name":7}}}""")]
    [InlineData("""{"type":"MODIFIED","object":{"kind":"Node","metadata":{}}}""")]
    [InlineData("null")]
    [InlineData("this is not json")]
    public async Task BadWatchLineIsCountedAndFollowedByANewList(string line)
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("watched"));
        await cluster.WaitForOpenWatchAsync();

        cluster.Nodes.SendRawLine(line);
        await Poll.UntilAsync(() => cluster.Api.ListRequests == 2, "a new list after the bad line", diagnostics: () => cluster.Server.Output);
        await cluster.Server.WaitForOutputAsync("Watch abandoned:");
        Assert.Contains("node_state_server_bad_items_total{source=\"watch\"} 1\n", await cluster.MetricsAsync(), StringComparison.Ordinal);

        cluster.Nodes.Modify("watched", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await cluster.WaitForStateAsync("watched", "shutting-down");
        Assert.False(cluster.Server.HasExited);
    }

    [Fact]
    public async Task WatchLineWithoutEndIsCutOffAndFollowedByANewList()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("endless"));
        await cluster.WaitForOpenWatchAsync();

        cluster.Api.SendEndlessLineOnNextWatch();
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.ListRequests == 2, "a new list after the endless line", diagnostics: () => cluster.Server.Output);
        await cluster.Server.WaitForOutputAsync("grew past 4 MiB without ending");
        Assert.True(cluster.Api.EndlessBytesSent >= 4L << 20, $"only {cluster.Api.EndlessBytesSent} bytes sent");
        cluster.Nodes.Modify("endless", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await cluster.WaitForStateAsync("endless", "shutting-down");
    }
}
