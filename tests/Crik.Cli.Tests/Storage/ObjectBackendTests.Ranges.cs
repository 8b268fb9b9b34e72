using System.Net;
using Crik.Cli.ImageStore;
using Crik.Cli.ImageStore.Backends;
using Crik.Cli.Tests.ObjectStorage;
using Xunit;

namespace Crik.Cli.Tests.Storage;

// A read with a cap asks the store for that much and no more, whatever the store answers a range with.
public partial class ObjectBackendTests
{
    [SkippableStorageFact]
    public void AReadWithACapAsksForItsRangeAndGetsNoMore()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", new byte[64 << 10]));
        using var recorder = new RequestRecorder { InnerHandler = new SocketsHttpHandler() };
        using var http = new HttpClient(recorder) { Timeout = TimeSpan.FromSeconds(10) };
        using var backend = new ObjectBackend(TestS3.Client(_server!, http, _prefix), Log);

        Assert.Equal(100, backend.Read("restores/000001-001", 99)!.Length);
        (string range, HttpStatusCode status, long? length) = Assert.Single(recorder.Gets);
        Assert.Equal("bytes=0-99", range);
        Assert.Equal(HttpStatusCode.PartialContent, status);
        Assert.Equal(100, length);
    }

    /// <summary>Some caches and proxies drop Range: the whole object comes back with 200, and only the cap of it is kept.</summary>
    [SkippableStorageFact]
    public void AStoreThatIgnoresRangesStillGivesNoMoreThanTheCap()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", Bytes("0123456789")));
        _proxy!.IgnoreRanges = true;
        Assert.Equal("0123", Text(Backend.Read("restores/000001-001", 3)));
        Assert.Equal("0123456789", Text(Backend.Read("restores/000001-001", 4095)));
    }

    /// <summary>S3 answers a range of an empty object with 416 InvalidRange: an object with no bytes, not a failure.</summary>
    [SkippableStorageFact]
    public void ARangeTheStoreCannotSatisfyIsAnEmptyObject()
    {
        _proxy!.Canned = request => request.StartsWith($"GET /{Crik.TestSupport.S3Server.Bucket}/{_prefix}restores/000001-001", StringComparison.Ordinal)
            ? (416, "<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>")
            : null;
        Assert.Equal("", Text(Backend.Read("restores/000001-001", 4095)));
    }

    /// <summary>
    /// s3rver answers a range of an empty object 206 "bytes 0-0/0" with a Content-Length of 1 and sends nothing (the proxy in front of
    /// it hides that): the client must not wait for that byte.
    /// </summary>
    [SkippableStorageFact]
    public void AnEmptyObjectReadsAsNoBytesStraightFromTheStore()
    {
        Assert.True(Backend.WriteIfAbsent("restores/000001-001", []));
        using var backend = new ObjectBackend(TestS3.Client(_server!, _http, _prefix), Log);
        Assert.Equal("", Text(backend.Read("restores/000001-001", 4095)));
    }

    /// <summary>Each GET's Range header, and the status and Content-Length of its answer.</summary>
    private sealed class RequestRecorder : DelegatingHandler
    {
        public List<(string Range, HttpStatusCode Status, long? Length)> Gets { get; } = [];

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = base.Send(request, cancellationToken);
            if (request.Method == HttpMethod.Get)
            {
                Gets.Add((request.Headers.Range?.ToString() ?? "", response.StatusCode, response.Content.Headers.ContentLength));
            }
            return response;
        }
    }
}
