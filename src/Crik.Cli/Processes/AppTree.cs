using System.Globalization;
using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>
/// The app's processes as crik signals them: its process group and every process and thread of its tree
/// (which reaches processes that left the group, and children forked after the tree was read). Before
/// crik stops the app (a freeze for the lease, or a dump, which CRIU leaves stopped), it notes which
/// processes were stopped already, by the app itself or by a user's SIGSTOP; letting the app go again
/// leaves those stopped. Safe from several threads (the lease's watchdog and the supervisor). Nothing is sent once crik has
/// reaped the app's root: its PID, and the group it names, may then be another's.
/// </summary>
internal sealed class AppTree(IGuardedPid root) : IFreezableTree
{
    private readonly Lock _gate = new();
    private HashSet<int> _stoppedBefore = [];
    private bool _heldStopped;
    private long _continuedAt;

    /// <summary>When crik last let the app go, right before its first SIGCONT, on <see cref="MonotonicClock"/>; 0 before it ever did.</summary>
    public long ContinuedAt => Volatile.Read(ref _continuedAt);

    /// <summary>
    /// Signals the app's process group and every process and thread of its tree. SIGSTOP first notes which
    /// processes were stopped already (unless crik holds the app stopped: then all are), and SIGCONT goes
    /// to each process but those.
    /// </summary>
    public void Signal(Signal signal)
    {
        if (signal == Interop.Signal.SIGCONT)
        {
            Continue();
            return;
        }
        if (signal == Interop.Signal.SIGSTOP)
        {
            WillBeStopped();
        }
        SendToAll(signal);
    }

    /// <inheritdoc/>
    public void StopAgain() => SendToAll(Interop.Signal.SIGSTOP);

    /// <summary>
    /// The app is about to be stopped (by crik, or by CRIU's dump, which leaves it stopped): notes which of its
    /// processes are stopped now, unless crik holds it stopped already (then those it stopped are not the app's).
    /// </summary>
    public void WillBeStopped()
    {
        lock (_gate)
        {
            if (!_heldStopped)
            {
                _stoppedBefore = [.. Members().Where(m => m.Value == 'T').Select(m => m.Key)];
                _heldStopped = true;
            }
        }
    }

    /// <summary>
    /// CRIU is to stop the app again right after crik let it run for that (a checkpoint's second dump): the processes
    /// stopped before are still those noted before the first, and a freeze for the lease meanwhile does not note them anew.
    /// </summary>
    public void WillBeStoppedAgain()
    {
        lock (_gate)
        {
            _heldStopped = true;
        }
    }

    /// <summary>What was to stop the app did not (a checkpoint not taken before CRIU ran): it runs as it did.</summary>
    public void NotStopped()
    {
        lock (_gate)
        {
            _heldStopped = false;
        }
    }

    /// <inheritdoc/>
    public void LetGoOtherwise()
    {
        lock (_gate)
        {
            _heldStopped = false;
            _stoppedBefore = [];
        }
    }

    /// <summary>
    /// The app's processes that are not stopped now (by a signal or a tracer), nor dead, nor bound to stop before they run
    /// their own code again (<see cref="StopOnItsWay"/>).
    /// </summary>
    public IReadOnlyCollection<int> Running() =>
        Members().Where(m => m.Value is not ('T' or 't' or 'Z' or 'X' or '?') && !StopOnItsWay.Of(m.Key)).Select(m => m.Key).ToList();

    /// <summary>The processes of the tree, and those of the app's process group outside it, as /proc lists them now.</summary>
    public IReadOnlyCollection<int> Processes() => Members().Keys;

    private void SendToAll(Signal signal) =>
        _ = root.WhileItsOwn(() =>
        {
            Posix.TrySignal(-root.Pid, signal);
            foreach (int pid in ProcessTree.PidsAndThreads(root.Pid))
            {
                Posix.TrySignal(pid, signal);
            }
        });

    /// <summary>SIGCONT to each of the app's processes but those that were stopped when crik last stopped it.</summary>
    private void Continue()
    {
        HashSet<int> keep;
        lock (_gate)
        {
            keep = _stoppedBefore;
            _heldStopped = false;
        }
        _ = root.WhileItsOwn(() =>
        {
            int[] continued = [.. ReadMembers().Keys.Where(pid => !keep.Contains(pid))];
            Volatile.Write(ref _continuedAt, MonotonicClock.Now());
            foreach (int pid in continued)
            {
                Posix.TrySignal(pid, Interop.Signal.SIGCONT);
            }
        });
    }

    /// <summary>
    /// The processes of the tree, and those of the app's process group outside it (an orphan crik adopted), each
    /// with the state letter of its /proc/PID/stat ('T': stopped by a signal; '?' when it cannot be read), read once.
    /// None once the root is reaped: what /proc has under its PID then is not the app.
    /// </summary>
    private Dictionary<int, char> Members()
    {
        Dictionary<int, char> members = [];
        _ = root.WhileItsOwn(() => members = ReadMembers());
        return members;
    }

    private Dictionary<int, char> ReadMembers()
    {
        HashSet<int> tree = [.. ProcessTree.Processes(root.Pid)];
        string group = root.Pid.ToString(CultureInfo.InvariantCulture);
        var members = new Dictionary<int, char>();
        foreach (int pid in ProcessTree.All())
        {
            string[] fields = ProcFiles.StatFields(pid);
            if (tree.Contains(pid) || (fields.Length > 2 && fields[2] == group))
            {
                members[pid] = fields is [{ Length: > 0 } state, ..] ? state[0] : '?';
            }
        }
        foreach (int pid in tree.Where(pid => !members.ContainsKey(pid)))
        {
            members[pid] = '?'; // in the tree, but no longer (or not yet) in /proc's list
        }
        return members;
    }
}
