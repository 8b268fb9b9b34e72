using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Crik.Cli.Chunks;

namespace Crik.Cli.Streaming;

/// <summary>
/// The chunks of one image, read (and checked) in order by a <see cref="ChunkReader"/> of their own while
/// the caller writes them out: chunk i is asked for once chunk i - <c>depth</c> has been given back, so at
/// most <c>depth</c> buffers are out at a time, counting those being read and written.
/// </summary>
/// <remarks>
/// A chunk that cannot be read is thrown from <see cref="Take(int)"/> in its turn, after every chunk before it,
/// and no further chunk is started once one has failed. <see cref="Dispose"/> stops the readers and gives back
/// every buffer read and not taken; a read under way gives its buffer back itself when it is done. A reader
/// that dies of an exception nobody expected (outside a chunk's read) fails the image: every chunk not yet
/// read throws it (<see cref="ReaderFailed"/>), so the restore fails instead of waiting for it, and crik lives on.
/// </remarks>
internal sealed class ChunkReadAhead : IDisposable
{
    private readonly object _lock = new();
    private readonly int _count;
    private readonly Func<int, byte[]> _read;
    private readonly Action<byte[]> _giveBack;
    private readonly ChunkRead?[] _window;
    private readonly ChunkReader _reader;
    private int _next;
    private int _givenBack;
    private bool _stopped;
    private bool _failed;
    private Exception? _readerFailed;

    /// <param name="count">How many chunks there are.</param>
    /// <param name="read">Reads chunk i into a buffer of its own (run on the reader threads).</param>
    /// <param name="giveBack">Takes back a buffer <paramref name="read"/> gave, once it is no longer needed.</param>
    public ChunkReadAhead(int count, Func<int, byte[]> read, Action<byte[]> giveBack, int depth, int readers, string name)
    {
        _count = count;
        _read = read;
        _giveBack = giveBack;
        _window = new ChunkRead?[depth];
        _reader = new ChunkReader(new ChunkReaderThreads(Math.Min(readers, Math.Min(depth, count)), name, Ended: ReadEnded), giveBack, patience: null, ReaderFailed);
        lock (_lock)
        {
            AskAhead();
        }
    }

    /// <summary>Chunk <paramref name="index"/> (the next one, in order), waiting for it; throws what reading it threw.</summary>
    public byte[] Take(int index) => Take(index, Timeout.Infinite)!;

    /// <summary>
    /// As <see cref="Take(int)"/>, but waits at most <paramref name="milliseconds"/> for the chunk:
    /// null when it has not been read by then.
    /// </summary>
    public byte[]? Take(int index, int milliseconds)
    {
        lock (_lock)
        {
            ref ChunkRead? slot = ref _window[index % _window.Length];
            while (slot?.Bytes.IsCompleted != true && _readerFailed is null)
            {
                if (!Monitor.Wait(_lock, milliseconds))
                {
                    return null;
                }
            }
            Task<byte[]>? read = slot?.Bytes.IsCompleted == true ? slot.Bytes : null;
            slot = null;
            if (read is null)
            {
                ExceptionDispatchInfo.Throw(_readerFailed!);
            }
            return read.GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Chunk <paramref name="index"/> (the next one, in order) when it has been read; false when it
    /// has not, or when reading it failed (<see cref="Take(int)"/> throws that in its turn).
    /// </summary>
    public bool TryTake(int index, [NotNullWhen(true)] out byte[]? buffer)
    {
        lock (_lock)
        {
            ref ChunkRead? slot = ref _window[index % _window.Length];
            buffer = slot?.Bytes.IsCompletedSuccessfully == true ? slot.Bytes.Result : null;
            if (buffer is not null)
            {
                slot = null;
            }
            return buffer is not null;
        }
    }

    /// <summary>Gives back the buffer of a chunk taken, so that a reader may go on to another one.</summary>
    public void GiveBack(byte[] buffer)
    {
        _giveBack(buffer);
        lock (_lock)
        {
            _givenBack++;
            AskAhead();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            LetGoOfWindow();
            Monitor.PulseAll(_lock);
        }
        _reader.Dispose();
    }

    /// <summary>Asks for every chunk the window has room for, in order; under the lock.</summary>
    private void AskAhead()
    {
        while (!_stopped && !_failed && _next < _count && _next - _givenBack < _window.Length)
        {
            int index = _next++;
            _window[index % _window.Length] = _reader.Queue(() => _read(index), urgent: false);
        }
    }

    /// <summary>Lets go of every chunk asked for and not taken: its buffer goes back, now or once it is read; under the lock.</summary>
    private void LetGoOfWindow()
    {
        for (int i = 0; i < _window.Length; i++)
        {
            if (_window[i] is { } read)
            {
                _reader.Cancel(read);
            }
            _window[i] = null;
        }
    }

    /// <summary>A read ended: its taker may go on. After the first chunk that failed nothing is written, so nothing more is read.</summary>
    private void ReadEnded(ChunkRead read)
    {
        lock (_lock)
        {
            if (read.Bytes.IsFaulted && !_failed && !_stopped)
            {
                _failed = true;
                CancelAfter(read);
            }
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Lets go of the chunks asked for after <paramref name="failed"/> (those before it still arrive); under the lock.</summary>
    private void CancelAfter(ChunkRead failed)
    {
        for (int index = _next - 1; index >= Math.Max(0, _next - _window.Length); index--)
        {
            ref ChunkRead? slot = ref _window[index % _window.Length];
            if (slot == failed)
            {
                return;
            }
            if (slot is not null)
            {
                _reader.Cancel(slot);
                slot = null;
            }
        }
    }

    /// <summary>
    /// A reader thread died of <paramref name="e"/>: no further chunk is read, and <see cref="Take(int)"/> throws
    /// for each one missing, with the stack in its message for the restore's log line.
    /// </summary>
    private void ReaderFailed(string name, Exception e)
    {
        lock (_lock)
        {
            _readerFailed ??= new InvalidOperationException($"{name} failed unexpectedly: {e}", e);
            _failed = true;
            Monitor.PulseAll(_lock);
        }
    }
}
