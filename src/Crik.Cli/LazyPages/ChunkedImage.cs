using Crik.Cli.Chunks;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Random access to one image stored as chunks: any range, read from the packs chunk by chunk, each
/// chunk checked (SHA-256, or decrypted and authenticated) before a byte of it is handed out. The
/// chunks read last are kept, so neighbouring requests (CRIU asks for 4 KiB to 4 MiB at a time, mostly
/// in address order) read each chunk once: at most <see cref="KeptChunks"/> chunks of at most 2 MiB.
/// Not thread-safe: one page server reads it.
/// </summary>
internal sealed class ChunkedImage(IReadOnlyList<ChunkRef> chunks, PackReader packs, string? keyId) : IDisposable
{
    public const int KeptChunks = 8;

    private readonly long[] _starts = Starts(chunks);
    private readonly LinkedList<(int Index, byte[] Bytes)> _kept = new();

    public long Length => _starts[^1];

    /// <summary>How many chunk reads the requests took (each chunk read once while it stays kept).</summary>
    public int ChunksRead { get; private set; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; throws <see cref="ChunkException"/> when a chunk is missing or not what was written.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new ChunkException($"bytes {offset}-{offset + destination.Length} are beyond the image's {Length}");
        }
        while (destination.Length > 0)
        {
            int index = Array.BinarySearch(_starts, offset);
            if (index < 0)
            {
                index = ~index - 1;
            }
            byte[] chunk = Chunk(index);
            int from = (int)(offset - _starts[index]);
            int count = Math.Min(destination.Length, chunks[index].Size - from);
            chunk.AsSpan(from, count).CopyTo(destination);
            destination = destination[count..];
            offset += count;
        }
    }

    public void Dispose()
    {
        foreach ((_, byte[] bytes) in _kept)
        {
            Array.Clear(bytes); // decrypted memory of the app
        }
        _kept.Clear();
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
        if (_kept.Count >= KeptChunks)
        {
            bytes = _kept.Last!.Value.Bytes;
            _kept.RemoveLast();
        }
        else
        {
            bytes = new byte[PageChunker.MaxBytes];
        }
        try
        {
            packs.Read(chunks[index], keyId, bytes);
        }
        catch
        {
            Array.Clear(bytes);
            throw;
        }
        ChunksRead++;
        _kept.AddFirst((index, bytes));
        return bytes;
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
