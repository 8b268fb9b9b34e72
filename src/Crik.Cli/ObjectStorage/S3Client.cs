// ObjectStorage/ owns talking to S3 and S3-compatible stores: addresses, credentials, signing, requests.
using System.Globalization;
using System.Net;
using System.Security;
using System.Text;
using System.Xml.Linq;
using Crik.Cli.Configuration;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// The S3 requests crik makes, on <see cref="HttpClient"/> with its own SigV4 signing rather than
/// AWSSDK.S3: the SDK's 3.7 line (the newest this NuGet copy restores) leans on reflection that
/// NativeAOT trims or warns about, and it would add megabytes to a PID 1 that needs eleven requests.
/// Calls are synchronous, like the store's file I/O they stand in for. Failures the store may
/// recover from (5xx, throttling, timeouts, dropped connections) are retried with backoff as <paramref name="retry"/> says
/// (the lease's own requests; the store's go out <see cref="OneAttemptEach"/>, retried by its wrappers); what is
/// left is one <see cref="S3Exception"/> saying which request failed, how, and what to check. Each request ends with the
/// bound its caller set on the thread (<see cref="Timing.CallDeadline"/>). Names are relative to the address's prefix.
/// </summary>
internal sealed class S3Client(HttpClient http, S3Settings settings, CredentialSource credentials, S3Address address, S3RetryPolicy? retry = null,
    TimeProvider? clock = null)
{
    private static readonly KeyValuePair<string, string>[] NoQuery = [];
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly S3Sender _sender = new(http, settings, credentials, retry ?? S3RetryPolicy.Default, clock ?? TimeProvider.System);

    public S3Address Address => address;

    public void Put(string name, ReadOnlyMemory<byte> body) =>
        Send(HttpMethod.Put, name, NoQuery, body, expect: HttpStatusCode.OK).Dispose();

    /// <summary>
    /// A client on the same connections, credentials and address that sends each request once (a credential that expired is
    /// renewed and the request sent again at once: that is signing, not a retry) and counts nothing: for a backend whose calls
    /// the store's wrappers retry, bound, fence and count (ImageStore/Backends/StoreStack). An attempt ends with the bound its
    /// caller set on the thread (<see cref="Timing.CallDeadline"/>).
    /// </summary>
    public S3Client OneAttemptEach() => new(http, settings, credentials, address, S3RetryPolicy.Once, _clock) { Counted = false };

    /// <summary>Whether each request is counted in crik_store_requests_total here (not when a wrapper above counts it).</summary>
    private bool Counted
    {
        init => _sender.Counted = value;
    }

    /// <summary>
    /// Writes the object only if there is none (<c>If-None-Match: *</c>) and returns its ETag ("" when
    /// the store gives none); null when there is one. Stores without conditional writes (older
    /// S3-compatible ones, s3rver) write it regardless.
    /// </summary>
    public string? PutIfAbsent(string name, ReadOnlyMemory<byte> body)
    {
        using S3Response response = Send(HttpMethod.Put, name, NoQuery, body, expect: HttpStatusCode.OK, ifNoneMatch: true);
        return response.IsMissing ? null : response.ETag ?? "";
    }

    /// <summary>
    /// Replaces the object only if its ETag is still <paramref name="etag"/> (<c>If-Match</c>) and returns
    /// the new ETag ("" when the store gives none); null when it changed or is gone. Stores without
    /// conditional writes replace it regardless.
    /// </summary>
    public string? PutIfMatch(string name, ReadOnlyMemory<byte> body, string etag)
    {
        using S3Response response = Send(HttpMethod.Put, name, NoQuery, body, expect: HttpStatusCode.OK, ifMatch: etag);
        return response.IsMissing ? null : response.ETag ?? "";
    }

    /// <summary>Deletes the object only if its ETag is still <paramref name="etag"/>; false when it changed (true when it is gone).</summary>
    public bool DeleteIfMatch(string name, string etag)
    {
        using S3Response response = Send(HttpMethod.Delete, name, NoQuery, expect: HttpStatusCode.NoContent, missingIsNull: true, ifMatch: etag);
        return !response.ConditionFailed;
    }

    /// <summary>
    /// Copies an object to <paramref name="name"/> in the store (one request; no byte of it passes through crik), replacing
    /// what is there; false when there is no object at <paramref name="source"/>.
    /// </summary>
    public bool Copy(string source, string name)
    {
        (Uri uri, string canonicalPath) = settings.Locate(address.Bucket, address.Key(name), NoQuery);
        var request = new S3Request(HttpMethod.Put, name, $"S3 copy of {Display(source)} to {Display(name)}", uri, canonicalPath, NoQuery, default)
        {
            CopySource = $"/{address.Bucket}/{SigV4.Encode(address.Key(source), keepSlashes: true)}",
            MissingIsNull = true,
            ErrorIn200 = true, // S3 may answer 200 to a copy and put its error in the body
        };
        using S3Response response = Send(request);
        return !response.IsMissing;
    }

    /// <summary>The whole object, or null when there is none.</summary>
    public byte[]? TryGet(string name) => TryGetWithETag(name)?.Body;

    /// <summary>The whole object and its ETag ("" when the store gives none), or null when there is none.</summary>
    public (byte[] Body, string ETag)? TryGetWithETag(string name)
    {
        using S3Response response = Send(HttpMethod.Get, name, NoQuery, expect: HttpStatusCode.OK, missingIsNull: true);
        return response.IsMissing ? null : (response.Body, response.ETag ?? "");
    }

    /// <summary>
    /// Fills <paramref name="into"/> from <paramref name="offset"/> in the object and returns how much it filled (less only at its end), or
    /// null when there is no object: one GET with <c>Range: bytes=offset-(offset + length - 1)</c>, so that no more comes down. A store that
    /// ignores Range answers 200 with the whole object, of which only the range is read; a range from the object's end on (416
    /// InvalidRange, as S3 answers an empty object's) gives no bytes.
    /// </summary>
    public int? TryReadRange(string name, long offset, Span<byte> into)
    {
        if (into.Length == 0)
        {
            return 0;
        }
        (Uri uri, string canonicalPath) = settings.Locate(address.Bucket, address.Key(name), NoQuery);
        var request = new S3Request(HttpMethod.Get, name, $"S3 GET {Display(name)}", uri, canonicalPath, NoQuery, default)
        {
            Range = (offset, offset + into.Length - 1),
            Expect = HttpStatusCode.PartialContent,
            MissingIsNull = true,
            UnsatisfiableIsEmpty = true,
        };
        using S3Response response = Send(request);
        if (response.IsMissing)
        {
            return null;
        }
        int count = Math.Min(response.Body.Length, into.Length);
        response.Body.AsSpan(0, count).CopyTo(into);
        return count;
    }

    /// <summary>The object's size, or null when there is no such object.</summary>
    public long? TryGetLength(string name)
    {
        using S3Response response = Send(HttpMethod.Head, name, NoQuery, expect: HttpStatusCode.OK, missingIsNull: true);
        return response.IsMissing ? null : response.ContentLength;
    }

    /// <summary>Deletes an object; deleting one that is not there succeeds, as in S3.</summary>
    public void Delete(string name) => Send(HttpMethod.Delete, name, NoQuery, expect: HttpStatusCode.NoContent, missingIsNull: true).Dispose();

    /// <summary>Every object whose name starts with <paramref name="namePrefix"/>, page by page.</summary>
    public List<S3Object> List(string namePrefix)
    {
        var found = new List<S3Object>();
        string? continuation = null;
        do
        {
            var query = new List<KeyValuePair<string, string>> { new("list-type", "2"), new("prefix", address.Key(namePrefix)) };
            if (continuation is not null)
            {
                query.Add(new("continuation-token", continuation));
            }
            using S3Response response = Send(HttpMethod.Get, null, query, expect: HttpStatusCode.OK);
            XDocument page = response.Xml("ListObjectsV2");
            foreach (XElement item in page.All("Contents"))
            {
                string key = item.Child("Key") ?? "";
                if (key.StartsWith(address.Prefix, StringComparison.Ordinal))
                {
                    found.Add(new S3Object(key[address.Prefix.Length..], long.TryParse(item.Child("Size"), CultureInfo.InvariantCulture, out long size) ? size : 0,
                        DateTimeOffset.TryParse(item.Child("LastModified"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : default));
                }
            }
            continuation = IsTruncated(page) ? NextMarker(page, "NextContinuationToken", "ListObjectsV2") : null;
        }
        while (continuation is not null);
        return found;
    }

    /// <summary>Starts a multipart upload and returns its id.</summary>
    public string StartUpload(string name)
    {
        using S3Response response = Send(HttpMethod.Post, name, [new("uploads", "")], expect: HttpStatusCode.OK);
        return response.Xml("CreateMultipartUpload").All("UploadId").FirstOrDefault()?.Value
            ?? throw new S3Exception($"the store answered CreateMultipartUpload for {Display(name)} without an UploadId", 200);
    }

    /// <summary>Uploads one part (1 to 10000; all but the last at least 5 MiB) and returns its ETag.</summary>
    public string UploadPart(string name, string uploadId, int partNumber, ReadOnlyMemory<byte> body)
    {
        using S3Response response = Send(HttpMethod.Put, name,
            [new("partNumber", partNumber.ToString(CultureInfo.InvariantCulture)), new("uploadId", uploadId)], body, expect: HttpStatusCode.OK);
        return response.ETag ?? throw new S3Exception($"the store answered part {partNumber} of {Display(name)} without an ETag", 200);
    }

    /// <summary>
    /// How long a completion's answer may take once the store said 200: it joins the parts meanwhile, which AWS says may take
    /// several minutes. The time the caller gave the call (a checkpoint's budget) still bounds it.
    /// </summary>
    public static readonly TimeSpan CompletionPatience = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Completes a multipart upload of <paramref name="length"/> bytes: only now does the object exist.
    /// Throws when there is one already, unless an attempt of ours went through unanswered (this call's, or an earlier
    /// call's when <paramref name="earlierUnanswered"/>: the object there is then ours if it has our length).
    /// </summary>
    public void CompleteUpload(string name, string uploadId, IReadOnlyList<string> partETags, long length, bool earlierUnanswered = false)
    {
        var body = new StringBuilder("<CompleteMultipartUpload>");
        for (int i = 0; i < partETags.Count; i++)
        {
            body.Append(CultureInfo.InvariantCulture, $"<Part><PartNumber>{i + 1}</PartNumber><ETag>{SecurityElement.Escape(partETags[i])}</ETag></Part>");
        }
        body.Append("</CompleteMultipartUpload>");
        try
        {
            // If-None-Match: a stale writer's completion must never replace a pack a generation was committed with.
            using S3Response response = Send(HttpMethod.Post, name, [new("uploadId", uploadId)], Encoding.UTF8.GetBytes(body.ToString()),
                expect: HttpStatusCode.OK, ifNoneMatch: true, errorIn200: true, bodyPatience: CompletionPatience);
            if (response.ConditionFailed && !((response.AfterLostAnswer || earlierUnanswered) && TryGetLength(name) == length))
            {
                throw new S3Exception($"{Display(name)} exists already, so its upload was not completed: another crik wrote it", 412, "PreconditionFailed");
            }
        }
        catch (S3Exception e) when (e.Code == "NoSuchUpload")
        {
            // An attempt completed it but its answer was lost, and the retry found the upload gone: the object says.
            if (TryGetLength(name) != length)
            {
                throw;
            }
        }
    }

    /// <summary>Abandons a multipart upload so the store drops its parts. A store that cannot (405, 501) is not an error: its own lifecycle rules clean up.</summary>
    public bool TryAbortUpload(string name, string uploadId)
    {
        try
        {
            Send(HttpMethod.Delete, name, [new("uploadId", uploadId)], expect: HttpStatusCode.NoContent, missingIsNull: true).Dispose();
            return true;
        }
        catch (S3Exception e) when (e.Status is 405 or 501)
        {
            return false;
        }
    }

    /// <summary>Multipart uploads under <paramref name="namePrefix"/> that were never completed; null when the store cannot list them (405, 501).</summary>
    public List<S3Upload>? TryListUploads(string namePrefix)
    {
        try
        {
            var found = new List<S3Upload>();
            (string Key, string UploadId)? marker = null;
            do
            {
                var query = new List<KeyValuePair<string, string>> { new("uploads", ""), new("prefix", address.Key(namePrefix)) };
                if (marker is { } after)
                {
                    query.Add(new("key-marker", after.Key));
                    query.Add(new("upload-id-marker", after.UploadId));
                }
                using S3Response response = Send(HttpMethod.Get, null, query, expect: HttpStatusCode.OK);
                XDocument page = response.Xml("ListMultipartUploads");
                found.AddRange(page.All("Upload")
                    .Select(u => (Key: u.Child("Key") ?? "", Id: u.Child("UploadId") ?? "", Initiated: u.Child("Initiated")))
                    .Where(u => u.Key.StartsWith(address.Prefix, StringComparison.Ordinal) && u.Id.Length > 0)
                    .Select(u => new S3Upload(u.Key[address.Prefix.Length..], u.Id,
                        DateTimeOffset.TryParse(u.Initiated, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : DateTimeOffset.MinValue)));
                marker = IsTruncated(page)
                    ? (NextMarker(page, "NextKeyMarker", "ListMultipartUploads"), page.Root?.Child("NextUploadIdMarker") ?? "")
                    : null;
            }
            while (marker is not null);
            return found;
        }
        catch (S3Exception e) when (e.Status is 405 or 501)
        {
            return null;
        }
    }

    public string Display(string? name) => name is null ? address.ToString() : address + name;

    private static bool IsTruncated(XDocument page) => string.Equals(page.Root?.Child("IsTruncated"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Where the next page of a truncated listing starts; a listing that cannot go on is an error, never a short list (clean-up would act on it).</summary>
    private string NextMarker(XDocument page, string element, string operation) =>
        page.Root?.Child(element) is { Length: > 0 } marker ? marker
            : throw new S3Exception($"the store's answer to {operation} of {Display(null)} says there is more but gives no {element}; is AWS_ENDPOINT_URL_S3 an S3 API endpoint?", 200);

    private S3Response Send(HttpMethod method, string? name, IReadOnlyList<KeyValuePair<string, string>> query, ReadOnlyMemory<byte> body = default,
        (long From, long To)? range = null, HttpStatusCode expect = HttpStatusCode.OK, bool missingIsNull = false, bool ifNoneMatch = false, string? ifMatch = null,
        bool errorIn200 = false, TimeSpan? bodyPatience = null)
    {
        (Uri uri, string canonicalPath) = settings.Locate(address.Bucket, name is null ? "" : address.Key(name), query);
        string description = name is null ? $"S3 listing of {Display(null)}" : $"S3 {method} {Display(name)}";
        return _sender.Send(new S3Request(method, name, description, uri, canonicalPath, query, body)
        {
            Range = range,
            Expect = expect,
            MissingIsNull = missingIsNull,
            IfNoneMatch = ifNoneMatch,
            IfMatch = ifMatch,
            ErrorIn200 = errorIn200,
            BodyPatience = bodyPatience,
        });
    }

    private S3Response Send(S3Request request) => _sender.Send(request);
}
