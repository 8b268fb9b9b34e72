using System.Diagnostics;
using System.Net;
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
        await Poll.UntilAsync(async () => await HeldAsync() == 0, "the server to let the question go", diagnostics: () => Cluster.Server.Output);
        Assert.Equal("ready", (await Cluster.StateOfAsync("held-abandoned")).State);
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
