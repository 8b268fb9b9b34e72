using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Crik.Cli.Processes;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Answers CRIU's lazy-pages daemon over the socket it was given with --ps-socket, in CRIU's
/// page-server protocol: each request names a task (its PID in the images), an address as it was at
/// dump time and a number of pages; the answer is the same header saying how many pages follow (at
/// least one, possibly fewer than asked, never past the run the address is in), then their bytes.
/// Answers go in request order, on one thread. The pages the app faulted on (the daemon asks for one
/// page on a fault, and for at least 16 in its background copy) are recorded in order, for the next
/// checkpoint to keep. When a request cannot be answered (a chunk that does
/// not verify, a store that stops answering, an address the images do not have), the failing action
/// runs first (it kills the app: once the daemon loses its page source it lets go of the app's
/// memory, and the app would read zeros where its pages never arrived), and only then is the
/// socket closed.
/// </summary>
internal sealed class PageServer : IDisposable
{
    /// <summary>The most pages of the app's first touches recorded (64 MiB).</summary>
    public const int TouchedLimit = 16384;
    private const int HeaderBytes = 32;
    private const uint Get = 7, Answer = 6, Present = 4, Close = 0x1023, ForceClose = 0x1024;

    private readonly Socket _socket;
    private readonly IReadOnlyDictionary<int, Pagemap> _tasks;
    private readonly IReadOnlyDictionary<int, ChunkedImage> _images;
    private readonly Action<string> _failing;
    private readonly List<TouchedRange> _touched = [];
    private int _touchedPages;
    private readonly TaskCompletionSource<string?> _served = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private int _requests;
    private long _busySince;
    private long _waitingTicks, _readingTicks, _sendingTicks;
    private int _ended;

    // The answer being sent, grown for a larger one; only the serving thread uses it.
    private byte[] _answer = new byte[HeaderBytes + (64 << 10)];

    /// <param name="tasks">Each task's pagemap, by its PID in the images.</param>
    /// <param name="images">Each pages image, by its number.</param>
    public PageServer(Socket socket, IReadOnlyDictionary<int, Pagemap> tasks, IReadOnlyDictionary<int, ChunkedImage> images, Action<string> failing)
    {
        _socket = socket;
        _tasks = tasks;
        _images = images;
        _failing = failing;
        var thread = new Thread(Serve) { IsBackground = true, Name = "crik page server" };
        thread.Start();
    }

    /// <summary>Ends when the daemon says it is done (null) or serving failed (why).</summary>
    public Task<string?> Served => _served.Task;

    public long BytesServed => Interlocked.Read(ref _bytes);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How long the request being answered has taken so far; zero while none is.</summary>
    public TimeSpan Busy => Interlocked.Read(ref _busySince) is var since and not 0 ? Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;

    /// <summary>
    /// Where serving's time went so far: waiting for the daemon's next request (while CRIU restores
    /// the rest, while it puts pages in, or while the app runs without faulting), reading the chunks
    /// (checked, from the packs or already read ahead), and writing the answers into the socket.
    /// </summary>
    public (TimeSpan Waiting, TimeSpan Reading, TimeSpan Sending) Time =>
        (TimeSpan.FromTicks(Ticks(ref _waitingTicks)), TimeSpan.FromTicks(Ticks(ref _readingTicks)), TimeSpan.FromTicks(Ticks(ref _sendingTicks)));

    /// <summary>Serving ended because the daemon went away without a word (not because crik gave up on it and closed the socket).</summary>
    public bool LostDaemon => _lostDaemon && !_abandoned;

    private bool _lostDaemon;
    private volatile bool _abandoned;

    /// <summary>The pages the app faulted on so far, in the order it did, as ranges.</summary>
    public IReadOnlyList<TouchedRange> Touched()
    {
        lock (_touched)
        {
            return [.. _touched];
        }
    }

    /// <summary>Gives up serving (a request that takes too long): the app is killed, then the socket closed.</summary>
    public void Abandon(string why)
    {
        _abandoned = true;
        End(why);
    }

    public void Dispose() => _socket.Dispose();

    private void Serve()
    {
        var header = new byte[HeaderBytes];
        string? failure;
        try
        {
            failure = AnswerUntilDone(header);
        }
        catch (Exception e)
        {
            _lostDaemon = e is SocketException;
            failure = e is SocketException or ObjectDisposedException
                ? $"the page-server socket to CRIU's lazy-pages daemon failed: {e.Message}"
                : $"a page could not be served: {e.Message}";
        }
        finally
        {
            Array.Clear(_answer);
        }
        End(failure);
    }

    /// <summary>Answers the daemon's requests in order; null when it says it is done, else why serving stops.</summary>
    private string? AnswerUntilDone(byte[] header)
    {
        while (true)
        {
            long started = Stopwatch.GetTimestamp();
            bool received = ReceiveAll(header);
            started = Add(ref _waitingTicks, started);
            if (!received)
            {
                _lostDaemon = true;
                return "CRIU's lazy-pages daemon closed its page-server socket without saying it was done";
            }
            uint command = BinaryPrimitives.ReadUInt32LittleEndian(header) & 0xffff;
            if (command is Close or ForceClose)
            {
                _socket.Send(BitConverter.GetBytes(0));
                return null;
            }
            if (command != Get)
            {
                return $"CRIU's lazy-pages daemon sent page-server command {command}, which crik does not serve";
            }
            if (SendPages(header, started) is { } failure)
            {
                return failure;
            }
        }
    }

    /// <summary>Answers one request for pages (received at <paramref name="started"/>); why not, when it cannot.</summary>
    private string? SendPages(byte[] header, long started)
    {
        long asked = (long)BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(8));
        ulong address = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(16));
        ulong task = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        if (!_tasks.TryGetValue((int)task, out Pagemap? pagemap) || pagemap.Find(address) is not { } run)
        {
            return $"CRIU asked for memory at 0x{address:x} of task {task}, which its images do not hold";
        }
        long pages = Math.Min(asked, (long)((run.End - address) / Pagemap.PageBytes));
        if (pages <= 0)
        {
            return $"CRIU asked for {asked} pages at 0x{address:x} of task {task}";
        }
        int bytes = checked((int)(pages * Pagemap.PageBytes));
        if (asked == 1)
        {
            RecordTouch((int)task, address);
        }
        Interlocked.Exchange(ref _busySince, started);
        if (_answer.Length < HeaderBytes + bytes)
        {
            _answer = new byte[HeaderBytes + bytes];
        }
        header.CopyTo(_answer, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(_answer, (Present << 16) | Answer);
        BinaryPrimitives.WriteUInt64LittleEndian(_answer.AsSpan(8), (ulong)pages);
        _images[pagemap.PagesId].Read(run.Offset + (long)(address - run.Address), _answer.AsSpan(HeaderBytes, bytes), fault: asked == 1);
        started = Add(ref _readingTicks, started);
        _socket.Send(_answer.AsSpan(0, HeaderBytes + bytes));
        Add(ref _sendingTicks, started);
        Interlocked.Exchange(ref _busySince, 0);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _requests);
        return null;
    }

    /// <summary>Adds the time since <paramref name="since"/> to a total; returns now.</summary>
    private static long Add(ref long total, long since)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref total, now - since);
        return now;
    }

    private static long Ticks(ref long stopwatchTicks) => (long)(Interlocked.Read(ref stopwatchTicks) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));

    private void RecordTouch(int task, ulong address)
    {
        lock (_touched)
        {
            if (_touchedPages >= TouchedLimit)
            {
                return;
            }
            _touchedPages++;
            if (_touched.Count > 0 && _touched[^1] is var last && last.Pid == task && last.Address + ((ulong)last.Pages * Pagemap.PageBytes) == address)
            {
                _touched[^1] = last with { Pages = last.Pages + 1 };
            }
            else
            {
                _touched.Add(new TouchedRange(task, address, 1));
            }
        }
    }

    /// <summary>Ends serving once: on a failure the app is killed before the socket closes.</summary>
    private void End(string? failure)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }
        if (failure is not null)
        {
            try
            {
                _failing(failure);
            }
            finally
            {
                _socket.Dispose();
            }
        }
        _served.TrySetResult(failure);
    }

    private bool ReceiveAll(byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = _socket.Receive(buffer, total, buffer.Length - total, SocketFlags.None);
            if (read == 0)
            {
                return false;
            }
            total += read;
        }
        return true;
    }
}
