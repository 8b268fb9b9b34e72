using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Control;

/// <summary>
/// Listens on the control socket and hands each well-formed request to the supervisor, in order.
/// The socket's directory is made private (0700) and the socket 0600, so only crik's own user (root
/// in the container) may ask. When it cannot listen (a read-only /run), crik runs on without it; an
/// exception nobody expected switches it off (<see cref="SwitchOff"/>), and crik runs on without it too.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    /// <summary>The name of its work in the guard's and the fault seam's words.</summary>
    public const string ThreadName = "crik control socket";

    private readonly Channel<ControlRequest> _requests = Channel.CreateUnbounded<ControlRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly UnixListener _listener;
    private readonly ILogger _log;
    private int _accepting;
    private int _switchedOff;
    private int _requestWaiting;
    private volatile string? _refusal;

    private ControlServer(UnixListener listener, ILogger log)
    {
        _listener = listener;
        _log = log;
    }

    public ChannelReader<ControlRequest> Requests => _requests.Reader;

    private volatile bool _checkpointRunning;

    /// <summary>True while the supervisor takes a checkpoint: another request is refused at once, not queued.</summary>
    public bool CheckpointRunning { get => _checkpointRunning; set => _checkpointRunning = value; }

    /// <summary>
    /// Starts answering. Called once the app runs: until then a request waits in the socket's backlog,
    /// and the threads that accept it do not delay the app's start.
    /// </summary>
    public void StartAccepting()
    {
        if (Interlocked.Exchange(ref _accepting, 1) == 0)
        {
            _ = Task.Run(() => Guard.RunAsync(ThreadName, AcceptForeverAsync, SwitchOff));
        }
    }

    /// <summary>Listens on <paramref name="path"/> (see <see cref="StartAccepting"/>), or returns null (and why, logged) when it cannot.</summary>
    public static ControlServer? TryStart(string path, ILogger log)
    {
        if (ControlSocket.Problem(path) is { } problem)
        {
            log.Warning("No control socket: {Problem}; crik checkpoint will not reach this crik", problem);
            return null;
        }
        try
        {
            string directory = System.IO.Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (FileStatus.TryRead(path) is { Kind: FileKind.Socket })
            {
                if (SomeoneListens(path))
                {
                    log.Warning("Another crik listens at {Path}: crik checkpoint will reach that one, not this one", path);
                    return null;
                }
                File.Delete(path); // left by an earlier crik in this container
            }
            return new ControlServer(UnixListener.Listen(path, backlog: 4, UnixFileMode.UserRead | UnixFileMode.UserWrite), log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SocketException)
        {
            log.Warning("No control socket at {Path} ({Error}): crik checkpoint will not reach this crik", path, e.Message);
            return null;
        }
    }

    private static bool SomeoneListens(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// Called once the supervisor reads no more requests (the app's life under this crik is over): the one that waits for it
    /// and every later one are answered with <paramref name="why"/> at once, instead of waiting for crik's exit to close them.
    /// </summary>
    public void RefuseFromNowOn(string why)
    {
        _refusal = why;
        _requests.Writer.TryComplete();
        while (_requests.Reader.TryRead(out ControlRequest? waiting))
        {
            waiting.Refused(why);
        }
    }

    public void Dispose()
    {
        if (_listener.Close() is { } leftBecause)
        {
            _log.Debug("Could not remove {Path}: {Error}", _listener.Path, leftBecause);
        }
    }

    /// <summary>
    /// What an exception nobody expected does: crik stops listening (a <c>crik checkpoint</c> is refused at
    /// once instead of waiting for an answer that never comes) and says so once. The supervisor's loop never
    /// depends on a request coming.
    /// </summary>
    private void SwitchOff(string name, Exception e)
    {
        if (Interlocked.Exchange(ref _switchedOff, 1) == 0)
        {
            Dispose();
            _log.Warning("crik's control socket is switched off: crik stopped listening at {Path}, so crik checkpoint can no longer ask this pod "
                + "for a checkpoint; a SIGTERM still checkpoints when checkpoints are configured, and the app goes on. Why: {Thread} failed unexpectedly: {Error}",
                _listener.Path, name, e.ToString());
        }
    }

    private async Task AcceptForeverAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => Guard.RunAsync(ThreadName, () => ServeAsync(client), SwitchOff));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        {
            ControlRequest? request = null;
            try
            {
                string? line = await ReadLineAsync(client).ConfigureAwait(false);
                FaultSeam.Hit(ThreadName);
                string answer;
                if (line is not (ControlSocket.Checkpoint or ControlSocket.CheckpointAndExit))
                {
                    answer = $"error unknown request \"{line}\": this crik understands \"{ControlSocket.Checkpoint}\" and \"{ControlSocket.CheckpointAndExit}\"";
                }
                else if (CheckpointRunning || Interlocked.CompareExchange(ref _requestWaiting, 1, 0) != 0)
                {
                    // Another request is queued or its checkpoint under way: one at a time, however close together they came.
                    answer = "error a checkpoint is already in progress; try again when it is committed";
                }
                else
                {
                    request = new ControlRequest(exitAfter: line == ControlSocket.CheckpointAndExit);
                    if (_requests.Writer.TryWrite(request))
                    {
                        _log.Debug("A crik checkpoint request waits for the supervisor");
                    }
                    else
                    {
                        request.Refused(_refusal!);
                    }
                    try
                    {
                        answer = await request.Answer.ConfigureAwait(false);
                    }
                    finally
                    {
                        Volatile.Write(ref _requestWaiting, 0);
                    }
                }
                await client.SendAsync(Encoding.UTF8.GetBytes(answer + "\n")).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                _log.Debug("A control connection failed: {Error}", e.Message);
            }
            finally
            {
                request?.MarkDelivered();
            }
        }
    }

    /// <summary>Reads one line of at most <see cref="ControlSocket.MaxLine"/> bytes; null when the peer sends none.</summary>
    internal static async Task<string?> ReadLineAsync(Socket socket)
    {
        var buffer = new byte[ControlSocket.MaxLine];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(length)).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            length += read;
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, length);
            if (newline >= 0)
            {
                return Encoding.UTF8.GetString(buffer, 0, newline);
            }
        }
        return length == 0 ? null : Encoding.UTF8.GetString(buffer, 0, length);
    }
}
