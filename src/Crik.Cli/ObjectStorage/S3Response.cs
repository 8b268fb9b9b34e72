using System.Net.Http.Headers;
using System.Xml.Linq;

namespace Crik.Cli.ObjectStorage;

/// <summary>An answer from the store, its body read whole (objects crik reads at once are chunks and manifests: at most a few MiB).</summary>
internal sealed class S3Response : IDisposable
{
    public static readonly S3Response Missing = new(conditionFailed: false);

    /// <summary>A conditional request's condition did not hold (412, or 409 for a conditional write racing another).</summary>
    public static readonly S3Response NotMet = new(conditionFailed: true);

    /// <summary>As <see cref="NotMet"/>, after an attempt whose answer was lost: that attempt may have written what now fails the condition.</summary>
    public static readonly S3Response NotMetAfterLostAnswer = new(conditionFailed: true, afterLostAnswer: true);

    /// <summary>An object with no bytes, where a range of it was asked for (S3 answers 416, InvalidRange).</summary>
    public static readonly S3Response Empty = new(conditionFailed: false, missing: false);

    /// <summary>Bodies larger than this grow as they are read rather than being allocated whole from Content-Length.</summary>
    private const int MaxPresizedBytes = 16 << 20;

    private readonly HttpResponseMessage? _response;

    /// <param name="hasBody">False for HEAD: its Content-Length is the object's size (a pack's may be gigabytes), and no body follows.</param>
    /// <param name="slice">The bytes to keep of the body (a range of a whole object sent where a range was asked for); the rest is not read.</param>
    public S3Response(HttpResponseMessage response, bool hasBody, (long From, long To)? slice = null)
    {
        _response = response;
        if (!hasBody)
        {
            Body = [];
            return;
        }
        if (IsRangeOfEmptyObject(response))
        {
            Body = []; // s3rver says "bytes 0-0/0" with a Content-Length of 1 and sends nothing: reading would wait for a byte that never comes
            return;
        }
        using Stream content = response.Content.ReadAsStream();
        if (slice is { } range)
        {
            Body = Slice(content, range.From, checked((int)(range.To - range.From + 1)));
            return;
        }
        var body = new MemoryStream(response.Content.Headers.ContentLength is { } length and <= MaxPresizedBytes ? (int)length : 0);
        content.CopyTo(body);
        Body = body.Length == body.Capacity ? body.GetBuffer() : body.ToArray();
    }

    private S3Response(bool conditionFailed, bool afterLostAnswer = false, bool missing = true)
    {
        Body = [];
        IsMissing = missing;
        ConditionFailed = conditionFailed;
        AfterLostAnswer = afterLostAnswer;
    }

    /// <summary>No object: there is none, or (<see cref="ConditionFailed"/>) none that meets the request's condition.</summary>
    public bool IsMissing { get; }

    public bool ConditionFailed { get; }

    /// <summary>An earlier attempt of the same request went unanswered (a dropped connection, a timeout or a 5xx).</summary>
    public bool AfterLostAnswer { get; }

    public long ContentLength => _response?.Content.Headers.ContentLength ?? Body.Length;

    public byte[] Body { get; }

    public string? ETag => _response?.Headers.ETag?.Tag ?? (_response?.Headers.TryGetValues("ETag", out var values) == true ? values.FirstOrDefault() : null);

    /// <summary>The body as XML; throws when it is not (a proxy's HTML page, a truncated answer).</summary>
    public XDocument Xml(string operation) =>
        S3Xml.TryParse(System.Text.Encoding.UTF8.GetString(Body))
        ?? throw new S3Exception($"the store's answer to {operation} is not XML ({Body.Length} bytes); is AWS_ENDPOINT_URL_S3 an S3 API endpoint?", (int?)_response?.StatusCode ?? 0);

    public void Dispose() => _response?.Dispose();

    /// <summary>A 206 whose Content-Range gives the object's length as 0 (<c>bytes 0-0/0</c>): no byte of it can follow.</summary>
    private static bool IsRangeOfEmptyObject(HttpResponseMessage response) =>
        response.StatusCode == System.Net.HttpStatusCode.PartialContent
        && response.Content.Headers.NonValidated.TryGetValues("Content-Range", out HeaderStringValues values)
        && values.ToString() is { } range && range.EndsWith("/0", StringComparison.Ordinal);

    /// <summary>Reads past <paramref name="from"/> bytes and keeps up to <paramref name="length"/>; fewer when the object ends first.</summary>
    private static byte[] Slice(Stream content, long from, int length)
    {
        var skip = new byte[Math.Min(from, 64 << 10)];
        for (long skipped = 0; skipped < from;)
        {
            int read = content.Read(skip, 0, (int)Math.Min(skip.Length, from - skipped));
            if (read == 0)
            {
                return [];
            }
            skipped += read;
        }
        var kept = new byte[length];
        int total = 0;
        for (int read; total < length && (read = content.Read(kept, total, length - total)) > 0;)
        {
            total += read;
        }
        return total == length ? kept : kept[..total];
    }
}
