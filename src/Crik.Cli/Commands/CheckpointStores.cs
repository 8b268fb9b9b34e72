using Crik.Cli.Chunks;
using Crik.Cli.Configuration;
using Crik.Cli.ImageStore;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.Commands;

/// <summary>The store an imageDir names: a volume's path, or an s3:// address with the environment's endpoint and credentials.</summary>
internal static class CheckpointStores
{
    /// <summary>Throws <see cref="FormatException"/> when the address, endpoint or credentials cannot be used, saying what to set.</summary>
    public static ICheckpointStore Open(Configuration.CrikConfig config, ChunkCodec codec, ILogger log)
    {
        string imageDir = config.ImageDir!;
        GenerationStore store = S3Address.IsS3(imageDir)
            ? new ObjectGenerationStore(S3(imageDir), log, codec, config.LeaseDuration, config.LeaseDoubtLimit) { RestoreAttempts = config.RestoreAttempts }
            : new VolumeGenerationStore(imageDir, log, codec) { RestoreAttempts = config.RestoreAttempts };
        return store;
    }

    public static S3Client S3(string imageDir)
    {
        // HTTPS_PROXY, HTTP_PROXY and NO_PROXY apply, as they do for AWS tools.
        var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        Func<string, string?> environment = Environment.GetEnvironmentVariable;
        return new S3Client(http, S3Settings.FromEnvironment(environment), CredentialSource.FromEnvironment(environment, http), S3Address.Parse(imageDir));
    }
}
