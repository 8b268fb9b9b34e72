using Crik.Cli.ImageStore;
using Crik.TestSupport;
using Serilog;
using Xunit;

namespace Crik.Cli.Tests.ObjectStorage;

/// <summary>
/// Multipart uploads a killed pod never finished are aborted once they are an hour old. s3rver
/// cannot list uploads, so the proxy answers that one request as S3 documents it.
/// </summary>
public sealed class StaleUploadTests : IDisposable
{
    private readonly S3Server? _server = S3Server.Missing() is null || Prerequisites.InCi ? new S3Server() : null;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [S3Fact]
    public void UploadsAnHourOldAreAbortedAndNewerOnesAreLeftToTheirWriters()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string old = DateTime.UtcNow.AddHours(-2).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        string recent = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        proxy.Canned = request => request switch
        {
            _ when request.StartsWith("GET /crik-test/?uploads", StringComparison.Ordinal) => (200,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>crik-test</Bucket>"
                + $"<Upload><Key>app/packs/000003.pack</Key><UploadId>old-one</UploadId><Initiated>{old}</Initiated></Upload>"
                + $"<Upload><Key>app/packs/000004.pack</Key><UploadId>recent-one</UploadId><Initiated>{recent}</Initiated></Upload>"
                + "</ListMultipartUploadsResult>"),
            _ when request.StartsWith("DELETE ", StringComparison.Ordinal) && request.Contains("uploadId=", StringComparison.Ordinal) => (204, ""),
            _ => null,
        };
        using var store = new ObjectGenerationStore(TestS3.Client(_server, _http, "app/", proxy.Endpoint), new LoggerConfiguration().CreateLogger());

        Assert.True(store.Hold(TimeSpan.FromSeconds(5))); // the pod's start: once the lease is held, nobody else writes
        Assert.Null(store.FindRestorable());
        Assert.Contains("DELETE /crik-test/app/packs/000003.pack?uploadId=old-one", proxy.Seen);
        Assert.DoesNotContain(proxy.Seen, r => r.Contains("recent-one", StringComparison.Ordinal));
    }

    [S3Fact]
    public void EveryPageOfUploadsIsSweptAndOneAbortThatFailsDoesNotStopTheRest()
    {
        using var proxy = new FaultyProxy(_server!.Endpoint);
        string old = DateTime.UtcNow.AddHours(-2).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        string Page(bool truncated, params string[] ids) =>
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>crik-test</Bucket>"
            + string.Concat(ids.Select(id => $"<Upload><Key>app/packs/000003.pack</Key><UploadId>{id}</UploadId><Initiated>{old}</Initiated></Upload>"))
            + (truncated ? $"<NextKeyMarker>app/packs/000003.pack</NextKeyMarker><NextUploadIdMarker>{ids[^1]}</NextUploadIdMarker><IsTruncated>true</IsTruncated>" : "<IsTruncated>false</IsTruncated>")
            + "</ListMultipartUploadsResult>";
        proxy.Canned = request => request switch
        {
            _ when request.StartsWith("GET /crik-test/?uploads", StringComparison.Ordinal) && request.Contains("upload-id-marker=second", StringComparison.Ordinal)
                => (200, Page(false, "third")),
            _ when request.StartsWith("GET /crik-test/?uploads", StringComparison.Ordinal) => (200, Page(true, "first", "second")),
            _ when request.Contains("uploadId=first", StringComparison.Ordinal) => (403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"),
            _ when request.StartsWith("DELETE ", StringComparison.Ordinal) && request.Contains("uploadId=", StringComparison.Ordinal) => (204, ""),
            _ => null,
        };
        using var store = new ObjectGenerationStore(TestS3.Client(_server, _http, "app/", proxy.Endpoint), new LoggerConfiguration().CreateLogger());

        Assert.True(store.Hold(TimeSpan.FromSeconds(5))); // the pod's start: once the lease is held, nobody else writes
        Assert.Null(store.FindRestorable());
        Assert.Contains("DELETE /crik-test/app/packs/000003.pack?uploadId=first", proxy.Seen);
        Assert.Contains("DELETE /crik-test/app/packs/000003.pack?uploadId=second", proxy.Seen);
        Assert.Contains("DELETE /crik-test/app/packs/000003.pack?uploadId=third", proxy.Seen);
    }

    public void Dispose()
    {
        _http.Dispose();
        _server?.Dispose();
    }
}
