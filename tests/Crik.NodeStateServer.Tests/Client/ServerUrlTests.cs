using Crik.Cli.NodeState;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Crik.NodeStateServer.Tests.Client;

/// <summary>nodeStateServerURL as a user may write it: with a path, a query string, or user:password credentials.</summary>
public sealed class ServerUrlTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly HttpClient _http = new();

    private static UriBuilder WithCredentials(Uri url, string user, string password) => new(url) { UserName = user, Password = password };

    [Fact]
    public async Task QueryStringIsKeptAfterTheNodePath()
    {
        string? path = null, query = null;
        await using var stub = await StubHttpServer.StartAsync((context, _) =>
        {
            (path, query) = (context.Request.Path, context.Request.QueryString.Value);
            return Ready(context);
        });
        var answer = await new NodeStateClient(_http).AskAsync(new Uri(stub.Url, "/base?x=1&y=two"), "n1", Timeout);
        Assert.Equal(NodeVerdict.Ready, answer.Verdict);
        Assert.Equal("/base/v1/nodes/n1", path);
        Assert.Equal("?x=1&y=two", query);
    }

    [Fact]
    public async Task UserinfoIsSentAsBasicAuthAndNotInTheRequestLine()
    {
        string? authorization = null;
        await using var stub = await StubHttpServer.StartAsync((context, _) =>
        {
            authorization = context.Request.Headers.Authorization;
            return Ready(context);
        });
        var url = WithCredentials(stub.Url, "crik", "s3cr%t:x").Uri;
        var answer = await new NodeStateClient(_http).AskAsync(url, "n1", Timeout);
        Assert.Equal(NodeVerdict.Ready, answer.Verdict);
        Assert.Equal("Basic " + Convert.ToBase64String("crik:s3cr%t:x"u8.ToArray()), authorization);
    }

    [Fact]
    public async Task CredentialsNeverAppearInErrorMessages()
    {
        await using var failing = await StubHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 404;
            return context.Response.WriteAsync("no such thing");
        });
        await using var erroring = await StubHttpServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = 503;
            return context.Response.WriteAsync("busy");
        });
        var closed = new Uri($"http://127.0.0.1:{FreePort.Get()}/");

        foreach (var server in new[] { failing.Url, erroring.Url, closed })
        {
            var url = WithCredentials(server, "alice", "hunter2").Uri;
            var answer = await new NodeStateClient(_http).AskAsync(url, "n1", TimeSpan.FromSeconds(1));
            Assert.Equal(NodeVerdict.Error, answer.Verdict);
            Assert.DoesNotContain("hunter2", answer.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain("alice", answer.Detail, StringComparison.Ordinal);
            Assert.Contains($"127.0.0.1:{server.Port}", answer.Detail, StringComparison.Ordinal);
        }
    }

    private static Task Ready(HttpContext context) => context.Response.WriteAsync("""{"name":"n1","state":"ready","reasons":[]}""");

    public void Dispose() => _http.Dispose();
}
