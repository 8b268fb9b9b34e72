using System.Buffers;
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
    private readonly Lock _starting = new();
    private readonly SortedDictionary<long, byte[]> _waiting = [];
    private readonly Dictionary<int, string> _etags = [];
    private string? _uploadId;
    private bool _abandoned;
    private byte[] _part = [];
    private int _partLength;
    private int _nextPartNumber = 1;
    private long _nextOffset;
    private long _buffered;
    private bool _finished;
    private IOException? _failure;

    public int PartBytes => partBytes;

    /// <summary>The pack exists whole in the store.</summary>
    public bool Completed { get; private set; }

    /// <summary>The most bytes held in memory at once (chunks waiting for their turn plus the part being filled).</summary>
    public long PeakBufferedBytes { get; private set; }

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        if (data.IsEmpty)
        {
            return; // nothing to place, and its offset is the next chunk's: it must not take that chunk's place
        }
        List<(int Number, byte[] Bytes, int Length)> full = [];
        lock (_gate)
        {
            // The writer of the chunk at _nextOffset never waits here, so whoever waits is woken.
            while (offset != _nextOffset && _buffered > 0 && _buffered + data.Length > MaxWaitingBytes && !_finished && _failure is null)
            {
                Monitor.Wait(_gate);
            }
            ThrowIfUnusable();
            if (offset == _nextOffset)
            {
                Append(data, full);
            }
            else
            {
                _waiting[offset] = data.ToArray();
                _buffered += data.Length;
            }
            while (_waiting.Count > 0 && _waiting.First() is var next && next.Key == _nextOffset)
            {
                _waiting.Remove(next.Key);
                _buffered -= next.Value.Length;
                Append(next.Value, full);
            }
            PeakBufferedBytes = Math.Max(PeakBufferedBytes, _buffered + _partLength);
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
            if (_waiting.Count > 0)
            {
                throw new IOException($"pack {name} has a gap at offset {_nextOffset}: a chunk was never written");
            }
            if (_partLength > 0 || _nextPartNumber == 1)
            {
                last = (_nextPartNumber++, _part, _partLength);
                _part = [];
                _partLength = 0;
            }
        }
        if (last is { Number: 1 } single && UploadId(start: false) is null)
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
                ReturnPart(single.Bytes);
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
            for (int number = 1; number < _nextPartNumber; number++)
            {
                etags.Add(_etags.TryGetValue(number, out string? etag) ? etag
                    : throw new IOException($"part {number} of {s3.Display(name)} was never uploaded"));
            }
            length = _nextOffset;
        }
        s3.CompleteUpload(name, UploadId(start: false)!, etags, length);
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
        string? uploadId;
        // Waits for a start under way, so the upload it creates is aborted too rather than left behind.
        lock (_starting)
        {
            _abandoned = true;
            uploadId = _uploadId;
        }
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
            if (_part.Length > 0)
            {
                ReturnPart(_part);
                _part = [];
            }
        }
    }

    private void Append(ReadOnlySpan<byte> data, List<(int, byte[], int)> full)
    {
        _nextOffset += data.Length;
        while (data.Length > 0)
        {
            if (_part.Length == 0)
            {
                _part = ArrayPool<byte>.Shared.Rent(partBytes);
            }
            int take = Math.Min(data.Length, partBytes - _partLength);
            data[..take].CopyTo(_part.AsSpan(_partLength));
            _partLength += take;
            data = data[take..];
            if (_partLength == partBytes)
            {
                full.Add((_nextPartNumber++, _part, _partLength));
                _part = [];
                _partLength = 0;
            }
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
                string etag = s3.UploadPart(name, UploadId(start: true)!, number, bytes.AsMemory(0, length));
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
                ReturnPart(bytes);
            }
        }
    }

    /// <summary>The multipart upload's id, starting it first when <paramref name="start"/>; never once the upload is abandoned.</summary>
    private string? UploadId(bool start)
    {
        lock (_starting)
        {
            if (_abandoned)
            {
                throw new S3Exception($"the upload of {s3.Display(name)} was abandoned");
            }
            return start ? _uploadId ??= s3.StartUpload(name) : _uploadId;
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
        _waiting.Clear();
        _buffered = 0;
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

    private static void ReturnPart(byte[] bytes)
    {
        if (bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
