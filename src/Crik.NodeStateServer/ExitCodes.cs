namespace Crik.NodeStateServer;

/// <summary>Every exit code node-state-server uses (documented in docs/node-state-server.md, "Exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>Stopped by SIGTERM or SIGINT, or --help.</summary>
    public const int Success = 0;

    /// <summary>The server could not run: the port cannot be bound, or the node watcher failed unexpectedly (a bug).</summary>
    public const int Failure = 1;

    /// <summary>Bad flags, rules file or Kubernetes configuration; nothing was started.</summary>
    public const int Usage = 2;
}
