using System.Net;
using System.Text.Json;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>The server's HTTP surface over real HTTP: answers, validation, probes, metrics.</summary>
public sealed class HttpApiTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private TestCluster Cluster => shared.Cluster;

    public static TheoryData<string> InvalidNames() =>
    [
        "Upper-Case",
        "-leading-dash",
        "trailing-dash-",
        "under_score",
        "double..dot",
        ".leading-dot",
        new string('a', 254),
    ];

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task InvalidNodeNameIsRejectedWith400AndAJsonMessage(string name)
    {
        var (status, body) = await Cluster.Server.GetAsync("/v1/nodes/" + Uri.EscapeDataString(name));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var json = JsonDocument.Parse(body);
        Assert.Contains("invalid node name", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongestValidNameIsAccepted()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 4))[..253];
        var (status, _) = await Cluster.Server.GetAsync("/v1/nodes/" + name);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task AnswerCarriesNameStateAndReasonsAsJson()
    {
        Cluster.Nodes.Add("json-shape.example.com", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await Cluster.WaitForStateAsync("json-shape.example.com", "shutting-down");

        using var response = await Cluster.Server.Http.GetAsync("/v1/nodes/json-shape.example.com");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"name":"json-shape.example.com","state":"shutting-down","reasons":["taint:karpenter.sh/disrupted"]}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task GoClientPathNodesAnswersTheSameAsV1()
    {
        Cluster.Nodes.Add("legacy-path", n => FakeNode.AddTaint(n, "ToBeDeletedByClusterAutoscaler"));
        await Cluster.WaitForStateAsync("legacy-path", "shutting-down");

        var v1 = await Cluster.Server.GetAsync("/v1/nodes/legacy-path");
        var legacy = await Cluster.Server.GetAsync("/nodes/legacy-path");
        Assert.Equal(HttpStatusCode.OK, legacy.Status);
        Assert.Equal(v1.Body, legacy.Body);
        Assert.Equal(HttpStatusCode.BadRequest, (await Cluster.Server.GetAsync("/nodes/Bad_Name")).Status);
    }

    [Fact]
    public async Task HealthzAnswersOk()
    {
        var (status, body) = await Cluster.Server.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", body.Trim());
    }

    [Fact]
    public async Task MetricsExposeNodeCountsAnswersRestartCountersAndRequestsByCode()
    {
        Cluster.Nodes.Add("metrics-doomed", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await Cluster.WaitForStateAsync("metrics-doomed", "shutting-down");
        await Cluster.Server.GetAsync("/v1/nodes/NOT_VALID");
        await Cluster.Server.GetAsync("/v1/nodes/metrics-never-seen");

        var (status, text) = await Cluster.Server.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Matches(@"(?m)^node_state_server_nodes\{state=""ready""\} \d+$", text);
        Assert.Matches(@"(?m)^node_state_server_nodes\{state=""shutting-down""\} [1-9]\d*$", text);
        Assert.Matches(@"(?m)^node_state_server_answers_total\{verdict=""shutting-down""\} [1-9]\d*$", text);
        Assert.Matches(@"(?m)^node_state_server_answers_total\{verdict=""unknown""\} [1-9]\d*$", text);
        Assert.Matches(@"(?m)^node_state_server_answers_total\{verdict=""at-risk""\} \d+$", text);
        Assert.Contains("# TYPE node_state_server_answers_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^node_state_server_list_restarts_total \d+$", text);
        Assert.Matches(@"(?m)^node_state_server_watch_restarts_total \d+$", text);
        Assert.Matches(@"(?m)^node_state_server_http_requests_total\{code=""200""\} [1-9]\d*$", text);
        Assert.Matches(@"(?m)^node_state_server_http_requests_total\{code=""400""\} [1-9]\d*$", text);
        Assert.Contains("# TYPE node_state_server_nodes gauge", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE node_state_server_http_requests_total counter", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BurstOfConcurrentLookupsIsAnsweredCompletely()
    {
        Cluster.Nodes.Add("burst-target", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await Cluster.WaitForStateAsync("burst-target", "shutting-down");

        var answers = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => Cluster.Server.GetAsync("/v1/nodes/burst-target")));
        Assert.All(answers, a =>
        {
            Assert.Equal(HttpStatusCode.OK, a.Status);
            Assert.Contains("\"shutting-down\"", a.Body, StringComparison.Ordinal);
        });
    }
}
