namespace Crik.Cli.Control;

/// <summary>Where <c>crik run</c> listens for <c>crik checkpoint</c>: a unix socket only crik's own user may open.</summary>
internal static class ControlSocket
{
    public const string DefaultPath = "/run/crik/control.sock";
    public const string PathVariable = "CRIK_CONTROL_SOCKET";

    /// <summary>$CRIK_CONTROL_SOCKET, else /run/crik/control.sock.</summary>
    public static string Path => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path ? path : DefaultPath;

    /// <summary>The one request line: "checkpoint", or "checkpoint --exit".</summary>
    public const string Checkpoint = "checkpoint", CheckpointAndExit = "checkpoint --exit";

    /// <summary>The longest line either side sends.</summary>
    public const int MaxLine = 4096;
}
