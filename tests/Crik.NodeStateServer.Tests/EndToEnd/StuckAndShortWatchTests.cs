using System.Net;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Watches that say nothing: a stuck stream is replaced by a new list, a watch that ends at once backs off.</summary>
public sealed class StuckAndShortWatchTests
{
    [Fact]
    public async Task SilentWatchMakesTheServerUnreadyAndListAgain()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api =>
        {
            api.Cluster.Add("quiet");
            api.Cluster.Add("doomed", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        });
        await cluster.WaitForOpenWatchAsync();

        // Headers sent, then nothing: no events, no bookmarks; the next list waits too.
        cluster.Api.BlockLists();
        cluster.Api.SilentWatches = true;
        cluster.Nodes.Modify("quiet", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/readyz") == 503, "/readyz 503 for a silent watch",
            diagnostics: () => cluster.Server.Output);
        await cluster.Server.WaitForOutputAsync("Watch abandoned: no event or bookmark for 2 s");
        // Out of sync, "quiet is ready" would come from a copy that misses its taint: 503, which crik asks again (another
        // replica may be in sync). A node the copy has going away is still answered so.
        using (HttpResponseMessage quiet = await cluster.Server.Http.GetAsync(new Uri("/v1/nodes/quiet", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, quiet.StatusCode);
            Assert.Contains("not in sync with the Kubernetes API", await quiet.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.True(quiet.Headers.ConnectionClose == true, "the 503 keeps its connection: the next attempt would reach this replica again");
        }
        (HttpStatusCode doomed, string state) = await cluster.Server.GetAsync("/v1/nodes/doomed");
        Assert.Equal(HttpStatusCode.OK, doomed);
        Assert.Contains("shutting-down", state, StringComparison.Ordinal);

        cluster.Api.SilentWatches = false;
        cluster.Api.ReleaseLists();
        await cluster.WaitForStateAsync("quiet", "shutting-down");
        await cluster.Server.WaitUntilReadyAsync();
        Assert.True(cluster.Api.ListRequests >= 2, $"{cluster.Api.ListRequests} lists");
    }

    /// <summary>
    /// A watch request the API (or a proxy before it) takes and never answers, not even with headers: it is given up after the
    /// silence limit, as a silent stream is. Before, nothing bounded the wait for the headers, and the server answered from
    /// what it knew when the watch hung, for good.
    /// </summary>
    [Fact]
    public async Task AWatchWhoseHeadersNeverComeIsGivenUpAndTheNodesListedAgain()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("unheard"));
        await cluster.WaitForOpenWatchAsync();

        cluster.Api.HoldWatchHeaders = true;
        cluster.Nodes.DropWatches();
        cluster.Nodes.Modify("unheard", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await cluster.Server.WaitForOutputAsync("Watch abandoned: no answer to the watch for 2 s");

        cluster.Api.HoldWatchHeaders = false;
        await cluster.WaitForStateAsync("unheard", "shutting-down");
        await cluster.Server.WaitUntilReadyAsync();
    }

    /// <summary>
    /// A watch that expires every time it starts has the nodes listed again at growing intervals. Before, each list that worked
    /// reset the backoff, so the server listed every node of the cluster every 100-200 ms for as long as the watch failed.
    /// </summary>
    [Fact]
    public async Task AWatchThatExpiresEachTimeBacksOffTheListsToo()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("steady"));
        await cluster.WaitForOpenWatchAsync();

        cluster.Api.ExpireEveryWatch = true;
        var before = cluster.Api.ListArrivals.Count;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.ListArrivals.Count >= before + 6, "six lists, each after an expired watch",
            diagnostics: () => cluster.Server.Output);
        cluster.Api.ExpireEveryWatch = false;

        // The delay before the sixth list follows five failures in a row: at the cap the tests set (1 s), so at least half of it
        // (before, at most 200 ms).
        var lists = cluster.Api.ListArrivals.Skip(before).Take(6).ToArray();
        Assert.True(lists[5] - lists[4] >= TimeSpan.FromMilliseconds(500), $"lists at {string.Join(", ", lists)}");

        cluster.Nodes.Modify("steady", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await cluster.WaitForStateAsync("steady", "shutting-down");
        await cluster.Server.WaitUntilReadyAsync();
    }

    [Fact]
    public async Task WatchThatClosesAtOnceIsRetriedWithBackoff()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("flappy"));
        await cluster.WaitForOpenWatchAsync();

        cluster.Api.CloseWatchesAtOnce = true;
        var before = cluster.Api.WatchArrivals.Count;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.WatchArrivals.Count >= before + 5, "five watches that close at once",
            diagnostics: () => cluster.Server.Output);
        cluster.Api.CloseWatchesAtOnce = false;

        // The backoff starts at 200 ms with jitter down to half: never two watches within 50 ms (without it, 5 ms apart).
        var arrivals = cluster.Api.WatchArrivals.Skip(before).Take(5).ToArray();
        for (var i = 1; i < arrivals.Length; i++)
            Assert.True(arrivals[i] - arrivals[i - 1] >= TimeSpan.FromMilliseconds(50), $"watches {arrivals[i - 1]} and {arrivals[i]} came too close");
        await cluster.Server.WaitForOutputAsync("with no events; resuming from resourceVersion");

        cluster.Nodes.Modify("flappy", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await cluster.WaitForStateAsync("flappy", "shutting-down");
        await cluster.Server.WaitUntilReadyAsync();
    }
}
