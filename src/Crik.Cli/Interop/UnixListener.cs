using System.Net.Sockets;

namespace Crik.Cli.Interop;

/// <summary>A listening Unix stream socket at a path in the file system; the socket file goes when this is disposed.</summary>
internal sealed class UnixListener : IDisposable
{
    private readonly Socket _socket;

    private UnixListener(Socket socket, string path)
    {
        _socket = socket;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Binds at <paramref name="path"/> (which must not exist) and listens.</summary>
    /// <param name="mode">The socket file's mode, set before it listens; null keeps the one the umask gives.</param>
    public static UnixListener Listen(string path, int backlog, UnixFileMode? mode = null)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (mode is { } fileMode)
            {
                File.SetUnixFileMode(path, fileMode);
            }
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new UnixListener(socket, path);
    }

    public ValueTask<Socket> AcceptAsync(CancellationToken cancellation = default) => _socket.AcceptAsync(cancellation);

    /// <summary>Stops listening and removes the socket file; returns why the file is left, or null when it is gone.</summary>
    public string? Close()
    {
        _socket.Dispose();
        try
        {
            File.Delete(Path);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }

    /// <summary>Stops listening and removes the socket file if it can.</summary>
    public void Dispose() => Close();
}
