using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Crik.Cli.Processes;

namespace Crik.Cli.Streaming;

/// <summary>
/// The chunks of one image, read (and checked) in order by threads of their own while the caller
/// writes them out: chunk i may be read once chunk i - <c>depth</c> has been given back, so at most
/// <c>depth</c> buffers are out at a time, counting those being read and written. The threads sleep
/// while they are that far ahead.
/// </summary>
/// <remarks>
/// Chunks are taken in order. A chunk that cannot be read is thrown from <see cref="Take(int)"/> in its
/// turn, after every chunk before it, and no further chunk is started once one has failed.
/// <see cref="Dispose"/> stops the readers at their next chunk and gives back every buffer read and
/// not taken; a reader busy with a chunk gives its buffer back itself when it is done. A reader that dies of
/// an exception nobody expected (outside a chunk's read) fails the image: every chunk not yet read throws it
/// (<see cref="ReaderFailed"/>), so the restore fails instead of waiting for it, and crik lives on.
/// </remarks>
internal sealed class ChunkReadAhead : IDisposable
{
    private readonly object _lock = new();
    private readonly int _count;
    private readonly Func<int, byte[]> _read;
    private readonly Action<byte[]> _giveBack;
    private readonly (byte[]? Buffer, Exception? Error)[] _slots;
    private readonly string _name;
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
        _slots = new (byte[]?, Exception?)[depth];
        _name = name;
        for (int i = 0; i < Math.Min(readers, Math.Min(depth, count)); i++)
        {
            BackgroundThread.Start(ReadChunks, name, ReaderFailed);
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
            ref (byte[]? Buffer, Exception? Error) slot = ref _slots[index % _slots.Length];
            while (slot.Buffer is null && slot.Error is null && _readerFailed is null)
            {
                if (!Monitor.Wait(_lock, milliseconds))
                {
                    return null;
                }
            }
            (byte[]? buffer, Exception? error) = slot;
            slot = default;
            error ??= buffer is null ? _readerFailed : null;
            if (error is not null)
            {
                ExceptionDispatchInfo.Throw(error);
            }
            return buffer!;
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
            ref (byte[]? Buffer, Exception? Error) slot = ref _slots[index % _slots.Length];
            buffer = slot.Buffer;
            if (buffer is not null)
            {
                slot = default;
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
            Monitor.PulseAll(_lock);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stopped = true;
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i].Buffer is { } buffer)
                {
                    _giveBack(buffer);
                }
                _slots[i] = default;
            }
            Monitor.PulseAll(_lock);
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

    private void ReadChunks()
    {
        while (true)
        {
            FaultSeam.Hit(_name);
            int index;
            lock (_lock)
            {
                while (!_stopped && !_failed && _next < _count && _next - _givenBack >= _slots.Length)
                {
                    Monitor.Wait(_lock);
                }
                if (_stopped || _failed || _next >= _count)
                {
                    return;
                }
                index = _next++;
            }
            byte[]? buffer = null;
            Exception? error = null;
            try
            {
                buffer = _read(index);
            }
            catch (Exception e)
            {
                // Whatever it is, the writer throws it when it reaches this chunk.
                error = e;
            }
            lock (_lock)
            {
                if (_stopped)
                {
                    if (buffer is not null)
                    {
                        _giveBack(buffer);
                    }
                    return;
                }
                _slots[index % _slots.Length] = (buffer, error);
                // Nothing after a chunk that failed is written, so nothing more is read (chunks
                // before it, being read by other readers, still arrive).
                _failed |= error is not null;
                Monitor.PulseAll(_lock);
            }
        }
    }
}
