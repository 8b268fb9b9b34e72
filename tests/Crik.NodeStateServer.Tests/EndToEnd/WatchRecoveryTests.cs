using System.Text.RegularExpressions;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>410 Gone and dropped connections: the server recovers without losing or inventing node state.</summary>
public sealed class WatchRecoveryTests
{
    private static void ThreeNodes(FakeKubeApi api)
    {
        api.Cluster.Add("doomed", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        api.Cluster.Add("healthy");
        api.Cluster.Add("spare");
    }

    [Fact]
    public async Task ExpiredWatchTriggersRelistAndEveryNodeKeepsItsState()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes);
        await cluster.WaitForStateAsync("doomed", "shutting-down");
        Assert.Equal(1, cluster.Api.ListRequests);
        await cluster.WaitForOpenWatchAsync();

        cluster.Nodes.ExpireWatches();
        await Poll.UntilAsync(() => cluster.Api.ListRequests == 2, "a second list after 410", diagnostics: () => cluster.Server.Output);
        await Poll.UntilAsync(() => cluster.Nodes.OpenWatches == 1, "a new watch after the re-list");

        Assert.Equal("shutting-down", (await cluster.StateOfAsync("doomed")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("healthy")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("spare")).State);
        await cluster.Server.WaitForOutputAsync("Watch expired (410 Gone");
        Assert.Matches(@"(?m)^node_state_server_list_restarts_total 1$", await cluster.MetricsAsync());

        // The new watch works: a change after the re-list arrives.
        cluster.Nodes.Modify("healthy", n => FakeNode.AddTaint(n, "ToBeDeletedByClusterAutoscaler"));
        await cluster.WaitForStateAsync("healthy", "shutting-down");
    }

    /// <summary>
    /// After a 410 the changes since the watch's last event are unknown until the new list lands: the server is not ready,
    /// and a node it last saw well is not answered as ready (another replica may be in sync).
    /// </summary>
    [Fact]
    public async Task AnExpiredWatchIsNotInSyncUntilTheNewListLands()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes, extraArgs: ["--watch-silence-seconds", "60"]);
        await cluster.WaitForOpenWatchAsync();
        cluster.Api.BlockLists();
        cluster.Nodes.ExpireWatches();
        await cluster.Server.WaitForOutputAsync("Watch expired (410 Gone");

        // Well within the silence limit (60 s here), after which it would be not ready anyway.
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/readyz") == 503, "/readyz 503 while the new list is held",
            timeout: TimeSpan.FromSeconds(20), diagnostics: () => cluster.Server.Output);
        Assert.Null(await cluster.AnsweredStateOfAsync("healthy"));

        cluster.Api.ReleaseLists();
        await cluster.Server.WaitUntilReadyAsync();
        Assert.Equal("ready", (await cluster.StateOfAsync("healthy")).State);
    }

    /// <summary>
    /// Out of sync, a node the server has as going away is still answered so, but only for --going-away-kept-seconds after the
    /// API was last heard: the verdict may have been lifted since, and every SIGTERM on the node would checkpoint.
    /// </summary>
    [Fact]
    public async Task ANodeLastSeenGoingAwayIsAnsweredSoOnlyForAWhileOutOfSync()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes, extraArgs: ["--going-away-kept-seconds", "10"]);
        await cluster.WaitForOpenWatchAsync();
        cluster.Api.RefuseWatches = true;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/readyz") == 503, "/readyz 503 while watches are refused");
        Assert.Equal("shutting-down", (await cluster.AnsweredStateOfAsync("doomed"))?.State);
        Assert.Null(await cluster.AnsweredStateOfAsync("healthy"));

        await Poll.UntilAsync(async () => await cluster.AnsweredStateOfAsync("doomed") is null, "a 503 for doomed once its verdict is 10 s old",
            timeout: TimeSpan.FromSeconds(30), diagnostics: () => cluster.Server.Output);
    }

    [Fact]
    public async Task DroppedWatchResumesFromTheLastSeenVersionWithoutRelisting()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes, extraArgs: ["--log-level", "debug"]);
        cluster.Nodes.Modify("spare", n => FakeNode.AddTaint(n, "ToBeDeletedByClusterAutoscaler"));
        await cluster.WaitForStateAsync("spare", "shutting-down");
        var bookmark = cluster.Nodes.SendBookmark();
        await Poll.UntilAsync(() => cluster.Server.Output.Contains($"Watch event BOOKMARK for node  (resourceVersion {bookmark})", StringComparison.Ordinal),
            "the server to read the bookmark", diagnostics: () => cluster.Server.Output);

        cluster.Api.RefuseWatches = true;
        var watchesBefore = cluster.Api.WatchVersions.Count;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.WatchVersions.Count > watchesBefore, "a watch retry after the drop", diagnostics: () => cluster.Server.Output);
        Assert.Equal(bookmark, cluster.Api.WatchVersions.Last());

        // Changes while disconnected are replayed from history once the watch is accepted again.
        cluster.Nodes.Modify("doomed", FakeNode.RemoveTaints);
        cluster.Nodes.Add("newcomer", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        cluster.Api.RefuseWatches = false;

        await cluster.WaitForStateAsync("doomed", "ready");
        await cluster.WaitForStateAsync("newcomer", "shutting-down");
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("spare")).State);
        Assert.Equal(1, cluster.Api.ListRequests);
        await cluster.Server.WaitForOutputAsync("Watch connection lost");
        Assert.Matches(new Regex(@"(?m)^node_state_server_watch_restarts_total [1-9]\d*$"), await cluster.MetricsAsync());
    }

    [Fact]
    public async Task NodeDeletedWhileDisconnectedIsDeletedAfterTheRelist()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes);
        await cluster.WaitForOpenWatchAsync();
        cluster.Api.RefuseWatches = true;
        var watchesBefore = cluster.Api.WatchVersions.Count;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.WatchVersions.Count > watchesBefore, "a refused watch retry");

        // While disconnected: one node goes away and history is compacted, so the server cannot replay the deletion.
        cluster.Nodes.Delete("spare");
        cluster.Nodes.Compact();
        cluster.Api.RefuseWatches = false;

        await Poll.UntilAsync(async () => (await cluster.AnsweredStateOfAsync("spare"))?.Reasons.SequenceEqual(["node-deleted"]) == true, "spare to be answered as deleted",
            diagnostics: () => cluster.Server.Output);
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("spare")).State);
        Assert.Equal(2, cluster.Api.ListRequests);
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("doomed")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("healthy")).State);
        await cluster.Server.WaitUntilReadyAsync();
    }

    [Fact]
    public async Task HttpGoneOnWatchTriggersRelistToo()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes);
        await cluster.WaitForOpenWatchAsync();
        cluster.Api.GoneAsHttpStatus = true;
        cluster.Api.RefuseWatches = true;
        var watchesBefore = cluster.Api.WatchVersions.Count;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.WatchVersions.Count > watchesBefore, "a refused watch retry");

        cluster.Nodes.Modify("healthy", n => FakeNode.AddTaint(n, "node.kubernetes.io/out-of-service"));
        cluster.Nodes.Compact();
        cluster.Api.RefuseWatches = false;

        await cluster.WaitForStateAsync("healthy", "shutting-down");
        Assert.Equal(2, cluster.Api.ListRequests);
    }

    [Fact]
    public async Task ReadinessDropsWhileDisconnectedAndReturnsAfterReconnect()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: ThreeNodes, extraArgs: ["--log-level", "debug"]);
        await cluster.WaitForOpenWatchAsync();
        cluster.Api.RefuseWatches = true;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/readyz") == 503, "/readyz 503 while watches are refused");
        Assert.Equal(200, await cluster.Server.StatusOfAsync("/healthz"));
        // Lookups still answer from the last known snapshot.
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("doomed")).State);

        cluster.Api.RefuseWatches = false;
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/readyz") == 200, "ready", diagnostics: () => cluster.Server.Output + string.Join(",", cluster.Api.Trace));
    }
}
