namespace Crik.Cli.Restoring;

/// <summary>crik's own threads hold IDs the checkpoint needs: crik lets go of the store and starts its program again (<see cref="Processes.SelfRestart"/>).</summary>
internal sealed class CrikRestartException(string message) : Exception(message);
