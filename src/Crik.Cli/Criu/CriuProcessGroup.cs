using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Criu;

/// <summary>
/// Runs criu in a session and process group of its own, and kills it as a group. One of the kernel probes criu runs
/// at every start (kerndat_has_ptrace_get_rseq_conf) forks a child that sleeps until criu kills it: a criu killed
/// during that probe left the child alive for good, holding what criu had been given (crik's image streamer
/// connection, the pipe of its output). A kill of the group takes the child with it.
/// </summary>
internal static class CriuProcessGroup
{
    public static TrackedChild Start(ChildReaper reaper, SpawnRequest request) =>
        reaper.Start(() => Spawner.Spawn(request with { NewSession = true }));

    /// <summary>Kills criu and what it forked. Only until criu is reaped: after that its PID may be another's.</summary>
    public static void Kill(TrackedChild criu) => Posix.TrySignal(-criu.Pid, Signal.SIGKILL);

    /// <summary>
    /// How criu ended, or null when it had not within <paramref name="limit"/>: then it was killed (with its group) and
    /// reaped. For the short runs crik asks criu something with, which must never hang what asked.
    /// </summary>
    public static async Task<WaitStatus?> EndedWithinAsync(TrackedChild criu, TimeSpan limit)
    {
        try
        {
            return await criu.Exited.WaitAsync(limit, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill(criu);
            await criu.Exited.ConfigureAwait(false);
            return null;
        }
    }
}
