using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Generations in object storage: the lifecycle (<see cref="GenerationStore"/>) over <see cref="ObjectBackend"/>, with the
/// store's wrappers stacked over it (<see cref="StoreStack"/>): S3's retries, the step's deadlines, the lease's fencing, counting.
/// </summary>
internal sealed class ObjectGenerationStore : GenerationStore
{
    public ObjectGenerationStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null,
        TimeSpan? leaseDoubtLimit = null)
        : this(s3, log, codec, leaseLifetime, StoreStack.Over(new ObjectBackend(s3, log, leaseLifetime, leaseDoubtLimit), Retries, Timeout.InfiniteTimeSpan))
    {
    }

    private ObjectGenerationStore(S3Client s3, ILogger log, ChunkCodec? codec, TimeSpan? leaseLifetime, StoreStack stack)
        : base(stack.Top, log, codec, new StoreRequests(
            // The multipart upload's parts and the lease's acquisition are S3's own requests: the client's scope bounds them too.
            Within: limit => new Both(stack.Deadline.Within(limit), s3.Within(limit)),
            // From now on no write is sent, nor retried, once the lease is lost or may be (in doubt past the time another crik may take it over).
            Held: lease =>
            {
                stack.Fence.Hold(lease);
                s3.Fence = () => !Decisions.LeaseHold.AllowsWrites(lease.State);
            },
            IsTransient: IsTransient,
            MayHaveLanded: e => e is S3Exception { Status: 0 or >= 500 },
            DeadHolderLockTime: leaseLifetime ?? S3Lease.DefaultLifetime)
        {
            CallerRetryReads = StoreStack.Over(new ObjectBackend(s3, log), CallerRetries, StalledReadLimit).Top,
        })
    {
    }

    /// <summary>How long one read of a chunk (at most a few MiB) may take before it is cut and sent again, when its caller retries.</summary>
    public static readonly TimeSpan StalledReadLimit = TimeSpan.FromSeconds(15);

    /// <summary>Six attempts over about six seconds: long enough for a throttled or restarting store, short enough for a grace period.</summary>
    internal static readonly BackendRetry Retries = Retry(S3RetryPolicy.Default);

    /// <summary>
    /// For a caller that waits out an outage itself (a lazy restore's fill): two more attempts within a few tenths of a second (a
    /// connection that broke, a store that stumbled once), each cut after <see cref="StalledReadLimit"/>, and then the caller hears of it.
    /// </summary>
    internal static readonly BackendRetry CallerRetries = Retry(S3RetryPolicy.CallerRetries);

    private static BackendRetry Retry(S3RetryPolicy policy) =>
        new(policy.Attempts, policy.FirstDelay, policy.MaxDelay, e => e is S3Exception s && S3RetryPolicy.IsRetried(s.Status, s.Code), Observing.Tallies.S3);

    /// <summary>A failure that says nothing of the entry: the store did not answer, or not in time.</summary>
    private static bool IsTransient(IOException e) => e is S3Exception or PackUnavailableException or OutOfTimeException;

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            second.Dispose();
            first.Dispose();
        }
    }
}
