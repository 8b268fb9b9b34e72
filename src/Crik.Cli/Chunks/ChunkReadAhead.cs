namespace Crik.Cli.Chunks;

/// <summary>
/// The one read-ahead engine: the chunks a restore needs, read (and checked) ahead of their use on a
/// <see cref="ChunkReader"/>'s threads, for the streamed restore (each image's chunks in order, through
/// <see cref="ChunksInOrder"/>) and for the lazy fill (the chunks the app touched first first, faults
/// before every read ahead). A chunk is named by its image and its index in it. A chunk asked for while
/// its read is under way is not read twice: the read stays here, with its bytes, until each
/// <see cref="Get"/> of it is matched by a <see cref="Forget"/>, or its one user <see cref="Keep"/>s
/// them; then its buffer goes back (now, or once the read ends). A thread that dies of an exception
/// nobody expected (outside a chunk's read) is told to <c>failed</c> first, then fails every chunk not
/// read yet, and any asked for later, with it, so that nobody waits for a read that never comes.
/// </summary>
internal sealed class ChunkReadAhead : IReadEnds, IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<(int Image, int Index), (ChunkRead Read, int Users)> _reads = [];
    private readonly IChunkSource _source;
    private readonly IUnexpectedFailures? _failed;
    private readonly ChunkReader _reader;
    private readonly List<IReadFailures> _watchers = [];
    private Exception? _broken;
    private bool _stopped;

    /// <param name="threads">The threads that read, and their names.</param>
    /// <param name="source">Reads chunk (image, index) into a buffer of its own, once per attempt; takes the buffer back once nobody uses it.</param>
    /// <param name="patience">How long a store that stopped answering is waited for; null: not at all.</param>
    /// <param name="failed">Told first when a thread dies of an exception nobody expected; null: only the chunks not read fail.</param>
    public ChunkReadAhead(ChunkReaderThreads threads, IChunkSource source, IStorePatience? patience, IUnexpectedFailures? failed)
    {
        _source = source;
        _failed = failed;
        _reader = new ChunkReader(threads, source, patience, ThreadFailed, ends: this);
    }

    /// <summary>From now on <paramref name="watcher"/> is told of each read that fails (or is let go of while under way), on the thread that did it.</summary>
    public void Watch(IReadFailures watcher)
    {
        lock (_lock)
        {
            _watchers.Add(watcher);
        }
    }

    /// <summary>No longer tells <paramref name="watcher"/> of the reads that fail.</summary>
    public void Unwatch(IReadFailures watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>The threads reading: those that read ahead (and urgently), and the one for urgent reads only, if any.</summary>
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

    /// <summary>The chunk's bytes, checked; <paramref name="urgent"/> when someone waits for them now. Each call is matched by a <see cref="Forget"/> (or a <see cref="Keep"/>).</summary>
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

    /// <summary>One user of the chunk is done with its bytes; once none is, they go back, and a later <see cref="Get"/> reads it again.</summary>
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

    /// <summary>The one user of a chunk read keeps its buffer: it is no longer here, and goes back through <see cref="GiveBack"/>.</summary>
    public void Keep(int image, int index)
    {
        lock (_lock)
        {
            if (_reads.TryGetValue((image, index), out var kept) && kept.Users > 1)
            {
                throw new InvalidOperationException($"chunk {index} of image {image} has {kept.Users} users: none can keep its buffer");
            }
            _reads.Remove((image, index));
        }
    }

    /// <summary>Takes back the buffer of a chunk kept (<see cref="Keep"/>).</summary>
    public void GiveBack(byte[] buffer) => _source.GiveBack(buffer);

    /// <summary>Stops the threads; reads under way end on their own, and their buffers go back; a read not started fails, as does any asked for later.</summary>
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
        if (_broken is not null)
        {
            var refused = new ChunkRead(_source, image, index);
            refused.Done.SetException(_broken);
            _ = refused.Bytes.Exception; // reported once, where the thread failed; a read nobody waits for needs no more looking at
            return refused;
        }
        ChunkRead read = _reader.Queue(image, index, urgent);
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

    /// <summary>A read ended, on the thread that did it: when it failed, the watchers are told (outside the lock, which they may take in turn).</summary>
    void IReadEnds.Ended(ChunkRead read)
    {
        if (!read.Bytes.IsFaulted)
        {
            return;
        }
        List<IReadFailures> watchers;
        lock (_lock)
        {
            watchers = [.. _watchers];
        }
        foreach (IReadFailures watcher in watchers)
        {
            watcher.Failed(read.Bytes);
        }
    }

    /// <summary>
    /// A reader thread died of <paramref name="e"/>: told to whoever owns the reads first, then every chunk not read
    /// fails with it (and the stack in its message, for the log line that says why), as does any asked for later.
    /// </summary>
    private void ThreadFailed(string name, Exception e)
    {
        _failed?.FailedUnexpectedly(name, e);
        lock (_lock)
        {
            _broken ??= new InvalidOperationException($"{name} failed unexpectedly: {e}", e);
            foreach ((ChunkRead read, _) in _reads.Values)
            {
                read.Done.TrySetException(_broken);
                _ = read.Bytes.Exception; // as for a refused read: reported once, above
            }
        }
    }
}
