using Crik.Cli.Chunks;

namespace Crik.Cli.ObjectStorage;

/// <summary>
/// A pack written straight into object storage as a multipart upload, with no copy on disk. Chunks
/// arrive from several threads at offsets they reserved, in any order; they are put in order into
/// parts of <see cref="PartBytes"/>, and each full part is uploaded by the thread that filled it.
/// A chunk that arrives ahead of its turn waits in memory, up to <see cref="MaxWaitingBytes"/>;
/// beyond that its writer waits for the chunks before it, so memory stays bounded however the
/// writers are scheduled: the waiting chunks, the part being filled, and one part per writer
/// being uploaded. The object exists only
/// once <see cref="Complete"/> succeeds, so a pod killed mid-upload leaves no pack at all (the store
/// drops the parts when the upload is aborted or its lifecycle rule expires it).
/// </summary>
internal sealed class S3PackUpload(S3Client s3, string name, int partBytes = S3PackUpload.DefaultPartBytes) : IPackTarget
{
    /// <summary>8 MiB parts: above S3's 5 MiB minimum, and 10,000 parts cover 78 GiB of new chunks per generation.</summary>
    public const int DefaultPartBytes = 8 << 20;

    /// <summary>Chunks written ahead of their turn that are held in memory before their writers are made to wait.</summary>
    public const int MaxWaitingBytes = 8 << 20;

    private readonly object _gate = new();
    /// <summary>Guarded by <see cref="_gate"/>, as <see cref="_etags"/> is.</summary>
    private readonly PartBuffer _parts = new(partBytes);
    private readonly MultipartUploadId _upload = new(s3, name);
    private readonly Dictionary<int, string> _etags = [];
    private bool _finished;
    private IOException? _failure;

    public int PartBytes => _parts.PartBytes;

    /// <summary>The pack exists whole in the store.</summary>
    public bool Completed { get; private set; }

    /// <summary>The most bytes held in memory at once (chunks waiting for their turn plus the part being filled).</summary>
    public long PeakBufferedBytes => _parts.PeakBufferedBytes;

    /// <summary>An upload's parts are the pack's bytes one after another: a hole between chunks would be bytes to send.</summary>
    public bool WantsPageAligned(ReadOnlySpan<byte> data) => false;

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        if (data.IsEmpty)
        {
            return; // nothing to place, and its offset is the next chunk's: it must not take that chunk's place
        }
        List<(int Number, byte[] Bytes, int Length)> full = [];
        lock (_gate)
        {
            // The writer of the chunk at the next offset never waits here, so whoever waits is woken.
            while (_parts.MustWait(offset, data.Length, MaxWaitingBytes) && !_finished && _failure is null)
            {
                Monitor.Wait(_gate);
            }
            ThrowIfUnusable();
            _parts.Place(data, offset, full);
            Monitor.PulseAll(_gate);
        }
        UploadAll(full);
    }

    /// <summary>Uploads what is left and completes the upload: the pack now exists whole. Fails with an IOException.</summary>
    public void Complete()
    {
        (int Number, byte[] Bytes, int Length)? last = null;
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_parts.HasWaiting)
            {
                throw new IOException($"pack {name} has a gap at offset {_parts.NextOffset}: a chunk was never written");
            }
            last = _parts.TakeLast();
        }
        if (last is { Number: 1 } single && _upload.Get(start: false) is null)
        {
            // Small enough for one request: no upload to start, complete or abandon.
            try
            {
                ReadOnlyMemory<byte> bytes = single.Bytes.AsMemory(0, single.Length);
                // Written only if absent, as a completion is; one already there is ours only if it is the same (an attempt whose answer was lost).
                if (s3.PutIfAbsent(name, bytes) is null && !(s3.TryGet(name) is { } stored && stored.AsSpan().SequenceEqual(bytes.Span)))
                {
                    throw new S3Exception($"{s3.Display(name)} exists already, so this pack was not written: another crik wrote it", 412, "PreconditionFailed");
                }
            }
            finally
            {
                PartBuffer.Return(single.Bytes);
            }
            Finish();
            return;
        }
        if (last is { } part)
        {
            UploadAll([part]);
        }
        List<string> etags;
        long length;
        lock (_gate)
        {
            ThrowIfUnusable();
            etags = [];
            for (int number = 1; number <= _parts.PartCount; number++)
            {
                etags.Add(_etags.TryGetValue(number, out string? etag) ? etag
                    : throw new IOException($"part {number} of {s3.Display(name)} was never uploaded"));
            }
            length = _parts.NextOffset;
        }
        s3.CompleteUpload(name, _upload.Get(start: false)!, etags, length);
        Finish();
    }

    /// <summary>
    /// Abandons an upload that will not complete; false when the store could not be told (its
    /// lifecycle rule then cleans up). Never throws: it runs on paths that are already failing.
    /// </summary>
    public bool Abort()
    {
        lock (_gate)
        {
            _finished = true;
            ReleaseWaiting();
        }
        string? uploadId = _upload.Abandon();
        try
        {
            return uploadId is null || s3.TryAbortUpload(name, uploadId);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _finished = true;
            ReleaseWaiting();
            _parts.DropPart();
        }
    }

    /// <summary>Uploads full parts in turn; when one fails, the upload is failed for every writer and the rest are dropped.</summary>
    private void UploadAll(List<(int Number, byte[] Bytes, int Length)> parts)
    {
        int uploaded = 0;
        try
        {
            for (; uploaded < parts.Count; uploaded++)
            {
                (int number, byte[] bytes, int length) = parts[uploaded];
                string etag = s3.UploadPart(name, _upload.Get(start: true)!, number, bytes.AsMemory(0, length));
                lock (_gate)
                {
                    _etags[number] = etag;
                }
            }
        }
        catch (Exception e)
        {
            IOException failure = Fail(e);
            if (failure == e)
            {
                throw;
            }
            throw failure;
        }
        finally
        {
            foreach ((_, byte[] bytes, _) in parts)
            {
                PartBuffer.Return(bytes);
            }
        }
    }

    /// <summary>Records the first failure, which every later write and the completion repeat, and frees whoever waits.</summary>
    private IOException Fail(Exception e)
    {
        lock (_gate)
        {
            _failure ??= e as IOException ?? new S3Exception($"uploading {s3.Display(name)} failed: {e.Message}", inner: e);
            ReleaseWaiting();
            return _failure;
        }
    }

    private void ThrowIfUnusable()
    {
        if (_failure is { } failure)
        {
            throw new S3Exception(failure.Message, (failure as S3Exception)?.Status ?? 0, (failure as S3Exception)?.Code, failure);
        }
        if (_finished)
        {
            throw new S3Exception($"the upload of {s3.Display(name)} was {(Completed ? "completed" : "abandoned")} already");
        }
    }

    private void ReleaseWaiting()
    {
        _parts.DropWaiting();
        Monitor.PulseAll(_gate);
    }

    private void Finish()
    {
        lock (_gate)
        {
            _finished = true;
            Completed = true;
        }
    }
}
