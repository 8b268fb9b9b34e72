using System.Net;
using System.Net.Sockets;
using Crik.NodeStateServer.Tests.Support;
using Crik.TestSupport;
using Xunit;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>The server's connection limits: the cap makes room for new connections; oversized headers are rejected.</summary>
public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task AtTheCapANewConnectionIsAnsweredAndOneIdleConnectionIsClosedForIt()
    {
        await using var cluster = await TestCluster.StartReadyAsync(extraArgs: ["--max-connections", "3"]);
        await cluster.Server.WaitForOutputAsync("at most 3 connections, 1 of them holding an answer");

        var idle = new List<Socket>();
        try
        {
            // The server's own client may hold one more; it has been idle longest, so the third of these closes it.
            for (var i = 0; i < 3; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, cluster.Server.Port);
            }
            Assert.Equal(200, await FreshStatusAsync(cluster.Server.Port));
            await Poll.UntilAsync(() => idle.Any(ClosedByServer), "an idle connection to be closed", diagnostics: () => cluster.Server.Output);
            Assert.Equal(1, idle.Count(ClosedByServer));
        }
        finally
        {
            foreach (var socket in idle)
                socket.Dispose();
        }
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

    private static bool ClosedByServer(Socket socket) => socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;

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
