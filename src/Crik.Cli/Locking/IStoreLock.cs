using Crik.Cli.Records;

namespace Crik.Cli.Locking;

/// <summary>The image directory's lock: a volume's flock, or object storage's lease.</summary>
internal interface IStoreLock : IDisposable
{
    /// <summary>The lock's state now; it is the only thing that says whether the lock is still ours.</summary>
    HoldState State { get; }

    /// <summary>
    /// Waits until <see cref="State"/> is no longer <paramref name="seen"/> (an answer from the store, or the time at which
    /// the state changes by itself), at most <paramref name="atMost"/>, or until <paramref name="stop"/>; returns the state then.
    /// </summary>
    HoldState WaitForChange(HoldState seen, TimeSpan atMost, CancellationToken stop);

    /// <summary>
    /// Cancelled once a write under the lock may land after another holder took it over (a lease unrenewed for four fifths of
    /// its lifetime, or lost): a write still under way then is cut. Never, for a lock that cannot be taken over (a flock).
    /// </summary>
    CancellationToken WritesEnd => CancellationToken.None;
}
