using Crik.Cli.Interop;

namespace Crik.Cli.Streaming;

/// <summary>
/// The listening socket CRIU connects to in --stream mode: streamer-capture.sock (dump) or
/// streamer-serve.sock (restore) in its images directory. One CRIU, one connection.
/// </summary>
internal static class StreamerSocket
{
    public const string CaptureName = "streamer-capture.sock";
    public const string ServeName = "streamer-serve.sock";

    /// <summary>Listens at <paramref name="imagesDir"/>/<paramref name="name"/> (a directory only crik's user can enter).</summary>
    public static UnixListener Listen(string imagesDir, string name)
    {
        string path = Path.Combine(imagesDir, name);
        File.Delete(path);
        return UnixListener.Listen(path, backlog: 1);
    }
}
