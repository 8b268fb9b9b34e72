using System.Net.Sockets;
using Crik.Cli.Interop;

namespace Crik.Cli.Streaming;

/// <summary>
/// One CRIU run on crik's image streamer socket: listen before criu starts, take its one
/// connection, handle its requests until it hangs up, and give the outcome once criu has exited.
/// Capturing a dump and serving a restore differ only in what they do with the connection.
/// </summary>
internal abstract class StreamerSession<TOutcome> : IDisposable
{
    private readonly UnixListener _socket;
    private readonly CancellationTokenSource _criuEnded = new();
    private readonly CancellationTokenSource _failed = new();
    private Task<TOutcome>? _work;
    private string? _failure;

    /// <summary>Listens at <paramref name="imagesDir"/>/<paramref name="socketName"/>, before criu starts.</summary>
    protected StreamerSession(string imagesDir, string socketName) => _socket = StreamerSocket.Listen(imagesDir, socketName);

    /// <summary>
    /// Fires at the first failure, before the pipe concerned is closed. A restore's caller kills criu
    /// with it, so the restore never completes from what it was given so far; a dump's capture closes
    /// its pipes on it so that criu fails on its own (its caller kills criu only if it does not).
    /// </summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>The first failure, or null.</summary>
    protected string? Failure => Volatile.Read(ref _failure);

    /// <summary>Called once criu has exited (its connection and pipes close with it): the outcome.</summary>
    public async Task<TOutcome> FinishAsync()
    {
        await _criuEnded.CancelAsync().ConfigureAwait(false);
        return await _work!.ConfigureAwait(false);
    }

    /// <summary>
    /// Called once criu has exited. The socket file goes too; one left behind is harmless: it is
    /// never a regular file, so no manifest lists it.
    /// </summary>
    public virtual void Dispose()
    {
        _criuEnded.Cancel();
        _socket.Dispose();
        _criuEnded.Dispose();
        _failed.Dispose();
    }

    /// <summary>Records the first failure and fires <see cref="Failed"/>; whether this one was the first.</summary>
    protected bool Fail(string why)
    {
        bool first = Interlocked.CompareExchange(ref _failure, why, null) is null;
        try
        {
            _failed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run has already been given up on.
        }
        return first;
    }

    /// <summary>Starts waiting for criu; derived constructors call it last, once their own fields are set.</summary>
    protected void Begin() => _work = Task.Run(RunAsync);

    /// <summary>The outcome when criu ended without ever connecting.</summary>
    protected abstract TOutcome NeverConnected(string why);

    /// <summary>Handles criu's requests (blocking reads, on a thread of their own) until it hangs up.</summary>
    protected abstract Task<TOutcome> HandleAsync(StreamerConnection connection);

    private async Task<TOutcome> RunAsync()
    {
        using StreamerConnection? connection = await AcceptCriuAsync().ConfigureAwait(false);
        return connection is null ? NeverConnected("criu never connected to crik's image streamer") : await HandleAsync(connection).ConfigureAwait(false);
    }

    /// <summary>Waits for CRIU; null when it ends first (without connecting).</summary>
    private async Task<StreamerConnection?> AcceptCriuAsync()
    {
        try
        {
            return new StreamerConnection(await _socket.AcceptAsync(_criuEnded.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return null;
        }
    }
}
