using Crik.Cli.Chunks;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Reads of the chunks that hold a restored app's lazy memory, on a <see cref="ChunkReader"/>'s threads: a
/// few that read ahead (and for faults), and one more for faults only. A read the app waits for (a fault)
/// goes before every read ahead. A chunk asked for while its read is under way is not read twice. A read
/// stays here, with its bytes, until each <see cref="Get"/> of it is matched by a <see cref="Forget"/>; then
/// its bytes (the app's memory, maybe decrypted) are cleared. The buffers come from a pool of this reader's
/// own (a chunk is up to 2 MiB, and gigabytes of them allocated one by one would keep the garbage collector,
/// and so the faults crik serves, busy); a buffer may be longer than its chunk: <see cref="ChunkedImage.ChunkSize"/>
/// says how much of it is the chunk. A read that fails in a way the store may take back is tried again with
/// backoff, for as long as the <see cref="StoreOutage"/> allows; one that cannot succeed (a damaged chunk, a
/// pack that is gone) fails at once.
/// </summary>
internal sealed class ChunkReads : IDisposable
{
    public const string ReaderThread = "crik chunk reader", FaultReaderThread = "crik fault reader";

    private readonly IReadOnlyDictionary<int, ChunkedImage> _images;
    private readonly System.Buffers.ArrayPool<byte> _buffers = System.Buffers.ArrayPool<byte>.Create(PageChunker.MaxBytes, 64);
    private readonly ChunkReader _reader;
    private readonly object _lock = new();
    private readonly Dictionary<(int Image, int Index), (ChunkRead Read, int Users)> _reads = [];
    private bool _stopped;

    /// <param name="threads">Threads that read ahead; one more is started for faults only.</param>
    /// <param name="failed">What an unexpected exception on a reader thread does (the fill fails).</param>
    public ChunkReads(IReadOnlyDictionary<int, ChunkedImage> images, int threads, StoreOutage outage, Action<string, Exception> failed)
    {
        _images = images;
        _reader = new ChunkReader(new ChunkReaderThreads(threads, ReaderThread, FaultReaderThread, AheadYields: true), Clear, outage, failed);
    }

    /// <summary>The threads reading: those that read ahead (and for faults), and the one that reads for faults only.</summary>
    public int Threads => _reader.Threads;

    /// <summary>The threads' time spent reading and checking chunks, added up.</summary>
    public TimeSpan ReadingTime => _reader.ReadingTime;

    /// <summary>When the oldest attempt at a read under way was sent (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>; a pause before the next attempt is not one); 0 when none is.</summary>
    public long OldestAttempt => _reader.OldestAttempt;

    /// <summary>Starts reading a chunk that will be asked for soon (with <see cref="Get"/>).</summary>
    public void Prefetch(int image, int index)
    {
        lock (_lock)
        {
            _ = Start(image, index, urgent: false);
        }
    }

    /// <summary>The chunk's bytes, checked; <paramref name="urgent"/> when the app waits for them. Each call is matched by a <see cref="Forget"/>.</summary>
    public Task<byte[]> Get(int image, int index, bool urgent)
    {
        lock (_lock)
        {
            ChunkRead read = Start(image, index, urgent);
            if (_reads.TryGetValue((image, index), out var kept))
            {
                _reads[(image, index)] = kept with { Users = kept.Users + 1 };
            }
            return read.Bytes;
        }
    }

    /// <summary>One user of the chunk is done with its bytes; once none is, they are let go, and a later <see cref="Get"/> reads it again.</summary>
    public void Forget(int image, int index)
    {
        lock (_lock)
        {
            if (!_reads.TryGetValue((image, index), out var kept))
            {
                return;
            }
            if (kept.Users <= 1)
            {
                Drop(image, index);
            }
            else
            {
                _reads[(image, index)] = kept with { Users = kept.Users - 1 };
            }
        }
    }

    /// <summary>Stops the threads; reads under way end on their own, and their bytes are cleared; a read not started fails, as does any asked for later.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            _reader.Dispose();
            foreach ((int image, int index) in _reads.Keys.ToList())
            {
                Drop(image, index);
            }
        }
    }

    /// <summary>The read of a chunk, started when none is under way or kept. Under the lock.</summary>
    private ChunkRead Start(int image, int index, bool urgent)
    {
        if (_reads.TryGetValue((image, index), out var kept))
        {
            if (urgent)
            {
                _reader.Hurry(kept.Read); // it may wait behind reads ahead: it goes first now
            }
            return kept.Read;
        }
        ChunkRead read = _reader.Queue(() => Read(_images[image], index), urgent);
        if (!_stopped)
        {
            _reads[(image, index)] = (read, 0);
        }
        return read;
    }

    private void Drop(int image, int index)
    {
        if (_reads.Remove((image, index), out var kept))
        {
            _reader.Cancel(kept.Read); // one never started: nobody waits for ever
        }
    }

    /// <summary>One attempt at a chunk, into a buffer of the pool's (given back when it fails).</summary>
    private byte[] Read(ChunkedImage image, int index)
    {
        byte[] bytes = _buffers.Rent(image.ChunkSize(index));
        try
        {
            image.ReadChunk(index, bytes);
            return bytes;
        }
        catch
        {
            _buffers.Return(bytes);
            throw;
        }
    }

    private void Clear(byte[] bytes) => _buffers.Return(bytes, clearArray: true);
}
