using System.Globalization;
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>Starts the app fresh, the way crik's checkpoints need it.</summary>
internal sealed class AppLauncher(ChildReaper reaper, ILogger log)
{
    /// <summary>
    /// Where PIDs start for a fresh app: a restored app needs its old PIDs, and crik's own processes
    /// and threads in a new container take low ones.
    /// </summary>
    public const int FirstAppPid = 9000;

    private const string LastPidFile = "/proc/sys/kernel/ns_last_pid";

    /// <summary>
    /// Starts the command in a new session and, where permitted, a new IPC namespace, with only
    /// descriptors 0-2. Throws <see cref="SpawnException"/> when it cannot be started.
    /// </summary>
    public RunningApp Start(IReadOnlyList<string> command)
    {
        if (Environment.ProcessId == 1)
        {
            RaiseLastPid();
        }
        TrackedChild? child = null;
        Exception? failure = null;
        // unshare(CLONE_NEWIPC) applies to the calling thread only; a thread of its own keeps crik's
        // other threads (and the CRIU it runs) in the container's IPC namespace. Whatever it throws is
        // thrown here, as a start that failed.
        Thread thread = BackgroundThread.Start(() =>
        {
            if (!Posix.TryUnshareIpcNamespace(out Errno errno))
            {
                log.Debug("Starting the app in crik's IPC namespace: unshare failed: {Error}", errno.Message());
            }
            child = reaper.Start(() => Spawner.Spawn(new SpawnRequest(command, NewSession: true)));
        }, "crik app start", (_, e) => failure = e);
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        log.Information("Started {Command} as PID {Pid}", string.Join(' ', command), child!.Pid);
        return new RunningApp(child.Pid, child.Exited, command, Generation: 0);
    }

    /// <summary>
    /// Makes the next PID at least <see cref="FirstAppPid"/>: by writing ns_last_pid where the
    /// container lets crik (a privileged pod), else by using up the IDs below it with threads that
    /// end at once (a read-only /proc/sys; about a second for 9000 IDs, once per fresh start).
    /// </summary>
    private void RaiseLastPid()
    {
        int current;
        try
        {
            current = int.Parse(File.ReadAllText(LastPidFile).Trim(), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            log.Warning("Cannot read {File} ({Error}); the app's PIDs may collide with crik's own after a restore", LastPidFile, e.Message);
            return;
        }
        if (current >= FirstAppPid)
        {
            return;
        }
        try
        {
            File.WriteAllText(LastPidFile, FirstAppPid.ToString(CultureInfo.InvariantCulture));
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Debug("Cannot write {File} ({Error}); using up the PIDs below {First} instead", LastPidFile, e.Message, FirstAppPid);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int last = current;
        while (last < FirstAppPid - 1)
        {
            int id = ThreadIds.UseOne();
            if (id < 0 || id < last)
            {
                // No thread could be made, or the IDs wrapped around pid_max: go on from here.
                log.Warning("Could only raise the next PID to {Pid}; the app's PIDs may collide with crik's own after a restore", last + 1);
                return;
            }
            last = id;
        }
        log.Debug("Used up PIDs {From}-{To} in {Seconds:0.00} s so that the app starts at {First}", current + 1, last, clock.Elapsed.TotalSeconds, FirstAppPid);
    }
}
