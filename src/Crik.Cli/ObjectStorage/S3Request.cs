using System.Net;
using System.Net.Http.Headers;

namespace Crik.Cli.ObjectStorage;

/// <summary>One request to the store as <see cref="S3Client"/> sends it, attempt after attempt, and how its answer is read.</summary>
/// <param name="Description">The request in an error message, e.g. "S3 PUT s3://bucket/prefix/name".</param>
internal sealed record S3Request(HttpMethod Method, string? Name, string Description, Uri Uri, string CanonicalPath,
    IReadOnlyList<KeyValuePair<string, string>> Query, ReadOnlyMemory<byte> Body)
{
    public string PayloadHash { get; } = Body.IsEmpty ? SigV4.EmptyPayloadHash : SigV4.PayloadHash(Body.Span);

    public (long From, long To)? Range { get; init; }

    public HttpStatusCode Expect { get; init; } = HttpStatusCode.OK;

    /// <summary>A 404 is an answer (<see cref="S3Response.Missing"/>), not a failure.</summary>
    public bool MissingIsNull { get; init; }

    public bool IfNoneMatch { get; init; }

    public string? IfMatch { get; init; }

    /// <summary>The object a PUT copies in the store (<c>x-amz-copy-source</c>: <c>/bucket/key</c>, encoded), instead of a body.</summary>
    public string? CopySource { get; init; }

    /// <summary>A 416 to a range from the start (S3's InvalidRange: the object is empty) is an answer with no bytes, not a failure.</summary>
    public bool UnsatisfiableIsEmpty { get; init; }

    /// <summary>A 200 may carry an error in its body.</summary>
    public bool ErrorIn200 { get; init; }

    public bool IsConditional => IfNoneMatch || IfMatch is not null;

    public bool MissingIsAnswer => MissingIsNull || IfMatch is not null;

    /// <summary>A write or delete of an object: what a lost lease fences off.</summary>
    public bool WritesObject => Method != HttpMethod.Get && Method != HttpMethod.Head && Name is not null;

    /// <summary>
    /// How long one attempt may wait for its answer's body once the headers came, where that may be longer than the client's
    /// limit: S3 and MinIO answer a multipart upload's completion with 200 at once, then send spaces while they join the parts
    /// (minutes, for a large object), then the result or an error. Null: the client's limit covers the whole answer.
    /// </summary>
    public TimeSpan? BodyPatience { get; init; }

    /// <summary>
    /// A range's answer is read as it comes: a store that ignores Range sends the whole object, of which only the range is kept.
    /// So is one with <see cref="BodyPatience"/>: the client's limit then covers only its headers.
    /// </summary>
    public HttpCompletionOption Completion => Range is null && BodyPatience is null ? HttpCompletionOption.ResponseContentRead : HttpCompletionOption.ResponseHeadersRead;

    /// <summary>The message for one attempt, unsigned (a message is sent only once).</summary>
    public HttpRequestMessage NewMessage()
    {
        var message = new HttpRequestMessage(Method, Uri);
        if (!Body.IsEmpty || Method == HttpMethod.Put || Method == HttpMethod.Post)
        {
            message.Content = new ReadOnlyMemoryContent(Body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(Method == HttpMethod.Post ? "application/xml" : "application/octet-stream");
        }
        if (Range is { } range)
        {
            message.Headers.Range = new RangeHeaderValue(range.From, range.To);
        }
        if (IfNoneMatch)
        {
            message.Headers.TryAddWithoutValidation("If-None-Match", "*");
        }
        if (!string.IsNullOrEmpty(IfMatch))
        {
            message.Headers.TryAddWithoutValidation("If-Match", IfMatch);
        }
        if (CopySource is not null)
        {
            message.Headers.TryAddWithoutValidation(SigV4.CopySourceHeader, CopySource);
        }
        return message;
    }
}
