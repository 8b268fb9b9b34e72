using Microsoft.Win32.SafeHandles;

namespace Crik.Cli.Streaming;

/// <summary>
/// The image pipes a dump's capture holds, and its connection to CRIU. Once the capture has failed, every one is
/// closed and none is taken any more: CRIU's next write to a pipe and its next image request then fail with EPIPE (it
/// ignores SIGPIPE), and CRIU takes its own error path, which takes its parasite out of the app before letting it go.
/// A pipe crik is blocked reading closes once that read returns, which CRIU's next write to it makes it do.
/// </summary>
internal sealed class OpenImagePipes
{
    private readonly HashSet<SafeFileHandle> _pipes = [];
    private StreamerConnection? _connection;
    private bool _closed;

    /// <summary>The connection CRIU asks for images on; shut at once when everything is already closed.</summary>
    public void Watch(StreamerConnection connection)
    {
        lock (_pipes)
        {
            _connection = connection;
            if (_closed)
            {
                connection.Shut();
            }
        }
    }

    /// <summary>Holds <paramref name="pipe"/> until <see cref="Release"/>; false (and the pipe closed) once everything is closed.</summary>
    public bool Hold(SafeFileHandle pipe)
    {
        lock (_pipes)
        {
            if (_closed)
            {
                pipe.Dispose();
                return false;
            }
            _pipes.Add(pipe);
            return true;
        }
    }

    /// <summary>Forgets a pipe whose image is done (its reader closes it).</summary>
    public void Release(SafeFileHandle pipe)
    {
        lock (_pipes)
        {
            _pipes.Remove(pipe);
        }
    }

    /// <summary>Closes every pipe held and the connection, and takes no pipe from now on.</summary>
    public void CloseAll()
    {
        lock (_pipes)
        {
            _closed = true;
            foreach (SafeFileHandle pipe in _pipes)
            {
                pipe.Dispose();
            }
            _pipes.Clear();
            _connection?.Shut();
        }
    }
}
