using Crik.Cli.ObjectStorage;

namespace Crik.Cli.ImageStore.Backends;

/// <summary>
/// A pack written into an upload that takes whole parts (<see cref="IBlobUpload.WholeParts"/>: object storage's multipart upload),
/// with no copy on disk. Chunks arrive from several threads at offsets they reserved, in any order; they are put in order into
/// parts, and each full part is written by the thread that filled it (one call through the store's wrappers: retried, fenced,
/// bounded and counted as every other). A chunk that arrives ahead of its turn waits in memory, up to <see cref="MaxWaitingBytes"/>;
/// beyond that its writer waits for the chunks before it, so memory stays bounded however the writers are scheduled: the waiting
/// chunks, the part being filled, and one part per writer being uploaded. The last part, shorter, goes up when the pack completes.
/// A part that fails in the end (the wrappers gave up) fails the pack for every writer. The object exists only once
/// <see cref="Complete"/> succeeds, so a pod killed mid-upload leaves no pack at all (the store drops the parts when the upload is
/// aborted or its lifecycle rule expires it).
/// </summary>
internal sealed class PackParts(IBlobUpload parts, int partBytes) : IBlobUpload
{
    /// <summary>Chunks written ahead of their turn that are held in memory before their writers are made to wait.</summary>
    public const int MaxWaitingBytes = 8 << 20;

    private readonly object _gate = new();
    /// <summary>Guarded by <see cref="_gate"/>.</summary>
    private readonly PartBuffer _parts = new(partBytes);
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
        WriteAll(full);
    }

    /// <summary>Writes what is left (the last part) and completes the upload: the pack now exists whole. Fails with an IOException.</summary>
    public void Complete()
    {
        (int Number, byte[] Bytes, int Length)? last;
        lock (_gate)
        {
            ThrowIfUnusable();
            if (_parts.HasWaiting)
            {
                throw new IOException($"{parts} has a gap at offset {_parts.NextOffset}: a chunk was never written");
            }
            last = _parts.TakeLast();
        }
        if (last is { } part)
        {
            WriteAll([part]);
        }
        lock (_gate)
        {
            ThrowIfUnusable();
        }
        parts.Complete();
        lock (_gate)
        {
            _finished = true;
            Completed = true;
        }
    }

    /// <summary>Abandons an upload that will not complete: no writer waits any longer, and the store is told to drop the parts (<see cref="IBlobUpload.Abort"/>).</summary>
    public void Abort()
    {
        lock (_gate)
        {
            _finished = true;
            ReleaseWaiting();
        }
        parts.Abort();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _finished = true;
            ReleaseWaiting();
            _parts.DropPart();
        }
        parts.Dispose();
    }

    /// <summary>Writes full parts in turn; when one fails, the upload is failed for every writer and the rest are dropped.</summary>
    private void WriteAll(List<(int Number, byte[] Bytes, int Length)> full)
    {
        try
        {
            foreach ((int number, byte[] bytes, int length) in full)
            {
                parts.Write(bytes.AsSpan(0, length), (long)(number - 1) * PartBytes);
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
            foreach ((_, byte[] bytes, _) in full)
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
            _failure ??= e as IOException ?? new IOException($"uploading {parts} failed: {e.Message}", e);
            ReleaseWaiting();
            return _failure;
        }
    }

    private void ThrowIfUnusable()
    {
        if (_failure is { } failure)
        {
            throw failure is S3Exception s3 ? new S3Exception(failure.Message, s3.Status, s3.Code, failure) : new IOException(failure.Message, failure);
        }
        if (_finished)
        {
            throw new IOException($"the upload of {parts} was {(Completed ? "completed" : "abandoned")} already");
        }
    }

    public override string ToString() => parts.ToString() ?? nameof(PackParts);

    private void ReleaseWaiting()
    {
        _parts.DropWaiting();
        Monitor.PulseAll(_gate);
    }
}
