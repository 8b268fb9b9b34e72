using Crik.Cli.Decisions;
using Crik.Cli.Locking;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The fencing wrapper: once the lock held for the app's life (<see cref="Hold"/>) is lost, or may be (a lease in doubt past the
/// time another crik may take it over), no write or delete goes to the store, nor any retried (below <see cref="RetryingBackend"/>,
/// each attempt is refused), and one under way then is cut (<see cref="IStoreLock.WritesEnd"/>); reads still go. A volume's
/// flock is never lost, so nothing is ever refused there.
/// </summary>
internal sealed class FencedBackend(IStoreBackend inner) : BackendWrapper(inner)
{
    private volatile IStoreLock? _held;

    /// <summary>From now on every write is fenced by <paramref name="held"/>.</summary>
    public void Hold(IStoreLock held) => _held = held;

    protected override TResult Around<TState, TResult>(StoreOperation operation, TState state, Func<TState, TResult> work)
    {
        if (!operation.Writes || _held is not { } held)
        {
            return work(state);
        }
        if (!LeaseHold.AllowsWrites(held.State))
        {
            throw new FencedException($"a {operation.Name} in {Description.ImageDir} was not sent: crik lost its lock on it, so another crik may be writing there");
        }
        // Let through while the lock was ours, a write must not land after it may be another's: it is cut then, however long it had.
        using (Timing.CallDeadline.CutWhen(held.WritesEnd))
        {
            return work(state);
        }
    }
}

/// <summary>A write refused because the lock it needs is lost (<see cref="FencedBackend"/>): trying again cannot help.</summary>
internal sealed class FencedException(string message) : IOException(message);
