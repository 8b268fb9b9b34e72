namespace Crik.NodeStateServer.Cli;

/// <summary>A problem with the flags or a file they name; reported as one stderr line and exit code 2.</summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
