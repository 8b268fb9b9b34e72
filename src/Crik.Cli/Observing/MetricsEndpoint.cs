using System.Net;
using System.Net.Sockets;
using System.Text;
using Crik.Cli.Guarding;
using Crik.Cli.Processes;
using Crik.Shared.Prometheus;
using Serilog;

namespace Crik.Cli.Observing;

/// <summary>
/// Serves GET /metrics over plain HTTP/1.1, one request per connection. crik is PID 1 and carries no web server:
/// a scrape is a few hundred bytes each way, read and written with bounded sizes and times, so a slow or
/// hostile client costs one task for at most <see cref="RequestTime"/>. An exception nobody expected, in the
/// accept loop or in an answer, switches /metrics off (<see cref="SwitchOff"/>); the app and its checkpoints go on.
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    private static readonly TimeSpan RequestTime = TimeSpan.FromSeconds(5);
    private const int MaxRequestHead = 8192;

    /// <summary>More connections at once than Prometheus and a curl need are closed at once: crik shares the app's memory limit.</summary>
    private const int MaxConnections = 4;

    /// <summary>The name of its work in the guard's and the fault seam's words.</summary>
    public const string ThreadName = "crik metrics";

    private readonly SemaphoreSlim _connections = new(MaxConnections);

    private readonly TcpListener _listener;
    private readonly CrikMetrics _metrics;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IAcceptSeam? _beforeEachAccept;
    private int _switchedOff;

    private MetricsEndpoint(TcpListener listener, CrikMetrics metrics, ILogger log, IAcceptSeam? beforeEachAccept)
    {
        _listener = listener;
        _metrics = metrics;
        _log = log;
        _beforeEachAccept = beforeEachAccept;
    }

    public IPEndPoint Address => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>The accept loop, ended once it stops or switches off.</summary>
    public Task Accepting { get; private set; } = Task.CompletedTask;

    /// <summary>It listens: not stopped, nor switched off by a failure nobody expected.</summary>
    public bool Serving => Volatile.Read(ref _switchedOff) == 0 && !_stopping.IsCancellationRequested;

    /// <summary>Listens on <paramref name="address"/>, or returns null (and why, logged once) when it cannot: crik runs on without metrics.</summary>
    /// <param name="taken">What to say when the port is taken, if something other than choosing a free port.</param>
    /// <param name="beforeEachAccept">The tests' seam: a stop that comes between the loop's look at it and its accept.</param>
    public static MetricsEndpoint? TryStart(IPEndPoint address, CrikMetrics metrics, ILogger log, string? taken = null, IAcceptSeam? beforeEachAccept = null)
    {
        var listener = new TcpListener(address);
        try
        {
            listener.Start(backlog: 16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            log.Warning("Cannot serve metrics at {Address} ({Error}); {Why}", address.ToString(), e.Message,
                taken ?? "crik runs on without them: choose a free port for metricsAddress");
            return null;
        }
        var endpoint = new MetricsEndpoint(listener, metrics, log, beforeEachAccept);
        endpoint.Accepting = Task.Run(() => Guard.RunAsync(ThreadName, endpoint.AcceptForeverAsync, endpoint.SwitchOff));
        log.Information("Serving Prometheus metrics at http://{Address}/metrics", endpoint.Address);
        return endpoint;
    }

    public void Dispose()
    {
        // Cancelled, not disposed: answers in flight still read its token.
        _stopping.Cancel();
        _listener.Dispose();
    }

    /// <summary>
    /// What an exception nobody expected does: stops listening, so that a scrape is refused at once instead of
    /// waiting, and says so once. crik has no other use for the port, and the app never depends on it.
    /// </summary>
    private void SwitchOff(string name, Exception e)
    {
        if (Interlocked.Exchange(ref _switchedOff, 1) == 0)
        {
            string address = Address.ToString();
            Dispose();
            _log.Warning("crik's metrics are switched off: /metrics at {Address} no longer answers until crik starts again; the app goes on, "
                + "and so do its checkpoints. Why: {Thread} failed unexpectedly: {Error}", address, name, e.ToString());
        }
    }

    private async Task AcceptForeverAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                if (_beforeEachAccept is { } seam)
                {
                    await seam.BeforeAcceptAsync().ConfigureAwait(false);
                }
                client = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                // Stopped at any point of this loop: a listener stopped before the accept began throws InvalidOperationException.
                return;
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                await Task.Delay(100).ConfigureAwait(false); // out of descriptors, say: try again soon, never spin
                continue;
            }
            if (!_connections.Wait(0))
            {
                client.Dispose();
                continue;
            }
            _ = Guard.RunAsync(ThreadName, () => AnswerAsync(client), SwitchOff);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using (client)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
        {
            timeout.CancelAfter(RequestTime);
            try
            {
                FaultSeam.Hit(ThreadName);
                string? target = await ReadRequestTargetAsync(client, timeout.Token).ConfigureAwait(false);
                byte[] answer = target switch
                {
                    null => Response("400 Bad Request", "text/plain; charset=utf-8", "bad request\n"),
                    "/metrics" => Response("200 OK", PrometheusText.ContentType, _metrics.Render()),
                    _ => Response("404 Not Found", "text/plain; charset=utf-8", "crik serves only /metrics\n"),
                };
                await client.SendAsync(answer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // A client that hung up or took too long: nothing to answer.
            }
            finally
            {
                _connections.Release();
            }
        }
    }

    /// <summary>The path of a GET request, once its head is in; null for anything else.</summary>
    private static async Task<string?> ReadRequestTargetAsync(Socket client, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxRequestHead];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }
            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                string requestLine = Encoding.ASCII.GetString(buffer, 0, buffer.AsSpan(0, length).IndexOf("\r\n"u8));
                string[] parts = requestLine.Split(' ');
                if (parts.Length != 3 || parts[0] != "GET" || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
                {
                    return null;
                }
                int query = parts[1].IndexOf('?', StringComparison.Ordinal);
                return query < 0 ? parts[1] : parts[1][..query];
            }
        }
        return null;
    }

    private static byte[] Response(string status, string contentType, string body)
    {
        byte[] content = Encoding.UTF8.GetBytes(body);
        string head = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. content];
    }
}

/// <summary>The tests' seam in <see cref="MetricsEndpoint"/>'s accept loop: what happens between its look at whether it was stopped and its accept.</summary>
internal interface IAcceptSeam
{
    Task BeforeAcceptAsync();
}
