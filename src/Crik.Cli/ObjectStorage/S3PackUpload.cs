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
    private readonly SortedDictionary<long, byte[]> _waiting = [];
    private readonly Dictionary<int, string> _etags = [];
    private string? _uploadId;
    private byte[] _part = [];
    private int _partLength;
    private int _nextPartNumber = 1;
    private long _nextOffset;
    private long _buffered;
    private bool _finished;

    public int PartBytes => partBytes;

    /// <summary>The pack exists whole in the store.</summary>
    public bool Completed { get; private set; }

    /// <summary>The most bytes held in memory at once (chunks waiting for their turn plus the part being filled).</summary>
    public long PeakBufferedBytes { get; private set; }

    public void Write(ReadOnlySpan<byte> data, long offset)
    {
        List<(int Number, byte[] Bytes, int Length)> full = [];
        lock (_gate)
        {
            // The writer of the chunk at _nextOffset never waits here, so whoever waits is woken.
            while (offset != _nextOffset && _buffered > 0 && _buffered + data.Length > MaxWaitingBytes && !_finished)
            {
                Monitor.Wait(_gate);
            }
            ObjectDisposedException.ThrowIf(_finished, this);
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
        foreach ((int number, byte[] bytes, int length) in full)
        {
            Upload(number, bytes, length);
        }
    }

    /// <summary>Uploads what is left and completes the upload: the pack now exists whole.</summary>
    public void Complete()
    {
        (int Number, byte[] Bytes, int Length)? last = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_finished, this);
            if (_waiting.Count > 0)
            {
                throw new InvalidOperationException($"pack {name} has a gap at offset {_nextOffset}: a chunk was never written");
            }
            if (_partLength > 0 || _nextPartNumber == 1)
            {
                last = (_nextPartNumber++, _part, _partLength);
                _part = [];
                _partLength = 0;
            }
        }
        if (last is { } part)
        {
            if (part.Number == 1 && _uploadId is null)
            {
                // Small enough for one request: no upload to start, complete or abandon.
                s3.Put(name, part.Bytes.AsMemory(0, part.Length));
                ReturnPart(part.Bytes);
                _finished = true;
                Completed = true;
                return;
            }
            Upload(part.Number, part.Bytes, part.Length);
        }
        lock (_gate)
        {
            s3.CompleteUpload(name, _uploadId!, Enumerable.Range(1, _nextPartNumber - 1).Select(n => _etags[n]).ToList(), _nextOffset);
            _finished = true;
            Completed = true;
        }
    }

    /// <summary>Abandons an upload that will not complete; false when the store could not be told (its lifecycle rule then cleans up).</summary>
    public bool Abort()
    {
        string? uploadId;
        lock (_gate)
        {
            _finished = true;
            uploadId = _uploadId;
            Monitor.PulseAll(_gate);
        }
        try
        {
            return uploadId is null || s3.TryAbortUpload(name, uploadId);
        }
        catch (S3Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _waiting.Clear();
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

    private void Upload(int number, byte[] bytes, int length)
    {
        try
        {
            string uploadId;
            lock (_gate)
            {
                uploadId = _uploadId ??= s3.StartUpload(name);
            }
            string etag = s3.UploadPart(name, uploadId, number, bytes.AsMemory(0, length));
            lock (_gate)
            {
                _etags[number] = etag;
            }
        }
        finally
        {
            ReturnPart(bytes);
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
