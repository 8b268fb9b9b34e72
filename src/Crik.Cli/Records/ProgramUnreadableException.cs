namespace Crik.Cli.Records;

/// <summary>
/// This container's program cannot be found or read, so no checkpoint can be told to be of it or of another app:
/// every checkpoint stays, and nothing starts.
/// </summary>
internal sealed class ProgramUnreadableException(string message) : Exception(message);
