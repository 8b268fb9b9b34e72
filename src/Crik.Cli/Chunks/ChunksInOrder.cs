using System.Diagnostics.CodeAnalysis;

namespace Crik.Cli.Chunks;

/// <summary>
/// The chunks of one image, taken in order from a <see cref="ChunkReadAhead"/> while the caller writes them out:
/// chunk i is asked for once chunk i - <c>depth</c> has been given back, so at most <c>depth</c> buffers are out at
/// a time, counting those being read and written. A chunk taken is the caller's (<see cref="ChunkReadAhead.Keep"/>)
/// until it gives it back.
/// </summary>
/// <remarks>
/// A chunk that cannot be read is thrown from <see cref="Take(int)"/> in its turn, after every chunk before it,
/// and no further chunk is started once one has failed. <see cref="Dispose"/> lets go of every chunk asked for and
/// not taken: its buffer goes back, now or once its read ends.
/// </remarks>
internal sealed class ChunksInOrder : IReadFailures, IDisposable
{
    private readonly object _lock = new();
    private readonly ChunkReadAhead _reads;
    private readonly int _image;
    private readonly int _count;
    private readonly Task<byte[]>?[] _window;
    private int _next;
    private int _givenBack;
    private bool _stopped;
    private bool _failed;

    /// <param name="image">The image whose chunks 0 to <paramref name="count"/> - 1 are taken.</param>
    public ChunksInOrder(ChunkReadAhead reads, int image, int count, int depth)
    {
        _reads = reads;
        _image = image;
        _count = count;
        _window = new Task<byte[]>?[depth];
        reads.Watch(this);
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
        if (AskedFor(index, milliseconds) is not { } read || (!read.IsCompleted && !Ends(read, milliseconds)))
        {
            return null;
        }
        lock (_lock)
        {
            _window[index % _window.Length] = null;
            if (read.IsCompletedSuccessfully)
            {
                _reads.Keep(_image, index);
                return read.Result;
            }
            _reads.Forget(_image, index);
            FailedAt(index); // the reader may not have told of it yet: its slot is empty from here on
        }
        return read.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Chunk <paramref name="index"/> (the next one, in order) when it has been read; false when it
    /// has not, or when reading it failed (<see cref="Take(int)"/> throws that in its turn).
    /// </summary>
    public bool TryTake(int index, [NotNullWhen(true)] out byte[]? buffer)
    {
        lock (_lock)
        {
            ref Task<byte[]>? slot = ref _window[index % _window.Length];
            buffer = slot?.IsCompletedSuccessfully == true ? slot.Result : null;
            if (buffer is not null)
            {
                slot = null;
                _reads.Keep(_image, index);
            }
            return buffer is not null;
        }
    }

    /// <summary>Gives back the buffer of a chunk taken, so that another one may be read.</summary>
    public void GiveBack(byte[] buffer)
    {
        _reads.GiveBack(buffer);
        lock (_lock)
        {
            _givenBack++;
            AskAhead();
        }
    }

    public void Dispose()
    {
        _reads.Unwatch(this);
        lock (_lock)
        {
            _stopped = true;
            for (int index = Math.Max(0, _next - _window.Length); index < _next; index++)
            {
                LetGo(index);
            }
        }
    }

    /// <summary>
    /// The read of chunk <paramref name="index"/>; null after <paramref name="milliseconds"/> when it is not asked for
    /// yet, as the chunks before it that the caller holds leave no room for it.
    /// </summary>
    private Task<byte[]>? AskedFor(int index, int milliseconds)
    {
        lock (_lock)
        {
            if (index < _next && _window[index % _window.Length] is { } read)
            {
                return read;
            }
            if (milliseconds == Timeout.Infinite)
            {
                throw new InvalidOperationException($"chunk {index} is taken, or cannot be asked for while {_next - _givenBack} chunks of {_window.Length} are out");
            }
            Monitor.Wait(_lock, milliseconds);
            return null;
        }
    }

    /// <summary>Asks for every chunk the window has room for, in order; under the lock.</summary>
    private void AskAhead()
    {
        while (!_stopped && !_failed && _next < _count && _next - _givenBack < _window.Length)
        {
            int index = _next++;
            Task<byte[]> read = _reads.Get(_image, index, urgent: false);
            _window[index % _window.Length] = read;
            _failed = read.IsFaulted; // the engine's threads are gone: so is every chunk after this one

        }
    }

    /// <summary>
    /// A read failed, on the thread that did it: when it is one of these chunks, nothing after it is written, so nothing
    /// more is read (those before it still arrive).
    /// </summary>
    void IReadFailures.Failed(Task<byte[]> read)
    {
        lock (_lock)
        {
            for (int index = _next - 1; !_failed && !_stopped && index >= Math.Max(0, _next - _window.Length); index--)
            {
                if (_window[index % _window.Length] == read)
                {
                    FailedAt(index);
                }
            }
        }
    }

    /// <summary>Chunk <paramref name="index"/> could not be read: no chunk after it is read any more. Under the lock.</summary>
    private void FailedAt(int index)
    {
        if (_failed || _stopped)
        {
            return;
        }
        _failed = true;
        for (int later = index + 1; later < _next; later++)
        {
            LetGo(later);
        }
    }

    /// <summary>Lets go of chunk <paramref name="index"/> when it was asked for and not taken; under the lock.</summary>
    private void LetGo(int index)
    {
        ref Task<byte[]>? slot = ref _window[index % _window.Length];
        if (slot is not null)
        {
            slot = null;
            _reads.Forget(_image, index);
        }
    }

    /// <summary>Whether <paramref name="read"/> ended within <paramref name="milliseconds"/>, however it ended.</summary>
    private static bool Ends(Task read, int milliseconds)
    {
        try
        {
            return read.Wait(milliseconds);
        }
        catch (AggregateException)
        {
            return true;
        }
    }
}
