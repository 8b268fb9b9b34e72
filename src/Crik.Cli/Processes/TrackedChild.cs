namespace Crik.Cli.Processes;

/// <summary>A child crik waits for.</summary>
internal sealed record TrackedChild(int Pid, Task<WaitStatus> Exited);
