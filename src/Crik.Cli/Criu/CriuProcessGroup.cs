using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Criu;

/// <summary>
/// Runs criu in a session and process group of its own, and ends it as a group. One of the kernel probes criu runs
/// at every start (kerndat_has_ptrace_get_rseq_conf) forks a child that sleeps until criu kills it: a criu killed
/// during that probe left the child alive for good, holding what criu had been given (crik's image streamer
/// connection, the pipe of its output). A signal to the group takes the child with it.
/// </summary>
internal static class CriuProcessGroup
{
    /// <summary>How long a criu asked to stop may take to end before it is killed: crik's CRIU stops within milliseconds.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    public static TrackedChild Start(ChildReaper reaper, SpawnRequest request) =>
        reaper.Start(() => Spawner.Spawn(request with { NewSession = true }));

    /// <summary>Kills criu and what it forked, unless criu is reaped (its PID may then be another's).</summary>
    public static void Kill(ChildReaper reaper, TrackedChild criu) => reaper.SignalUnlessReaped(criu, Signal.SIGKILL, toItsGroup: true);

    /// <summary>
    /// Asks criu to stop, and kills it with its group when it has not ended within <see cref="StopGrace"/>. A dump or pre-dump
    /// of a CRIU with crik's patch (criu-patches/0010) stops at its next safe step, cures its parasite and lets the app run
    /// on. Killed instead, it could be running a syscall in the app, written over the app's code with a trap after it: the
    /// app would run them on its own and die of SIGTRAP. Any other criu ends at SIGTERM at once, as if killed. SIGTERM goes to
    /// criu alone, so that a program it runs meanwhile (an iptables rule it takes back) finishes; what criu leaves of its group
    /// when it ends is killed with it.
    /// </summary>
    public static async Task StopAsync(ChildReaper reaper, TrackedChild criu)
    {
        reaper.KillGroupAtExit(criu);
        reaper.SignalUnlessReaped(criu, Signal.SIGTERM);
        try
        {
            await criu.Exited.WaitAsync(StopGrace, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill(reaper, criu);
        }
    }

    /// <summary>
    /// Whether criu ended within <paramref name="limit"/>; when it had not, it was killed (with its group) and reaped. For the
    /// short runs crik asks criu something with, which must never hang what asked.
    /// </summary>
    public static bool EndedWithin(ChildReaper reaper, TrackedChild criu, TimeSpan limit)
    {
        // Blocking, and with no timer: a thread that must start none (KernelFeatureCache's probe thread) may wait here.
        if (criu.Exited.Wait(limit))
        {
            return true;
        }
        Kill(reaper, criu);
        criu.Exited.Wait();
        return false;
    }

    /// <summary>As <see cref="EndedWithin"/>, without blocking a thread: how criu ended, or null when it was killed at <paramref name="limit"/>.</summary>
    public static async Task<WaitStatus?> EndedWithinAsync(ChildReaper reaper, TrackedChild criu, TimeSpan limit)
    {
        try
        {
            return await criu.Exited.WaitAsync(limit, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Kill(reaper, criu);
            await criu.Exited.ConfigureAwait(false);
            return null;
        }
    }
}
