using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Readiness before the first list, 401 handling, pagination and log format against the real binary.</summary>
public sealed class StartupAndAuthTests
{
    /// <summary>
    /// Before its first list the server knows no node, and says so with a 503 crik retries and then follows onNodeStateError: an
    /// "unknown" then was taken as "not going away" by crik, whose SIGTERM took no checkpoint on a node already being drained.
    /// </summary>
    [Fact]
    public async Task ReadinessAndAnswersWaitForTheFirstFullList()
    {
        await using var cluster = await TestCluster.StartAsync(beforeServer: api =>
        {
            api.Cluster.Add("early", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
            api.BlockLists();
        });
        await Poll.UntilAsync(async () => await cluster.Server.StatusOfAsync("/healthz") == 200, "/healthz", diagnostics: () => cluster.Server.Output);

        var (status, body) = await cluster.Server.GetAsync("/readyz");
        Assert.Equal(503, (int)status);
        Assert.Contains("first list", body, StringComparison.Ordinal);
        (status, body) = await cluster.Server.GetAsync("/v1/nodes/early");
        Assert.Equal(503, (int)status);
        Assert.Contains("\"error\":\"the node-state server has not listed the cluster", body, StringComparison.Ordinal);
        Assert.DoesNotContain("unknown", body, StringComparison.Ordinal);

        cluster.Api.ReleaseLists();
        await cluster.Server.WaitUntilReadyAsync();
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("early")).State);
    }

    [Fact]
    public async Task StartLineNamesTheClusterTheCredentialsThePortAndTheRules()
    {
        await using var cluster = await TestCluster.StartReadyAsync(rulesYaml: "unschedulable: true\n");
        await cluster.Server.WaitForOutputAsync($"Serving node states on 127.0.0.1:{cluster.Server.Port}; watching nodes at {cluster.Api.Url.AbsoluteUri} as bearer token from kubeconfig ");
        await cluster.Server.WaitForOutputAsync("(context fake); rules from /");
        Assert.DoesNotContain(FakeKubeApi.Token, cluster.Server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnauthorizedIsLoggedClearlyAndRetriedUntilAccessReturns()
    {
        await using var cluster = await TestCluster.StartAsync(beforeServer: api =>
        {
            api.Cluster.Add("after-auth", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
            api.Unauthorized = true;
        });
        await Poll.UntilAsync(() => cluster.Api.UnauthorizedAnswers >= 3, "three refused attempts", diagnostics: () => cluster.Server.Output);

        Assert.Equal(503, await cluster.Server.StatusOfAsync("/readyz"));
        await cluster.Server.WaitForOutputAsync($"401 for GET {cluster.Api.Url.AbsoluteUri}api/v1/nodes?limit=500");
        await cluster.Server.WaitForOutputAsync("RBAC");
        Assert.DoesNotContain("   at ", cluster.Server.Output, StringComparison.Ordinal);

        cluster.Api.Unauthorized = false;
        await cluster.Server.WaitUntilReadyAsync();
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("after-auth")).State);
    }

    [Fact]
    public async Task AccessRevokedDuringWatchIsRetriedAndRecovers()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("steady"));
        await cluster.WaitForOpenWatchAsync();
        cluster.Api.Unauthorized = true;
        cluster.Nodes.DropWatches();
        await Poll.UntilAsync(() => cluster.Api.UnauthorizedAnswers >= 2, "refused watch retries", diagnostics: () => cluster.Server.Output);
        Assert.Equal(503, await cluster.Server.StatusOfAsync("/readyz"));

        cluster.Nodes.Modify("steady", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        cluster.Api.Unauthorized = false;
        await cluster.WaitForStateAsync("steady", "shutting-down");
        await cluster.Server.WaitUntilReadyAsync();
    }

    [Fact]
    public async Task ManyNodesArriveThroughPaginatedListsAndAreAllKnown()
    {
        const int count = 1234;
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api =>
        {
            for (var i = 0; i < count; i++)
                api.Cluster.Add($"node-{i:D4}", i % 100 == 0 ? n => FakeNode.AddTaint(n, "karpenter.sh/disrupted")
                    : i % 100 == 1 ? n => FakeNode.AddTaint(n, "DeletionCandidateOfClusterAutoscaler") : null);
        });

        Assert.Equal(3, cluster.Api.ListRequests);
        await cluster.Server.WaitForOutputAsync($"Listed {count} nodes");
        var metrics = await cluster.MetricsAsync();
        Assert.Contains("node_state_server_nodes{state=\"ready\"} 1208\n", metrics, StringComparison.Ordinal);
        Assert.Contains("node_state_server_nodes{state=\"at-risk\"} 13\n", metrics, StringComparison.Ordinal);
        Assert.Contains("node_state_server_nodes{state=\"shutting-down\"} 13\n", metrics, StringComparison.Ordinal);
        Assert.Equal("at-risk", (await cluster.StateOfAsync("node-0001")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("node-0002")).State);
        Assert.Equal("shutting-down", (await cluster.StateOfAsync("node-1200")).State);
        Assert.Equal("ready", (await cluster.StateOfAsync("node-1233")).State);
    }

    [Fact]
    public async Task JsonLogFormatWritesOneJsonObjectPerLine()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("json-logged"), extraArgs: ["--log-format", "json"]);
        await Poll.UntilAsync(() => cluster.Server.Output.Contains("Listed 1 nodes", StringComparison.Ordinal), "the list log line");

        var lines = cluster.Server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            using var json = System.Text.Json.JsonDocument.Parse(line);
            Assert.True(json.RootElement.TryGetProperty("Message", out _), line);
        }
    }
}
