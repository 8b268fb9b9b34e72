using Crik.Cli.Chunks;
using Crik.Cli.Criu;

namespace Crik.Cli.LazyPages;

/// <summary>
/// Random access to one image stored as chunks: any range, or any whole chunk, read from the packs,
/// each chunk checked (SHA-256, or decrypted and authenticated) before a byte of it is handed out.
/// Nothing is kept: the caller holds what it reads, for as long as it needs it. Safe from several threads.
/// </summary>
/// <param name="starts">Where each chunk starts, when another view of the same chunks has them (<see cref="ReadingFrom"/>).</param>
internal sealed class ChunkedImage(IReadOnlyList<ChunkRef> chunks, PackReader packs, string? keyId, long[]? starts = null)
{
    private readonly long[] _starts = starts ?? Starts(chunks);
    private readonly Lazy<Dictionary<(long Pack, long Offset), int[]>> _slicesByChunk = new(() => SlicesByChunk(chunks));

    public long Length => _starts[^1];

    /// <summary>
    /// The same image read from <paramref name="other"/>: its chunks' starts shared, not made again (an array of the tens of
    /// thousands of pieces of a scattered checkpoint, which the garbage collector's large object heap took a collection for).
    /// </summary>
    public ChunkedImage ReadingFrom(PackReader other) => new(chunks, other, keyId, _starts);

    public int Count => chunks.Count;

    /// <summary>The chunks, as the manifest lists them.</summary>
    public IReadOnlyList<ChunkRef> Chunks => chunks;

    /// <summary>The chunk that holds the byte at <paramref name="offset"/>.</summary>
    public int IndexAt(long offset)
    {
        int index = Array.BinarySearch(_starts, offset);
        return index < 0 ? ~index - 1 : index;
    }

    /// <summary>The chunks that hold a run's bytes, in order.</summary>
    public IEnumerable<int> IndexesOf(PageRun run)
    {
        int last = IndexAt(run.Offset + (run.Pages * ImagePage.Bytes) - 1);
        for (int index = IndexAt(run.Offset); index <= last; index++)
        {
            yield return index;
        }
    }

    /// <summary>
    /// The pieces of this image that are slices of the same chunk as piece <paramref name="index"/>, itself included, in
    /// order; just itself when it is not a slice. A chunk read for one slice holds its others too.
    /// </summary>
    public IReadOnlyList<int> SlicesOfItsChunk(int index) =>
        chunks[index].IsSlice && _slicesByChunk.Value.TryGetValue(ChunkOf(index), out int[]? slices) ? slices : [index];

    /// <summary>The chunk piece <paramref name="index"/> is of (or is), by its place in the packs.</summary>
    public (long Pack, long Offset) ChunkOf(int index) => (chunks[index].Pack, chunks[index].Offset);

    /// <summary>Where chunk <paramref name="index"/> starts in the image.</summary>
    public long StartOf(int index) => _starts[index];

    public int ChunkSize(int index) => chunks[index].Size;

    /// <summary>The generation whose pack holds the chunk (an earlier one's when it was reused unchanged).</summary>
    public long PackOf(int index) => chunks[index].Pack;

    /// <summary>
    /// Fills <paramref name="destination"/> from <paramref name="offset"/>, straight from the packs;
    /// throws <see cref="ChunkException"/> when a chunk is missing or not what was written.
    /// </summary>
    public void Read(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset + destination.Length > Length)
        {
            throw new ChunkException($"bytes {offset}-{offset + destination.Length} are beyond the image's {Length}");
        }
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

    /// <summary>One whole chunk, checked.</summary>
    public byte[] ReadChunk(int index)
    {
        var bytes = new byte[chunks[index].Size];
        ReadChunk(index, bytes);
        return bytes;
    }

    /// <summary>One whole chunk, checked, into the first <see cref="ChunkSize"/> bytes of <paramref name="into"/> (cleared when it fails).</summary>
    public void ReadChunk(int index, Span<byte> into)
    {
        try
        {
            packs.Read(chunks[index], keyId, into);
        }
        catch
        {
            into[..chunks[index].Size].Clear();
            throw;
        }
    }

    private static Dictionary<(long Pack, long Offset), int[]> SlicesByChunk(IReadOnlyList<ChunkRef> chunks)
    {
        var slices = new Dictionary<(long Pack, long Offset), List<int>>();
        for (int i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].IsSlice)
            {
                (long, long) chunk = (chunks[i].Pack, chunks[i].Offset);
                if (!slices.TryGetValue(chunk, out List<int>? indexes))
                {
                    slices[chunk] = indexes = [];
                }
                indexes.Add(i);
            }
        }
        return slices.ToDictionary(s => s.Key, s => s.Value.ToArray());
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
