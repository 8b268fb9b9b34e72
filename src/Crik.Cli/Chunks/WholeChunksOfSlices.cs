using System.Buffers;

namespace Crik.Cli.Chunks;

/// <summary>
/// The chunks that slices were last read from, whole and checked, so that the slices of one chunk, which an image lists
/// near one another, read and check it once. A few are kept, the least recently asked for let go first; a read that
/// fails is not kept. Safe for several threads: two that ask for one chunk at once share one read.
/// The buffers come from a pool of their own and go back to it, cleared (they hold the app's memory, maybe decrypted),
/// once a chunk is let go and no reader is copying from it: a restore reads hundreds of megabytes of chunks this way, and
/// arrays allocated one by one would each be fresh memory to fault in, and garbage to collect while the app waits.
/// </summary>
internal sealed class WholeChunksOfSlices(int capacity = 8)
{
    /// <summary>Reads chunk <paramref name="whole"/> into the first <see cref="ChunkRef.WholeSize"/> bytes of <paramref name="into"/>.</summary>
    public delegate void ReadWhole(ChunkRef whole, Span<byte> into);

    private readonly LinkedList<Entry> _recent = new();
    private readonly ArrayPool<byte> _pool = ArrayPool<byte>.Create(PageChunker.MaxBytes, capacity * 2);

    /// <summary>Copies slice <paramref name="slice"/>'s bytes into <paramref name="destination"/>, its whole chunk read by <paramref name="read"/> unless kept.</summary>
    public void CopySlice(ChunkRef slice, Span<byte> destination, ReadWhole read)
    {
        Entry entry = Use(slice.Whole(), read);
        try
        {
            entry.Bytes.Value.AsSpan(slice.From ?? 0, slice.Size).CopyTo(destination);
        }
        catch
        {
            lock (_recent)
            {
                LetGo(entry); // a read that failed is not kept
            }
            throw;
        }
        finally
        {
            lock (_recent)
            {
                entry.Users--;
                ReturnIfUnused(entry);
            }
        }
    }

    private Entry Use(ChunkRef whole, ReadWhole read)
    {
        lock (_recent)
        {
            LinkedListNode<Entry>? node = _recent.First;
            while (node is not null && !Same(node.Value.Chunk, whole))
            {
                node = node.Next;
            }
            if (node is null)
            {
                node = new(new Entry(whole, new Lazy<byte[]>(() => ReadPooled(whole, read), LazyThreadSafetyMode.ExecutionAndPublication)));
                if (_recent.Count == capacity)
                {
                    LetGo(_recent.Last!.Value);
                }
            }
            else
            {
                _recent.Remove(node);
            }
            _recent.AddFirst(node);
            node.Value.Users++;
            return node.Value;
        }
    }

    private byte[] ReadPooled(ChunkRef whole, ReadWhole read)
    {
        byte[] buffer = _pool.Rent(whole.WholeSize);
        try
        {
            read(whole, buffer.AsSpan(0, whole.WholeSize));
            return buffer;
        }
        catch
        {
            buffer.AsSpan(0, whole.WholeSize).Clear();
            _pool.Return(buffer);
            throw;
        }
    }

    /// <summary>No longer kept; its buffer goes back once nobody copies from it. Under the lock.</summary>
    private void LetGo(Entry entry)
    {
        if (!entry.LetGo)
        {
            entry.LetGo = true;
            _recent.Remove(entry);
            ReturnIfUnused(entry);
        }
    }

    private void ReturnIfUnused(Entry entry)
    {
        if (entry.LetGo && entry.Users == 0 && !entry.Returned && entry.Bytes.IsValueCreated)
        {
            entry.Returned = true;
            entry.Bytes.Value.AsSpan(0, entry.Chunk.WholeSize).Clear();
            _pool.Return(entry.Bytes.Value);
        }
    }

    private static bool Same(ChunkRef a, ChunkRef b) => a.Pack == b.Pack && a.Offset == b.Offset && a.Id == b.Id;

    private sealed class Entry(ChunkRef chunk, Lazy<byte[]> bytes)
    {
        public ChunkRef Chunk { get; } = chunk;

        public Lazy<byte[]> Bytes { get; } = bytes;

        /// <summary>Readers copying from it now.</summary>
        public int Users { get; set; }

        public bool LetGo { get; set; }

        public bool Returned { get; set; }
    }
}
