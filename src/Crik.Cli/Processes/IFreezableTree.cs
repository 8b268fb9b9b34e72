using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>The app's processes as the lease's watchdog freezes them (<see cref="AppTree"/>).</summary>
internal interface IFreezableTree
{
    /// <summary>Signals the app's whole tree.</summary>
    void Signal(Signal signal);

    /// <summary>
    /// SIGSTOP again to the tree, which is held stopped already (frozen): nothing is noted of which processes are stopped now,
    /// since those the freeze stopped would count as stopped by the app; what was noted when the app was first stopped holds.
    /// </summary>
    void StopAgain();

    /// <summary>The app's processes that are not stopped now, nor about to stop.</summary>
    IReadOnlyCollection<int> Running();

    /// <summary>
    /// The app was let go otherwise than by a SIGCONT of <see cref="Signal"/>'s (restored stopped, it ran for the first time,
    /// through <see cref="IStoppedApp.LetGo"/>): no stop of crik's holds it now, and none of its processes is noted as stopped.
    /// </summary>
    void LetGoOtherwise();
}
