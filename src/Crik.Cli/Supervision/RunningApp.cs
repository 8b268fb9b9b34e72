using Crik.Cli.Processes;
namespace Crik.Cli.Supervision;

/// <summary>
/// The app crik supervises, started fresh or restored from a checkpoint. It leads its own session and
/// process group, so <see cref="Pid"/> is also its process group ID.
/// </summary>
/// <param name="Generation">The checkpoint generation it was restored from; 0 when started fresh.</param>
internal sealed record RunningApp(int Pid, Task<WaitStatus> Exited, IReadOnlyList<string> Command, long Generation);
