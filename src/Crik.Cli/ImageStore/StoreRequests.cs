using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Locking;

namespace Crik.Cli.ImageStore;

/// <summary>
/// What object storage wires around its backend, and a volume does without: a deadline for the
/// requests of a step, what follows taking the lock for the app's life (every write fenced by the
/// lease), which errors say nothing about the entry
/// read (a store that did not answer), which failed writes may have been carried out all the same (no answer came,
/// or the store failed), and how long a crik that died keeps others out.
/// </summary>
internal sealed record StoreRequests(Func<TimeSpan, IDisposable> Within, Action<IStoreLock> Held, Func<IOException, bool> IsTransient,
    Func<IOException, bool> MayHaveLanded, TimeSpan DeadHolderLockTime)
{
    /// <summary>A volume's: no requests to give up, a flock that cannot be lost and ends with its process, writes that fail undone.</summary>
    /// <summary>
    /// The backend a caller that waits out an outage itself reads packs through (a lazy restore's fill): each request tried twice more
    /// within a few tenths of a second, and cut when it stalls, so that the caller hears of a failure at once; null: the store's own.
    /// </summary>
    public IStoreBackend? CallerRetryReads { get; init; }

    public static readonly StoreRequests None = new(_ => NoLimit.Instance, _ => { }, _ => false, _ => false, TimeSpan.Zero);

    private sealed class NoLimit : IDisposable
    {
        public static readonly NoLimit Instance = new();

        public void Dispose()
        {
        }
    }
}
