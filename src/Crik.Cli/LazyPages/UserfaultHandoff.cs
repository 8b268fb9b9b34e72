using System.Buffers.Binary;
using System.Net.Sockets;
using Crik.Cli.Criu;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// The restore side of CRIU's lazy-pages protocol (criu/uffd.c), with crik in the lazy-pages daemon's
/// place. <c>criu restore --lazy-pages</c> connects once, before it forks the app, to
/// <c>lazy-pages.socket</c> in its work directory; crik listens there first. For each process it then
/// sends the PID (an int) and, in a one-byte message of its own, the process's userfaultfd; a zombie
/// comes as a negative PID with no descriptor. When every process is restored it sends "RSTF"
/// (0x52535446) and never waits for an answer. A process's descriptor is handed on at once: the
/// restore may touch lazy memory before it has sent the next one.
/// </summary>
internal sealed class UserfaultHandoff : IDisposable
{
    public const string SocketName = "lazy-pages.socket";
    public const string HandoffThread = "crik userfaultfd handoff";
    private const uint RestoreFinished = 0x52535446;

    private readonly UnixListener _listener;
    private readonly IUserfaultReceiver _receiver;
    private readonly TaskCompletionSource<string?> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UserfaultHandoff(UnixListener listener, IUserfaultReceiver receiver)
    {
        _listener = listener;
        _receiver = receiver;
        _ = Guard.RunAsync(HandoffThread, ReceiveAsync, FailedUnexpectedly);
    }

    /// <summary>Ends when CRIU says every process is restored (null), or why it never will (the restore failed).</summary>
    public Task<string?> Finished => _finished.Task;

    /// <summary>
    /// Listens in <paramref name="work"/>; each process's PID in the images and userfaultfd go to <paramref name="receiver"/>,
    /// on a thread of crik's. A handoff that ends before every process was handed over tells it why at once
    /// (<see cref="IUserfaultReceiver.HandoffFailed"/>), on that thread, before the connection is closed.
    /// </summary>
    public static UserfaultHandoff Listen(CriuWorkDir work, IUserfaultReceiver receiver)
    {
        string path = Path.Combine(work.Path, SocketName);
        File.Delete(path);
        return new UserfaultHandoff(UnixListener.Listen(path, backlog: 1), receiver);
    }

    public void Dispose()
    {
        _listener.Dispose();
        End("crik stopped waiting for the restore");
    }

    /// <summary>The handoff is over: null when every process was handed over, else why not, and whether crik's own code failed.</summary>
    private void End(string? why, bool criksOwn = false)
    {
        if (why is not null && !_finished.Task.IsCompleted)
        {
            _receiver.HandoffFailed(why, criksOwn);
        }
        _finished.TrySetResult(why);
    }

    private async Task ReceiveAsync()
    {
        Socket connection;
        try
        {
            connection = await _listener.AcceptAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            End("the restore never connected");
            return;
        }
        _listener.Close();
        BackgroundThread.StartSoon(() =>
        {
            using (connection)
            {
                Guard.Run(HandoffThread, () => End(ReceiveAll(connection)), FailedUnexpectedly);
            }
        }, HandoffThread, FailedUnexpectedly);
    }

    /// <summary>An exception nobody expected: the handoff is over, and why says so with the stack (the fill fails on it).</summary>
    private void FailedUnexpectedly(string thread, Exception e) => End($"{thread} failed unexpectedly: {e}", criksOwn: true);

    /// <summary>Takes each process's userfaultfd until CRIU says it is done (null); why not, when the connection ends first.</summary>
    private string? ReceiveAll(Socket connection)
    {
        nint handle = connection.Handle; // in blocking mode from here: recvmsg below waits
        Span<byte> word = stackalloc byte[4];
        try
        {
            while (true)
            {
                if (!ReceiveExactly(connection, word))
                {
                    return "the restore closed its lazy-pages connection before every process was restored";
                }
                int pid = BinaryPrimitives.ReadInt32LittleEndian(word);
                if ((uint)pid == RestoreFinished)
                {
                    return null;
                }
                if (pid > 0)
                {
                    FaultSeam.Hit(HandoffThread);
                    _receiver.Received(pid, DescriptorMessages.Receive(handle, "the restore's lazy-pages connection"));
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return $"the restore's lazy-pages connection failed: {e.Message}";
        }
    }

    private static bool ReceiveExactly(Socket connection, Span<byte> buffer)
    {
        for (int total = 0; total < buffer.Length;)
        {
            int read = connection.Receive(buffer[total..]);
            if (read == 0)
            {
                return false;
            }
            total += read;
        }
        return true;
    }
}
