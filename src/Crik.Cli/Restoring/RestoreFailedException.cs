
namespace Crik.Cli.Restoring;

/// <summary>A restore failed and onRestoreFailure is "fail": the app must not start in this pod.</summary>
internal sealed class RestoreFailedException(string message) : Exception(message);
