using Crik.Cli.Timing;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// The wrappers stacked over a backend where a store is made, the same way over a volume and object storage, each with that
/// store's settings: counted once per call (<see cref="CountedBackend"/>), retried (<see cref="RetryingBackend"/>), each attempt
/// fenced by the lock (<see cref="FencedBackend"/>) and bounded in time (<see cref="DeadlineBackend"/>). Every call to the store goes
/// through them: the backend's primitives, the ranges of a blob it opened, the writes and completion of an upload it created, and the
/// store's side on this node (<see cref="Node"/>).
/// </summary>
internal sealed class StoreStack
{
    private readonly bool _boundsSteps;

    private StoreStack(IStoreBackend top, INodeDirectories node, FencedBackend fence, StepDeadline deadline, bool boundsSteps)
    {
        Top = top;
        Node = node;
        Fence = fence;
        Deadline = deadline;
        _boundsSteps = boundsSteps;
    }

    /// <summary>The backend callers use.</summary>
    public IStoreBackend Top { get; }

    /// <summary>The store's side on this node, its calls through the same wrappers as <see cref="Top"/>'s.</summary>
    public INodeDirectories Node { get; }

    /// <summary>Where the lock held for the app's life is given, to fence every write from then on.</summary>
    public FencedBackend Fence { get; }

    /// <summary>The time the stack's calls have (a step's budget).</summary>
    public StepDeadline Deadline { get; }

    /// <summary>
    /// Until disposed, the stack's calls give up once <paramref name="limit"/> has passed (<see cref="Deadline"/>), where the store's
    /// steps are bounded (object storage: a checkpoint must leave the app its SIGTERM, however the store behaves); nothing on a volume.
    /// </summary>
    public IDisposable? Within(TimeSpan limit) => _boundsSteps ? Deadline.Within(limit) : null;

    /// <param name="node">The backend's side on this node (<see cref="VolumeBackend.NodeSide"/>, <see cref="ObjectBackend.NodeSide"/>).</param>
    /// <param name="perRequest">The longest one attempt may take (<see cref="DeadlineBackend"/>).</param>
    /// <param name="boundsSteps">Whether a step's <see cref="Within"/> bounds the calls (false on a volume, whose calls are never cut).</param>
    public static StoreStack Over(IStoreBackend backend, INodeDirectories node, BackendRetry retry, TimeSpan perRequest, StepDeadline? deadline = null,
        bool boundsSteps = true)
    {
        deadline ??= new StepDeadline();
        var bounded = new DeadlineBackend(backend, deadline, perRequest);
        var fence = new FencedBackend(bounded);
        var retrying = new RetryingBackend(fence, retry, deadline);
        var counted = new CountedBackend(retrying, retry.BackendName);
        return new StoreStack(counted, counted.Wrap(retrying.Wrap(fence.Wrap(bounded.Wrap(node)))), fence, deadline, boundsSteps);
    }
}
