using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Crik.Cli.Processes;
using Serilog;

namespace Crik.Cli.Supervision;

/// <summary>Starts the app fresh, the way crik's checkpoints need it.</summary>
internal sealed class AppLauncher(ChildReaper reaper, ILogger log)
{
    /// <summary>The reaper of crik's children, the app's root among them: what may signal it by its PID.</summary>
    public ChildReaper Reaper => reaper;

    /// <summary>
    /// Starts the command in a new session and, where permitted, a new IPC namespace, with only
    /// descriptors 0-2. Throws <see cref="SpawnException"/> when it cannot be started.
    /// </summary>
    public RunningApp Start(IReadOnlyList<string> command)
    {
        if (Environment.ProcessId == 1)
        {
            PidCounter.MovePast(PidCounter.FirstAppPid - 1, "the app's, in the pod that restores it", log);
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
}
