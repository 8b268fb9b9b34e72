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
    public ObjectGenerationStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null,
        TimeSpan? leaseDoubtLimit = null)
        : base(new ObjectBackend(s3, log, leaseLifetime, leaseDoubtLimit), log, codec, new StoreRequests(
            Within: s3.Within,
            // From now on no write is sent, nor retried, once the lease is lost or may be (in doubt past the time another crik may take it over).
            Held: lease => s3.Fence = () => lease.Lost,
            IsTransient: e => e is S3Exception or PackUnavailableException,
            MayHaveLanded: e => e is S3Exception { Status: 0 or >= 500 },
            DeadHolderLockTime: leaseLifetime ?? S3Lease.DefaultLifetime))
    {
    }
}
