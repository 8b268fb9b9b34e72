namespace Crik.Cli.Chunks;

/// <summary>
/// The chunks that slices were last read from, whole and checked, so that the slices of one chunk, which an image lists
/// near one another, read and check it once. A few are kept, the least recently asked for let go first; a read that
/// fails is not kept. Safe for several threads: two that ask for one chunk at once share one read.
/// </summary>
internal sealed class WholeChunksOfSlices(int capacity = 8)
{
    private readonly LinkedList<(ChunkRef Chunk, Lazy<byte[]> Bytes)> _recent = new();

    /// <summary>The bytes of <paramref name="whole"/>, read by <paramref name="read"/> unless they are kept.</summary>
    public byte[] Get(ChunkRef whole, Func<ChunkRef, byte[]> read)
    {
        Lazy<byte[]> bytes;
        lock (_recent)
        {
            LinkedListNode<(ChunkRef Chunk, Lazy<byte[]> Bytes)>? node = _recent.First;
            while (node is not null && !Same(node.Value.Chunk, whole))
            {
                node = node.Next;
            }
            if (node is null)
            {
                node = new((whole, new Lazy<byte[]>(() => read(whole), LazyThreadSafetyMode.ExecutionAndPublication)));
                if (_recent.Count == capacity)
                {
                    _recent.RemoveLast(); // whoever holds its bytes keeps them: nothing is cleared under a reader
                }
            }
            else
            {
                _recent.Remove(node);
            }
            _recent.AddFirst(node);
            bytes = node.Value.Bytes;
        }
        try
        {
            return bytes.Value;
        }
        catch
        {
            lock (_recent)
            {
                for (LinkedListNode<(ChunkRef Chunk, Lazy<byte[]> Bytes)>? node = _recent.First; node is not null; node = node.Next)
                {
                    if (ReferenceEquals(node.Value.Bytes, bytes))
                    {
                        _recent.Remove(node);
                        break;
                    }
                }
            }
            throw;
        }
    }

    private static bool Same(ChunkRef a, ChunkRef b) => a.Pack == b.Pack && a.Offset == b.Offset && a.Id == b.Id;
}
