using Crik.Cli.Chunks;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Random access to one image stored as chunks: any range, read from the packs chunk by chunk, each
/// chunk checked (SHA-256, or decrypted and authenticated) before a byte of it is handed out. CRIU's
/// lazy-pages daemon asks in address order twice over: its background copy walks the image, and the
/// app's faults walk whatever the app reads, one page at a time. So each chunk read starts reading
/// the next <see cref="ReadAhead"/> on other threads (from object storage each is a request of its
/// own, and waiting for them one by one would be slow), for each of the last <see cref="Cursors"/>
/// places read, so that a fault does not throw away the background copy's reads ahead, nor the
/// other way round.
/// The chunks the app touched first after its last restore may be read before anything asks
/// (<see cref="LazyImages.ReadFirstTouched"/>) and are taken from there when asked for.
/// Memory: at most <see cref="KeptChunks"/> + <see cref="Cursors"/> × <see cref="ReadAhead"/> chunks of at most 2 MiB,
/// and those read first (at most <see cref="LazyImages.FirstTouchedReadLimit"/>).
/// Read by one page server thread at a time.
/// </summary>
internal sealed class ChunkedImage(IReadOnlyList<ChunkRef> chunks, PackReader packs, string? keyId) : IDisposable
{
    public const int KeptChunks = 8;
    public const int ReadAhead = 4;
    public const int Cursors = 2;

    private readonly long[] _starts = Starts(chunks);
    private readonly LinkedList<(int Index, byte[] Bytes)> _kept = new();
    private readonly Dictionary<int, Task<byte[]>> _ahead = [];
    private readonly List<int> _cursors = []; // the chunk each walk read last, the latest first
    private readonly Dictionary<int, Task<byte[]>> _first = [];
    private readonly HashSet<int> _firstTaken = []; // read first and taken, not yet faulted on
    private int _firstUsed;
    private bool _disposed;

    public long Length => _starts[^1];

    /// <summary>
    /// How many of the chunks read first the app faulted on (the daemon's background copy asks for
    /// every chunk in the end, so only a fault says the read first was worth it).
    /// </summary>
    public int FirstUsed => Volatile.Read(ref _firstUsed);

    /// <summary>The chunk that holds the byte at <paramref name="offset"/>.</summary>
    public int IndexAt(long offset)
    {
        int index = Array.BinarySearch(_starts, offset);
        return index < 0 ? ~index - 1 : index;
    }

    public int ChunkSize(int index) => chunks[index].Size;

    /// <summary>The generation whose pack holds the chunk (an earlier one's when it was reused unchanged).</summary>
    public long PackOf(int index) => chunks[index].Pack;

    /// <summary>
    /// The chunk <paramref name="index"/> is being read ahead of any request (<paramref name="reading"/>):
    /// a request for it waits for that read. Only before serving starts.
    /// </summary>
    public void ReadingFirst(int index, Task<byte[]> reading) => _first[index] = reading;

    /// <summary>Reads one chunk, checked; an empty array once the image is let go (a read first nothing will ask for).</summary>
    public byte[] ReadChunkFirst(int index) => _disposed ? [] : ReadChunk(index);

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; throws <see cref="ChunkException"/> when a chunk is missing or not what was written.</summary>
    /// <param name="fault">The app faulted on these bytes (not the daemon's background copy).</param>
    public void Read(long offset, Span<byte> destination, bool fault = false)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new ChunkException($"bytes {offset}-{offset + destination.Length} are beyond the image's {Length}");
        }
        while (destination.Length > 0)
        {
            int index = IndexAt(offset);
            byte[] chunk = Chunk(index);
            if (fault && _firstTaken.Remove(index))
            {
                Interlocked.Increment(ref _firstUsed);
            }
            int from = (int)(offset - _starts[index]);
            int count = Math.Min(destination.Length, chunks[index].Size - from);
            chunk.AsSpan(from, count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }

    /// <summary>
    /// Reads a range straight from the packs, without keeping or reading ahead (the pages CRIU restores
    /// itself, scattered over the image, read once each). Safe from several threads.
    /// </summary>
    public void ReadOnce(long offset, Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            int index = IndexAt(offset);
            byte[] chunk = ReadChunk(index);
            int from = (int)(offset - _starts[index]);
            int count = Math.Min(destination.Length, chunks[index].Size - from);
            chunk.AsSpan(from, count).CopyTo(destination);
            Array.Clear(chunk);
            destination = destination[count..];
            offset += count;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        foreach ((_, byte[] bytes) in _kept)
        {
            Array.Clear(bytes); // decrypted memory of the app
        }
        _kept.Clear();
        foreach (Task<byte[]> pending in _ahead.Values.Concat(_first.Values))
        {
            _ = pending.ContinueWith(read => Array.Clear(read.Result), TaskContinuationOptions.OnlyOnRanToCompletion);
        }
        _ahead.Clear();
        _first.Clear();
    }

    private byte[] Chunk(int index)
    {
        for (LinkedListNode<(int Index, byte[] Bytes)>? node = _kept.First; node is not null; node = node.Next)
        {
            if (node.Value.Index == index)
            {
                _kept.Remove(node);
                _kept.AddFirst(node);
                return node.Value.Bytes;
            }
        }
        byte[] bytes;
        if (_first.Remove(index, out Task<byte[]>? early))
        {
            bytes = early.GetAwaiter().GetResult();
            _firstTaken.Add(index);
        }
        else if (_ahead.Remove(index, out Task<byte[]>? pending))
        {
            bytes = pending.GetAwaiter().GetResult(); // a chunk that failed throws here, when it is needed
        }
        else
        {
            bytes = ReadChunk(index);
        }
        if (_kept.Count >= KeptChunks)
        {
            Array.Clear(_kept.Last!.Value.Bytes);
            _kept.RemoveLast();
        }
        _kept.AddFirst((index, bytes));
        StartReadingAhead(index);
        return bytes;
    }

    private void StartReadingAhead(int after)
    {
        MoveCursor(after);
        // Reads ahead of a place no walk is at any more are dropped: only the next few after each cursor are wanted.
        foreach (int stale in _ahead.Keys.Where(i => !_cursors.Any(c => i > c && i <= c + ReadAhead)).ToList())
        {
            _ahead.Remove(stale, out Task<byte[]>? dropped);
            _ = dropped!.ContinueWith(read => Array.Clear(read.Result), TaskContinuationOptions.OnlyOnRanToCompletion);
        }
        for (int next = after + 1; next <= after + ReadAhead && next < chunks.Count; next++)
        {
            if (!_ahead.ContainsKey(next) && !_first.ContainsKey(next) && !_kept.Any(k => k.Index == next))
            {
                int index = next;
                _ahead[index] = Task.Run(() => _disposed ? [] : ReadChunk(index));
            }
        }
    }

    /// <summary>The walk that reached <paramref name="index"/> moves there: the one it continues (at or just behind it), or else the least recent one.</summary>
    private void MoveCursor(int index)
    {
        int walk = _cursors.FindIndex(c => index >= c && index <= c + ReadAhead + 1);
        if (walk >= 0)
        {
            _cursors.RemoveAt(walk);
        }
        else if (_cursors.Count >= Cursors)
        {
            _cursors.RemoveAt(_cursors.Count - 1);
        }
        _cursors.Insert(0, index);
    }

    private byte[] ReadChunk(int index)
    {
        var bytes = new byte[chunks[index].Size];
        try
        {
            packs.Read(chunks[index], keyId, bytes);
            return bytes;
        }
        catch
        {
            Array.Clear(bytes);
            throw;
        }
    }

    private static long[] Starts(IReadOnlyList<ChunkRef> chunks)
    {
        var starts = new long[chunks.Count + 1];
        for (int i = 0; i < chunks.Count; i++)
        {
            starts[i + 1] = starts[i] + chunks[i].Size;
        }
        return starts;
    }
}
