using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Generations in object storage: the lifecycle (<see cref="GenerationStore"/>) over
/// <see cref="ObjectBackend"/>, with the client's deadlines and the lease's fencing wired around it.
/// </summary>
internal sealed class ObjectGenerationStore : GenerationStore
{
    public ObjectGenerationStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null)
        : this(s3, new ObjectBackend(s3, log, leaseLifetime), log, codec, leaseLifetime)
    {
    }

    private ObjectGenerationStore(S3Client s3, ObjectBackend backend, ILogger log, ChunkCodec? codec, TimeSpan? leaseLifetime)
        : base(backend, log, codec, new StoreRequests(
            Within: s3.Within,
            Held: lease =>
            {
                // From now on no write is sent, nor retried, once the lease is lost; and nobody else
                // writes, so the uploads of a crik that died mid-dump can go.
                s3.Fence = () => lease.Lost;
                backend.DropAbandonedWrites();
            },
            IsTransient: e => e is S3Exception or PackUnavailableException,
            MayHaveLanded: e => e is S3Exception { Status: 0 or >= 500 },
            DeadHolderLockTime: leaseLifetime ?? S3Lease.DefaultLifetime))
    {
    }
}
