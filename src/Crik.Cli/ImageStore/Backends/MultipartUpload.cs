using System.Buffers;
using Crik.Cli.ObjectStorage;
using Serilog;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A pack's multipart upload (<see cref="ObjectBackend.CreateUpload"/>), one request per call so that the store's wrappers retry,
/// fence, bound and count each: a write is one whole part (<see cref="WholeParts"/>), uploaded under its number (the upload started
/// by the first part that needs it), and a part sent again replaces itself; the completion sends their ETags. A pack of one short
/// part is no upload at all: one PUT, only if absent, when it completes. Chunks are put into parts above the wrappers
/// (<see cref="PackParts"/>), so that a part retried is the same bytes.
/// </summary>
internal sealed class MultipartUpload(S3Client s3, string key, int partBytes, ILogger log) : IBlobUpload
{
    /// <summary>8 MiB parts: above S3's 5 MiB minimum, and 10,000 parts cover 78 GiB of new chunks per generation.</summary>
    public const int DefaultPartBytes = 8 << 20;

    private readonly MultipartUploadId _upload = new(s3, key);
    private readonly Dictionary<int, string> _etags = [];
    private long _length;
    private byte[]? _whole;
    private bool _completionUnanswered;

    public int? WholeParts => partBytes;

    public bool Completed { get; private set; }

    /// <summary>An upload's parts are the pack's bytes one after another: a hole between chunks would be bytes to send.</summary>
    public bool WantsPageAligned(ReadOnlySpan<byte> data) => false;

    /// <summary>Uploads the part at <paramref name="offset"/>; the first and only one, shorter than a part, is kept for the PUT at completion.</summary>
    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        int number = (int)(offset / partBytes) + 1;
        if (offset % partBytes != 0 || data.Length > partBytes)
        {
            throw new IOException($"part {number} of {s3.Display(key)} is not a whole part at its offset ({data.Length} bytes at {offset})");
        }
        if (number == 1 && data.Length < partBytes && _upload.Get(start: false) is null)
        {
            _whole = data.ToArray(); // the whole pack: no upload to start, complete or abandon
            Grow(data.Length);
            return;
        }
        string uploadId = _upload.Get(start: true)!;
        byte[] body = ArrayPool<byte>.Shared.Rent(data.Length); // the request's body outlives no call: a copy of the caller's part, pooled
        string etag;
        try
        {
            data.CopyTo(body);
            etag = s3.UploadPart(key, uploadId, number, body.AsMemory(0, data.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
        lock (_etags)
        {
            _etags[number] = etag;
        }
        Grow(offset + data.Length);
    }

    /// <summary>
    /// Makes the pack whole at its key, only if no object is there: the multipart upload completed, or a pack of one short part put.
    /// One that is there already is ours only when an attempt of ours went unanswered and it is ours (its length, its bytes).
    /// </summary>
    public void Complete()
    {
        if (_whole is { } whole)
        {
            if (s3.PutIfAbsent(key, whole) is null && !(s3.TryGet(key) is { } stored && stored.AsSpan().SequenceEqual(whole)))
            {
                throw new S3Exception($"{s3.Display(key)} exists already, so this pack was not written: another crik wrote it", 412, "PreconditionFailed");
            }
            Completed = true;
            return;
        }
        List<string> etags = [];
        lock (_etags)
        {
            for (int number = 1; number <= _etags.Count || _etags.ContainsKey(number); number++)
            {
                etags.Add(_etags.TryGetValue(number, out string? etag) ? etag : throw new IOException($"part {number} of {s3.Display(key)} was never uploaded"));
            }
        }
        try
        {
            s3.CompleteUpload(key, _upload.Get(start: false) ?? throw new IOException($"nothing of {s3.Display(key)} was written"), etags, Interlocked.Read(ref _length), _completionUnanswered);
        }
        catch (S3Exception e) when (e.Status is 0 or >= 500)
        {
            _completionUnanswered = true; // it may have landed: the next attempt's refusal is then checked against the object
            throw;
        }
        Completed = true;
    }

    /// <summary>Drops the parts (one request); one the store cannot abort (405, 501) is left to its lifecycle rule and to <see cref="AbandonedUploads"/>.</summary>
    public void Abort()
    {
        if (Completed || _upload.Abandon() is not { } id)
        {
            return;
        }
        if (!s3.TryAbortUpload(key, id))
        {
            log.Debug("The store could not abort the upload of {Pack}; its lifecycle rule will drop the parts", s3.Display(key));
        }
    }

    public void Dispose()
    {
    }

    private void Grow(long end)
    {
        for (long known = Interlocked.Read(ref _length); end > known; known = Interlocked.Read(ref _length))
        {
            if (Interlocked.CompareExchange(ref _length, end, known) == known)
            {
                return;
            }
        }
    }
}
