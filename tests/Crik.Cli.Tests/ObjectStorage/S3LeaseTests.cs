using Crik.Cli.ObjectStorage;
using Crik.TestSupport;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>The lease two pods sharing a prefix take turns with, against s3rver behind a proxy that honours If-None-Match as S3 does.</summary>
public sealed class S3LeaseTests : IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [S3Fact]
    public void ASecondHolderWaitsUntilTheFirstReleasesTheLease()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        S3Lease? first = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(first);
        Assert.Null(S3Lease.TryAcquire(s3, ".lock", TimeSpan.FromMilliseconds(600)));

        first.Dispose();
        Assert.Null(s3.TryGet(".lock"));
        using S3Lease? second = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(second);
    }

    [S3Fact]
    public void AHeldLeaseIsRenewedAndALeaseWhoseHolderDiedExpires()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint) { ConditionalWrites = true };
        S3Client s3 = TestS3.Client(_server, _http, "app/", proxy.Endpoint);
        TimeSpan lifetime = TimeSpan.FromSeconds(1.5);
        using (S3Lease? held = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero, lifetime))
        {
            Assert.NotNull(held);
            Thread.Sleep(lifetime * 2); // renewed meanwhile: still held
            Assert.Null(S3Lease.TryAcquire(s3, ".lock", TimeSpan.FromMilliseconds(300), lifetime));
        }

        // A holder that died: its lease names a time that has passed.
        s3.Put(".lock", "other-node/1/abc\n1000\n"u8.ToArray());
        using S3Lease? taken = S3Lease.TryAcquire(s3, ".lock", TimeSpan.Zero);
        Assert.NotNull(taken);
        Assert.DoesNotContain("other-node", System.Text.Encoding.UTF8.GetString(s3.TryGet(".lock")!), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }
}
