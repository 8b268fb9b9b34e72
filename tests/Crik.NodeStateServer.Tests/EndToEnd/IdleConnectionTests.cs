using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Crik.NodeStateServer.Http;
using Crik.NodeStateServer.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Crik.NodeStateServer.Tests.EndToEnd;

/// <summary>Connections that send no request cannot lock the server: they are closed after the idle limit, and make room at the cap.</summary>
public sealed class IdleConnectionTests(ITestOutputHelper output)
{
    private const int IdleConnections = 5000;
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ANodeIsAnsweredWithinTwoSecondsWhileFiveThousandIdleConnectionsAreOpen()
    {
        AssertDescriptorsSuffice(IdleConnections + 500);
        await using var cluster = await TestCluster.StartReadyAsync(beforeServer: api => api.Cluster.Add("flooded"));
        var port = cluster.Server.Port;

        var idle = new List<Socket>(IdleConnections);
        try
        {
            var opening = Stopwatch.StartNew();
            await OpenIdleConnectionsAsync(port, IdleConnections, idle);
            output.WriteLine($"opened {idle.Count} idle connections in {opening.ElapsedMilliseconds} ms");

            // Without this the test could pass because the idle limit had already emptied the server.
            var heldByServer = idle.Count(socket => !socket.Poll(0, SelectMode.SelectRead));
            output.WriteLine($"the server holds {heldByServer} of them");
            Assert.True(heldByServer >= ServerLimits.DefaultMaxConnections * 9 / 10,
                $"only {heldByServer} idle connections were still open: the cap was not full when the request was made");

            var slowest = TimeSpan.Zero;
            for (var i = 0; i < 5; i++)
            {
                var took = await AssertNodeAnsweredAsync(port, "flooded");
                output.WriteLine($"GET {i + 1} answered in {took.TotalMilliseconds:0} ms");
                slowest = took > slowest ? took : slowest;
            }
            Assert.True(slowest < AnswerLimit, $"the slowest answer took {slowest.TotalMilliseconds:0} ms");

            var peak = cluster.Server.PeakResidentBytes();
            output.WriteLine($"server's peak resident memory {peak / (1024 * 1024)} MiB");
            Assert.True(peak < ChartMemoryLimit.Bytes(), $"the server used {peak} bytes, past the chart's memory limit");
        }
        finally
        {
            foreach (var socket in idle)
                socket.Dispose();
        }
    }

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

    private static async Task OpenIdleConnectionsAsync(int port, int count, List<Socket> into)
    {
        // In batches well inside Kestrel's listen backlog (512), so no SYN is dropped and retried a second later.
        const int Batch = 200;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (var opened = 0; opened < count; opened += Batch)
        {
            var batch = Enumerable.Range(0, Math.Min(Batch, count - opened))
                .Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                .ToList();
            into.AddRange(batch);
            await Task.WhenAll(batch.Select(socket => socket.ConnectAsync(IPAddress.Loopback, port, timeout.Token).AsTask()));
        }
    }

    /// <summary>Asks for a node on a new connection, as crik does, and returns how long the answer took.</summary>
    private static async Task<TimeSpan> AssertNodeAnsweredAsync(int port, string node)
    {
        using var http = new HttpClient { Timeout = AnswerLimit };
        var asking = Stopwatch.StartNew();
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/v1/nodes/{node}"));
        var body = await response.Content.ReadAsStringAsync();
        var took = asking.Elapsed;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(node, json.RootElement.GetProperty("name").GetString());
        Assert.Equal("ready", json.RootElement.GetProperty("state").GetString());
        return took;
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

    private static void AssertDescriptorsSuffice(int needed)
    {
        // The .NET runtime raises its soft RLIMIT_NOFILE to the hard limit at start; the server inherits it.
        var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.True(soft == "unlimited" || long.Parse(soft, System.Globalization.CultureInfo.InvariantCulture) >= needed,
            $"this test needs {needed} file descriptors; the limit is {soft} (raise the hard limit: ulimit -Hn)");
    }
}
