using Crik.Cli.Timing;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The wrappers stacked over a backend where a store is made, the same way over a volume and object storage, each with that
/// store's settings: counted once per call (<see cref="CountedBackend"/>), retried (<see cref="RetryingBackend"/>), each attempt
/// fenced by the lock (<see cref="FencedBackend"/>) and bounded in time (<see cref="DeadlineBackend"/>).
/// </summary>
internal sealed class StoreStack
{
    private StoreStack(IStoreBackend top, FencedBackend fence, StepDeadline deadline)
    {
        Top = top;
        Fence = fence;
        Deadline = deadline;
    }

    /// <summary>The backend callers use.</summary>
    public IStoreBackend Top { get; }

    /// <summary>Where the lock held for the app's life is given, to fence every write from then on.</summary>
    public FencedBackend Fence { get; }

    /// <summary>The time the stack's calls have (a step's budget).</summary>
    public StepDeadline Deadline { get; }

    /// <param name="perRequest">The longest one attempt may take (<see cref="DeadlineBackend"/>).</param>
    public static StoreStack Over(IStoreBackend backend, BackendRetry retry, TimeSpan perRequest, StepDeadline? deadline = null)
    {
        deadline ??= new StepDeadline();
        var fence = new FencedBackend(new DeadlineBackend(backend, deadline, perRequest));
        return new StoreStack(new CountedBackend(new RetryingBackend(fence, retry, deadline), retry.BackendName), fence, deadline);
    }
}
