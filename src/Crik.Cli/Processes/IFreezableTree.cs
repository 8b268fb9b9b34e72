using Crik.Cli.Interop;

namespace Crik.Cli.Processes;

/// <summary>The app's processes as the lease's watchdog freezes them (<see cref="AppTree"/>).</summary>
internal interface IFreezableTree
{
    /// <summary>Signals the app's whole tree.</summary>
    void Signal(Signal signal);

    /// <summary>The app's processes that are not stopped now, nor about to stop.</summary>
    IReadOnlyCollection<int> Running();
}
