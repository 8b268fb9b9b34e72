using Crik.Cli.Chunks;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore;

/// <summary>Generations in object storage: the lifecycle (<see cref="GenerationStore"/>) over <see cref="ObjectBackend"/>.</summary>
internal sealed class ObjectCheckpointStore(S3Client s3, ILogger log, ChunkCodec? codec = null, TimeSpan? leaseLifetime = null)
    : GenerationStore(new ObjectBackend(s3, log, leaseLifetime), log, codec);
