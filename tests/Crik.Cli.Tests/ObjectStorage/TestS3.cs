using Crik.Cli.Configuration;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.ObjectStorage;
using Crik.TestSupport;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>crik's own S3 client pointed at a test's s3rver, to put objects in place and look at what crik left.</summary>
internal static class TestS3
{
    public static readonly S3RetryPolicy QuickRetries = new(4, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100));

    /// <summary>
    /// A pack's upload to <paramref name="key"/> as a store makes it (<see cref="StoreBackendCalls.CreatePackUpload"/>): parts of
    /// <paramref name="partBytes"/> through the store's wrappers, each request retried as <see cref="QuickRetries"/> says.
    /// </summary>
    public static PackParts PackUpload(S3Client s3, string key, int partBytes)
    {
        var backend = new ObjectBackend(s3, Serilog.Core.Logger.None) { PartBytes = partBytes };
        StoreStack store = StoreStack.Over(backend, backend.NodeSide, BackendRetry.As(QuickRetries, $"packs-{Guid.NewGuid():N}"), Timeout.InfiniteTimeSpan);
        return (PackParts)store.Top.CreatePackUpload(key);
    }

    public static S3Client Client(S3Server server, HttpClient http, string prefix = "", string? endpoint = null, string bucket = S3Server.Bucket) =>
        Client(server.Environment(endpoint), http, prefix, bucket);

    /// <summary>A client for the store an environment names (as a pod's would be), with quick retries or <paramref name="retry"/>.</summary>
    public static S3Client Client(Dictionary<string, string> environment, HttpClient http, string prefix = "", string bucket = S3Server.Bucket,
        S3RetryPolicy? retry = null, TimeProvider? clock = null)
    {
        string? Get(string name) => environment.GetValueOrDefault(name);
        return new S3Client(http, S3Settings.FromEnvironment(Get), CredentialSource.FromEnvironment(Get, http), S3Address.Parse($"s3://{bucket}/{prefix}"),
            retry ?? QuickRetries, clock);
    }
}
