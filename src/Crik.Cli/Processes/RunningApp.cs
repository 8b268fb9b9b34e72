namespace Crik.Cli.Processes;

/// <summary>
/// The app crik supervises, started fresh or restored from a checkpoint. It leads its own session and
/// process group, so <see cref="Pid"/> is also its process group ID.
/// </summary>
/// <param name="Generation">The checkpoint generation it was restored from; 0 when started fresh.</param>
/// <param name="MemoryLoaded">For an app restored lazily: ends when its memory is all in (null) or could not be
/// (why; the app was killed first). Null when its memory was all in before it ran.</param>
/// <param name="Touches">What it touched first after its last lazy restore, for the next checkpoint to keep; null when unknown.</param>
/// <param name="Arriving">For an app restored lazily: its memory still arriving, which a checkpoint may take as it is.</param>
/// <param name="Stopped">For an app restored stopped: what lets it run (the supervisor calls it once, through the lease's watchdog); null when it runs already.</param>
internal sealed record RunningApp(int Pid, Task<WaitStatus> Exited, IReadOnlyList<string> Command, long Generation,
    Task<string?>? MemoryLoaded = null, IFirstTouches? Touches = null, IArrivingMemory? Arriving = null, IStoppedApp? Stopped = null)
{
    /// <summary>Its memory is still on its way in: a checkpoint now would record the missing pages as zeros.</summary>
    public bool Loading => MemoryLoaded is { IsCompleted: false };

    /// <summary>Its root, as the reaper tracks it: signalled by its PID only while unreaped (<see cref="ChildReaper.WhileUnreaped"/>).</summary>
    public TrackedChild Root => new(Pid, Exited);
}
