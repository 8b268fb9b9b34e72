using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Crik.NodeStateServer.Http;
using Crik.NodeStateServer.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Connections that send no request cannot lock the server: they are closed after the idle limit.</summary>
public sealed class IdleConnectionTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> SilencesAfter() => new()
    {
        { "nothing sent", "" },
        { "half a request's headers", "GET /healthz HTTP/1.1\r\nHost: a\r\n" },
        { "a whole request, answered", "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n" },
    };

    [Theory]
    [MemberData(nameof(SilencesAfter))]
    public async Task AConnectionWithNoRequestInProgressIsClosedAfterTheIdleLimit(string what, string sent)
    {
        await using var cluster = await TestCluster.StartReadyAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, cluster.Server.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(sent));
        var silent = Stopwatch.StartNew();

        var closed = await WaitForCloseAsync(socket, ServerLimits.IdleLimit + TimeSpan.FromSeconds(10));
        output.WriteLine($"{what}: closed after {silent.ElapsedMilliseconds} ms");
        Assert.True(closed, $"{what}: the connection was still open after {silent.ElapsedMilliseconds} ms");
        // Kestrel checks its timeouts once a second and adds that second to each, so up to 2 s late; 3 s more for a busy machine.
        Assert.InRange(silent.Elapsed, ServerLimits.IdleLimit - TimeSpan.FromMilliseconds(500), ServerLimits.IdleLimit + TimeSpan.FromSeconds(5));
    }

    /// <summary>Reads until the server closes the connection (true) or the time is up (false).</summary>
    private static async Task<bool> WaitForCloseAsync(Socket socket, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
