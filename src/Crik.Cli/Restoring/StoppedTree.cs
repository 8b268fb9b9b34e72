using Crik.Cli.Criu;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Crik.Cli.WriteTracking;
using Microsoft.Win32.SafeHandles;
using Serilog;

namespace Crik.Cli.Restoring;

/// <summary>
/// The app's tree as a restore on crik's fill leaves it: every process stopped, until crik lets it go once its memory is all in.
/// Those to let go are held by descriptor from the restore's end (<see cref="HoldThoseThatRan"/>), not by number: one that is
/// killed meanwhile, and reaped (by a parent that ignores SIGCHLD, say), may leave its PID to another process, or to one of
/// crik's threads.
/// </summary>
/// <param name="processes">Each process of the tree, whether it was stopped at the checkpoint and by which signal.</param>
/// <param name="thoseThatRan">A descriptor of each process that ran at the checkpoint, opened as CRIU's restore ended.</param>
/// <param name="memory">What its memory holds before it first runs, for crik to track its writes from there; null when crik does not track them.</param>
internal sealed class StoppedTree(long generation, Dictionary<int, TaskState> processes, List<SafeFileHandle> thoseThatRan, RestoredMemory? memory,
    ILogger log) : IStoppedApp
{
    /// <inheritdoc cref="StoppedTree(long, Dictionary{int, TaskState}, List{SafeFileHandle}, RestoredMemory?, ILogger)" path="/param[@name='memory']"/>
    public RestoredMemory? Memory => memory;

    /// <summary>
    /// A descriptor of each process that ran at the checkpoint, opened while all are stopped as CRIU's restore left them (none
    /// can have ended yet unless something killed it). One already gone is left out: there is nothing to let go.
    /// </summary>
    public static List<SafeFileHandle> HoldThoseThatRan(Dictionary<int, TaskState> processes) =>
        [.. processes.Where(p => !p.Value.Stopped).Select(p => Pidfd.TryOpen(p.Key)).OfType<SafeFileHandle>()];

    /// <summary>Sends SIGCONT to each process that ran at the checkpoint; one that was stopped then stays stopped, by the signal that stopped it.</summary>
    public void LetGo()
    {
        foreach (SafeFileHandle process in thoseThatRan)
        {
            _ = Pidfd.TrySignal(process, Signal.SIGCONT);
            process.Dispose();
        }
        List<string> stopped = [.. processes.Where(p => p.Value.Stopped).OrderBy(p => p.Key).Select(p => $"{p.Key} by {p.Value.StoppedBy}")];
        if (stopped.Count > 0)
        {
            log.Information("Checkpoint {Generation}: {Count} of its processes were stopped at the checkpoint and stay stopped ({Pids})",
                generation, stopped.Count, string.Join(", ", stopped));
        }
    }
}
