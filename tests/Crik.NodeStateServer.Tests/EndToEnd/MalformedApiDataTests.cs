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
