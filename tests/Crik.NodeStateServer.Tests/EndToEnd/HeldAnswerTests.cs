using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>
/// A question with <c>waitMs</c>: the server holds an answer that the node is fine for up to that long, and answers as soon
/// as the node turns. kubelet's graceful node shutdown sends the pods' SIGTERM while it writes the node's Ready condition,
/// so crik's question can come before the server hears of the shutdown.
/// </summary>
public sealed class HeldAnswerTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    private TestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task ANodeThatTurnsWhileTheAnswerIsHeldIsAnsweredShuttingDownAtOnce()
    {
        Cluster.Nodes.Add("held-turns");
        await Cluster.WaitForStateAsync("held-turns", "ready");

        var clock = Stopwatch.StartNew();
        var question = Cluster.Server.GetAsync("/v1/nodes/held-turns?waitMs=10000");
        await Poll.UntilAsync(async () => await HeldAsync() >= 1, "the server to hold the question", diagnostics: () => Cluster.Server.Output);
        Cluster.Nodes.Modify("held-turns", n => FakeNode.SetReady(n, "False", "KubeletNotReady", "node is shutting down"));
        var (status, body) = await question;

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("shutting-down", State(body));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), $"answered after {clock.Elapsed}, not when the node turned");
    }

    [Fact]
    public async Task ANodeThatStaysReadyIsAnsweredReadyWhenTheHoldEnds()
    {
        Cluster.Nodes.Add("held-stays");
        await Cluster.WaitForStateAsync("held-stays", "ready");

        var clock = Stopwatch.StartNew();
        var (status, body) = await Cluster.Server.GetAsync("/v1/nodes/held-stays?waitMs=1500");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", State(body));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1400), $"answered after {clock.Elapsed}, before the hold ended");
    }

    [Fact]
    public async Task ANodeAlreadyGoingAwayIsAnsweredWithoutAHold()
    {
        Cluster.Nodes.Add("held-gone", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await Cluster.WaitForStateAsync("held-gone", "shutting-down");

        var clock = Stopwatch.StartNew();
        var (_, body) = await Cluster.Server.GetAsync("/v1/nodes/held-gone?waitMs=10000");

        Assert.Equal("shutting-down", State(body));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), $"answered after {clock.Elapsed}");
    }

    [Fact]
    public async Task AQuestionWhoseAskerGoesAwayIsNoLongerHeld()
    {
        Cluster.Nodes.Add("held-abandoned");
        await Cluster.WaitForStateAsync("held-abandoned", "ready");

        using (var asker = new CancellationTokenSource())
        {
            var question = Cluster.Server.Http.GetAsync("/v1/nodes/held-abandoned?waitMs=10000", asker.Token);
            await Poll.UntilAsync(async () => await HeldAsync() == 1, "the server to hold the question", diagnostics: () => Cluster.Server.Output);
            asker.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => question);
        }
        // Well within the 10 s hold: only the asker's going away ends it this soon.
        await Poll.UntilAsync(async () => await HeldAsync() == 0, "the server to let the question go", TimeSpan.FromSeconds(3), () => Cluster.Server.Output);
        await Poll.UntilAsync(async () => (await Cluster.MetricsAsync()).Contains("node_state_server_http_requests_total{code=\"499\"} 1\n", StringComparison.Ordinal),
            "the abandoned question to be counted under 499", TimeSpan.FromSeconds(3), () => Cluster.Server.Output);
        Assert.Equal("ready", (await Cluster.StateOfAsync("held-abandoned")).State);
    }

    /// <summary>
    /// The cap makes room only by closing idle connections, and a held question keeps its connection in a request for up to
    /// 10 s: so at most half of --max-connections are held, the rest are answered at once, and a new question gets in.
    /// </summary>
    [Fact]
    public async Task HeldQuestionsNeverTakeTheWholeConnectionCap()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("held-cap"), extraArgs: ["--max-connections", "4"]);
        await cluster.WaitForStateAsync("held-cap", "ready");

        var askers = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                askers.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, cluster.Server.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET /v1/nodes/held-cap?waitMs=10000 HTTP/1.1\r\nHost: test\r\n\r\n"));
            }
            await Poll.UntilAsync(() => askers.Count(s => s.Available > 0) == 2, "two questions past the held half to be answered at once",
                TimeSpan.FromSeconds(5), () => cluster.Server.Output);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var healthz = await http.GetAsync(new Uri(cluster.Server.Url, "/healthz"));
            Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
            Assert.Equal(2, askers.Count(s => s.Connected && !s.Poll(0, SelectMode.SelectRead)));
            Assert.Contains("\nnode_state_server_held_answers_refused_total 2\n", await cluster.MetricsAsync(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var socket in askers)
                socket.Dispose();
        }
    }

    /// <summary>With --max-connections 1 no answer can be held: the server says so when it starts, and answers a hold at once.</summary>
    [Fact]
    public async Task ACapOfOneConnectionHoldsNothingAndSaysSo()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("no-hold"), extraArgs: ["--max-connections", "1"]);
        await cluster.Server.WaitForOutputAsync("--max-connections 1 leaves no room to hold an answer");
        await cluster.WaitForStateAsync("no-hold", "ready");

        var (status, body) = await cluster.Server.GetAsync("/v1/nodes/no-hold?waitMs=10000");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", State(body));
        Assert.Contains("\nnode_state_server_held_answers_refused_total 1\n", await cluster.MetricsAsync(), StringComparison.Ordinal);
    }

    /// <summary>
    /// A server that stops answers each held question at once, not cut off by the host's 5 s shutdown, and with a 503: its
    /// web server stops before its watch, so a "ready" could miss its own node's shutdown, and crik asks again elsewhere.
    /// </summary>
    [Fact]
    public async Task AStoppingServerAnswersWhatItHolds()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("held-stop"));
        await cluster.WaitForStateAsync("held-stop", "ready");
        var heldMetric = "\nnode_state_server_held_answers 1\n";

        var question = cluster.Server.GetAsync("/v1/nodes/held-stop?waitMs=10000");
        await Poll.UntilAsync(async () => (await cluster.MetricsAsync()).Contains(heldMetric, StringComparison.Ordinal),
            "the server to hold the question", diagnostics: () => cluster.Server.Output);
        cluster.Server.Signal(Native.SIGTERM);
        var (status, body) = await question;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("the node-state server is stopping while it held this answer", body, StringComparison.Ordinal);
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await cluster.Server.WaitForExitAsync(exited.Token);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("10001")]
    [InlineData("1s")]
    [InlineData("1&waitMs=2")]
    public async Task AWaitThatIsNotAShortWholeNumberOfMillisecondsIsRejected(string wait)
    {
        var (status, body) = await Cluster.Server.GetAsync("/v1/nodes/any-node?waitMs=" + wait);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("invalid waitMs: must be a whole number of milliseconds from 0 to 10000", json.RootElement.GetProperty("error").GetString());
    }

    private async Task<long> HeldAsync()
    {
        var line = (await Cluster.MetricsAsync()).Split('\n').Single(l => l.StartsWith("node_state_server_held_answers ", StringComparison.Ordinal));
        return long.Parse(line["node_state_server_held_answers ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string State(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("state").GetString()!;
    }
}
