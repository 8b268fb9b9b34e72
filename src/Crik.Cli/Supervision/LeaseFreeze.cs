using System.Diagnostics;
using Crik.Cli.Interop;
using Crik.Cli.Processes;

namespace Crik.Cli.Supervision;

/// <summary>
/// The app's freezes for its lease, as <see cref="LeaseWatchdog"/> makes and ends them: whether it is frozen now, since
/// when, how many times it was, and how it runs again (SIGCONT, or, for an app restored stopped that never ran yet,
/// its own way of letting go). Used under the watchdog's lock only.
/// </summary>
internal sealed class LeaseFreeze(IFreezableTree tree)
{
    private bool _frozen;

    /// <summary>When the app was frozen for the lease (<see cref="Stopwatch"/>), while <see cref="_frozen"/>.</summary>
    private long _frozenAt;

    private IStoppedApp? _letGo;

    /// <summary>Whether a process of the app was found running during this freeze (said once a freeze).</summary>
    private bool _wokeDuringFreeze;

    /// <summary>Completes when the freeze under way ends; completed while the app is not frozen.</summary>
    private TaskCompletionSource _thawed = Ended();

    public bool Frozen => _frozen;

    /// <summary>Completes once the app is not frozen for the lease (at once when it is not now).</summary>
    public Task Thawed => _thawed.Task;

    /// <summary>How many times the app was frozen for the lease.</summary>
    public int Count { get; private set; }

    /// <summary>How long the app has been frozen; zero when it is not.</summary>
    public TimeSpan InDoubt => _frozen ? Stopwatch.GetElapsedTime(_frozenAt) : TimeSpan.Zero;

    /// <summary>The app's first thaw lets it go this way instead of SIGCONT (an app restored stopped).</summary>
    public void LetGoOnFirstThaw(IStoppedApp app) => _letGo = app;

    /// <summary>SIGSTOP to the tree; false when it is frozen already.</summary>
    public bool Freeze()
    {
        if (_frozen)
        {
            return false;
        }
        _frozen = true;
        _thawed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _wokeDuringFreeze = false;
        _frozenAt = Stopwatch.GetTimestamp();
        Count++;
        tree.Signal(Signal.SIGSTOP);
        return true;
    }

    /// <summary>
    /// Stops again whatever of the frozen app runs: a SIGCONT from anyone in the pod wakes a stopped process, and the freeze
    /// must hold whoever sent it. True the first time this freeze found one.
    /// </summary>
    public bool StopWhatRuns()
    {
        if (!_frozen || tree.Running().Count == 0)
        {
            return false;
        }
        tree.StopAgain();
        bool first = !_wokeDuringFreeze;
        _wokeDuringFreeze = true;
        return first;
    }

    /// <summary>The app runs again, whether it was frozen for the lease or stopped by crik.</summary>
    public void Thaw()
    {
        _frozen = false;
        _thawed.TrySetResult();
        if (Interlocked.Exchange(ref _letGo, null) is { } stopped)
        {
            stopped.LetGo();
            // The freeze noted every process of the app restored stopped as stopped by the app: none was.
            tree.LetGoOtherwise();
        }
        else
        {
            tree.Signal(Signal.SIGCONT);
        }
    }

    private static TaskCompletionSource Ended()
    {
        var ended = new TaskCompletionSource();
        ended.SetResult();
        return ended;
    }
}
