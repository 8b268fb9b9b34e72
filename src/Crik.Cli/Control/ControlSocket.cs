namespace Crik.Cli.Control;

/// <summary>Where <c>crik run</c> listens for <c>crik checkpoint</c>: a unix socket only crik's own user may open.</summary>
internal static class ControlSocket
{
    public const string DefaultPath = "/run/crik/control.sock";
    public const string PathVariable = "CRIK_CONTROL_SOCKET";

    /// <summary>$CRIK_CONTROL_SOCKET, else /run/crik/control.sock.</summary>
    public static string Path => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path ? path : DefaultPath;

    /// <summary>The longest path a unix socket's address holds (sun_path's 108 bytes, less the NUL that ends it).</summary>
    private const int MaxPathBytes = 107;

    /// <summary>Why <paramref name="path"/> cannot be the socket's (relative, a directory's, too long); null when it can.</summary>
    public static string? Problem(string path) =>
        !path.StartsWith('/') ? $"{PathVariable} must be an absolute path, got \"{path}\""
        : path.EndsWith('/') ? $"{PathVariable} must name a file, not a directory, got \"{path}\""
        : System.Text.Encoding.UTF8.GetByteCount(path) > MaxPathBytes ? $"{PathVariable} is longer than a unix socket's {MaxPathBytes} bytes, got \"{path}\""
        : null;

    /// <summary>The one request line: "checkpoint", or "checkpoint --exit".</summary>
    public const string Checkpoint = "checkpoint", CheckpointAndExit = "checkpoint --exit";

    /// <summary>The longest line either side sends.</summary>
    public const int MaxLine = 4096;
}
