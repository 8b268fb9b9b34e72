using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>
/// A Service in front of node-state-server replicas, as kube-proxy is one: each new connection goes to the replica chosen
/// when it opens (<see cref="SendNewConnectionsTo"/>), and stays there for its life. Switching sends only new connections
/// elsewhere, as removing a terminating pod from the Service's endpoints does. What each replica sent first on each connection
/// (its first response's status line) is kept, so a test can tell an answer from a connection cut.
/// </summary>
internal sealed class ReplicaProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentBag<Task> _pipes = [];
    private readonly ConcurrentQueue<(int Port, string Line)> _statusLines = new();
    private volatile int _targetPort;

    public ReplicaProxy(int firstPort)
    {
        _targetPort = firstPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public void SendNewConnectionsTo(int port) => _targetPort = port;

    /// <summary>The first line the replica at <paramref name="port"/> sent on each connection that it answered, in order.</summary>
    public List<string> StatusLinesFrom(int port) => _statusLines.Where(s => s.Port == port).Select(s => s.Line).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_pipes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client = await _listener.AcceptSocketAsync(_stop.Token);
            _pipes.Add(PipeAsync(client, _targetPort));
        }
    }

    /// <summary>Copies both ways until either side closes, then closes both.</summary>
    private async Task PipeAsync(Socket client, int port)
    {
        using (client)
        using (var replica = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await replica.ConnectAsync(IPAddress.Loopback, port, _stop.Token);
                await using var fromClient = new NetworkStream(client);
                await using var fromReplica = new NetworkStream(replica);
                await Task.WhenAny(fromClient.CopyToAsync(fromReplica, _stop.Token), CopyAnswersAsync(fromReplica, fromClient, port));
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // A side went away: closing both is all there is to do.
            }
        }
    }

    /// <summary>Copies the replica's bytes to crik, keeping the first line it sent.</summary>
    private async Task CopyAnswersAsync(NetworkStream fromReplica, NetworkStream toClient, int port)
    {
        var buffer = new byte[16 * 1024];
        var firstLine = new StringBuilder();
        bool lineKept = false;
        for (int read; (read = await fromReplica.ReadAsync(buffer, _stop.Token)) > 0;)
        {
            if (!lineKept)
            {
                firstLine.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (firstLine.ToString().IndexOf("\r\n", StringComparison.Ordinal) is var end and >= 0)
                {
                    _statusLines.Enqueue((port, firstLine.ToString(0, end)));
                    lineKept = true;
                }
            }
            await toClient.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }
}
