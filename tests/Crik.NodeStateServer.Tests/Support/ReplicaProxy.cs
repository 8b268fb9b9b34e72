using System.Net;
using System.Net.Sockets;

namespace Crik.NodeStateServer.Tests.Support;

/// <summary>
/// A Service in front of node-state-server replicas, as kube-proxy is one: each new connection goes to the replica chosen
/// when it opens (<see cref="SendNewConnectionsTo"/>), and stays there for its life. Switching sends only new connections
/// elsewhere, as removing a terminating pod from the Service's endpoints does.
/// </summary>
internal sealed class ReplicaProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile int _targetPort;

    public ReplicaProxy(int firstPort)
    {
        _targetPort = firstPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public void SendNewConnectionsTo(int port) => _targetPort = port;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = PipeAsync(client, _targetPort);
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
                await Task.WhenAny(fromClient.CopyToAsync(fromReplica, _stop.Token), fromReplica.CopyToAsync(fromClient, _stop.Token));
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // A side went away: closing both is all there is to do.
            }
        }
    }
}
