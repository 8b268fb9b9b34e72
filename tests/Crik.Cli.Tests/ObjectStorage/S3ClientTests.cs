using System.Security.Cryptography;
using Crik.Cli.ObjectStorage;
using Crik.Cli.Observing;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>crik's S3 requests against s3rver on loopback, directly and through a proxy that fails and slows them.</summary>
public sealed class S3ClientTests : IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [S3Fact]
    public void AnObjectPutIsReadBackWholeAndByRangesAndListedAndDeleted()
    {
        S3Client s3 = Client("app/");
        byte[] data = RandomNumberGenerator.GetBytes(300_000);
        s3.Put("checkpoint-000001/manifest.json", data);

        Assert.Equal(data, s3.TryGet("checkpoint-000001/manifest.json"));
        var part = new byte[1000];
        Assert.Equal(part.Length, s3.TryReadRange("checkpoint-000001/manifest.json", 123_456, part));
        Assert.Equal(data.AsSpan(123_456, 1000).ToArray(), part);
        S3Object listed = Assert.Single(s3.List("checkpoint-"));
        Assert.Equal(("checkpoint-000001/manifest.json", 300_000L), (listed.Name, listed.Size));
        Assert.InRange(listed.Modified, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Empty(Client("other/").List(""));

        s3.Delete("checkpoint-000001/manifest.json");
        Assert.Null(s3.TryGet("checkpoint-000001/manifest.json"));
        s3.Delete("checkpoint-000001/manifest.json"); // deleting what is gone succeeds
    }

    [S3Fact]
    public void AnObjectIsCopiedInTheStoreReplacingTheTargetAndACopyOfNothingSaysSo()
    {
        S3Client s3 = Client("copies/");
        byte[] data = RandomNumberGenerator.GetBytes(1000);
        s3.Put("checkpoint-000001/manifest.json", data);
        s3.Put("retired/checkpoint-000001/manifest.json", new byte[] { 1, 2, 3 });

        Assert.True(s3.Copy("checkpoint-000001/manifest.json", "retired/checkpoint-000001/manifest.json"));
        Assert.Equal(data, s3.TryGet("retired/checkpoint-000001/manifest.json"));
        Assert.Equal(data, s3.TryGet("checkpoint-000001/manifest.json"));
        Assert.False(s3.Copy("checkpoint-000001/manifest.hmac", "retired/checkpoint-000001/manifest.hmac"));
        Assert.Null(s3.TryGet("retired/checkpoint-000001/manifest.hmac"));
    }

    [S3Fact]
    public void AMultipartUploadIsInvisibleUntilCompletedAndThenOneObject()
    {
        S3Client s3 = Client("");
        byte[] first = RandomNumberGenerator.GetBytes(5 << 20), second = RandomNumberGenerator.GetBytes(777);
        string upload = s3.StartUpload("packs/000001.pack");
        string tag1 = s3.UploadPart("packs/000001.pack", upload, 1, first);
        string tag2 = s3.UploadPart("packs/000001.pack", upload, 2, second);
        Assert.Null(s3.TryGet("packs/000001.pack"));

        s3.CompleteUpload("packs/000001.pack", upload, [tag1, tag2], first.Length + second.Length);
        var across = new byte[100];
        Assert.Equal(across.Length, s3.TryReadRange("packs/000001.pack", (5 << 20) - 50, across));
        Assert.Equal(first[^50..].Concat(second[..50]).ToArray(), across);
    }

    [S3Fact]
    public void ReadingARangeOfAMissingObjectOrPastItsEndSaysSo()
    {
        S3Client s3 = Client("");
        var buffer = new byte[10];
        Assert.Null(s3.TryReadRange("packs/000009.pack", 0, buffer));

        s3.Put("short", new byte[5]);
        Assert.Equal(5, s3.TryReadRange("short", 0, buffer));
        Assert.Equal(0, s3.TryReadRange("short", 5, buffer));
    }

    [S3Fact]
    public void TheSizeOfAHugeObjectIsAskedForWithoutAllocatingIt()
    {
        const long PackBytes = 3L << 29; // 1.5 GiB
        using var proxy = new FaultyProxy(_server!.Endpoint) { HeadLengths = r => r == "HEAD /crik-test/packs/000001.pack" ? PackBytes : null };
        S3Client s3 = Client("", proxy.Endpoint);
        s3.Put("small", new byte[100]);
        Assert.Equal(100, s3.TryGetLength("small"));

        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(PackBytes, s3.TryGetLength("packs/000001.pack"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated to ask for an object's size");
    }

    [S3Fact]
    public void ARangeAnsweredWithTheWholeObjectIsCutToTheRangeAsItIsRead()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { IgnoreRanges = true };
        S3Client s3 = Client("", proxy.Endpoint);
        byte[] data = RandomNumberGenerator.GetBytes(4 << 20);
        s3.Put("packs/000001.pack", data);
        var part = new byte[1000];
        s3.TryReadRange("packs/000001.pack", 10, part); // warms up the client

        long before = GC.GetAllocatedBytesForCurrentThread();
        s3.TryReadRange("packs/000001.pack", 3_000_000, part);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(data.AsSpan(3_000_000, 1000).ToArray(), part);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated to read 1000 bytes of a 4 MiB object sent whole");
        Assert.Equal(10, s3.TryReadRange("packs/000001.pack", (4 << 20) - 10, part)); // up to its end
    }

    [S3Fact]
    public void AListingThatSaysThereIsMoreButNotWhereIsAnErrorNotAShortList()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint)
        {
            Canned = request => request.StartsWith("GET /crik-test/?list-type=2", StringComparison.Ordinal)
                ? (200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>crik-test</Name>"
                    + "<Prefix>app/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
                    + "<Contents><Key>app/packs/000001.pack</Key><Size>10</Size></Contents></ListBucketResult>")
                : null,
        };
        var error = Assert.Throws<S3Exception>(() => Client("app/", proxy.Endpoint).List(""));
        Assert.StartsWith("the store's answer to ListObjectsV2 of s3://crik-test/app/ says there is more but gives no NextContinuationToken", error.Message, StringComparison.Ordinal);
    }

    [S3Fact]
    public void FailuresAndThrottlingAreRetriedUntilTheStoreAnswers()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client("", proxy.Endpoint);
        long retries = S3Count(Tallies.StoreRetryCounts.Select(c => (c.Key, c.Count)), Tallies.S3);
        long reads = S3Count(Tallies.StoreRequestCounts.Select(c => (c.Key.Operation, c.Count)), "read");
        proxy.Fail(2, 500);
        s3.Put("a", new byte[] { 1, 2, 3 });
        proxy.Fail(3, 503);
        Assert.Equal(new byte[] { 1, 2, 3 }, s3.TryGet("a"));
        Assert.Equal(2 + 1 + 3 + 1, proxy.Requests);
        // At least: other tests send requests meanwhile. One read however many attempts, and each attempt after the first a retry.
        Assert.True(S3Count(Tallies.StoreRetryCounts.Select(c => (c.Key, c.Count)), Tallies.S3) - retries >= 5);
        Assert.True(S3Count(Tallies.StoreRequestCounts.Select(c => (c.Key.Operation, c.Count)), "read") - reads >= 1);

        proxy.Delay = TimeSpan.FromMilliseconds(300);
        Assert.Equal(new byte[] { 1, 2, 3 }, s3.TryGet("a"));
    }

    [S3Fact]
    public void AStoreThatKeepsFailingEndsInOneLineSayingWhatFailedAndHowOften()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        S3Client s3 = Client("app/", proxy.Endpoint);
        proxy.Fail(100, 503);
        long errors = S3Count(Tallies.StoreErrorCounts.Where(c => c.Key.Backend == Tallies.S3).Select(c => (c.Key.Operation, c.Count)), "write");
        var error = Assert.Throws<S3Exception>(() => s3.Put("checkpoint-000001/manifest.json", new byte[] { 1 }));
        Assert.True(S3Count(Tallies.StoreErrorCounts.Where(c => c.Key.Backend == Tallies.S3).Select(c => (c.Key.Operation, c.Count)), "write") - errors >= 1);
        Assert.Equal("S3 PUT s3://crik-test/app/checkpoint-000001/manifest.json failed 4 times: 503 SlowDown: injected by the test; the store kept failing; crik retried and gave up", error.Message);
        Assert.Equal(4, proxy.Requests);
    }

    [S3Fact]
    public void AMissingBucketAndAnUnreachableStoreSayWhatToFix()
    {
        var noBucket = Assert.Throws<S3Exception>(() => Client("", bucket: "no-such-bucket").Put("a", new byte[] { 1 }));
        Assert.Contains("NoSuchBucket", noBucket.Message, StringComparison.Ordinal);
        Assert.Contains("create the bucket, or fix the bucket in imageDir", noBucket.Message, StringComparison.Ordinal);

        var unreachable = Assert.Throws<S3Exception>(() => Client("", $"http://127.0.0.1:{FreePort.Get()}").TryGet("a"));
        Assert.StartsWith("S3 GET s3://crik-test/a failed 4 times: ", unreachable.Message, StringComparison.Ordinal);
        Assert.EndsWith("check AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) and that the store is reachable from the node", unreachable.Message, StringComparison.Ordinal);
    }

    private static long S3Count(IEnumerable<(string Key, long Count)> counts, string key) => counts.Where(c => c.Key == key).Sum(c => c.Count);

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }

    private S3Client Client(string prefix, string? endpoint = null, string bucket = S3Server.Bucket) => TestS3.Client(_server!, _http, prefix, endpoint, bucket);
}
