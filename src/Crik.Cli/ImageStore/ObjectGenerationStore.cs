using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>
/// Generations in object storage: the lifecycle (<see cref="GenerationStore"/>) over
/// <see cref="ObjectBackend"/>, with the client's deadlines and the lease's fencing wired around it.
/// </summary>
internal sealed class ObjectGenerationStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null)
    : GenerationStore(new ObjectBackend(s3, log, leaseLifetime), log, codec, new StoreRequests(
        Within: s3.Within,
        FenceWith: held => s3.Fence = () => held.Lost,
        IsTransient: e => e is S3Exception,
        DeadHolderLockTime: leaseLifetime ?? S3Lease.DefaultLifetime));
