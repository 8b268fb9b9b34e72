using System.Diagnostics;
using Crik.Cli.Chunks;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Reads of the chunks that hold a restored app's lazy memory, on a few threads of crik's own (from
/// object storage each read is a request, from a volume a read, a check and maybe a decryption and
/// decompression, so several at once keep both the store and the CPUs busy). A read the app waits for
/// (a fault) goes before every read ahead. A chunk asked for while its read is under way is not read
/// twice. A read stays here, with its bytes, until each <see cref="Get"/> of it is matched by a
/// <see cref="Forget"/>; then its bytes (the app's memory, maybe decrypted) are cleared. The buffers
/// come from a pool of this reader's own (a chunk is up to 2 MiB, and gigabytes of them allocated one
/// by one would keep the garbage collector, and so the faults crik serves, busy); a buffer may be
/// longer than its chunk: <see cref="ChunkedImage.ChunkSize"/> says how much of it is the chunk.
/// A read that fails in a way the store may take back is tried again with backoff, for as long as the
/// <see cref="StoreOutage"/> allows; one that cannot succeed (a damaged chunk, a pack that is gone) fails at once.
/// </summary>
internal sealed class ChunkReads : IDisposable
{
    public const string ReaderThread = "crik chunk reader", FaultReaderThread = "crik fault reader";

    /// <summary>The first pause before a failed read is tried again; it doubles up to <see cref="LongestPause"/>.</summary>
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(200), LongestPause = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyDictionary<int, ChunkedImage> _images;
    private readonly StoreOutage _outage;
    private readonly System.Buffers.ArrayPool<byte> _buffers = System.Buffers.ArrayPool<byte>.Create(Chunks.PageChunker.MaxBytes, 64);
    private readonly object _lock = new();
    private readonly Dictionary<(int Image, int Index), Read> _reads = [];
    private readonly Queue<Read> _urgent = new(), _ahead = new();
    private long _readingTicks;
    private bool _stopped;

    /// <param name="threads">Threads that read ahead; one more is started for faults only.</param>
    /// <param name="failed">What an unexpected exception on a reader thread does (the fill fails).</param>
    public ChunkReads(IReadOnlyDictionary<int, ChunkedImage> images, int threads, StoreOutage outage, Action<string, Exception> failed)
    {
        _images = images;
        _outage = outage;
        Threads = threads + 1;
        for (int i = 0; i < threads; i++)
        {
            BackgroundThread.Start(() => ReadUntilStopped(urgentOnly: false), ReaderThread, failed);
        }
        // One more for the app alone: a fault never waits for a read ahead to end before its own starts.
        BackgroundThread.Start(() => ReadUntilStopped(urgentOnly: true), FaultReaderThread, failed);
    }

    /// <summary>The threads reading: those that read ahead (and for faults), and the one that reads for faults only.</summary>
    public int Threads { get; }

    /// <summary>The threads' time spent reading and checking chunks, added up.</summary>
    public TimeSpan ReadingTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _readingTicks));

    /// <summary>When the oldest attempt at a read under way was sent (<see cref="Stopwatch.GetTimestamp"/>; a pause before the next attempt is not one); 0 when none is.</summary>
    public long OldestAttempt
    {
        get
        {
            lock (_lock)
            {
                return _reads.Values.Select(r => Interlocked.Read(ref r.AttemptStarted)).Where(t => t != 0).DefaultIfEmpty(0).Min();
            }
        }
    }

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
            Read read = Start(image, index, urgent);
            read.Users++;
            return read.Bytes.Task;
        }
    }

    /// <summary>The read of a chunk, started when none is under way or kept. Under the lock.</summary>
    private Read Start(int image, int index, bool urgent)
    {
        if (!_reads.TryGetValue((image, index), out Read? read))
        {
            read = new Read(image, index);
            if (_stopped)
            {
                read.Bytes.SetException(new ObjectDisposedException(nameof(ChunkReads)));
                return read;
            }
            _reads[(image, index)] = read;
            (urgent ? _urgent : _ahead).Enqueue(read);
            Monitor.PulseAll(_lock);
        }
        else if (urgent && read.Started == 0 && !read.Urgent)
        {
            _urgent.Enqueue(read); // it waited behind reads ahead: it goes first now
            Monitor.PulseAll(_lock);
        }
        read.Urgent |= urgent;
        return read;
    }

    /// <summary>One user of the chunk is done with its bytes; once none is, they are let go, and a later <see cref="Get"/> reads it again.</summary>
    public void Forget(int image, int index)
    {
        lock (_lock)
        {
            if (_reads.TryGetValue((image, index), out Read? read) && --read.Users <= 0)
            {
                Drop(image, index);
            }
        }
    }

    private void Drop(int image, int index)
    {
        if (_reads.Remove((image, index), out Read? read))
        {
            read.Bytes.TrySetException(new ObjectDisposedException(nameof(ChunkReads))); // one never started: nobody waits for ever
            _ = read.Bytes.Task.ContinueWith(done => _buffers.Return(done.Result, clearArray: true), TaskContinuationOptions.OnlyOnRanToCompletion);
        }
    }

    /// <summary>Stops the threads; reads under way end on their own, and their bytes are cleared; a read not started fails, as does any asked for later.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.PulseAll(_lock);
            foreach ((int image, int index) in _reads.Keys.ToList())
            {
                Drop(image, index);
            }
        }
    }

    private void ReadUntilStopped(bool urgentOnly)
    {
        while (Next(urgentOnly) is { } read)
        {
            FaultSeam.Hit(urgentOnly ? FaultReaderThread : ReaderThread);
            long started = Stopwatch.GetTimestamp();
            try
            {
                byte[] bytes = ReadPatiently(read);
                if (!read.Bytes.TrySetResult(bytes))
                {
                    _buffers.Return(bytes, clearArray: true); // let go of while it was read
                }
            }
            catch (Exception e)
            {
                read.Bytes.TrySetException(e);
            }
            Interlocked.Add(ref _readingTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    /// <summary>The chunk, read and checked; tried again while the store's failures are ones it may take back and the outage's patience lasts.</summary>
    private byte[] ReadPatiently(Read read)
    {
        ChunkedImage image = _images[read.Image];
        for (int attempt = 1; ; attempt++)
        {
            byte[] bytes = _buffers.Rent(image.ChunkSize(read.Index));
            long sent = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref read.AttemptStarted, sent);
            try
            {
                image.ReadChunk(read.Index, bytes);
            }
            catch (Exception e) when (ReadFailures.Classify(e) == ReadFailure.Transient)
            {
                _buffers.Return(bytes);
                if (!_outage.Failed(e.Message))
                {
                    throw new PackUnavailableException(_outage.GiveUp(), e);
                }
                PauseBeforeTrying(attempt + 1);
                continue;
            }
            catch
            {
                _buffers.Return(bytes);
                throw;
            }
            finally
            {
                Interlocked.Exchange(ref read.AttemptStarted, 0);
            }
            if (_outage.Answered(sent))
            {
                StoreAnswered();
            }
            return bytes;
        }
    }

    /// <summary>
    /// Waits before attempt <paramref name="attempt"/> (jittered, doubling); the end of the outage (a read that
    /// succeeded) or of the reads cuts it short, and nothing else does (the lock's pulses also say a read was queued).
    /// </summary>
    private void PauseBeforeTrying(int attempt)
    {
        double pause = Math.Min(LongestPause.TotalMilliseconds, FirstPause.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 2, 10)));
        long until = Environment.TickCount64 + (long)(pause * (0.5 + (Random.Shared.NextDouble() / 2)));
        lock (_lock)
        {
            for (long left; !_stopped && _outage.Lasted is not null && (left = until - Environment.TickCount64) > 0;)
            {
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(left));
            }
            ObjectDisposedException.ThrowIf(_stopped, this);
        }
    }

    /// <summary>The store answered a read: reads waiting to try again go at once.</summary>
    private void StoreAnswered()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>The next read to do, the app's first; null once stopped.</summary>
    private Read? Next(bool urgentOnly)
    {
        lock (_lock)
        {
            while (!_stopped)
            {
                Read? read = _urgent.Count > 0 ? _urgent.Dequeue() : _ahead.Count > 0 && !urgentOnly ? _ahead.Dequeue() : null;
                if (read is null)
                {
                    Monitor.Wait(_lock);
                }
                else if (read.Started == 0 && _reads.TryGetValue((read.Image, read.Index), out Read? current) && current == read)
                {
                    read.Started = Stopwatch.GetTimestamp();
                    return read;
                }
            }
            return null;
        }
    }

    private sealed class Read(int image, int index)
    {
        public int Image => image;

        public int Index => index;

        public TaskCompletionSource<byte[]> Bytes { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Started { get; set; }

        /// <summary>When the attempt under way was sent (<see cref="Stopwatch.GetTimestamp"/>); 0 between attempts and once done.</summary>
        public long AttemptStarted;

        public bool Urgent { get; set; }

        public int Users { get; set; }
    }
}
