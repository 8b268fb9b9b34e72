using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.WriteTracking;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// The app's tree as a restore on crik's fill leaves it: every process stopped, until crik lets it go once its memory is all in.
/// </summary>
/// <param name="processes">Each process of the tree, whether it was stopped at the checkpoint and by which signal.</param>
/// <param name="memory">What its memory holds before it first runs, for crik to track its writes from there; null when crik does not track them.</param>
internal sealed class StoppedTree(long generation, Dictionary<int, TaskState> processes, RestoredMemory? memory, ILogger log) : IStoppedApp
{
    /// <inheritdoc cref="StoppedTree(long, Dictionary{int, TaskState}, RestoredMemory?, ILogger)" path="/param[@name='memory']"/>
    public RestoredMemory? Memory => memory;

    /// <summary>Sends SIGCONT to each process that ran at the checkpoint; one that was stopped then stays stopped, by the signal that stopped it.</summary>
    public void LetGo()
    {
        foreach ((int pid, _) in processes.Where(p => !p.Value.Stopped))
        {
            Posix.TrySignal(pid, Signal.SIGCONT);
        }
        List<string> stopped = [.. processes.Where(p => p.Value.Stopped).OrderBy(p => p.Key).Select(p => $"{p.Key} by {p.Value.StoppedBy}")];
        if (stopped.Count > 0)
        {
            log.Information("Checkpoint {Generation}: {Count} of its processes were stopped at the checkpoint and stay stopped ({Pids})",
                generation, stopped.Count, string.Join(", ", stopped));
        }
    }
}
