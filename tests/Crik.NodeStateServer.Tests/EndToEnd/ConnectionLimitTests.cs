using System.Net;
using System.Net.Sockets;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Kestrel's limits: idle connections beyond --max-connections are closed at once instead of piling up.</summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task ConnectionsBeyondTheCapAreClosedUntilOthersGoAway()
    {
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("capped"), extraArgs: ["--max-connections", "3"]);
        await cluster.Server.WaitForOutputAsync("at most 3 connections");

        var idle = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, cluster.Server.Port);
                idle.Add(client);
            }
            // The server's own client may hold one more: either way this request is past the cap.
            Assert.Equal(0, await FreshStatusAsync(cluster.Server.Port));
        }
        finally
        {
            foreach (var client in idle)
                client.Dispose();
        }
        cluster.Server.Http.Dispose();
        await Poll.UntilAsync(async () => await FreshStatusAsync(cluster.Server.Port) == 200, "a request once the idle connections closed",
            diagnostics: () => cluster.Server.Output);
    }

    [Fact]
    public async Task RequestHeadersPast16KiBAreRejected()
    {
        await using var cluster = await TestCluster.StartReadyAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(cluster.Server.Url, "/healthz"));
        // 20 KiB: within Kestrel's default 32 KiB, past this server's 16 KiB.
        request.Headers.Add("X-Padding", new string('p', 20 * 1024));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    /// <summary>Status of GET /healthz on a new connection, or 0 when the server closes the connection.</summary>
    private static async Task<int> FreshStatusAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}
