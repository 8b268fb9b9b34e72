using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Generations in object storage: the lifecycle (<see cref="GenerationStore"/>) over <see cref="ObjectBackend"/>, with the
/// store's wrappers stacked over it (<see cref="StoreStack"/>): S3's retries, the step's deadlines, the lease's fencing, counting,
/// around every request but the lease's own.
/// </summary>
internal sealed class ObjectGenerationStore : GenerationStore
{
    public ObjectGenerationStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null,
        TimeSpan? leaseDoubtLimit = null)
        : this(new ObjectBackend(s3, log, leaseLifetime, leaseDoubtLimit), new ObjectBackend(s3, log), log, codec, leaseLifetime)
    {
    }

    /// <param name="fill">The same store for a lazy restore's fill, its reads tried as <see cref="CallerRetries"/> says.</param>
    private ObjectGenerationStore(ObjectBackend backend, ObjectBackend fill, ILogger log, ChunkCodec? codec, TimeSpan? leaseLifetime)
        : base(StoreStack.Over(backend, backend.NodeSide, Retries, Timeout.InfiniteTimeSpan), log, codec,
            callerRetryReads: StoreStack.Over(fill, fill.NodeSide, CallerRetries, StalledReadLimit).Top) =>
        DeadHolderLockTime = leaseLifetime ?? S3Lease.DefaultLifetime;

    /// <summary>The lease's lifetime: a crik that died keeps others out until its lease is another's to take.</summary>
    public override TimeSpan DeadHolderLockTime { get; }

    /// <summary>How long one read of a chunk (at most a few MiB) may take before it is cut and sent again, when its caller retries.</summary>
    public static readonly TimeSpan StalledReadLimit = TimeSpan.FromSeconds(15);

    /// <summary>Six attempts over about six seconds: long enough for a throttled or restarting store, short enough for a grace period.</summary>
    internal static readonly BackendRetry Retries = BackendRetry.As(S3RetryPolicy.Default, Observing.Tallies.S3);

    /// <summary>
    /// For a caller that waits out an outage itself (a lazy restore's fill): two more attempts within a few tenths of a second (a
    /// connection that broke, a store that stumbled once), each cut after <see cref="StalledReadLimit"/>, and then the caller hears of it.
    /// </summary>
    internal static readonly BackendRetry CallerRetries = BackendRetry.As(S3RetryPolicy.CallerRetries, Observing.Tallies.S3);
}
