using System.Diagnostics;
using Crik.Cli.Guarding;
using Crik.Cli.Processes;

namespace Crik.Cli.Chunks;

/// <summary>
/// The threads and queues of the read-ahead engine (<see cref="ChunkReadAhead"/>), which reads stored chunks ahead of
/// their use on a few threads of its own (from object storage each read is a request, from a volume a read, a check
/// and maybe a decryption and decompression, so several at once keep both the store and the CPUs busy). A read
/// someone waits for (urgent) goes before every read ahead; each kind goes in the order asked. A read let go of
/// (<see cref="Cancel"/>) before a thread took it is never done; one under way gives its buffer back when it ends.
/// With an <see cref="IStorePatience"/>, a read that fails in a way the store may take back is tried again with
/// backoff for as long as the patience lasts; one that cannot succeed (a damaged chunk, a pack that is gone), or
/// any failure without one, fails at once.
/// </summary>
internal sealed class ChunkReader : IDisposable
{
    private readonly object _lock = new();
    private readonly Queue<ChunkRead> _urgent = new(), _ahead = new();
    private readonly HashSet<ChunkRead> _underWay = [];
    private readonly ChunkReaderThreads _threads;
    private readonly IChunkSource _source;
    private readonly IReadEnds? _ends;
    private readonly PatientReads _attempts;
    private long _readingTicks;
    private bool _stopped;

    /// <param name="source">What reads each chunk, and takes back the buffer of a read let go of once it is read.</param>
    /// <param name="patience">How long a store that stopped answering is waited for; null: not at all.</param>
    /// <param name="failed">What an unexpected exception on a thread does (outside a read, which fails the read).</param>
    /// <param name="ends">Told on the thread that did a read, each time a read it took ends (done, failed, or let go of meanwhile).</param>
    public ChunkReader(ChunkReaderThreads threads, IChunkSource source, IStorePatience? patience, Action<string, Exception> failed, IReadEnds? ends = null)
    {
        _threads = threads;
        _source = source;
        _ends = ends;
        _attempts = new PatientReads(patience);
        for (int i = 0; i < threads.Count; i++)
        {
            BackgroundThread.StartSoon(() =>
            {
                if (threads.AheadYields)
                {
                    BackgroundThread.YieldToTheApp();
                }
                ReadUntilStopped(urgentOnly: false);
            }, threads.Name, failed);
        }
        if (threads.UrgentName is { } urgentName)
        {
            // One more for the app alone: a fault never waits for a read ahead to end before its own starts.
            BackgroundThread.StartSoon(() => ReadUntilStopped(urgentOnly: true), urgentName, failed);
        }
    }

    /// <summary>The threads reading: those that read ahead (and urgently), and the one for urgent reads only, if any.</summary>
    public int Threads => _threads.Count + (_threads.UrgentName is null ? 0 : 1);

    /// <summary>The threads' time spent reading and checking chunks, added up.</summary>
    public TimeSpan ReadingTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _readingTicks));

    /// <summary>When the oldest attempt at a read under way and not let go of was sent (<see cref="Stopwatch.GetTimestamp"/>); 0 when none is.</summary>
    public long OldestAttempt
    {
        get
        {
            lock (_lock)
            {
                return _underWay.Where(r => !r.Cancelled).Select(r => Interlocked.Read(ref r.AttemptStarted)).Where(t => t != 0).DefaultIfEmpty(0).Min();
            }
        }
    }

    /// <summary>Queues the read of chunk <paramref name="index"/> of <paramref name="image"/>; <paramref name="urgent"/> when someone waits for it now.</summary>
    public ChunkRead Queue(int image, int index, bool urgent)
    {
        var queued = new ChunkRead(_source, image, index) { Urgent = urgent };
        lock (_lock)
        {
            if (_stopped)
            {
                queued.LetGo();
                return queued;
            }
            (urgent ? _urgent : _ahead).Enqueue(queued);
            Monitor.PulseAll(_lock);
        }
        return queued;
    }

    /// <summary>Someone waits for a read queued ahead: when no thread has taken it yet, it goes before every read ahead.</summary>
    public void Hurry(ChunkRead read)
    {
        lock (_lock)
        {
            if (read.Started == 0 && !read.Urgent)
            {
                _urgent.Enqueue(read);
                Monitor.PulseAll(_lock);
            }
            read.Urgent = true;
        }
    }

    /// <summary>
    /// Lets go of a read: one not taken yet is never done, and fails; the buffer of one done is given
    /// back now, of one under way once it ends (exactly once, either way).
    /// </summary>
    public void Cancel(ChunkRead read)
    {
        lock (_lock)
        {
            if (read.Cancelled)
            {
                return;
            }
            read.Cancelled = true;
        }
        if (!read.LetGo() && read.Bytes.IsCompletedSuccessfully)
        {
            _source.GiveBack(read.Bytes.Result);
        }
        else if (read.Bytes.IsFaulted)
        {
            _ = read.Bytes.Exception; // a failed read let go of: whoever needed it heard of the failure, or nobody does any more
        }
    }

    /// <summary>Stops the threads; reads under way end on their own (see <see cref="Cancel"/>); reads not started fail, as does any queued later.</summary>
    public void Dispose()
    {
        List<ChunkRead> queued;
        lock (_lock)
        {
            _stopped = true;
            Monitor.PulseAll(_lock);
            _attempts.Stop();
            queued = [.. _urgent, .. _ahead];
            _urgent.Clear();
            _ahead.Clear();
        }
        foreach (ChunkRead read in queued.Where(r => r.Started == 0))
        {
            read.LetGo();
        }
    }

    private void ReadUntilStopped(bool urgentOnly)
    {
        while (Next(urgentOnly) is { } read)
        {
            FaultSeam.Hit(urgentOnly ? _threads.UrgentName! : _threads.Name);
            long started = Stopwatch.GetTimestamp();
            try
            {
                byte[] bytes = _attempts.Read(read);
                if (!read.Done.TrySetResult(bytes))
                {
                    _source.GiveBack(bytes); // let go of while it was read
                }
            }
            catch (Exception e)
            {
                // Whatever it is, whoever waits for this chunk gets it.
                read.Done.TrySetException(e);
            }
            Interlocked.Add(ref _readingTicks, Stopwatch.GetTimestamp() - started);
            lock (_lock)
            {
                _underWay.Remove(read);
            }
            _ends?.Ended(read);
        }
    }

    /// <summary>The next read to do, urgent ones first; null once stopped.</summary>
    private ChunkRead? Next(bool urgentOnly)
    {
        lock (_lock)
        {
            while (!_stopped)
            {
                ChunkRead? read = _urgent.Count > 0 ? _urgent.Dequeue() : _ahead.Count > 0 && !urgentOnly ? _ahead.Dequeue() : null;
                if (read is null)
                {
                    Monitor.Wait(_lock);
                }
                else if (read.Started == 0 && !read.Cancelled)
                {
                    read.Started = Stopwatch.GetTimestamp();
                    _underWay.Add(read);
                    return read;
                }
            }
            return null;
        }
    }
}
