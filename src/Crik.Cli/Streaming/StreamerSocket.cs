using System.Net.Sockets;
using Crik.Cli.Interop;

namespace Crik.Cli.Streaming;

/// <summary>
/// The listening socket CRIU connects to in --stream mode: streamer-capture.sock (dump) or
/// streamer-serve.sock (restore) in its images directory. One CRIU, one connection.
/// </summary>
internal sealed class StreamerSocket : IDisposable
{
    public const string CaptureName = "streamer-capture.sock";
    public const string ServeName = "streamer-serve.sock";

    private readonly UnixListener _listener;

    private StreamerSocket(UnixListener listener) => _listener = listener;

    /// <summary>Listens at <paramref name="imagesDir"/>/<paramref name="name"/> (a directory only crik's user can enter).</summary>
    public static StreamerSocket Listen(string imagesDir, string name)
    {
        string path = Path.Combine(imagesDir, name);
        File.Delete(path);
        return new StreamerSocket(UnixListener.Listen(path, backlog: 1));
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

    /// <summary>
    /// Stops listening (CRIU has exited) and removes the socket file. One left behind is harmless: it
    /// is never a regular file, so no manifest lists it.
    /// </summary>
    public void Dispose() => _listener.Dispose();
}
