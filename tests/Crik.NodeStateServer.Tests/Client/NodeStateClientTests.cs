using Crik.Cli.NodeState;
using Crik.NodeStateServer.Tests.FakeApi;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Crik.NodeStateServer.Tests.Client;

/// <summary>crik's NodeStateClient against the real server, and against scripted failures.</summary>
public sealed class NodeStateClientTests(SharedCluster shared) : IClassFixture<SharedCluster>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http = new();
    private NodeStateClient Client => new(_http);
    private TestCluster Cluster => shared.Cluster;

    [Fact]
    public async Task ShuttingDownNodeIsReportedWithItsReasons()
    {
        Cluster.Nodes.Add("client-doomed", n => FakeNode.AddTaint(n, "karpenter.sh/disrupted"));
        await Cluster.WaitForStateAsync("client-doomed", "shutting-down");

        var answer = await Client.AskAsync(Cluster.Server.Url, "client-doomed", Timeout);
        Assert.Equal(NodeVerdict.ShuttingDown, answer.Verdict);
        Assert.Contains("taint:karpenter.sh/disrupted", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadyAndUnknownNodesAreReportedAsSuch()
    {
        Cluster.Nodes.Add("client-fine");
        await Cluster.WaitForStateAsync("client-fine", "ready");

        Assert.Equal(NodeVerdict.Ready, (await Client.AskAsync(Cluster.Server.Url, "client-fine", Timeout)).Verdict);
        Assert.Equal(NodeVerdict.Unknown, (await Client.AskAsync(Cluster.Server.Url, "client-nowhere", Timeout)).Verdict);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task MissingNodeNameIsAnErrorNamingTheVariable(string? nodeName)
    {
        var answer = await Client.AskAsync(Cluster.Server.Url, nodeName, Timeout);
        Assert.Equal(NodeVerdict.Error, answer.Verdict);
        Assert.Contains("KUBERNETES_NODE_NAME is not set", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidNodeNameIsAnErrorCarryingTheServersMessage()
    {
        var answer = await Client.AskAsync(Cluster.Server.Url, "Not_A_Node", Timeout);
        Assert.Equal(NodeVerdict.Error, answer.Verdict);
        Assert.Contains("400", answer.Detail, StringComparison.Ordinal);
        Assert.Contains("invalid node name", answer.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServerListeningIsAnErrorOnceTheTimeoutIsSpent()
    {
        var closedPort = new Uri($"http://127.0.0.1:{FreePort.Get()}");
        var answer = await Client.AskAsync(closedPort, "some-node", TimeSpan.FromSeconds(1));

        Assert.Equal(NodeVerdict.Error, answer.Verdict);
        Assert.Contains("no answer within 1s", answer.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', answer.Detail);
        // It kept retrying for the whole timeout rather than giving up after the first refusal.
        int attempts = int.Parse(System.Text.RegularExpressions.Regex.Match(answer.Detail, @"\((\d+) attempts\)").Groups[1].Value);
        Assert.True(attempts >= 2, answer.Detail);
    }

    [Fact]
    public async Task ServerErrorsAreRetriedUntilAnAnswerArrives()
    {
        await using var stub = await StubHttpServer.StartAsync((context, n) => n < 3
            ? Write(context, 503, "warming up")
            : Write(context, 200, """{"name":"n1","state":"shutting-down","reasons":["deletion-timestamp"]}"""));

        var answer = await Client.AskAsync(stub.Url, "n1", Timeout);
        Assert.Equal(NodeVerdict.ShuttingDown, answer.Verdict);
        Assert.Equal(3, stub.Requests);
    }

    /// <summary>
    /// A replica whose node vanished still has its Service endpoint, and a request there is never answered: the attempt is
    /// given up well before the timeout, and the next one (on a connection of its own) reaches a replica that answers.
    /// Before, the first attempt took the whole timeout, and a SIGTERM followed onNodeStateError.
    /// </summary>
    [Fact]
    public async Task AnAttemptNeverAnsweredIsGivenUpAndTheNextOneAnswers()
    {
        await using var stub = await StubHttpServer.StartAsync((context, n) => n == 1
            ? Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, context.RequestAborted)
            : Write(context, 200, """{"name":"n1","state":"shutting-down","reasons":["deletion-timestamp"]}"""));
        // The timeout leaves a loaded machine room for the second attempt: the first, never given up, would still take all of it.
        var answer = await Client.AskAsync(stub.Url, "n1", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        Assert.Equal(NodeVerdict.ShuttingDown, answer.Verdict);
        Assert.Equal(2, stub.Requests);
    }

    /// <summary>A proxy's error page in a charset .NET has no decoder for is an answer to retry, not an exception.</summary>
    [Fact]
    public async Task AnAnswerInACharsetDotNetCannotDecodeIsReadAsUtf8()
    {
        await using var stub = await StubHttpServer.StartAsync((context, n) =>
        {
            if (n > 1)
                return Write(context, 200, """{"name":"n1","state":"ready","reasons":[]}""");
            context.Response.ContentType = "text/html; charset=windows-1252";
            return Write(context, 503, "<html>upstream unavailable</html>");
        });
        var answer = await Client.AskAsync(stub.Url, "n1", Timeout);
        Assert.Equal(NodeVerdict.Ready, answer.Verdict);
        Assert.Equal(2, stub.Requests);
    }

    [Fact]
    public async Task PersistentServerErrorIsReportedAfterTheTimeout()
    {
        await using var stub = await StubHttpServer.StartAsync((context, _) => Write(context, 500, "boom"));
        var answer = await Client.AskAsync(stub.Url, "n1", TimeSpan.FromSeconds(1));
        Assert.Equal(NodeVerdict.Error, answer.Verdict);
        Assert.Contains("500", answer.Detail, StringComparison.Ordinal);
        Assert.True(stub.Requests >= 2, $"only {stub.Requests} requests");
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("""{"name":"n1","state":"exploding","reasons":[]}""")]
    [InlineData("null")]
    public async Task UnreadableAnswerIsAnErrorNotAnException(string body)
    {
        await using var stub = await StubHttpServer.StartAsync((context, _) => Write(context, 200, body));
        var answer = await Client.AskAsync(stub.Url, "n1", Timeout);
        Assert.Equal(NodeVerdict.Error, answer.Verdict);
        Assert.Equal(1, stub.Requests);
    }

    [Fact]
    public async Task ServerUrlWithPathPrefixIsKept()
    {
        string? path = null;
        await using var stub = await StubHttpServer.StartAsync((context, _) =>
        {
            path = context.Request.Path;
            return Write(context, 200, """{"name":"n1","state":"ready","reasons":[]}""");
        });
        var answer = await Client.AskAsync(new Uri(stub.Url, "/proxy/"), "n1", Timeout);
        Assert.Equal(NodeVerdict.Ready, answer.Verdict);
        Assert.Equal("/proxy/v1/nodes/n1", path);
    }

    /// <summary>
    /// The hold asked for is the wait, or half of what is left of the timeout where that is less (so the answer has time to
    /// come); none without a wait. A server URL's own query is kept.
    /// </summary>
    [Theory]
    [InlineData(1000, 5000, 1000)]
    [InlineData(4000, 5000, 2500)]
    [InlineData(0, 5000, 0)]
    public async Task TheHoldAskedForLeavesHalfTheTimeForTheAnswer(int waitMs, int timeoutMs, int expectedMs)
    {
        var asked = new List<(string Wait, string Token)>();
        await using var stub = await StubHttpServer.StartAsync((context, _) =>
        {
            lock (asked)
                asked.Add((context.Request.Query["waitMs"].ToString(), context.Request.Query["token"].ToString()));
            return Write(context, 200, """{"name":"n1","state":"ready","reasons":[]}""");
        });
        var server = new UriBuilder(stub.Url) { Query = "token=abc" }.Uri;
        var answer = await Client.AskAsync(server, "n1", TimeSpan.FromMilliseconds(timeoutMs), TimeSpan.FromMilliseconds(waitMs));

        var (wait, token) = Assert.Single(asked);
        Assert.Equal("abc", token);
        if (expectedMs == 0)
        {
            Assert.Equal("", wait);
            Assert.Equal(0, answer.HoldAskedMs);
        }
        else
        {
            Assert.InRange(int.Parse(wait, System.Globalization.CultureInfo.InvariantCulture), expectedMs - 100, expectedMs);
            Assert.Equal(wait, answer.HoldAskedMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task CallerCancellationIsHonoured()
    {
        await using var stub = await StubHttpServer.StartAsync((context, _) => Write(context, 503, "never"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.AskAsync(stub.Url, "n1", TimeSpan.FromSeconds(30), cancellationToken: cancel.Token));
    }

    private static Task Write(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsync(body);
    }

    public void Dispose() => _http.Dispose();
}
