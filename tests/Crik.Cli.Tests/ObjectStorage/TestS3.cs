using Crik.Cli.Configuration;
using Crik.Cli.ObjectStorage;
using Crik.TestSupport;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>crik's own S3 client pointed at a test's s3rver, to put objects in place and look at what crik left.</summary>
internal static class TestS3
{
    public static readonly S3RetryPolicy QuickRetries = new(4, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(100));

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
