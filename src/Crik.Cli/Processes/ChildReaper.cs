// Processes/ owns process primitives (spawn, the reaper thread, wait statuses, /proc); it knows nothing of what they run.
using Crik.Cli.Guarding;
using Crik.Cli.Interop;
using Serilog;

namespace Crik.Cli.Processes;

/// <summary>
/// Reaps every child of crik, as an init must, on one thread that waits for any child to exit.
/// </summary>
/// <remarks>
/// The .NET runtime reaps all children itself (losing their exit statuses) once it installs a SIGCHLD
/// handler and runs as PID 1; it installs one only for System.Diagnostics.Process and for a console
/// on a terminal. crik uses neither, resets SIGCHLD to its default at start, and is the only caller
/// of waitpid. Children crik starts or expects are tracked so their exit status reaches whoever
/// waits for them; every other child (an orphan re-parented to crik) is reaped and logged at Debug.
/// A child is reaped, and its PID freed, only while the tracking table is locked: otherwise a PID
/// expected anew once free (a restore tried again after a failed one) could be handed the exit
/// status of the process that had it before. A tracked child's Exited completes before its PID is
/// freed, so while it has not, its PID and the group it names are still its own.
/// </remarks>
internal sealed class ChildReaper
{
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<int, TaskCompletionSource<WaitStatus>> _tracked = [];
    private readonly HashSet<int> _groupKilledAtExit = [];
    private bool _startedSinceNoChildren;

    public ChildReaper(ILogger log)
    {
        _log = log;
        Posix.ResetChildSignalDisposition();
        BackgroundThread.Start(ReapForever, "crik reaper");
    }

    /// <summary>
    /// Runs <paramref name="spawn"/> (which starts a child and returns its PID) so that the child's
    /// exit cannot be reaped before it is tracked.
    /// </summary>
    public TrackedChild Start(Func<int> spawn)
    {
        TrackedChild child;
        lock (_gate)
        {
            int pid = spawn();
            child = TrackLocked(pid);
            _startedSinceNoChildren = true;
            Monitor.PulseAll(_gate);
        }
        return child;
    }

    /// <summary>
    /// Tracks a PID that will become crik's child later (a restored app, re-parented to crik when
    /// CRIU exits). Call before the process can exit.
    /// </summary>
    public TrackedChild Expect(int pid)
    {
        lock (_gate)
        {
            return TrackLocked(pid);
        }
    }

    /// <summary>Stops tracking a PID that never became crik's child.</summary>
    public void Forget(int pid)
    {
        lock (_gate)
        {
            _tracked.Remove(pid);
        }
    }

    /// <summary>
    /// crik's children that it neither started nor expects: processes of the app whose parent died, re-parented to crik (PID 1,
    /// or a subreaper). Listed while no child is started or reaped, so none of crik's own (CRIU, a hook) can be among them.
    /// </summary>
    public HashSet<int> Adopted()
    {
        lock (_gate)
        {
            return [.. ProcessTree.Children(Environment.ProcessId).Where(pid => !_tracked.ContainsKey(pid))];
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to <paramref name="child"/>, or to its process group, only while it is not reaped: until
    /// then its PID, and a group named by it, cannot be another's. Nothing once it is reaped. True when the signal was sent.
    /// </summary>
    public bool SignalUnlessReaped(TrackedChild child, Signal signal, bool toItsGroup = false)
    {
        lock (_gate)
        {
            return UnreapedLocked(child) && Posix.TrySignal(toItsGroup ? -child.Pid : child.Pid, signal);
        }
    }

    /// <summary>
    /// Runs <paramref name="act"/> (quick work, under the reaper's lock) only while <paramref name="child"/> is not reaped: until
    /// then its PID, and a group named by it, are its own. False when it is reaped already.
    /// </summary>
    public bool WhileUnreaped(TrackedChild child, Action act)
    {
        lock (_gate)
        {
            if (!UnreapedLocked(child))
            {
                return false;
            }
            act();
            return true;
        }
    }

    /// <summary><paramref name="child"/>, for whoever signals it by its PID (<see cref="WhileUnreaped"/> guards each use).</summary>
    public IGuardedPid Guarded(TrackedChild child) => new UnreapedChild(this, child);

    /// <summary>
    /// Kills <paramref name="child"/>'s process group once it has exited, before it is reaped: a zombie keeps its PID, so the
    /// group's ID cannot be another's yet. Nothing when it is reaped already.
    /// </summary>
    public void KillGroupAtExit(TrackedChild child)
    {
        lock (_gate)
        {
            if (UnreapedLocked(child))
            {
                _groupKilledAtExit.Add(child.Pid);
            }
        }
    }

    /// <summary>Whether <paramref name="child"/> is still tracked, not reaped (its PID not yet free for another).</summary>
    private bool UnreapedLocked(TrackedChild child) =>
        _tracked.TryGetValue(child.Pid, out TaskCompletionSource<WaitStatus>? exit) && exit.Task == child.Exited;

    private TrackedChild TrackLocked(int pid)
    {
        var exit = new TaskCompletionSource<WaitStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        _tracked[pid] = exit;
        return new TrackedChild(pid, exit.Task);
    }

    private sealed class UnreapedChild(ChildReaper reaper, TrackedChild child) : IGuardedPid
    {
        public int Pid => child.Pid;

        public bool WhileItsOwn(Action act) => reaper.WhileUnreaped(child, act);
    }

    private void ReapForever()
    {
        while (true)
        {
            Errno errno = Posix.WaitForAnyChildToExit(out int pid, out int status);
            if (errno == Errno.None)
            {
                Reap(pid, new WaitStatus(status));
            }
            else if (errno == Errno.ECHILD)
            {
                WaitForAChild();
            }
            else if (errno == Errno.EAGAIN)
            {
                Thread.Sleep(1); // a child crik traces for a moment: its stop stays reported until crik lets it go
            }
            else if (errno != Errno.EINTR)
            {
                _log.Error("waitpid failed: {Error}; zombies may accumulate", errno.Message());
                Thread.Sleep(1000);
            }
        }
    }

    private void WaitForAChild()
    {
        lock (_gate)
        {
            while (!_startedSinceNoChildren)
            {
                Monitor.Wait(_gate);
            }
            _startedSinceNoChildren = false;
        }
    }

    private void Reap(int pid, WaitStatus status)
    {
        TaskCompletionSource<WaitStatus>? exit;
        lock (_gate)
        {
            if (_groupKilledAtExit.Remove(pid))
            {
                Posix.TrySignal(-pid, Signal.SIGKILL);
            }
            // Told while the zombie still holds its PID: whoever finds Exited incomplete knows the number is still the child's.
            if (_tracked.Remove(pid, out exit))
            {
                exit.SetResult(status);
            }
            if (!Posix.ReapChild(pid, out _))
            {
                _log.Debug("Process {Pid} exited ({Status}) but was not there to reap", pid, status);
            }
        }
        if (exit is null)
        {
            _log.Debug("Reaped orphaned process {Pid} ({Status})", pid, status);
        }
    }
}
