using System.Net.Sockets;

namespace Crik.Cli.Streaming;

/// <summary>
/// The listening socket CRIU connects to in --stream mode: streamer-capture.sock (dump) or
/// streamer-serve.sock (restore) in its images directory. One CRIU, one connection.
/// </summary>
internal sealed class StreamerSocket : IDisposable
{
    public const string CaptureName = "streamer-capture.sock";
    public const string ServeName = "streamer-serve.sock";

    private readonly Socket _listener;
    private readonly string _path;

    private StreamerSocket(Socket listener, string path)
    {
        _listener = listener;
        _path = path;
    }

    /// <summary>Listens at <paramref name="imagesDir"/>/<paramref name="name"/> (a directory only crik's user can enter).</summary>
    public static StreamerSocket Listen(string imagesDir, string name)
    {
        string path = Path.Combine(imagesDir, name);
        File.Delete(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        return new StreamerSocket(listener, path);
    }

    /// <summary>Waits for CRIU; null when <paramref name="criuEnded"/> fires first (CRIU ended without connecting).</summary>
    public async Task<StreamerConnection?> AcceptAsync(CancellationToken criuEnded)
    {
        try
        {
            return new StreamerConnection(await _listener.AcceptAsync(criuEnded).ConfigureAwait(false));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Stops listening (CRIU has exited) and removes the socket file.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover socket file is harmless: it is never a regular file, so no manifest lists it.
        }
    }
}
